"""`essl db upgrade` builds the off-chain tables with the columns the models have, on SQLite
and PostgreSQL, and is a no-op the second time."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import api.auth  # noqa: F401 - registers auth_challenges
import ledger.index.tables  # noqa: F401 - registers the settlement documents and reason_texts
from api.migrations import config, current, upgrade
from tests.conftest import postgres_url

OFFCHAIN = (
    "auth_challenges",
    "settlement_terms_documents",
    "settlement_statements",
    "reason_texts",
)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    url = postgres_url()
    if not url:
        pytest.skip("ESSL_TEST_POSTGRES_URL is not set")
    engine = create_engine(url)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return url


def test_upgrade_creates_the_offchain_tables_as_the_models_define_them(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)  # idempotent
    assert current(empty_url) == "0002"
    engine = create_engine(empty_url)
    found = inspect(engine)
    for name in OFFCHAIN:
        model = SQLModel.metadata.tables[name]
        assert {c["name"] for c in found.get_columns(name)} == set(model.columns.keys()), name
    engine.dispose()


def test_revision_0002_creates_reason_texts_on_a_database_at_0001(empty_url: str) -> None:
    """On SQLite `upgrade` also creates the models' tables first, so the table is dropped and
    revision 0002 run by alembic alone, on a plain connection."""
    upgrade(empty_url, "0001")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS reason_texts"))
    assert current(empty_url) == "0001"
    with engine.begin() as conn:
        cfg = config(empty_url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert current(empty_url) == "0002"
    columns = {c["name"] for c in inspect(engine).get_columns("reason_texts")}
    assert columns == {"reason_hash", "text", "recorded_at"}
    engine.dispose()
