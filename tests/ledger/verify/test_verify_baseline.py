"""The verifier and counter baselines: a credit backed by a revenue meter that was onboarded with
a lifetime counter verifies when the reports' booked counters follow the baseline in force; a
wrong baseline, or booked counters the readings do not support, fail naming the participant."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from devnet.world import DAY_START, INTERVAL_S, World, demo_world, register_world
from ledger.baselines import booked_counters
from ledger.client import Ledger
from ledger.credits import CreditsClient
from ledger.readings import DeviceDomain, Reading, sign_reading
from ledger.storage import CurtailedCharge, StorageLedgerClient
from ledger.verify import ChainFacts, Verdict, verify_credit_on_chain
from oracle.aggregate import batch_of
from oracle.archive import write_batch
from tests.helpers import report, signatures

MWH = 1_000_000
LIFETIME_WH = 4_294_000_000  # the meter's counter when it was onboarded


def _meter_reading(world: World, station: int, seq: int, t: int, raw: tuple[int, int]) -> Reading:
    gen = world.participants[0]
    meter = next(d for d in world.devices if d.participant == gen.address)
    return Reading(
        meter.address, station, gen.address, seq, t, raw[0], raw[1], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    )


def _book_interval(
    ledger: Ledger,
    world: World,
    station: int,
    index: int,
    raws: list[tuple[int, int]],
    booked: tuple[int, int],
    archive: Path,
) -> int:
    """Sign the meter's readings of interval `index`, archive the batch, submit its report with
    `booked` counters; returns the interval start."""
    gen = world.participants[0]
    meter = next(d for d in world.devices if d.participant == gen.address)
    domain = DeviceDomain(ledger.chain_id, ledger.deployment.address("Registry"))
    start = DAY_START + index * INTERVAL_S
    signed = [
        sign_reading(
            _meter_reading(world, station, 10 * index + i, start + 300 * i, raw),
            meter.account.key,
            domain,
        )
        for i, raw in enumerate(raws)
    ]
    batch = batch_of(station, start, start + INTERVAL_S, signed)
    write_batch(archive, batch, chain_id=ledger.chain_id, registry=domain.verifying_contract)
    r = replace(
        report(ledger, station, index, {gen.address: booked}),
        readings_root=batch.root,
        reading_count=len(signed),
    )
    StorageLedgerClient(ledger).submit(r, signatures(ledger, world, r))
    return start


def _credit(ledger: Ledger, tmp_path: Path, *, baseline_raw: int, booked_extra: int) -> Verdict:
    """A meter onboarded at LIFETIME_WH; its baseline recorded with `baseline_raw`; the oracle's
    booked counters computed from LIFETIME_WH (+ `booked_extra` Wh in the second report)."""
    world = demo_world()
    station = register_world(ledger, world)
    gen = world.participants[0]
    meter = next(d for d in world.devices if d.participant == gen.address)
    StorageLedgerClient(ledger.as_account(world.station_operator)).set_baseline(
        station, gen.address, meter.address, baseline_raw, 0
    )
    truth = replace(
        StorageLedgerClient(ledger).baseline_of(station, gen.address), raw_charged_wh=LIFETIME_WH
    )
    archive = tmp_path / "archive"
    charged = [(LIFETIME_WH + 4 * MWH, 0), (LIFETIME_WH + 10 * MWH, 0)]
    first = _book_interval(
        ledger, world, station, 0, charged, booked_counters(truth, *charged[-1]), archive
    )
    StorageLedgerClient(ledger.as_account(world.grid_operator)).attest_curtailment(
        station, first, [CurtailedCharge(gen.address, 10 * MWH)]
    )
    discharged = [(LIFETIME_WH + 10 * MWH, 8 * MWH)]
    c, d = booked_counters(truth, *discharged[-1])
    _book_interval(ledger, world, station, 1, discharged, (c + booked_extra, d), archive)
    avoided = StorageLedgerClient(ledger).avoided_of(station, gen.address)
    as_gen = CreditsClient(ledger.as_account(gen.account))
    issued = as_gen.request_issuance(
        station,
        gen.address,
        avoided.unissued_grams,
        period_start=DAY_START,
        period_end=DAY_START + 86_400,
        factor_version=avoided.factor_version,
    )
    CreditsClient(ledger.as_account(world.verifier)).approve(issued.request_id)
    facts = ChainFacts(ledger.w3, ledger.build, ledger.deployment.address("CarbonCredits"))
    return verify_credit_on_chain(facts, issued.request_id, str(archive), workers=1)


def test_a_credit_backed_by_a_lifetime_meter_verifies_under_its_baseline(
    ledger: Ledger, tmp_path: Path
) -> None:
    verdict = _credit(ledger, tmp_path, baseline_raw=LIFETIME_WH, booked_extra=0)
    assert verdict.ok, verdict.failures
    assert verdict.checks["batches"] == 2


@pytest.mark.parametrize(
    ("baseline_raw", "booked_extra"),
    [(LIFETIME_WH - 1_000, 0), (LIFETIME_WH, 1_000)],
    ids=["wrong baseline", "booked counters the readings do not support"],
)
def test_counters_that_do_not_follow_the_baseline_fail_naming_the_participant(
    ledger: Ledger, tmp_path: Path, baseline_raw: int, booked_extra: int
) -> None:
    verdict = _credit(ledger, tmp_path, baseline_raw=baseline_raw, booked_extra=booked_extra)
    gen = demo_world().participants[0].address
    failed = [f for f in verdict.failures if f.check == "report_counters"]
    assert failed, verdict.failures
    assert all(f"participant {gen}" in f.item for f in failed)
    assert "under baseline epoch 1" in failed[0].reason
