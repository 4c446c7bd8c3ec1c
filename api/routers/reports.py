"""Interval reports by key, as accepted on-chain."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import ReadCacheDep, SessionDep, StationId, UnixTime
from api.errors import documented
from api.models import ReportPublic
from api.queries import reports

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get(
    "/{station_id}/{interval_start}", response_model=ReportPublic, responses=documented(404)
)
def get_report(
    station_id: StationId, interval_start: UnixTime, session: SessionDep, cache: ReadCacheDep
) -> Response:
    return cache.json(
        session,
        ("report", station_id, interval_start),
        lambda: reports.get_report(
            session=session, station_id=station_id, interval_start=interval_start
        ),
    )
