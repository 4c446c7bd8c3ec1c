"""The grid operator's curtailment attestation: what it books, and every refusal by its exact
custom error (the chain keeps nothing of a refused attestation)."""

from __future__ import annotations

import pytest

from devnet.world import DAY_START, INTERVAL_S, World
from ledger.client import Ledger
from ledger.credits import CreditsClient
from ledger.curtailment import attest, attest_dispatch
from ledger.errors import CurtailedAboveCharged, ReportNotBooked, revert_class
from ledger.logs import receipt_events
from ledger.storage import CurtailedCharge, StorageLedgerClient
from tests.credit_helpers import PERIOD, QH_GRAMS_PER_MWH
from tests.helpers import report, submit

MWH = 1_000_000


def _start(index: int) -> int:
    return DAY_START + index * INTERVAL_S


@pytest.fixture
def grid(ledger: Ledger, world: World) -> StorageLedgerClient:
    return StorageLedgerClient(ledger.as_account(world.grid_operator))


@pytest.fixture
def booked(ledger: Ledger, world: World, station: int) -> tuple[str, str]:
    """Interval 0: the two generators charge 3 and 2 MWh (+1 Wh, so grams truncate)."""
    gen, gen2 = world.participants[0].address, world.participants[1].address
    submit(ledger, world, report(ledger, station, 0, {gen: (3 * MWH + 1, 0), gen2: (2 * MWH, 0)}))
    return gen, gen2


