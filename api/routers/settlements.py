"""Settlement statements: run and anchor (operator), read (operator and regulator: every line;
a participant: its own line and proof), CSV, and acknowledge / dispute relayed on-chain from a
participant's EIP-712 signature. A participant never sees another participant's line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse
from fastapi.responses import Response as HttpResponse
from sqlmodel import Session

from api.auth import Actor
from api.deps import (
    CurrentActor,
    EngineDep,
    LedgerDep,
    OptionalLedgerDep,
    ParticipantQuery,
    PeriodKey,
    ReadCacheDep,
    SessionDep,
    StatementReaderDep,
    StationId,
    VersionQuery,
    require_station_operator,
)
from api.errors import documented
from api.queries import settlements
from api.settlement_models import (
    DisputeRequest,
    OwnLinePublic,
    ResponsePublic,
    ResponseRequest,
    SettlementRunPublic,
    SettlementRunRequest,
    StatementPublic,
)
from ledger.client import Ledger
from ledger.settlement.anchor import Response

router = APIRouter(prefix="/v1/settlements", tags=["settlements"])


@dataclass(frozen=True)
class AuthorizedRun:
    actor: Actor
    request: SettlementRunRequest


def authorize_run(
    body: SettlementRunRequest, actor: CurrentActor, session: SessionDep
) -> AuthorizedRun:
    """The operator check for the station named in the body, before the period is looked at."""
    return AuthorizedRun(require_station_operator(body.station_id, actor, session), body)


RunRequestDep = Annotated[AuthorizedRun, Depends(authorize_run)]


@router.post(
    "", response_model=SettlementRunPublic, responses=documented(400, 401, 403, 409, 413, 503)
)
def run_settlement(run: RunRequestDep, engine: EngineDep, ledger: LedgerDep) -> SettlementRunPublic:
    """Settle a station's local day from the indexed reports under its stored terms and anchor
    it with the server's key (grid operator or the station's operator only)."""
    return settlements.run_settlement(
        ledger=ledger,
        engine=engine,
        station_id=run.request.station_id,
        period=run.request.period,
        allow_partial=run.request.allow_partial,
    )


@router.get(
    "/{station_id}/{period}",
    response_model=StatementPublic | OwnLinePublic,
    responses=documented(401, 403, 404),
)
def get_settlement(
    station_id: StationId,
    period: PeriodKey,
    actor: CurrentActor,
    session: SessionDep,
    ledger: OptionalLedgerDep,
    cache: ReadCacheDep,
    version: VersionQuery = None,
    participant: ParticipantQuery = None,
) -> HttpResponse:
    """Operator / regulator: all lines and totals, or one participant's line with `participant`.
    A participant: its own line, leaf and proof; naming anyone else is 403."""
    return settlements.rendered_statement(
        session=session,
        ledger=ledger,
        cache=cache,
        actor=actor,
        station_id=station_id,
        period=period,
        version=version,
        participant=participant,
    )


@router.get(
    "/{station_id}/{period}/statement.csv",
    response_class=PlainTextResponse,
    responses=documented(401, 403, 404),
)
def get_statement_csv(
    station_id: StationId,
    period: PeriodKey,
    _reader: StatementReaderDep,
    session: SessionDep,
    version: VersionQuery = None,
) -> PlainTextResponse:
    """The whole statement as CSV (operator and regulator only)."""
    name, text = settlements.statement_csv(
        session=session, station_id=station_id, period=period, version=version
    )
    return PlainTextResponse(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@dataclass(frozen=True)
class Relay:
    """What relaying one participant's signed response needs: the statement's key, the caller,
    the database and the ledger."""

    station_id: int
    period: int
    actor: Actor
    session: Session
    ledger: Ledger

    def send(self, signed: ResponseRequest, kind: Response) -> ResponsePublic:
        return settlements.relay_response(
            session=self.session,
            ledger=self.ledger,
            actor=self.actor,
            station_id=self.station_id,
            period=self.period,
            signed=signed,
            kind=kind,
        )


def relay_for(
    station_id: StationId,
    period: PeriodKey,
    actor: CurrentActor,
    session: SessionDep,
    ledger: LedgerDep,
) -> Relay:
    return Relay(station_id, period, actor, session, ledger)


RelayDep = Annotated[Relay, Depends(relay_for)]
RESPONSE_ERRORS = documented(400, 401, 403, 404, 409, 413, 503)


@router.post(
    "/{station_id}/{period}/acknowledge", response_model=ResponsePublic, responses=RESPONSE_ERRORS
)
def acknowledge(body: ResponseRequest, relay: RelayDep) -> ResponsePublic:
    """Relay the caller's EIP-712 `LineResponse` (response 1, reasonHash 0) on-chain."""
    return relay.send(body, Response.ACKNOWLEDGED)


@router.post(
    "/{station_id}/{period}/dispute", response_model=ResponsePublic, responses=RESPONSE_ERRORS
)
def dispute(body: DisputeRequest, relay: RelayDep) -> ResponsePublic:
    """Relay the caller's EIP-712 `LineResponse` (response 2, reasonHash = keccak256(reason))."""
    return relay.send(body, Response.DISPUTED)
