"""Provenance for regulators: a credit, or a participant's energy account over a period, traced
down to the signed readings (see api.queries.trace for the levels)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import (
    ID_MAX,
    SQL_INT_MAX,
    Address,
    CurrentActor,
    OptionalLedgerDep,
    PeriodKey,
    ReadCacheDep,
    SessionDep,
    SettingsDep,
    StationId,
    TokenId,
    VersionQuery,
)
from api.errors import documented
from api.queries import trace
from api.queries.credits import reasons_key
from api.trace_models import AccountTracePublic, CreditTracePublic, SettlementLineTracePublic

router = APIRouter(prefix="/v1/trace", tags=["trace"])

Depth = Annotated[
    int,
    Query(
        ge=1,
        le=5,
        description="1 credit; 2 + avoided account and factors; 3 + interval reports; "
        "4 + batch files; 5 + readings with device and Merkle proof.",
    ),
]
Summary = Annotated[bool, Query(description="Upper levels only (depth 3 at most).")]
Page = Annotated[int, Query(ge=1, le=2**31 - 1, description="Page of intervals, from 1.")]
PageSize = Annotated[
    int, Query(ge=1, le=500, description="Intervals per page (at most 25 at depth 5).")
]


@router.get("/credits/{token_id}", response_model=CreditTracePublic, responses=documented(404))
def trace_credit(
    token_id: TokenId,
    session: SessionDep,
    settings: SettingsDep,
    cache: ReadCacheDep,
    depth: Depth = 5,
    summary: Summary = False,
    page: Page = 1,
    page_size: PageSize = 4,
) -> Response:
    return cache.json(
        session,
        ("trace_credit", token_id, depth, summary, page, page_size, reasons_key(session, token_id)),
        lambda: trace.render(
            trace.trace_credit(
                session=session,
                archive=settings.archive_dir,
                token_id=token_id,
                depth=depth,
                summary=summary,
                page=page,
                page_size=page_size,
                rendered=True,
            )
        ),
    )


@router.get("/participants/{address}", response_model=AccountTracePublic, responses=documented(404))
def trace_account(
    address: Address,
    session: SessionDep,
    settings: SettingsDep,
    cache: ReadCacheDep,
    station_id: Annotated[int, Query(ge=1, le=ID_MAX)],
    period_from: Annotated[int, Query(alias="from", ge=0, le=SQL_INT_MAX)] = 0,
    period_to: Annotated[int, Query(alias="to", ge=0, le=SQL_INT_MAX)] = 2**40,
    depth: Depth = 5,
    summary: Summary = False,
    page: Page = 1,
    page_size: PageSize = 4,
) -> Response:
    """A participant's energy and avoided-emission account at a station over [from, to)."""
    account = (address.lower(), station_id, period_from, period_to)
    return cache.json(
        session,
        ("trace_account", *account, depth, summary, page, page_size),
        lambda: trace.render(
            trace.trace_account(
                session=session,
                archive=settings.archive_dir,
                address=address,
                station_id=station_id,
                period_from=period_from,
                period_to=period_to,
                depth=depth,
                summary=summary,
                page=page,
                page_size=page_size,
                rendered=True,
            )
        ),
    )


@router.get(
    "/settlements/{station_id}/{period}/{participant}",
    response_model=SettlementLineTracePublic,
    responses=documented(401, 403, 404),
)
def trace_settlement_line(
    station_id: StationId,
    period: PeriodKey,
    participant: Address,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    ledger: OptionalLedgerDep,
    version: VersionQuery = None,
    depth: Depth = 5,
    summary: Summary = False,
    page: Page = 1,
    page_size: PageSize = 4,
) -> SettlementLineTracePublic:
    """A settlement line traced to the energy it settles: operators and regulators for any
    line, a participant for its own line only (403 otherwise, as for the statement itself)."""
    return trace.trace_settlement_line(
        session=session,
        ledger=ledger,
        archive=settings.archive_dir,
        actor=actor,
        station_id=station_id,
        period=period,
        participant=participant,
        version=version,
        depth=depth,
        summary=summary,
        page=page,
        page_size=page_size,
    )
