"""Settlement statements: run and anchor, read (every line, or one participant's line with its
proof), CSV, and acknowledge / dispute relayed on-chain from a participant's EIP-712 signature.
Ledger errors (no terms, missing reports, a revert) reach the client through the app-wide
handler in api.errors."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.responses import Response as HttpResponse
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from web3 import Web3

from api.auth import Actor
from api.cache import ReadCache
from api.errors import Forbidden, InvalidParameter, NotFound
from api.queries.access import sees_all
from api.settlement_models import (
    DisputeRequest,
    LinePublic,
    OwnLinePublic,
    ResponseName,
    ResponsePublic,
    ResponseRequest,
    SettlementRunPublic,
    StatementHeader,
    StatementLinePublic,
    StatementPublic,
    StateName,
    TotalsPublic,
)
from api.signatures import recover_with
from ledger.client import Ledger
from ledger.index.tables import (
    SettlementAnchorRow,
    SettlementResponseRow,
    SettlementTransitionRow,
    StationRow,
)
from ledger.reasons import reason_hash, reason_texts, record_reason
from ledger.settlement import Statement
from ledger.settlement.anchor import (
    Response,
    SettlementAnchorClient,
    StatementState,
    line_response,
)
from ledger.settlement.period import period_day
from ledger.settlement.runs import settle_and_anchor, stored_statement
from ledger.settlement.statement import Line

RESPONSE_NAMES: dict[int, ResponseName] = {1: "acknowledged", 2: "disputed"}


def check_period(period: int, field: str = "period") -> int:
    """A yyyymmdd key that is a calendar date (20261399 is not)."""
    try:
        period_day(period)
    except (ValueError, OverflowError):
        raise InvalidParameter(field, f"{period} is not a yyyymmdd calendar date") from None
    return period


def _state(
    session: Session, ledger: Ledger | None, station_id: int, period: int, version: int
) -> StateName:
    """From the chain when connected, else from the indexed events."""
    if ledger is not None:
        state = SettlementAnchorClient(ledger).state(station_id, period, version)
        return "unknown" if state is StatementState.NONE else state.name.lower()  # type: ignore[return-value]
    last = session.exec(
        select(SettlementTransitionRow)
        .where(SettlementTransitionRow.station_id == station_id)
        .where(SettlementTransitionRow.period == period)
        .where(SettlementTransitionRow.version == version)
        .order_by(
            col(SettlementTransitionRow.block_number).desc(),
            col(SettlementTransitionRow.log_index).desc(),
        )
    ).first()
    if last is not None:
        return StatementState(last.state).name.lower()  # type: ignore[return-value]
    anchored = session.get(SettlementAnchorRow, (station_id, period, version))
    return "pending" if anchored is not None else "unknown"


@dataclass(frozen=True)
class _Responses:
    kinds: dict[str, int]  # participant -> Response value
    reasons: dict[str, str]  # participant -> the known text of its dispute's reason hash


def _responses(session: Session, station_id: int, period: int, version: int) -> _Responses:
    rows = session.exec(
        select(SettlementResponseRow)
        .where(SettlementResponseRow.station_id == station_id)
        .where(SettlementResponseRow.period == period)
        .where(SettlementResponseRow.version == version)
    ).all()
    disputed = {r.participant: r.reason_hash for r in rows if r.response == Response.DISPUTED}
    texts = reason_texts(session, disputed.values())
    return _Responses(
        {r.participant: r.response for r in rows},
        {who: texts[h] for who, h in disputed.items() if h in texts},
    )


def _line(line: Line, responses: _Responses) -> LinePublic:
    return LinePublic.model_validate(
        {
            **line.to_dict(),
            "line_hash": "0x" + line.line_hash.hex(),
            "response": RESPONSE_NAMES.get(responses.kinds.get(line.participant, 0), "none"),
        }
    )


def _statement_line(line: Line, responses: _Responses) -> StatementLinePublic:
    """The operator / regulator view of a line: also the dispute's reason text, if known."""
    return StatementLinePublic(
        **_line(line, responses).model_dump(), reason=responses.reasons.get(line.participant)
    )


