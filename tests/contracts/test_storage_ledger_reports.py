"""Accepted reports: idempotent resubmission, gaps, several stations per batch, the views and the
one ReportAccepted log per report."""

from __future__ import annotations

from typing import Any

import pytest

from devnet.world import DAY_START, INTERVAL_S, World
from ledger.client import Ledger
from ledger.errors import revert_class
from ledger.logs import receipt_events
from ledger.methodology import truncated_div
from ledger.registry import RegistryClient, region_bytes
from ledger.reports import IntervalReport, participant_records, report_digest
from ledger.storage import REPORT_KEYS_PER_SLOT, ReportRecord, StorageLedgerClient
from tests.helpers import report, signatures, with_root

MWH = 1_000_000
EFF = 8800


def _start(index: int) -> int:
    return DAY_START + index * INTERVAL_S


def _send(ledger: Ledger, world: World, r: IntervalReport) -> Any:
    return StorageLedgerClient(ledger).submit(r, signatures(ledger, world, r))


def test_resubmitting_the_same_report_is_a_no_op(
    ledger: Ledger, world: World, station: int
) -> None:
    gen, con = world.participants[0].address, world.participants[3].address
    client = StorageLedgerClient(ledger)
    r0 = report(ledger, station, 0, {gen: (10 * MWH, 0), con: (10 * MWH, 0)})
    r1 = report(ledger, station, 1, {gen: (12 * MWH, MWH), con: (10 * MWH, 2 * MWH)})
    _send(ledger, world, r0)
    _send(ledger, world, r1)
    before = [client.account_of(station, p) for p in (gen, con)]
    avoided_before = [client.avoided_of(station, p) for p in (gen, con)]
    for again in (r0, r1):  # an old key and the latest key
        sigs = signatures(ledger, world, again)
        assert client.contract.functions.submitReport(again.as_abi(), sigs).call() is False
        receipt = _send(ledger, world, again)
        duplicates = receipt_events(client.contract.events.ReportDuplicate(), receipt)
        assert [dict(d["args"]) for d in duplicates] == [
            {
                "stationId": station,
                "intervalStart": again.interval_start,
                "digest": report_digest(again, ledger.chain_id, client.address),
            }
        ]
        assert receipt_events(client.contract.events.ReportAccepted(), receipt) == ()
    assert [client.account_of(station, p) for p in (gen, con)] == before
    assert [client.avoided_of(station, p) for p in (gen, con)] == avoided_before
    assert client.latest_interval(station)[:2] == (_start(1), _start(2))


def test_a_gap_is_allowed_and_recorded(ledger: Ledger, world: World, station: int) -> None:
    gen = world.participants[0].address
    client = StorageLedgerClient(ledger)
    first = _send(ledger, world, report(ledger, station, 0, {gen: (MWH, 0)}))
    assert receipt_events(client.contract.events.IntervalGap(), first) == ()
    receipt = _send(ledger, world, report(ledger, station, 5, {gen: (3 * MWH, 0)}))
    gaps = receipt_events(client.contract.events.IntervalGap(), receipt)
    assert [dict(g["args"]) for g in gaps] == [
        {"stationId": station, "previousEnd": _start(1), "intervalStart": _start(5)}
    ]
    assert client.latest_interval(station) == (_start(5), _start(6), 5000, 9900)
    assert client.account_of(station, gen).charged_wh == 3 * MWH


