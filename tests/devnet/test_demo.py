"""The whole demo against the test anvil, and its avoided emissions recomputed by hand from the
chain's events: each interval's booked deltas and each curtailment attestation, at the factor
the EmissionFactors registry holds, truncated toward zero per interval and participant as the
StorageLedger does."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from devnet.curtailment_demo import attest_demo_dispatch, dispatch_intervals
from devnet.demo import INTERVALS, run_demo
from devnet.world import DAY_START, demo_world
from ledger.client import Ledger
from ledger.methodology import avoided_grams, curtailment_grams
from ledger.registry import RegistryClient, region_bytes
from ledger.reports import participant_records
from ledger.settings import LedgerSettings
from ledger.storage import StorageLedgerClient


def test_the_demo_day_books_exactly_the_hand_computed_avoided_emissions(
    ledger: Ledger, session_settings: LedgerSettings, tmp_path: Path
) -> None:
    settings = session_settings.model_copy(
        update={
            "state_dir": tmp_path / "state",
            "database_url": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        }
    )
    result: dict[str, Any] = run_demo(settings, port=0, progress=None)
    assert result["trace_ok"] is True
    assert (result["intervals_on_chain"], result["rejected_readings"]) == (INTERVALS, 0)
    assert result["credits_issued_kg"] > 0 and result["credits_retired_kg"] > 0

    (station,) = result["stations"]
    storage = StorageLedgerClient(ledger)
    world = demo_world()
    region = region_bytes(RegistryClient(ledger).station(station).region)
    factors = ledger.contract("EmissionFactors").functions

    def grams_per_mwh(version: int) -> int:
        return int(ledger.tx.call(factors.factorAt(version, region)))

    expected: dict[str, int] = defaultdict(int)
    generator_charge_in_dispatch = 0
    dispatch = set(dispatch_intervals(DAY_START, world.station.interval_seconds))
    generators = {p.address for p in world.participants if p.role == "generator"}
    reports = storage.contract.events.ReportAccepted().get_logs(
        argument_filters={"stationId": station}, from_block=0
    )
    assert len(reports) == INTERVALS
    for log in reports:
        f = grams_per_mwh(log["args"]["factorVersion"])
        for r in participant_records(bytes(log["args"]["participants"])):
            expected[r.participant] += avoided_grams(r.charged_wh, r.discharged_wh, f)
            if log["args"]["intervalStart"] in dispatch and r.participant in generators:
                generator_charge_in_dispatch += r.charged_wh

    attestations = storage.contract.events.CurtailmentAttested().get_logs(
        argument_filters={"stationId": station}, from_block=0
    )
    assert attestations
    for log in attestations:
        a = log["args"]
        assert a["intervalStart"] in dispatch and a["participant"] in generators
        assert a["gridOperator"] == world.grid_operator.address
        f = grams_per_mwh(a["factorVersion"])
        expected[a["participant"]] += curtailment_grams(a["curtailedWh"], f)

    # The dispatch attests all of the generators' charging in 10:00-16:00, and nothing else.
    assert sum(a["args"]["curtailedWh"] for a in attestations) == generator_charge_in_dispatch
    assert result["curtailment_attested_wh"] == generator_charge_in_dispatch > 0
    for p in world.participants:
        assert storage.avoided_of(station, p.address).avoided_grams == expected[p.address], p.name
    assert all(expected[g] > 0 for g in generators)

    # A second attestation run sends nothing.
    block = ledger.w3.eth.block_number
    again = attest_demo_dispatch(ledger, world, station, DAY_START)
    assert again["curtailment_attested_wh"] == generator_charge_in_dispatch
    assert ledger.w3.eth.block_number == block
