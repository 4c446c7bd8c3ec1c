"""The FastAPI application: routers, JSON errors, and the scheduled indexer job."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import FastAPI
from sqlalchemy import Engine

from api import errors
from api.routers import batches, health, participants, reports, stations
from api.settings import ApiSettings, get_api_settings
from ledger.client import Ledger
from ledger.db import make_engine

log = logging.getLogger("essl.api")


def create_app(
    settings: ApiSettings | None = None,
    *,
    engine: Engine | None = None,
    ledger: Ledger | None = None,
) -> FastAPI:
    """The API over `engine` (default: ESSL_DATABASE_URL). With a `ledger`, an APScheduler job
    keeps the tables indexed while the app runs."""
    settings = settings or get_api_settings()
    engine = engine or make_engine(settings.database_url)

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
    for module in (health, stations, participants, reports, batches):
        app.include_router(module.router)
    return app
