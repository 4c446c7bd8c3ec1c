from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.settings import ApiSettings
from devnet.world import World, demo_world, register_world
from ledger.client import Ledger
from ledger.index.indexer import Indexer
from tests.helpers import report, submit
from tests.settlement_helpers import book_day

MWH = 1_000_000


@pytest.fixture
def world() -> World:
    return demo_world()


@pytest.fixture
def indexed(ledger: Ledger, world: World, engine: Engine) -> tuple[Ledger, int]:
    """Two intervals of the demo station on-chain and indexed."""
    station = register_world(ledger, world)
    gen, con = world.participants[0].address, world.participants[3].address
    submit(ledger, world, report(ledger, station, 0, {gen: (10 * MWH, 0), con: (20 * MWH, 0)}))
    submit(
        ledger, world, report(ledger, station, 1, {gen: (10 * MWH, MWH), con: (20 * MWH, 3 * MWH)})
    )
    Indexer(ledger, engine).run_once()
    return ledger, station


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> TestClient:
    settings = ApiSettings(archive_dir=tmp_path / "archive", run_indexer=False)
    return TestClient(create_app(settings, engine=engine))


@pytest.fixture
def station(ledger: Ledger, world: World, engine: Engine) -> int:
    """The demo station with a whole settlement day booked and indexed."""
    return book_day(ledger, world, engine)


@pytest.fixture
def server(ledger: Ledger, world: World) -> Ledger:
    """The API's own key: the grid operator (may anchor for any station)."""
    return ledger.as_account(world.grid_operator)


@pytest.fixture
def api(engine: Engine, server: Ledger, tmp_path: Path, station: int) -> TestClient:
    """The API over the booked day (modules with other data define their own `api`)."""
    settings = ApiSettings(archive_dir=tmp_path / "archive", run_indexer=False)
    return TestClient(create_app(settings, engine=engine, ledger=server))
