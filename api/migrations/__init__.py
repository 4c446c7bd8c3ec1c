"""Schema migrations (alembic) for the tables that cannot be rebuilt from the chain: sign-in
challenges, the settlement terms and statement documents, and the reason texts. The event
tables are rebuilt by re-indexing, so they are created from the models and never migrated.

`essl db upgrade` (or `upgrade(url)`) brings a database to the newest revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from api.leader import create_tables
from ledger.db import make_engine

HERE = Path(__file__).parent


def config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the off-chain tables at `url` to `revision`, one process at a time."""
    engine = make_engine(url) if url.startswith("sqlite") else None
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(url)

    def _run(conn: object) -> None:
        cfg = config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    create_tables(engine, _run)  # type: ignore[arg-type]
    engine.dispose()


def current(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    return rev
