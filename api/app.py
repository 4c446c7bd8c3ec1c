"""The FastAPI application: routers, JSON errors, and the scheduled indexer job."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import SQLModel

from api import errors
from api.auth import check_secret
from api.console import mount as mount_console
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
    if ledger is not None:
        check_secret(settings, ledger.chain_id)

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
    errors.install(app)
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
    mount_console(app)  # the web console under /console
    return app