def test_attestation_books_curtailed_charging_at_factor_zero(
    ledger: Ledger, grid: StorageLedgerClient, station: int, booked: tuple[str, str]
) -> None:
    gen, gen2 = booked
    storage = StorageLedgerClient(ledger)
    before = storage.avoided_of(station, gen).avoided_grams
    assert before == -((3 * MWH + 1) * QH_GRAMS_PER_MWH // MWH)  # charged at the grid factor
    receipt = grid.attest_curtailment(
        station, _start(0), [CurtailedCharge(gen, 3 * MWH + 1), CurtailedCharge(gen2, MWH)]
    )
    events = receipt_events(storage.contract.events.CurtailmentAttested(), receipt)
    assert [dict(e["args"]) for e in events] == [
        {
            "stationId": station,
            "intervalStart": _start(0),
            "participant": p,
            "gridOperator": grid.ledger.tx.address,
            "curtailedWh": wh,
            "factorVersion": storage.avoided_of(station, gen).factor_version,
            "gramsPerMWh": QH_GRAMS_PER_MWH,
            "avoidedGrams": wh * QH_GRAMS_PER_MWH // MWH,
        }
        for p, wh in sorted([(gen, 3 * MWH + 1), (gen2, MWH)], key=lambda x: int(x[0], 16))
    ]
    # All of gen's charge was curtailed: the report's -470,100.15 g and the attestation's
    # +470,100.15 g, each truncated toward zero, cancel.
    assert storage.avoided_of(station, gen).avoided_grams == 0
    assert storage.avoided_of(station, gen2).avoided_grams == -2 * 156_700 + 156_700
    assert (storage.curtailed_of(station, gen), storage.curtailed_of(station, gen2)) == (
        3 * MWH + 1,
        MWH,
    )
    assert storage.curtailment_attested(station, _start(0))
    assert not storage.curtailment_attested(station, _start(1))
    assert not storage.curtailment_attested(station, _start(0) + 1)  # off the grid


def test_issuing_credits_keeps_the_curtailed_total(
    ledger: Ledger, world: World, grid: StorageLedgerClient, station: int
) -> None:
    """The curtailed total shares a slot with the consumed grams: consuming keeps it."""
    gen = world.participants[0].address
    submit(ledger, world, report(ledger, station, 0, {gen: (10 * MWH, 0)}))
    grid.attest_curtailment(station, _start(0), [CurtailedCharge(gen, 10 * MWH)])
    submit(ledger, world, report(ledger, station, 1, {gen: (10 * MWH, 8 * MWH)}))
    storage = StorageLedgerClient(ledger)
    version = storage.avoided_of(station, gen).factor_version
    owner = CreditsClient(ledger.as_account(world.participants[0].account))
    token = owner.request_issuance(
        station,
        gen,
        1_000_000,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        factor_version=version,
    ).request_id
    CreditsClient(ledger.as_account(world.verifier)).approve(token)
    account = storage.avoided_of(station, gen)
    assert (account.avoided_grams, account.consumed_grams) == (8 * 156_700, 1_000_000)
    assert account.unissued_grams == 8 * 156_700 - 1_000_000
    assert storage.curtailed_of(station, gen) == 10 * MWH


def test_only_the_grid_operator_attests(
    ledger: Ledger, world: World, station: int, booked: tuple[str, str]
) -> None:
    gen = world.participants[0]
    own = StorageLedgerClient(ledger.as_account(gen.account))
    with pytest.raises(revert_class("AccessControlUnauthorizedAccount")) as e:
        own.attest_curtailment(station, _start(0), [CurtailedCharge(gen.address, MWH)])
    assert e.value.arguments["account"] == gen.address
    role = ledger.contract("Registry").functions.GRID_OPERATOR_ROLE().call()
    assert e.value.arguments["neededRole"] == role
    assert StorageLedgerClient(ledger).curtailed_of(station, gen.address) == 0


def test_cumulative_curtailed_above_charged_is_rejected(
    ledger: Ledger, world: World, grid: StorageLedgerClient, station: int, booked: tuple[str, str]
) -> None:
    gen, _ = booked
    submit(ledger, world, report(ledger, station, 1, {gen: (4 * MWH, 0)}))
    grid.attest_curtailment(station, _start(0), [CurtailedCharge(gen, 3 * MWH)])
    with pytest.raises(revert_class("StorageLedgerCurtailedExceedsCharged")) as e:
        grid.attest_curtailment(station, _start(1), [CurtailedCharge(gen, MWH + 1)])
    assert e.value.arguments == {
        "stationId": station,
        "participant": gen,
        "curtailedWh": 4 * MWH + 1,
        "chargedWh": 4 * MWH,
    }
    assert not StorageLedgerClient(ledger).curtailment_attested(station, _start(1))


def test_interval_without_report_is_rejected(
    grid: StorageLedgerClient, station: int, booked: tuple[str, str]
) -> None:
    gen, _ = booked
    for start in (_start(1), _start(0) + 1):  # on the grid but not booked; off the grid
        with pytest.raises(revert_class("StorageLedgerCurtailmentWithoutReport")) as e:
            grid.attest_curtailment(station, start, [CurtailedCharge(gen, 1)])
        assert e.value.arguments == {"stationId": station, "intervalStart": start}


def test_second_attestation_of_an_interval_is_rejected(
    grid: StorageLedgerClient, station: int, booked: tuple[str, str]
) -> None:
    gen, gen2 = booked
    grid.attest_curtailment(station, _start(0), [CurtailedCharge(gen, 1)])
    with pytest.raises(revert_class("StorageLedgerCurtailmentAlreadyAttested")) as e:
        grid.attest_curtailment(station, _start(0), [CurtailedCharge(gen2, 1)])
    assert e.value.arguments == {"stationId": station, "intervalStart": _start(0)}


def test_empty_attestation_and_zero_amount_are_rejected(
    grid: StorageLedgerClient, station: int, booked: tuple[str, str]
) -> None:
    gen, _ = booked
    zero = "0x" + "00" * 20
    with pytest.raises(revert_class("StorageLedgerCurtailmentEmpty")) as e:
        grid.attest_curtailment(station, _start(0), [])
    assert e.value.arguments == {
        "stationId": station,
        "intervalStart": _start(0),
        "participant": zero,
    }
    with pytest.raises(revert_class("StorageLedgerCurtailmentEmpty")) as e:
        grid.attest_curtailment(station, _start(0), [CurtailedCharge(gen, 0)])
    assert e.value.arguments["participant"] == gen


def test_participants_must_ascend(
    grid: StorageLedgerClient, station: int, booked: tuple[str, str]
) -> None:
    low, high = sorted(booked, key=lambda a: int(a, 16))
    rows = [(high, 1), (low, 1)]
    fn = grid.contract.functions.attestCurtailment(station, _start(0), rows)
    with pytest.raises(revert_class("StorageLedgerParticipantsNotAscending")) as e:
        grid.ledger.tx.transact(fn)
    assert e.value.arguments == {"previous": high, "participant": low}


def test_client_checks_each_interval_before_sending(
    ledger: Ledger, world: World, grid: StorageLedgerClient, station: int, booked: tuple[str, str]
) -> None:
    """The per-interval bound is the client's (and the verifier's): the chain only checks the
    cumulative one, so 2 MWh + 1 Wh for gen2 would pass there and is refused here."""
    _, gen2 = booked
    with pytest.raises(CurtailedAboveCharged, match=r"curtailed_wh of .* 2000001 Wh"):
        attest(grid, station, _start(0), [CurtailedCharge(gen2, 2 * MWH + 1)])
    with pytest.raises(ReportNotBooked, match="interval_start"):
        attest(grid, station, _start(5), [CurtailedCharge(gen2, 1)])
    assert not grid.curtailment_attested(station, _start(0))
    attest(grid, station, _start(0), [CurtailedCharge(gen2, 2 * MWH)])
    assert grid.curtailed_of(station, gen2) == 2 * MWH


def test_dispatch_attests_the_generators_charging_and_skips_the_rest(
    ledger: Ledger, world: World, grid: StorageLedgerClient, station: int, booked: tuple[str, str]
) -> None:
    gen, gen2 = booked
    steel = world.participants[3].address
    counters = {gen: (3 * MWH + 1, MWH), gen2: (3 * MWH, 0), steel: (MWH, 0)}
    submit(ledger, world, report(ledger, station, 1, counters))
    done = attest_dispatch(grid, station, [_start(0), _start(1)], [gen, gen2])
    got = [(d.interval_start, {c.participant: c.curtailed_wh for c in d.charges}) for d in done]
    assert got == [
        (_start(0), {gen: 3 * MWH + 1, gen2: 2 * MWH}),
        (_start(1), {gen2: MWH}),  # gen only discharged, steel is not dispatched
    ]
    assert attest_dispatch(grid, station, [_start(0), _start(1)], [gen, gen2]) == []
    assert grid.curtailed_of(station, steel) == 0
