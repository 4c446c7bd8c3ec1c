"""Provenance for regulators: a credit, or a participant's energy account over a period, traced
through the avoided-emission accounts and factors, the interval reports and their oracle
signers, to the batch files and each signed reading with its device and Merkle proof.
`depth` (1-5) or `summary=true` (= depth 3 without batches) limit the levels; intervals are paged.
`essl verify` re-checks the same lineage against the chain alone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlmodel import col, select

from api.deps import Address, CurrentActor, SessionDep, SettingsDep, StationId
from api.errors import NotFound
from api.models import (
    CreditDecisionPublic,
    CreditRequestPublic,
    CreditRetirementPublic,
    CreditRevocationPublic,
)
from api.routers.settlements import PeriodKey, VersionQuery, get_settlement
from api.settlement_models import OwnLinePublic
from api.trace_models import (
    AccountTracePublic,
    AnchorPublic,
    CreditTracePublic,
    SettlementLineTracePublic,
    TransferPublic,
)
from api.trace_queries import avoided_account, interval_rows, intervals, paging
from ledger.index.tables import (
    CreditDecisionRow,
    CreditMoveRow,
    CreditRetirementRow,
    CreditRevocationRow,
    CreditRow,
    SettlementAnchorRow,
)
from ledger.settlement.period import period_bounds

router = APIRouter(prefix="/v1/trace", tags=["trace"])

TokenId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Credit token id.")]
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
Page = Annotated[int, Query(ge=1, description="Page of intervals, from 1.")]
PageSize = Annotated[int, Query(ge=1, le=500, description="Intervals per page.")]


def effective_depth(depth: int, summary: bool) -> int:
    return min(depth, 3) if summary else depth


@router.get("/credits/{token_id}", response_model=CreditTracePublic)
def trace_credit(
    token_id: TokenId,
    session: SessionDep,
    settings: SettingsDep,
    depth: Depth = 5,
    summary: Summary = False,
    page: Page = 1,
    page_size: PageSize = 4,
) -> CreditTracePublic:
    row = session.get(CreditRow, token_id)
    if row is None:
        raise NotFound(f"credit {token_id} was never requested (or is not indexed yet)")
    depth = effective_depth(depth, summary)
    decision = session.get(CreditDecisionRow, token_id)
    revocation = session.get(CreditRevocationRow, token_id)
    moves = session.exec(
        select(CreditMoveRow)
        .where(CreditMoveRow.token_id == token_id)
        .order_by(col(CreditMoveRow.block_number), col(CreditMoveRow.log_index))
    ).all()
    claims = session.exec(
        select(CreditRetirementRow)
        .where(CreditRetirementRow.token_id == token_id)
        .order_by(col(CreditRetirementRow.block_number), col(CreditRetirementRow.log_index))
    ).all()
    trace = CreditTracePublic(
        token_id=token_id,
        depth=depth,
        request=CreditRequestPublic(**row.model_dump(exclude={"token_id"})),
        approval=CreditDecisionPublic(**decision.model_dump(exclude={"token_id"}))
        if decision
        else None,
        revocation=CreditRevocationPublic(**revocation.model_dump(exclude={"token_id"}))
        if revocation
        else None,
        transfers=[
            TransferPublic(
                from_address=m.from_address,
                to_address=m.to_address,
                amount=m.amount,
                tx_hash=m.tx_hash,
                block_number=m.block_number,
            )
            for m in moves
        ],
        retirements=[
            CreditRetirementPublic(**c.model_dump(exclude={"token_id", "log_index"}))
            for c in claims
        ],
    )
    if depth < 2:
        return trace
    # The credit draws on the participant's balance booked by the reports before its approval.
    cutoff = decision.block_number if decision is not None else None
    rows = interval_rows(session, row.station_id, row.participant, max_block=cutoff)
    trace.avoided = avoided_account(session, row.station_id, row.participant, rows)
    if depth >= 3:
        trace.paging = paging(len(rows), page, page_size)
        chunk = rows[(page - 1) * page_size : page * page_size]
        trace.intervals = intervals(session, chunk, depth=depth, archive=settings.archive_dir)
    return trace


@router.get("/participants/{address}", response_model=AccountTracePublic)
def trace_account(
    address: Address,
    session: SessionDep,
    settings: SettingsDep,
    station_id: Annotated[int, Query(ge=1, le=2**32 - 1)],
    period_from: Annotated[int, Query(alias="from", ge=0)] = 0,
    period_to: Annotated[int, Query(alias="to", ge=0)] = 2**40,
    depth: Depth = 5,
    summary: Summary = False,
    page: Page = 1,
    page_size: PageSize = 4,
) -> AccountTracePublic:
    """A participant's energy and avoided-emission account at a station over [from, to)."""
    depth = effective_depth(depth, summary)
    rows = interval_rows(session, station_id, address, start_from=period_from, start_to=period_to)
    if not rows:
        raise NotFound(f"no indexed intervals of {address} at station {station_id} in that period")
    trace = AccountTracePublic(
        station_id=station_id,
        participant=rows[0][0].participant,
        period_from=period_from,
        period_to=period_to,
        depth=depth,
        avoided=avoided_account(session, station_id, rows[0][0].participant, rows),
    )
    if depth >= 3:
        trace.paging = paging(len(rows), page, page_size)
        chunk = rows[(page - 1) * page_size : page * page_size]
        trace.intervals = intervals(session, chunk, depth=depth, archive=settings.archive_dir)
    return trace


@router.get(
    "/settlements/{station_id}/{period}/{participant}", response_model=SettlementLineTracePublic
)
def trace_settlement_line(
    station_id: StationId,
    period: PeriodKey,
    participant: Address,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    version: VersionQuery = None,
    depth: Depth = 5,
    summary: Summary = False,
    page: Page = 1,
    page_size: PageSize = 4,
) -> SettlementLineTracePublic:
    """A settlement line traced to the energy it settles: operators and regulators for any
    line, a participant for its own line only (403 otherwise, as for the statement itself)."""
    line = get_settlement(station_id, period, actor, session, request, version, participant)
    assert isinstance(line, OwnLinePublic)  # a participant was named, so one line comes back
    anchored = session.get(SettlementAnchorRow, (station_id, period, line.version))
    day_start, day_end = period_bounds(period)
    account = trace_account(
        participant,
        session,
        settings,
        station_id,
        day_start,
        day_end,
        depth,
        summary,
        page,
        page_size,
    )
    return SettlementLineTracePublic(
        line=line,
        anchor=AnchorPublic(
            lines_root=anchored.lines_root,
            tx_hash=anchored.tx_hash,
            block_number=anchored.block_number,
            anchored_by=anchored.anchored_by,
        )
        if anchored
        else None,
        account=account,
    )
