"""Dependency aliases for the routes: the database session, settings, the chain connection,
the signed-in caller and the permission checks (each a dependency, never an `if` in a route),
and the typed path and query parameters with the ranges the chain and the database hold."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import Actor, read_token
from api.errors import Forbidden, Unauthorized, Unavailable
from api.queries.access import operates, sees_all
from api.settings import ApiSettings
from ledger.client import Ledger

# SQL BIGINT is signed: the largest value a column can hold, and so the largest a route takes.
SQL_INT_MAX = 2**63 - 1


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    with Session(get_engine(request)) as session:
        yield session


def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def get_optional_ledger(request: Request) -> Ledger | None:
    ledger: Ledger | None = request.app.state.ledger
    return ledger


def get_ledger(request: Request) -> Ledger:
    """The chain connection (server key); 503 when the API runs without one."""
    ledger = get_optional_ledger(request)
    if ledger is None:
        raise Unavailable("this API runs without a chain connection (start it with a ledger)")
    return ledger


EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
OptionalLedgerDep = Annotated[Ledger | None, Depends(get_optional_ledger)]

# -- parameters --------------------------------------------------------------------------------

Address = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="An Ethereum address.")]
StationId = Annotated[int, Path(ge=1, le=2**32 - 1, description="Registry station id.")]
TokenId = Annotated[
    int, Path(ge=1, le=SQL_INT_MAX, description="Credit token id (= the issuance request id).")
]
UnixTime = Annotated[int, Path(ge=0, le=SQL_INT_MAX, description="Unix seconds.")]
PeriodKey = Annotated[
    int, Path(ge=19700101, le=99991231, description="Local (UTC+8) day as yyyymmdd.")
]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=2**16 - 1, description="Statement version (default: latest).")
]
ParticipantQuery = Annotated[
    str | None,
    Query(
        pattern=r"^0x[0-9a-fA-F]{40}$",
        description="Only this participant's line and proof (a participant may name only itself).",
    ),
]

# -- who is calling ----------------------------------------------------------------------------


def get_current_actor(
    settings: SettingsDep,
    authorization: Annotated[str | None, Header(description="Bearer token.")] = None,
) -> Actor:
    """The signed-in caller from `Authorization: Bearer <token>` (401 without a valid one)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("sign in: POST /v1/auth/challenge, then /v1/auth/token")
    return read_token(settings, token.strip())


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def require_station_operator(
    station_id: StationId, actor: CurrentActor, session: SessionDep
) -> Actor:
    """A grid operator, or the registered operator of the station in the path."""
    if not operates(session=session, actor=actor, station_id=station_id):
        raise Forbidden(f"{actor.address} does not operate station {station_id}")
    return actor


def require_statement_reader(
    station_id: StationId, actor: CurrentActor, session: SessionDep
) -> Actor:
    """An operator of the station or a regulator: every line of its statements."""
    if not sees_all(session=session, actor=actor, station_id=station_id):
        raise Forbidden("the full statement is for the station's operators and regulators")
    return actor


StationOperatorDep = Annotated[Actor, Depends(require_station_operator)]
StatementReaderDep = Annotated[Actor, Depends(require_statement_reader)]
