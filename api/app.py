"""The FastAPI application: routers, JSON errors, the body limit, and the scheduled jobs
(indexer, daily settlement) that run in the leader process only."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from api import errors
from api.auth import check_secret
from api.cache import ReadCache
from api.console import mount as mount_console
from api.db import api_engine, create_all
from api.leader import Leadership
from api.limits import BodyLimit
from api.queries.rows import checkpoint
from api.routers import auth as auth_routes
from api.routers import (
    batches,
    credits,
    factors,
    health,
    participants,
    passports,
    reports,
    settlements,
    stations,
    trace,
)
from api.settings import ApiSettings, get_api_settings
from ledger.client import Ledger

log = logging.getLogger("essl.api")


def indexed_chain_id(engine: Engine) -> int | None:
    with Session(engine) as session:
        cp = checkpoint(session)
    return cp.chain_id if cp else None


def _scheduler(
    ledger: Ledger, engine: Engine, settings: ApiSettings, leader: Leadership
) -> BackgroundScheduler:
    from api.jobs import DailySettlement
    from ledger.index.batches import index_archived
    from ledger.index.indexer import Indexer

    indexer = Indexer(ledger, engine)
    # Settled right after an index pass, in the same leader-only job (never beside it on a
    # half-indexed day): a process that takes over the lead settles the due day on its first
    # tick (api.jobs.DailySettlement), which a once-a-day cron in the dead leader never would.
    daily = (
        DailySettlement(ledger, engine, hour=settings.settle_hour, minute=settings.settle_minute)
        if settings.settle_daily
        else None
    )

    def index() -> None:
        indexer.run_once()
        index_archived(engine, settings.archive_dir)  # batch leaves for fast traces
        if daily is not None:
            daily.tick()

    scheduler = BackgroundScheduler()
    scheduler.add_job(
        leader.run,
        "interval",
        args=(index,),
        seconds=settings.index_every_s,
        max_instances=1,
        coalesce=True,
        id="indexer",
    )
    return scheduler


def create_app(
    settings: ApiSettings | None = None,
    *,
    engine: Engine | None = None,
    ledger: Ledger | None = None,
) -> FastAPI:
    """The API over `engine` (default: ESSL_DATABASE_URL). With a `ledger`, an APScheduler job
    keeps the tables indexed while the app runs, and (ESSL_SETTLE_DAILY) a cron job settles
    yesterday's local day for every station; with several processes over one PostgreSQL, only
    the leader (api.leader) runs them."""
    settings = settings or get_api_settings()
    if engine is None:
        engine = api_engine(settings.database_url)
    else:
        create_all(engine)  # the API's own tables (sign-in nonces)
    chain_id = ledger.chain_id if ledger is not None else indexed_chain_id(engine)
    if chain_id is not None:
        check_secret(settings, chain_id)
    runs_jobs = ledger is not None and settings.run_indexer
    leader = Leadership(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if runs_jobs:
            assert ledger is not None
            scheduler = _scheduler(ledger, engine, settings, leader)
            scheduler.start()
        # What start-up built (routes, models, ABIs, templates) lives as long as the process:
        # keep it out of the collector so a full collection only walks what requests allocate.
        gc.freeze()
        yield
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        leader.release()

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
    app.state.leader = leader if runs_jobs else None
    app.state.read_cache = ReadCache()
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
        passports,
    ):
        app.include_router(module.router)
    mount_console(app)  # the web console under /console
    return app


def app_from_env() -> FastAPI:
    """The app as `uvicorn --factory api.app:app_from_env` (and `essl api serve --workers N`)
    builds it in each worker: settings from ESSL_*, the node at ESSL_RPC_URL unless
    ESSL_CONNECT_NODE=false."""
    settings = get_api_settings()
    ledger = None
    if settings.connect_node:
        from ledger.client import open_ledger
        from ledger.settings import get_settings

        ledger = open_ledger(get_settings())
    return create_app(settings, ledger=ledger)