def _header(
    session: Session, statement: Statement, period: int, version: int, state: StateName
) -> StatementHeader:
    station = session.get(StationRow, statement.station_id)
    return StatementHeader(
        station_id=statement.station_id,
        period=period,
        version=version,
        period_start=statement.period_start,
        period_end=statement.period_end,
        currency=statement.currency,
        terms_version=statement.terms_version,
        terms_hash="0x" + statement.terms_hash.hex(),
        root="0x" + statement.root.hex(),
        state=state,
        loss_source=statement.loss_source,
        loss_efficiency_ppm=statement.loss_efficiency_ppm,
        registry_efficiency_bps=station.round_trip_efficiency_bps if station else None,
    )


def run_settlement(
    *, ledger: Ledger, engine: Engine, station_id: int, period: int, allow_partial: bool = False
) -> SettlementRunPublic:
    """Settle a station's local day from the indexed reports under its stored terms and anchor
    it with the server's key (the caller's right to do so is checked before this)."""
    check_period(period)
    run = settle_and_anchor(ledger, engine, station_id, period, allow_partial=allow_partial)
    return SettlementRunPublic(
        station_id=run.station_id,
        period=run.period,
        version=run.version,
        supersedes=run.supersedes,
        root=run.root,
        terms_hash="0x" + run.statement.terms_hash.hex(),
        lines=len(run.statement.lines),
        net_total=run.statement.totals.net,
        tx_hash=run.tx_hash,
        reused=run.reused,
    )


def _view(
    session: Session, actor: Actor, station_id: int, period: int, participant: str | None
) -> tuple[bool, str | None]:
    """(whether the caller sees every line, the one line it asks for or may see: None for all).
    Forbidden when a participant names anyone else."""
    everything = sees_all(session=session, actor=actor, station_id=station_id)
    wanted = Web3.to_checksum_address(participant) if participant else None
    if not everything and wanted is not None and wanted != actor.address:
        raise Forbidden(f"{actor.address} may not read the line of {wanted}")
    check_period(period)
    if wanted is None and not everything:
        wanted = actor.address
    return everything, wanted


def rendered_statement(
    *,
    session: Session,
    ledger: Ledger | None,
    cache: ReadCache,
    actor: Actor,
    station_id: int,
    period: int,
    version: int | None = None,
    participant: str | None = None,
) -> HttpResponse:
    """get_statement's answer rendered, from the read cache when this view of this document
    was rendered at the current data version. The caller's rights are checked on every request
    first; the key names the view (every line, or the one participant's line it was checked
    for), so an answer is only ever served to a caller allowed that same view. Lines, state
    (without a chain connection), responses and the station's efficiency come from indexed
    tables (the cache's version); the document from its version and root; with a chain
    connection the state is read from the chain per request and is part of the key, and so
    are the dispute reasons' texts of the full view."""
    _, wanted = _view(session, actor, station_id, period, participant)
    number, statement = stored_statement(session, station_id, period, version)
    onchain = _state(session, ledger, station_id, period, number) if ledger is not None else None
    # The full view shows the dispute reasons' texts, which are off-chain (not the cache's
    # version): the texts it would show are part of its key.
    reasons = (
        tuple(sorted(_responses(session, station_id, period, number).reasons.items()))
        if wanted is None
        else ()
    )
    key = (
        "settlement",
        station_id,
        period,
        number,
        statement.root,
        onchain,
        wanted or "*",
        reasons,
    )
    return cache.json(
        session,
        key,
        lambda: get_statement(
            session=session,
            ledger=ledger,
            actor=actor,
            station_id=station_id,
            period=period,
            version=number,
            participant=participant,
        ),
    )


