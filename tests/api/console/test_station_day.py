"""The station day page keeps its rows and chart series per process while the indexed data is
unchanged, and shows a newly indexed interval as soon as the indexer has written it; the series
are the booked lines, per participant and interval."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.console import units
from devnet.world import DAY_START, World
from ledger.client import Ledger
from ledger.index.indexer import Indexer
from tests.helpers import report, submit

MWH = 1_000_000


def day_data(client: TestClient, station: int) -> dict[str, Any]:
    reply = client.get(f"/console/stations/{station}?day={units.local_day(DAY_START)}")
    assert reply.status_code == 200
    found = re.search(r'<script type="application/json" id="day-data">(.*?)</script>', reply.text)
    assert found, "no chart data in the page"
    return dict(json.loads(found.group(1)))


def test_a_new_interval_shows_once_indexed_and_the_series_are_the_lines(
    indexed: tuple[Ledger, int], world: World, engine: Engine, client: TestClient
) -> None:
    ledger, station = indexed
    gen, con = world.participants[0].address, world.participants[3].address
    before = day_data(client, station)
    assert before["t"] == [DAY_START, DAY_START + 900]
    assert day_data(client, station) == before  # kept: the same answer again
    series = {p["address"]: p for p in before["participants"]}
    # Cumulative counters (10, 0) then (10, 1) MWh for the generator: 10 MWh charged in the
    # first interval, 1 MWh discharged in the second.
    assert series[gen]["charged_kwh"][0] == 10_000 and series[gen]["discharged_kwh"][1] == 1_000
    assert series[con]["charged_kwh"][0] == 20_000 and series[con]["discharged_kwh"][1] == 3_000

    submit(
        ledger, world, report(ledger, station, 2, {gen: (12 * MWH, MWH), con: (20 * MWH, 3 * MWH)})
    )
    assert day_data(client, station)["t"] == before["t"]  # not indexed yet
    Indexer(ledger, engine).run_once()
    after = day_data(client, station)
    assert after["t"] == [DAY_START, DAY_START + 900, DAY_START + 1800]
    assert {p["address"]: p for p in after["participants"]}[gen]["charged_kwh"][2] == 2_000
