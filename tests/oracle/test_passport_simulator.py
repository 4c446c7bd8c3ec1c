"""The pack simulator: deterministic per seed, packs of different ages (a second-life EV pack at
about 82 % SOH), counters that never go backwards, readings signed by each pack's own BMS key,
and the fragile pack's negative events."""

from __future__ import annotations

from itertools import pairwise

from ledger.passport_summary import row_of, summarize
from ledger.readings import DeviceDomain, recover_signer
from oracle.sources.pack_simulator import PackSimulator, demo_packs

DOMAIN = DeviceDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
DAY0 = 20_780


def sim(seed: int = 5) -> PackSimulator:
    return PackSimulator(seed, DAY0, demo_packs(seed), 1, DOMAIN, period_s=300)


def test_same_seed_same_readings_and_each_pack_signs_its_own() -> None:
    a, b = sim().next_day(), sim().next_day()
    assert a == b
    for address, readings in a.items():
        assert len(readings) == 288
        assert {recover_signer(r, DOMAIN) for r in readings[:3]} == {address}


def test_packs_have_different_ages_and_the_second_life_pack_is_near_82_percent() -> None:
    s = sim()
    days = [s.next_day() for _ in range(10)]
    packs = demo_packs(5)
    soh = {p.name: days[-1][p.address][-1].reading.soh_bps for p in packs}
    assert soh["new LFP rack"] > 9_900 > soh["3-year LFP rack"] > 9_000
    assert 8_100 <= soh["second-life EV pack"] <= 8_250
    ev = packs[2].address
    counters = [(r.reading.charged_wh, r.reading.discharged_wh) for d in days for r in d[ev]]
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in pairwise(counters))
    summaries = [
        summarize(DAY0 + i, [row_of(r.reading) for r in d[ev]], b"\0" * 32)
        for i, d in enumerate(days)
    ]
    assert sum(x.deep_discharge_events for x in summaries) >= 5
    assert sum(x.over_temp_events for x in summaries) >= 1
    assert all(7_000 <= x.efficiency_bps <= 10_000 for x in summaries)
    new_rack = packs[0].address
    quiet = [summarize(DAY0, [row_of(r.reading) for r in days[0][new_rack]], b"\0" * 32)]
    assert quiet[0].deep_discharge_events == quiet[0].over_temp_events == 0
