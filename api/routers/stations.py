"""Stations and their interval history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import SQL_INT_MAX, ReadCacheDep, SessionDep, StationId
from api.errors import documented
from api.models import IntervalPublic, StationPublic
from api.queries import stations

router = APIRouter(prefix="/v1/stations", tags=["stations"])

Since = Annotated[
    int | None, Query(alias="from", ge=0, le=SQL_INT_MAX, description="Unix seconds, inclusive.")
]
Until = Annotated[int | None, Query(ge=0, le=SQL_INT_MAX, description="Unix seconds, exclusive.")]


@router.get("", response_model=list[StationPublic], responses=documented())
def list_stations(session: SessionDep, cache: ReadCacheDep) -> Response:
    return cache.json(session, ("stations",), lambda: stations.list_stations(session=session))


@router.get("/{station_id}", response_model=StationPublic, responses=documented(404))
def get_station(station_id: StationId, session: SessionDep, cache: ReadCacheDep) -> Response:
    return cache.json(
        session,
        ("station", station_id),
        lambda: stations.get_station(session=session, station_id=station_id),
    )


@router.get(
    "/{station_id}/intervals", response_model=list[IntervalPublic], responses=documented(400, 404)
)
def list_intervals(
    station_id: StationId,
    session: SessionDep,
    cache: ReadCacheDep,
    from_: Since = None,
    to: Until = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> Response:
    return cache.json(
        session,
        ("intervals", station_id, from_, to, limit),
        lambda: stations.list_intervals(
            session=session, station_id=station_id, from_=from_, to=to, limit=limit
        ),
    )
