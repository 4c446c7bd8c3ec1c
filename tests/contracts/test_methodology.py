"""The on-chain avoided-emissions accounts equal a by-hand computation from the reports, the
grid operator's curtailment attestations and the factor, to the gram."""

from __future__ import annotations

from devnet.world import World
from ledger.client import Ledger
from ledger.methodology import truncated_div
from ledger.storage import CurtailedCharge, StorageLedgerClient
from tests.credit_helpers import QH_GRAMS_PER_MWH
from tests.helpers import report, submit

WH_PER_MWH = 1_000_000


def test_avoided_accounts_equal_the_hand_computation_to_the_gram(
    ledger: Ledger, world: World, station: int
) -> None:
    wind, solar, pv, steel = (world.participants[i].address for i in (0, 1, 2, 3))
    # Per interval and participant: (charged Wh, discharged Wh, curtailed Wh of the charge as the
    # grid operator attests it after the report).
    # Odd Wh amounts make every interval's product leave a remainder, so truncation matters,
    # and grid charging (negative deltas) shows that it truncates toward zero, not down.
    intervals: list[dict[str, tuple[int, int, int]]] = [
        {
            wind: (12_345_677, 0, 12_345_677),  # all curtailed: EF_ch = 0
            solar: (9_876_543, 0, 3_000_001),  # partly curtailed: negative
            pv: (1_111_111, 0, 0),  # grid charged: negative
            steel: (7_654_321, 0, 0),
        },
        {
            wind: (0, 8_765_431, 0),  # discharge: positive
            solar: (0, 5_432_109, 0),
            pv: (0, 777_777, 0),
            steel: (2_000_003, 3_333_333, 999_999),  # both in one interval
        },
        {
            wind: (3_000_007, 1_234_567, 3_000_007),
            solar: (1_000_001, 2_000_003, 1),
            pv: (123_457, 0, 0),
            steel: (0, 4_999_999, 0),
        },
    ]
    grid = StorageLedgerClient(ledger.as_account(world.grid_operator))
    totals = {p: [0, 0] for p in intervals[0]}
    for index, deltas in enumerate(intervals):
        counters: dict[str, tuple[int, int]] = {}
        for p, (charged, discharged, _) in deltas.items():
            totals[p][0] += charged
            totals[p][1] += discharged
            counters[p] = (totals[p][0], totals[p][1])
        r = report(ledger, station, index, counters)
        submit(ledger, world, r)
        attested = [CurtailedCharge(p, k) for p, (_, _, k) in deltas.items() if k]
        if attested:
            grid.attest_curtailment(station, r.interval_start, attested)

    # The report books (discharged - charged) x EF, the attestation gives curtailed x EF back;
    # each is truncated toward zero on its own.
    expected = {p: 0 for p in totals}
    for deltas in intervals:
        for p, (charged, discharged, curtailed) in deltas.items():
            expected[p] += truncated_div((discharged - charged) * QH_GRAMS_PER_MWH, WH_PER_MWH)
            expected[p] += truncated_div(curtailed * QH_GRAMS_PER_MWH, WH_PER_MWH)

    storage = StorageLedgerClient(ledger)
    on_chain = {p: storage.avoided_of(station, p).avoided_grams for p in totals}
    assert on_chain == expected
    # Spelled out: wind (-1,934,567.59 + 1,934,567.59) + 1,373,543.04 + (-276,644.45 + 470,101.10)
    # and pv -174,111.09 + 121,877.66 - 19,345.71, each truncated toward zero (flooring would give
    # pv -174,112 and -19,346).
    assert expected[wind] == (-1_934_567 + 1_934_567) + 1_373_543 + (-276_644 + 470_101)
    assert expected[pv] == -174_111 + 121_877 - 19_345
    assert {p: storage.curtailed_of(station, p) for p in totals} == {
        wind: 12_345_677 + 3_000_007,
        solar: 3_000_001 + 1,
        pv: 0,
        steel: 999_999,
    }
    assert all(
        storage.avoided_of(station, p).unissued_grams == max(v, 0) for p, v in expected.items()
    )
