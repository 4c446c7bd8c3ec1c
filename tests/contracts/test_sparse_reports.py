"""Sparse reports: the oracle's report builder leaves out a participant whose counters did not
change, and the ledger books a subset of the station's participants (ascending), leaving the
absent ones' accounts untouched."""

from __future__ import annotations

from dataclasses import replace

from devnet.world import World
from ledger.client import Ledger
from ledger.merkle import MerkleTree
from ledger.storage import StorageLedgerClient
from oracle.aggregate import Counters, IntervalBatch, build_report
from tests.helpers import ROOT, report, submit

MWH = 1_000_000


def _batch(r_station: int, start: int) -> IntervalBatch:
    tree = MerkleTree.from_leaf_hashes([ROOT])
    return IntervalBatch(r_station, start, start + 900, (), tree)


def test_build_report_leaves_out_participants_whose_counters_did_not_change(
    world: World,
) -> None:
    a, b, c = (p.address for p in world.participants[:3])
    previous = {a: Counters(MWH, 0), b: Counters(2 * MWH, MWH)}
    now = {a: Counters(MWH, 0), b: Counters(3 * MWH, MWH), c: Counters(0, 0)}
    r = build_report(_batch(1, 0), config_digest=b"\0" * 32, counters=now, previous=previous)
    assert [p.participant for p in r.participants] == [b]
    # Without previous counters every participant with energy is listed.
    everyone = build_report(_batch(1, 0), config_digest=b"\0" * 32, counters=now)
    assert sorted(p.participant for p in everyone.participants) == sorted([a, b])


def test_a_report_with_a_subset_of_participants_leaves_the_others_untouched(
    ledger: Ledger, world: World, station: int
) -> None:
    parts = [p.address for p in world.participants]
    client = StorageLedgerClient(ledger)
    submit(ledger, world, report(ledger, station, 0, {p: (MWH, 0) for p in parts}))
    untouched = {p: client.account_of(station, p) for p in parts}
    moving = sorted(parts, key=lambda a: int(a, 16))[1::2]
    r = report(ledger, station, 1, {p: (3 * MWH, MWH) for p in moving})
    assert [p.participant for p in r.participants] == moving  # ascending subset
    submit(ledger, world, r)
    for p in parts:
        account = client.account_of(station, p)
        if p in moving:
            assert (account.charged_wh, account.discharged_wh) == (3 * MWH, MWH)
        else:
            assert account == untouched[p]
    # An empty report (nobody moved) is accepted too: the station state advances.
    submit(ledger, world, replace(report(ledger, station, 2, {}), participants=()))
    assert client.latest_interval(station)[0] == report(ledger, station, 2, {}).interval_start
