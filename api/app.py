"""The FastAPI application: routers, JSON errors, and the scheduled indexer job."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from api import errors
from api.auth import check_secret
from api.limits import BodyLimit
from api.queries.rows import checkpoint
from api.routers import auth as auth_routes
from api.routers import (
    batches,
    credits,
    factors,
    health,
    participants,
    reports,
    settlements,
    stations,
    trace,
)
from api.settings import ApiSettings, get_api_settings
from ledger.client import Ledger
from ledger.db import make_engine
from ledger.settlement.period import LOCAL_OFFSET_S

log = logging.getLogger("essl.api")


def indexed_chain_id(engine: Engine) -> int | None:
    with Session(engine) as session:
        cp = checkpoint(session)
    return cp.chain_id if cp else None


CHINA_TZ = timezone(timedelta(seconds=LOCAL_OFFSET_S))  # settlement days are UTC+8 days


def create_app(
    settings: ApiSettings | None = None,
    *,
    engine: Engine | None = None,
    ledger: Ledger | None = None,
) -> FastAPI:
    """The API over `engine` (default: ESSL_DATABASE_URL). With a `ledger`, an APScheduler job
    keeps the tables indexed while the app runs, and (ESSL_SETTLE_DAILY) a cron job settles
    yesterday's local day for every station."""
    settings = settings or get_api_settings()
    engine = engine or make_engine(settings.database_url)
    SQLModel.metadata.create_all(engine)  # the API's own tables (sign-in nonces)
    chain_id = ledger.chain_id if ledger is not None else indexed_chain_id(engine)
    if chain_id is not None:
        check_secret(settings, chain_id)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler: BackgroundScheduler | None = None
        if ledger is not None and settings.run_indexer:
            from ledger.index.indexer import Indexer

            indexer = Indexer(ledger, engine)
            scheduler = BackgroundScheduler()
            scheduler.add_job(
                indexer.run_once,
                "interval",
                seconds=settings.index_every_s,
                max_instances=1,
                coalesce=True,
                id="indexer",
            )
            if settings.settle_daily:
                from api.jobs import settle_yesterday

                scheduler.add_job(
                    settle_yesterday,
                    "cron",
                    args=(ledger, engine),
                    hour=settings.settle_hour,
                    minute=settings.settle_minute,
                    timezone=CHINA_TZ,
                    max_instances=1,
                    coalesce=True,
                    id="daily-settlement",
                )
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    app = FastAPI(
        title="ESS Ledger API",
        version="0.1.0",
        description="Shared energy storage accounts, carbon credits, settlement and provenance.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.ledger = ledger
    app.state.chain_id = chain_id  # None until an index exists (then read per request)
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    for module in (
        health,
        stations,
        participants,
        reports,
        batches,
        credits,
        factors,
        auth_routes,
        settlements,
        trace,
    ):
        app.include_router(module.router)
    return app
