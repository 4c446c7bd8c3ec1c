"""An interval without one accepted reading never wedges the oracle: it is recorded as a gap
with its reason, its rejects are in the quarantine, and the next report follows it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ledger.client import Ledger
from ledger.storage import StorageLedgerClient
from oracle.config import ReplaySourceConfig
from oracle.outbox import OutboxState
from oracle.reading import DeviceDomain, SignedReading, sign_reading
from oracle.service import Clock, build_oracle, drain, make_feed, run_due, station_facts
from oracle.sources.replay import write_jsonl
from oracle.sources.simulator import derived_key
from tests.oracle.chain import world_and_config


def test_empty_and_all_rejected_intervals_become_gaps_and_the_oracle_moves_on(
    ledger: Ledger, tmp_path: Path
) -> None:
    _, station, sim = world_and_config(ledger, tmp_path, intervals=4)
    facts, _ = station_facts(ledger, sim)
    domain = DeviceDomain(ledger.chain_id, ledger.deployment.address("Registry"))
    feed = make_feed(sim, facts, domain)
    per_interval = [list(feed.readings_for_interval(sim.start + k * 900)) for k in range(4)]
    forger = derived_key(0, "forger")
    forged = [  # interval 2: every reading signed by the wrong key
        sign_reading(replace(r.reading), forger, domain)
        for r in per_interval[1]
        if isinstance(r, SignedReading)
    ]
    # interval 3: nothing at all (the devices were silent)
    day = tmp_path / "day.jsonl"
    write_jsonl(day, [*per_interval[0], *forged, *per_interval[3]])  # type: ignore[list-item]
    config = sim.model_copy(update={"source": ReplaySourceConfig(kind="replay", path=day)})
    oracle = build_oracle(config, ledger.settings)

    assert run_due(oracle, Clock(config.start, 0)) == 4
    drain(oracle)
    rows = oracle.outbox.rows(station)
    assert [r.state for r in rows] == [
        OutboxState.CONFIRMED,
        OutboxState.GAP,
        OutboxState.GAP,
        OutboxState.CONFIRMED,
    ]
    assert rows[1].last_error == f"all {len(forged)} rejected: BAD_SIGNATURE x {len(forged)}"
    assert rows[2].last_error == "no readings"
    assert oracle.quarantine.count_by_reason() == {"BAD_SIGNATURE": len(forged)}
    storage = StorageLedgerClient(ledger)
    assert storage.latest_interval(station)[0] == config.start + 3 * 900
    gaps = ledger.contract("StorageLedger").events.IntervalGap().get_logs(from_block=0)
    mine = [(e["args"]["previousEnd"], e["args"]["intervalStart"]) for e in gaps
            if e["args"]["stationId"] == station]  # fmt: skip
    assert mine[-1:] == [(config.start + 900, config.start + 3 * 900)]
