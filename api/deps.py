"""Dependency aliases for the routes: the database session, settings, the chain connection,
the signed-in caller and the permission checks (each a dependency, never an `if` in a route),
and the typed path and query parameters with the ranges the chain and the database hold."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import Actor, check_secret, read_token
from api.cache import ReadCache
from api.errors import Forbidden, Unauthorized, Unavailable
from api.leader import Leadership
from api.queries.access import operates, sees_all
from api.queries.rows import checkpoint
from api.settings import ApiSettings
from ledger.client import Ledger
from ledger.errors import SettingsError

# SQL integers are signed: times are compared as BIGINT (at most 2^63 - 1, also SQLite's
# limit); station and token ids are INTEGER columns on PostgreSQL (at most 2^31 - 1), and the
# Registry and CarbonCredits number them from 1, so no id above that can be indexed.
SQL_INT_MAX = 2**63 - 1
ID_MAX = 2**31 - 1


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


def get_chain_id(request: Request) -> int:
    """The chain this API serves: the node's when connected, else the indexed checkpoint's
    (remembered once known). The placeholder secret is refused off the devnet here too, so an
    API started without a node never accepts a token forged with the public placeholder."""
    known: int | None = request.app.state.chain_id
    if known is None:
        with Session(get_engine(request)) as session:
            cp = checkpoint(session)
        if cp is None:
            raise Unavailable("this API does not know its chain yet: index it first")
        try:
            check_secret(get_settings(request), cp.chain_id)
        except SettingsError as exc:
            raise Unavailable(str(exc)) from None
        known = request.app.state.chain_id = cp.chain_id
    return known


def get_read_cache(request: Request) -> ReadCache:
    cache: ReadCache = request.app.state.read_cache
    return cache


def get_leader(request: Request) -> Leadership | None:
    leader: Leadership | None = request.app.state.leader
    return leader


EngineDep = Annotated[Engine, Depends(get_engine)]
LeaderDep = Annotated[Leadership | None, Depends(get_leader)]
ReadCacheDep = Annotated[ReadCache, Depends(get_read_cache)]
ChainIdDep = Annotated[int, Depends(get_chain_id)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
OptionalLedgerDep = Annotated[Ledger | None, Depends(get_optional_ledger)]

# -- parameters --------------------------------------------------------------------------------

Address = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="An Ethereum address.")]
StationId = Annotated[int, Path(ge=1, le=ID_MAX, description="Registry station id.")]
TokenId = Annotated[
    int, Path(ge=1, le=ID_MAX, description="Credit token id (= the issuance request id).")
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
    request: Request,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header(description="Bearer token.")] = None,
) -> Actor:
    """The signed-in caller from `Authorization: Bearer <token>` (401 without a valid one)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("sign in: POST /v1/auth/challenge, then /v1/auth/token")
    return read_token(settings, token.strip(), get_chain_id(request))


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

# -- battery passports -------------------------------------------------------------------------

PassportRef = Annotated[
    str,
    Path(
        pattern=r"^[\x21-\x7e]{1,256}$",
        description="ISO/IEC 15459 passport id (e.g. urn:iso15459:...) or its 0x key.",
    ),
]


def get_optional_actor(
    request: Request,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header(description="Bearer token.")] = None,
) -> Actor | None:
    """The signed-in caller, or None without an Authorization header (a bad token is 401)."""
    if authorization is None:
        return None
    return get_current_actor(request, settings, authorization)


OptionalActor = Annotated[Actor | None, Depends(get_optional_actor)]


def require_passport_reader(
    passport: PassportRef, actor: CurrentActor, session: SessionDep
) -> Actor:
    """Annex XIII legitimate interest in the passport in the path (404 when unknown)."""
    from api.queries.passports import may_read_health, passport_row

    if not may_read_health(session=session, actor=actor, row=passport_row(session, passport)):
        raise Forbidden(
            f"{actor.address} is not the owner, holder, station operator, a recycler or a "
            f"regulator of passport {passport}"
        )
    return actor


PassportReaderDep = Annotated[Actor, Depends(require_passport_reader)]
