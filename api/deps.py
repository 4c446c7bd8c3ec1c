"""Dependency aliases for the routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import Actor, read_token
from api.errors import Unauthorized, Unavailable
from api.settings import ApiSettings
from ledger.client import Ledger


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    with Session(get_engine(request)) as session:
        yield session


def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
Address = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="An Ethereum address.")]
StationId = Annotated[int, Path(ge=1, le=2**32 - 1, description="Registry station id.")]


def get_ledger(request: Request) -> Ledger:
    """The chain connection (server key); 503 when the API runs without one."""
    ledger: Ledger | None = request.app.state.ledger
    if ledger is None:
        raise Unavailable("this API runs without a chain connection (start it with a ledger)")
    return ledger


def get_current_actor(
    settings: SettingsDep,
    authorization: Annotated[str | None, Header(description="Bearer token.")] = None,
) -> Actor:
    """The signed-in caller from `Authorization: Bearer <token>` (401 without a valid one)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("sign in: POST /v1/auth/challenge, then /v1/auth/token")
    return read_token(settings, token.strip())


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
CurrentActor = Annotated[Actor, Depends(get_current_actor)]
