"""The API's engine: SQLite through ledger.db (one process), PostgreSQL with the tables created
under an advisory lock so many processes can start together over one database."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import SQLModel, create_engine

from api.leader import create_tables
from ledger.db import make_engine


def create_all(engine: Engine) -> None:
    import api.auth  # noqa: F401 - registers the API's own tables
    import ledger.index.batches
    import ledger.index.tables  # noqa: F401 - registers the indexed tables

    create_tables(engine, lambda conn: SQLModel.metadata.create_all(conn))


def api_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = make_engine(url)
        create_all(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    create_all(engine)
    return engine
