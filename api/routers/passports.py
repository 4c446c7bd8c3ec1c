"""Battery passports: the public view for anyone, the health series and the residual-value
and safety model for those with a legitimate interest (EU 2023/1542 Annex XIII), and the
Battery Pass v1.2.0 export at the caller's access level."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import (
    ID_MAX,
    LedgerDep,
    OptionalActor,
    PassportReaderDep,
    PassportRef,
    ReadCacheDep,
    SessionDep,
)
from api.errors import documented
from api.passport_models import (
    AssessmentPublic,
    PassportExport,
    PassportHealthPublic,
    PassportPublic,
    PassportSummaryPublic,
)
from api.queries import passports

router = APIRouter(prefix="/v1/passports", tags=["passports"])


@router.get("", response_model=list[PassportSummaryPublic], responses=documented())
def list_passports(
    session: SessionDep,
    cache: ReadCacheDep,
    station_id: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="Only packs installed there.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=ID_MAX)] = 0,
) -> Response:
    return cache.json(
        session,
        ("passports", station_id, limit, offset),
        lambda: passports.list_passports(
            session=session, station_id=station_id, limit=limit, offset=offset
        ),
    )


@router.get("/{passport}", response_model=PassportPublic, responses=documented(404))
def get_passport(passport: PassportRef, session: SessionDep, cache: ReadCacheDep) -> Response:
    return cache.json(
        session,
        ("passport", passport),
        lambda: passports.get_passport(session=session, ref=passport),
    )


@router.get(
    "/{passport}/health",
    response_model=PassportHealthPublic,
    responses=documented(401, 403, 404, 503),
)
def get_health(
    passport: PassportRef, session: SessionDep, _: PassportReaderDep
) -> PassportHealthPublic:
    return passports.get_health(session=session, ref=passport)


@router.get(
    "/{passport}/assessment",
    response_model=AssessmentPublic,
    responses=documented(401, 403, 404, 503),
)
def get_assessment(
    passport: PassportRef, session: SessionDep, _: PassportReaderDep
) -> AssessmentPublic:
    return passports.get_assessment(session=session, ref=passport)


@router.get(
    "/{passport}/export", response_model=PassportExport, responses=documented(401, 404, 503)
)
def export_passport(
    passport: PassportRef, session: SessionDep, ledger: LedgerDep, actor: OptionalActor
) -> PassportExport:
    """Public attributes for anyone; status and the dynamic ones for a signed-in caller with a
    legitimate interest (anyone else gets the public set, `accessLevel` says which)."""
    return passports.export_passport(session=session, ledger=ledger, ref=passport, actor=actor)
