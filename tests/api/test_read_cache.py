"""Rendered read answers are reused only while the indexed data stays the same: a new indexed
report shows at once, and errors are never kept."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from devnet.world import World
from ledger.client import Ledger
from ledger.index.indexer import Indexer
from tests.api.conftest import MWH
from tests.helpers import report, submit


def test_a_newly_indexed_report_is_served_at_once(
    indexed: tuple[Ledger, int], world: World, engine: Engine, client: TestClient
) -> None:
    ledger, station = indexed
    url = f"/v1/stations/{station}/intervals"
    assert len(client.get(url).json()) == 2
    assert client.get(url).json() == client.get(url).json()
    gen, con = world.participants[0].address, world.participants[3].address
    submit(
        ledger,
        world,
        report(ledger, station, 2, {gen: (12 * MWH, MWH), con: (22 * MWH, 3 * MWH)}),
    )
    assert len(client.get(url).json()) == 2  # not indexed yet: the database has two
    Indexer(ledger, engine).run_once()
    assert len(client.get(url).json()) == 3
    assert client.get(f"/v1/stations/{station}").json()["intervals_on_chain"] == 3


def test_errors_are_not_kept(client: TestClient, indexed: tuple[Ledger, int]) -> None:
    assert client.get("/v1/credits/1").status_code == 404
    assert client.get("/v1/credits/1").status_code == 404
    assert client.get("/v1/stations/99").status_code == 404
