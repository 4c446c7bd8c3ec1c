"""Settlement statements: run and anchor (operator), read (operator and regulator: every line;
a participant: its own line and proof), CSV, and acknowledge / dispute relayed on-chain from a
participant's EIP-712 signature. A participant never sees another participant's line."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import AfterValidator
from sqlmodel import Session, col, select
from web3 import Web3

from api.auth import Actor
from api.deps import CurrentActor, LedgerDep, SessionDep, StationId
from api.errors import Conflict, Forbidden, NotFound
from api.settlement_models import (
    DisputeRequest,
    LinePublic,
    OwnLinePublic,
    ResponsePublic,
    ResponseRequest,
    SettlementRunPublic,
    SettlementRunRequest,
    StatementPublic,
    StateName,
    TotalsPublic,
)
from ledger.client import Ledger
from ledger.errors import ContractRevert
from ledger.index.tables import (
    SettlementAnchorRow,
    SettlementResponseRow,
    SettlementTransitionRow,
    StationRow,
)
from ledger.settlement import SettlementError, Statement
from ledger.settlement.anchor import (
    Response,
    SettlementAnchorClient,
    StatementState,
    line_response,
    reason_hash,
)
from ledger.settlement.period import period_day
from ledger.settlement.runs import (
    SettlementRunError,
    StatementNotFound,
    settle_and_anchor,
    stored_statement,
)
from ledger.settlement.statement import Line

router = APIRouter(prefix="/v1/settlements", tags=["settlements"])


def _valid_period(value: int) -> int:
    period_day(value)  # ValueError -> 422
    return value


PeriodKey = Annotated[
    int,
    Path(ge=19700101, le=99991231, description="Local (UTC+8) day as yyyymmdd."),
    AfterValidator(_valid_period),
]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=2**16 - 1, description="Statement version (default: latest).")
]
RESPONSE_NAMES = {1: "acknowledged", 2: "disputed"}


# -- who may do what ---------------------------------------------------------------------------


def _operates(session: Session, actor: Actor, station_id: int) -> bool:
    """A grid operator, or the registered operator of this station."""
    if actor.has("grid_operator"):
        return True
    station = session.get(StationRow, station_id)
    return station is not None and station.operator == actor.address


def _sees_all(session: Session, actor: Actor, station_id: int) -> bool:
    return actor.has("regulator") or _operates(session, actor, station_id)


# -- helpers -----------------------------------------------------------------------------------


def _load(
    session: Session, station_id: int, period: int, version: int | None
) -> tuple[int, Statement]:
    try:
        return stored_statement(session, station_id, period, version)
    except StatementNotFound as exc:
        raise NotFound(str(exc)) from exc


def _state(
    request: Request, session: Session, station_id: int, period: int, version: int
) -> StateName:
    """From the chain when connected, else from the indexed events."""
    ledger: Ledger | None = request.app.state.ledger
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


def _responses(session: Session, station_id: int, period: int, version: int) -> dict[str, int]:
    rows = session.exec(
        select(SettlementResponseRow)
        .where(SettlementResponseRow.station_id == station_id)
        .where(SettlementResponseRow.period == period)
        .where(SettlementResponseRow.version == version)
    ).all()
    return {r.participant: r.response for r in rows}


def _line(line: Line, responses: dict[str, int]) -> LinePublic:
    d = line.to_dict()
    return LinePublic(
        **{k: v for k, v in d.items() if k in LinePublic.model_fields},
        line_hash="0x" + line.line_hash.hex(),
        response=RESPONSE_NAMES.get(responses.get(line.participant, 0), "none"),  # type: ignore[arg-type]
    )


def _header(statement: Statement, period: int, version: int, state: StateName) -> dict[str, object]:
    return {
        "station_id": statement.station_id,
        "period": period,
        "version": version,
        "period_start": statement.period_start,
        "period_end": statement.period_end,
        "currency": statement.currency,
        "terms_version": statement.terms_version,
        "terms_hash": "0x" + statement.terms_hash.hex(),
        "root": "0x" + statement.root.hex(),
        "state": state,
    }


# -- routes ------------------------------------------------------------------------------------


@router.post("", response_model=SettlementRunPublic)
def run_settlement(
    body: SettlementRunRequest,
    actor: CurrentActor,
    session: SessionDep,
    ledger: LedgerDep,
    request: Request,
) -> SettlementRunPublic:
    """Settle a station's local day from the indexed reports under its stored terms and anchor
    it with the server's key (grid operator or the station's operator only)."""
    _valid_period(body.period)
    if not _operates(session, actor, body.station_id):
        raise Forbidden(f"{actor.address} does not operate station {body.station_id}")
    try:
        run = settle_and_anchor(
            ledger,
            request.app.state.engine,
            body.station_id,
            body.period,
            allow_partial=body.allow_partial,
        )
    except (SettlementRunError, SettlementError, ContractRevert) as exc:
        raise Conflict(str(exc)) from exc
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


ParticipantQuery = Annotated[
    str | None,
    Query(
        pattern=r"^0x[0-9a-fA-F]{40}$",
        description="Only this participant's line and proof (a participant may name only itself).",
    ),
]


@router.get("/{station_id}/{period}", response_model=StatementPublic | OwnLinePublic)
def get_settlement(
    station_id: StationId,
    period: PeriodKey,
    actor: CurrentActor,
    session: SessionDep,
    request: Request,
    version: VersionQuery = None,
    participant: ParticipantQuery = None,
) -> StatementPublic | OwnLinePublic:
    """Operator / regulator: all lines and totals, or one participant's line with `participant`.
    A participant: its own line, leaf and proof; naming anyone else is 403."""
    sees_all = _sees_all(session, actor, station_id)
    wanted = Web3.to_checksum_address(participant) if participant else None
    if not sees_all and wanted is not None and wanted != actor.address:
        raise Forbidden(f"{actor.address} may not read the line of {wanted}")
    number, statement = _load(session, station_id, period, version)
    if wanted is None and not sees_all:
        wanted = actor.address
    state = _state(request, session, station_id, period, number)
    responses = _responses(session, station_id, period, number)
    header = _header(statement, period, number, state)
    if wanted is None:
        return StatementPublic(
            **header,  # type: ignore[arg-type]
            lines=[_line(ln, responses) for ln in statement.lines],
            totals=TotalsPublic(**statement.totals.to_dict()),
        )
    try:
        own = statement.line_for(wanted)
    except KeyError:
        if not sees_all:
            raise Forbidden(
                f"{actor.address} has no line in statement {station_id}/{period}"
            ) from None
        raise NotFound(f"{wanted} has no line in statement {station_id}/{period}") from None
    return OwnLinePublic(
        **header,  # type: ignore[arg-type]
        line=_line(own, responses),
        leaf="0x" + own.leaf.hex(),
        proof=["0x" + p.hex() for p in statement.proof_for(own.participant)],
    )


@router.get("/{station_id}/{period}/statement.csv", response_class=PlainTextResponse)
def get_statement_csv(
    station_id: StationId,
    period: PeriodKey,
    actor: CurrentActor,
    session: SessionDep,
    version: VersionQuery = None,
) -> PlainTextResponse:
    """The whole statement as CSV (operator and regulator only)."""
    if not _sees_all(session, actor, station_id):
        raise Forbidden("the full statement is for the station's operators and regulators")
    number, statement = _load(session, station_id, period, version)
    return PlainTextResponse(
        statement.to_csv(),
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{station_id}-{period}-v{number}.csv"'
        },
    )


def _relay(
    session: Session,
    ledger: Ledger,
    actor: Actor,
    station_id: int,
    period: int,
    body: ResponseRequest,
    kind: Response,
    reason: bytes,
) -> ResponsePublic:
    number, statement = _load(session, station_id, period, body.version)
    try:
        statement.line_for(actor.address)
    except KeyError:
        raise Forbidden(f"{actor.address} has no line in statement {station_id}/{period}") from None
    response = line_response(
        statement,
        period,
        number,
        actor.address,
        reason_hash=reason,
        signature_deadline=body.signature_deadline,
    )
    anchor = SettlementAnchorClient(ledger)
    signature = bytes.fromhex(body.signature.removeprefix("0x"))
    try:
        signer = response.signer(signature, kind, ledger.chain_id, anchor.address)
    except ValueError as exc:
        raise Forbidden(f"not a valid signature ({exc})") from exc
    if signer != actor.address:
        raise Forbidden(f"the {kind.name.lower()} message was signed by {signer}, not by you")
    try:
        tx_hash = anchor.relay(statement, response, kind, signature)
    except ContractRevert as exc:
        raise Conflict(str(exc)) from exc
    return ResponsePublic(
        station_id=station_id,
        period=period,
        version=number,
        participant=actor.address,
        response="acknowledged" if kind is Response.ACKNOWLEDGED else "disputed",
        reason_hash="0x" + reason.hex(),
        tx_hash=tx_hash,
    )


@router.post("/{station_id}/{period}/acknowledge", response_model=ResponsePublic)
def acknowledge(
    station_id: StationId,
    period: PeriodKey,
    body: ResponseRequest,
    actor: CurrentActor,
    session: SessionDep,
    ledger: LedgerDep,
) -> ResponsePublic:
    """Relay the caller's EIP-712 `LineResponse` (response 1, reasonHash 0) on-chain."""
    return _relay(
        session, ledger, actor, station_id, period, body, Response.ACKNOWLEDGED, bytes(32)
    )


@router.post("/{station_id}/{period}/dispute", response_model=ResponsePublic)
def dispute(
    station_id: StationId,
    period: PeriodKey,
    body: DisputeRequest,
    actor: CurrentActor,
    session: SessionDep,
    ledger: LedgerDep,
) -> ResponsePublic:
    """Relay the caller's EIP-712 `LineResponse` (response 2, reasonHash = keccak256(reason))."""
    return _relay(
        session,
        ledger,
        actor,
        station_id,
        period,
        body,
        Response.DISPUTED,
        reason_hash(body.reason),
    )
