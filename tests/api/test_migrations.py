"""`essl db upgrade` builds the off-chain tables with the columns the models have, on SQLite
and PostgreSQL, and is a no-op the second time."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import api.auth  # noqa: F401 - registers auth_challenges
from api.migrations import current, upgrade
from tests.conftest import postgres_url

OFFCHAIN = ("auth_challenges", "settlement_terms_documents", "settlement_statements")


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
    assert current(empty_url) == "0001"
    engine = create_engine(empty_url)
    found = inspect(engine)
    for name in OFFCHAIN:
        model = SQLModel.metadata.tables[name]
        assert {c["name"] for c in found.get_columns(name)} == set(model.columns.keys()), name
    engine.dispose()
