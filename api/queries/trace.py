"""Provenance for regulators: a credit, or a participant's energy account over a period, traced
through the avoided-emission accounts and factors, the interval reports and their oracle
signers, to the batch files and each signed reading with its device and Merkle proof.
`depth` (1-5) or `summary` (= depth 3 without batches) limit the levels; intervals are paged.
`essl verify` re-checks the same lineage against the chain alone."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from api.auth import Actor
from api.errors import InvalidParameter, NotFound
from api.queries.credits import credit_record
from api.queries.settlements import check_period, get_own_line
from api.queries.trace_rows import (
    avoided_account,
    interval_rows,
    intervals,
    paging,
    render_trace,
)
from api.trace_models import (
    AccountTracePublic,
    AnchorPublic,
    CreditTracePublic,
    SettlementLineTracePublic,
    TransferPublic,
)
from ledger.client import Ledger
from ledger.index.tables import CreditMoveRow, SettlementAnchorRow
from ledger.settlement.period import period_bounds

# Readings (depth 5) are the heavy level (~40 signed readings per interval): a page of them is
# capped so one response stays near a few MB.
MAX_READING_PAGE = 25


def effective_depth(depth: int, summary: bool, page_size: int) -> int:
    depth = min(depth, 3) if summary else depth
    if depth >= 5 and page_size > MAX_READING_PAGE:
        raise InvalidParameter(
            "page_size",
            f"at depth 5 (readings) a page holds at most {MAX_READING_PAGE} intervals; "
            "use a smaller page_size or depth 4",
        )
    return depth


def trace_credit(
    *,
    session: Session,
    archive: Path,
    token_id: int,
    depth: int = 5,
    summary: bool = False,
    page: int = 1,
    page_size: int = 4,
    rendered: bool = False,
) -> CreditTracePublic:
    """The credit's trace; with `rendered`, the readings are kept as JSON for `render`."""
    record = credit_record(session, token_id)
    depth = effective_depth(depth, summary, page_size)
    moves = session.exec(
        select(CreditMoveRow)
        .where(CreditMoveRow.token_id == token_id)
        .order_by(col(CreditMoveRow.block_number), col(CreditMoveRow.log_index))
    ).all()
    trace = CreditTracePublic(
        token_id=token_id,
        depth=depth,
        request=record.request,
        approval=record.approval,
        revocation=record.revoked,
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
        retirements=record.retirements,
    )
    if depth < 2:
        return trace
    row = record.row
    # The credit draws on the participant's balance booked by the reports before its approval.
    cutoff = record.decision.block_number if record.decision is not None else None
    rows = interval_rows(session, row.station_id, row.participant, max_block=cutoff)
    trace.avoided = avoided_account(session, row.station_id, row.participant, rows)
    if depth >= 3:
        trace.paging = paging(len(rows), page, page_size)
        chunk = rows[(page - 1) * page_size : page * page_size]
        trace.intervals = intervals(session, chunk, depth=depth, archive=archive, rendered=rendered)
    return trace


def render(trace: CreditTracePublic | AccountTracePublic) -> bytes:
    """The JSON of a trace built with `rendered=True`: byte for byte what `model_dump_json`
    gives for the same trace built with the readings as models, without building them."""
    in_order = [
        i.batch
        for i in trace.intervals or []
        if i.batch is not None and i.batch.readings is not None
    ]
    return render_trace(trace, in_order)


def trace_account(
    *,
    session: Session,
    archive: Path,
    address: str,
    station_id: int,
    period_from: int = 0,
    period_to: int = 2**40,
    depth: int = 5,
    summary: bool = False,
    page: int = 1,
    page_size: int = 4,
    rendered: bool = False,
) -> AccountTracePublic:
    """A participant's energy and avoided-emission account at a station over [from, to);
    `rendered` as for trace_credit."""
    depth = effective_depth(depth, summary, page_size)
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
        trace.intervals = intervals(session, chunk, depth=depth, archive=archive, rendered=rendered)
    return trace


def trace_settlement_line(
    *,
    session: Session,
    ledger: Ledger | None,
    archive: Path,
    actor: Actor,
    station_id: int,
    period: int,
    participant: str,
    version: int | None = None,
    depth: int = 5,
    summary: bool = False,
    page: int = 1,
    page_size: int = 4,
) -> SettlementLineTracePublic:
    """A settlement line traced to the energy it settles: operators and regulators for any
    line, a participant for its own line only (Forbidden otherwise, as for the statement)."""
    check_period(period)
    line = get_own_line(
        session=session,
        ledger=ledger,
        actor=actor,
        station_id=station_id,
        period=period,
        participant=participant,
        version=version,
    )
    anchored = session.get(SettlementAnchorRow, (station_id, period, line.version))
    day_start, day_end = period_bounds(period)
    account = trace_account(
        session=session,
        archive=archive,
        address=participant,
        station_id=station_id,
        period_from=day_start,
        period_to=day_end,
        depth=depth,
        summary=summary,
        page=page,
        page_size=page_size,
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