def test_report_of_says_which_keys_were_accepted_and_the_latest_digest(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    client = StorageLedgerClient(ledger)
    reports = [report(ledger, station, i, {gen: ((i + 1) * MWH, 0)}) for i in range(3)]
    for r in reports:
        _send(ledger, world, r)
    latest = report_digest(reports[-1], ledger.chain_id, client.address)[:16]
    for r in reports[:-1]:  # older keys of the window: accepted, digest in their events only
        assert client.report_of(station, r.interval_start) == ReportRecord(True, None)
    assert client.report_of(station, reports[-1].interval_start) == ReportRecord(True, latest)
    assert client.report_of(station, _start(3)) == ReportRecord(False, None)
    assert client.report_of(station, _start(1) + 1) == ReportRecord(False, None)  # off the grid
    assert client.report_of(99, _start(0)) == ReportRecord(False, None)
    assert not any(client.report_of(station, _start(3))) and any(
        client.report_of(station, _start(0))
    )


def test_report_keys_across_a_window_boundary_keep_each_window_s_latest_digest(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    client = StorageLedgerClient(ledger)
    k0 = DAY_START // INTERVAL_S
    last_of_window = (-k0 - 1) % REPORT_KEYS_PER_SLOT  # index of the window's last interval
    before, after = (
        report(ledger, station, i, {gen: ((i + 1) * MWH, 0)})
        for i in (last_of_window, last_of_window + 1)
    )
    for r in (before, after):
        _send(ledger, world, r)
    for r in (before, after):  # each the latest of its own window
        digest = report_digest(r, ledger.chain_id, client.address)[:16]
        assert client.report_of(station, r.interval_start) == ReportRecord(True, digest)
    assert client.report_of(station, before.interval_start - INTERVAL_S).accepted is False
    # the earlier window's latest key still tells a duplicate from a conflict
    with pytest.raises(revert_class("StorageLedgerReportConflict")):
        _send(ledger, world, with_root(before, b"\x33" * 32))


def test_an_older_key_resubmitted_needs_a_quorum_and_is_a_no_op(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    client = StorageLedgerClient(ledger)
    r0 = report(ledger, station, 0, {gen: (MWH, 0)})
    _send(ledger, world, r0)
    _send(ledger, world, report(ledger, station, 1, {gen: (2 * MWH, 0)}))
    other = with_root(r0, b"\x44" * 32)  # a different report for the older key
    with pytest.raises(revert_class("StorageLedgerQuorumNotReached")):
        client.submit(other, signatures(ledger, world, other, count=1))
    receipt = _send(ledger, world, other)
    (dup,) = receipt_events(client.contract.events.ReportDuplicate(), receipt)
    assert dup["args"]["digest"] == report_digest(other, ledger.chain_id, client.address)
    assert client.account_of(station, gen).charged_wh == 2 * MWH


def test_report_accepted_carries_the_state_and_every_participant(
    ledger: Ledger, world: World, station: int
) -> None:
    gen, con = world.participants[0].address, world.participants[3].address
    client = StorageLedgerClient(ledger)
    _send(ledger, world, report(ledger, station, 0, {gen: (10 * MWH, 0), con: (MWH, 0)}))
    r = report(ledger, station, 1, {gen: (10 * MWH, 8 * MWH), con: (3 * MWH, 0)}, soc_bps=4321)
    receipt = _send(ledger, world, r)
    (event,) = receipt_events(client.contract.events.ReportAccepted(), receipt)
    args = dict(event["args"])
    version, grams = ledger.view("EmissionFactors", "currentFactor", region_bytes("CN-QH"))
    assert (args["socBps"], args["sohBps"], args["factorVersion"], args["gramsPerMWh"]) == (
        4321,
        9900,
        version,
        grams,
    )
    assert args["digest"] == report_digest(r, ledger.chain_id, client.address)
    assert args["signers"] == sorted(
        (o.address for o in world.oracles[:2]), key=lambda a: int(a, 16)
    )
    records = {rec.participant: rec for rec in participant_records(args["participants"])}
    assert set(records) == {gen, con}
    assert (records[gen].charged_wh, records[gen].discharged_wh) == (0, 8 * MWH)
    assert records[gen].avoided_grams == truncated_div(8 * MWH * grams, 10**6)
    assert (records[con].charged_wh, records[con].discharged_wh) == (2 * MWH, 0)
    assert records[con].avoided_grams == truncated_div(-2 * MWH * grams, 10**6)
    assert client.avoided_of(station, con).avoided_grams == truncated_div(
        -MWH * grams, 10**6
    ) + truncated_div(-2 * MWH * grams, 10**6)


def test_several_stations_in_one_batch(ledger: Ledger, world: World, station: int) -> None:
    gen = world.participants[0]
    registry = RegistryClient(ledger)
    second = registry.register_station(world.station)
    registry.set_lease(second, gen.address, 40 * MWH, DAY_START - 86_400, DAY_START + 86_400)
    client = StorageLedgerClient(ledger)
    batch = [
        report(ledger, station, 0, {gen.address: (10 * MWH, 0)}),
        report(ledger, second, 0, {gen.address: (20 * MWH, 0)}),
        report(ledger, second, 1, {gen.address: (20 * MWH, 5 * MWH)}),
    ]
    sigs = [signatures(ledger, world, r) for r in batch]
    assert client.contract.functions.submitReports([r.as_abi() for r in batch], sigs).call() == [
        True,
        True,
        True,
    ]
    receipt = client.submit_many(batch, sigs)
    assert len(receipt_events(client.contract.events.ReportAccepted(), receipt)) == 3
    first, other = client.account_of(station, gen.address), client.account_of(second, gen.address)
    assert (first.charged_wh, first.balance_wh) == (10 * MWH, 10 * MWH * EFF // 10_000)
    assert (other.charged_wh, other.discharged_wh) == (20 * MWH, 5 * MWH)
    assert other.balance_wh == 20 * MWH * EFF // 10_000 - 5 * MWH
    assert client.latest_interval(station)[0] == _start(0)
    assert client.latest_interval(second)[0] == _start(1)
    # A batch that repeats an accepted report books the new one and skips the old one.
    again = [batch[2], report(ledger, station, 1, {gen.address: (11 * MWH, 0)})]
    again_sigs = [signatures(ledger, world, r) for r in again]
    call = client.contract.functions.submitReports([r.as_abi() for r in again], again_sigs)
    assert call.call() == [False, True]
    client.submit_many(again, again_sigs)
    assert client.account_of(station, gen.address).charged_wh == 11 * MWH
    assert client.account_of(second, gen.address) == other


def test_efficiency_applies_to_the_lifetime_counter_so_rounding_never_accumulates(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    client = StorageLedgerClient(ledger)
    totals = [1_234_567, 2_000_001, 2_000_001, 5_555_555]
    per_interval_floors = 0
    for i, total in enumerate(totals):
        _send(ledger, world, report(ledger, station, i, {gen: (total, 0)}))
        previous = totals[i - 1] if i else 0
        per_interval_floors += (total - previous) * EFF // 10_000
    account = client.account_of(station, gen)
    assert account.balance_wh == totals[-1] * EFF // 10_000
    assert account.balance_wh > per_interval_floors  # the old per-interval rule lost Wh here
    assert account.losses_wh == totals[-1] - account.balance_wh
