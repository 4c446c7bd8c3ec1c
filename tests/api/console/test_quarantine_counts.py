"""Quarantined readings by reason code on the console: the demo's oracle runs one more interval
(the first of the next day) fed its real readings plus forged and replayed copies, which it
rejects into its quarantine; the batch file carries the counts, the indexer keeps them, and the
station's intervals table and the operators' page show what the quarantine holds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from api.console.units import local_day
from devnet.world import demo_world
from ledger.db import make_engine
from ledger.index.batches import index_archived
from ledger.index.indexer import Indexer
from ledger.storage import StorageLedgerClient
from oracle.config import ReplaySourceConfig, load_config
from oracle.reading import DeviceDomain, SignedReading, sign_reading
from oracle.service import Clock, build_oracle, drain, make_feed, run_due, station_facts
from oracle.sources.replay import write_jsonl
from oracle.sources.simulator import derived_key
from tests.api.console.conftest import Demo
from tests.api.console.test_participant import sign_in


@dataclass
class Rejects:
    station: int
    interval_start: int
    in_interval: dict[str, int]  # what this interval added to the quarantine
    quarantine: dict[str, int]  # everything the demo's quarantine holds now


@pytest.fixture(scope="module")
def rejects(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Rejects:
    config = load_config(Path(demo.result["oracle_config"]))
    assert config.end is not None
    start = config.end  # the interval after the demo day
    config = config.model_copy(update={"end": start + 900})
    facts, _ = station_facts(demo.ledger, config)
    domain = DeviceDomain(demo.ledger.chain_id, demo.ledger.deployment.address("Registry"))
    items = list(make_feed(config, facts, domain).readings_for_interval(start))
    signed = [r for r in items if isinstance(r, SignedReading)]
    forger = derived_key(0, "forger")
    forged = [sign_reading(replace(r.reading), forger, domain) for r in signed[:4]]
    day = tmp_path_factory.mktemp("rejects") / "interval.jsonl"
    write_jsonl(day, [*signed, *forged, *signed[-3:]])  # the last three again: replayed
    replay = config.model_copy(update={"source": ReplaySourceConfig(kind="replay", path=day)})
    oracle = build_oracle(replay, demo.ledger.settings)
    before = oracle.quarantine.count_by_reason()
    try:
        assert run_due(oracle, Clock(start, 0)) == 1
        drain(oracle)
        after = oracle.quarantine.count_by_reason()
    finally:
        oracle.close()
    station = config.station_id
    assert StorageLedgerClient(demo.ledger).is_reported(station, start)
    engine = make_engine(demo.result["database_url"])
    Indexer(demo.ledger, engine).run_once()
    index_archived(engine, demo.archive, limit=10_000)  # as the API's background indexer does
    added = {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}
    assert sum(added.values()) == len(forged) + 3
    return Rejects(station, start, added, after)


def test_the_station_day_shows_each_intervals_rejected_readings(
    page: Any, demo: Demo, rejects: Rejects
) -> None:
    page.goto(f"/console/stations/{rejects.station}?day={local_day(rejects.interval_start)}")
    row = page.locator(f"#intervals tr[data-start='{rejects.interval_start}']")
    cell = row.locator("[data-rejected]")
    assert cell.get_attribute("data-rejected") == str(sum(rejects.in_interval.values()))
    # The demo day's own intervals: each cell is a number (its file carries counts), and they
    # add up to what the quarantine held before this interval.
    page.goto(f"/console/stations/{rejects.station}?day={local_day(rejects.interval_start - 1)}")
    shown = page.locator("#intervals [data-rejected]").evaluate_all(
        "cells => cells.map(c => c.dataset.rejected)"
    )
    assert shown and all(s.isdigit() for s in shown)
    earlier = sum(rejects.quarantine.values()) - sum(rejects.in_interval.values())
    assert sum(int(s) for s in shown) == earlier


def test_the_operators_page_shows_the_quarantine_by_reason_code(
    page: Any, demo: Demo, rejects: Rejects
) -> None:
    grid = demo_world().grid_operator
    sign_in(page, bytes(grid.key), grid.address)
    page.goto("/console/operator")
    head = page.locator(f"#quarantine tr[data-station='{rejects.station}']").first
    assert head.get_attribute("data-batches") == head.get_attribute("data-reports")
    assert head.locator("[data-field='total']").inner_text() == str(
        sum(rejects.quarantine.values())
    )
    shown = {
        r.get_attribute("data-reason"): int(r.locator("[data-count]").get_attribute("data-count"))
        for r in page.locator(
            f"#quarantine tr[data-station='{rejects.station}'][data-reason]"
        ).all()
    }
    assert shown == rejects.quarantine