def get_statement(
    *,
    session: Session,
    ledger: Ledger | None,
    actor: Actor,
    station_id: int,
    period: int,
    version: int | None = None,
    participant: str | None = None,
) -> StatementPublic | OwnLinePublic:
    """Operator / regulator: all lines and totals, or one participant's line with `participant`.
    A participant: its own line, leaf and proof; naming anyone else is Forbidden."""
    everything, wanted = _view(session, actor, station_id, period, participant)
    number, statement = stored_statement(session, station_id, period, version)
    state = _state(session, ledger, station_id, period, number)
    responses = _responses(session, station_id, period, number)
    header = _header(session, statement, period, number, state)
    if wanted is None:
        return StatementPublic(
            **header.model_dump(),
            lines=[_statement_line(ln, responses) for ln in statement.lines],
            totals=TotalsPublic.model_validate(statement.totals.to_dict()),
        )
    try:
        own = statement.line_for(wanted)
    except KeyError:
        if not everything:
            raise Forbidden(
                f"{actor.address} has no line in statement {station_id}/{period}"
            ) from None
        raise NotFound(f"{wanted} has no line in statement {station_id}/{period}") from None
    return OwnLinePublic(
        **header.model_dump(),
        line=_line(own, responses),
        leaf="0x" + own.leaf.hex(),
        proof=["0x" + p.hex() for p in statement.proof_for(own.participant)],
    )


def get_own_line(
    *,
    session: Session,
    ledger: Ledger | None,
    actor: Actor,
    station_id: int,
    period: int,
    participant: str,
    version: int | None = None,
) -> OwnLinePublic:
    """One participant's line and proof, under the same rules as get_statement."""
    line = get_statement(
        session=session,
        ledger=ledger,
        actor=actor,
        station_id=station_id,
        period=period,
        version=version,
        participant=participant,
    )
    assert isinstance(line, OwnLinePublic)  # a participant was named, so one line comes back
    return line


def statement_csv(
    *, session: Session, station_id: int, period: int, version: int | None = None
) -> tuple[str, str]:
    """(file name, CSV text) of the whole statement."""
    check_period(period)
    number, statement = stored_statement(session, station_id, period, version)
    return f"{station_id}-{period}-v{number}.csv", statement.to_csv()


def relay_response(
    *,
    session: Session,
    ledger: Ledger,
    actor: Actor,
    station_id: int,
    period: int,
    signed: ResponseRequest,
    kind: Response,
) -> ResponsePublic:
    """Relay the caller's EIP-712 `LineResponse` on-chain: acknowledged (reasonHash 0) or
    disputed (reasonHash = keccak256(reason), the reason from a DisputeRequest, whose text is
    kept in `reason_texts` once the signature is checked)."""
    version, signature_deadline, signature = (
        signed.version,
        signed.signature_deadline,
        signed.signature,
    )
    reason = signed.reason if isinstance(signed, DisputeRequest) else None
    check_period(period)
    number, statement = stored_statement(session, station_id, period, version)
    try:
        statement.line_for(actor.address)
    except KeyError:
        raise Forbidden(f"{actor.address} has no line in statement {station_id}/{period}") from None
    reason_bytes = reason_hash(reason) if reason is not None else bytes(32)
    response = line_response(
        statement,
        period,
        number,
        actor.address,
        reason_hash=reason_bytes,
        signature_deadline=signature_deadline,
    )
    anchor = SettlementAnchorClient(ledger)
    raw = bytes.fromhex(signature.removeprefix("0x"))
    try:
        signer = recover_with(
            raw, lambda sig: response.signer(sig, kind, ledger.chain_id, anchor.address)
        )
    except ValueError as exc:
        raise Forbidden(f"not a valid signature ({exc})") from exc
    if signer != actor.address:
        raise Forbidden(f"the {kind.name.lower()} message was signed by {signer}, not by you")
    if reason is not None:  # kept before sending, so a relayed hash never lacks its text
        record_reason(session, reason)
    tx_hash = anchor.relay(statement, response, kind, raw)
    return ResponsePublic(
        station_id=station_id,
        period=period,
        version=number,
        participant=actor.address,
        response="acknowledged" if kind is Response.ACKNOWLEDGED else "disputed",
        reason_hash="0x" + reason_bytes.hex(),
        tx_hash=tx_hash,
    )
