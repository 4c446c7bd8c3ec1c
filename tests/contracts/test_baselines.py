"""StorageLedger.setBaseline: who may set it, what it checks and records, and that reports keep
carrying booked counters (the baseline never changes the report path)."""

from __future__ import annotations

import pytest
from eth_account import Account

from devnet.world import World
from ledger.baselines import Baseline, CounterBelowBaseline, booked_counters
from ledger.client import Ledger
from ledger.errors import revert_class
from ledger.keys import devnet_keys
from ledger.logs import receipt_events
from ledger.registry import RegistryClient
from ledger.storage import StorageLedgerClient
from tests.helpers import report, submit

MWH = 1_000_000
LIFETIME_WH = 4_294_000_000  # a revenue meter's counter when it is onboarded


def _meter(world: World, participant: int) -> str:
    owner = world.participants[participant].address
    return next(d.address for d in world.devices if d.participant == owner)


def _as(ledger: Ledger, key_index: int) -> StorageLedgerClient:
    return StorageLedgerClient(ledger.as_account(Account.from_key(devnet_keys()[key_index])))


def test_station_operator_sets_the_first_baseline_of_a_new_participant(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    meter = _meter(world, 0)
    client = StorageLedgerClient(ledger.as_account(world.station_operator))
    receipt = client.set_baseline(station, gen, meter, LIFETIME_WH, 12_345)
    (event,) = receipt_events(client.contract.events.BaselineSet(), receipt)
    assert dict(event["args"]) == {
        "stationId": station,
        "participant": gen,
        "device": meter,
        "epoch": 1,
        "rawChargedWh": LIFETIME_WH,
        "rawDischargedWh": 12_345,
        "bookedChargedWh": 0,
        "bookedDischargedWh": 0,
    }
    assert client.baseline_of(station, gen) == Baseline(meter, 1, LIFETIME_WH, 12_345, 0, 0)


def test_a_meter_replacement_records_the_booked_counters_and_the_next_epoch(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    meter = _meter(world, 0)
    admin = StorageLedgerClient(ledger)
    admin.set_baseline(station, gen, meter, LIFETIME_WH, 0)
    submit(ledger, world, report(ledger, station, 0, {gen: (3 * MWH, MWH)}))
    other = _meter(world, 1)  # a replacement meter, already registered for the station
    admin.set_baseline(station, gen, other, 17, 4)
    assert admin.baseline_of(station, gen) == Baseline(other, 2, 17, 4, 3 * MWH, MWH)


def test_booked_counters_continue_from_the_baseline() -> None:
    b = Baseline("0x" + "11" * 20, 2, LIFETIME_WH, 500, 3 * MWH, MWH)
    assert booked_counters(b, LIFETIME_WH + 7, 500) == (3 * MWH + 7, MWH)
    with pytest.raises(CounterBelowBaseline, match="dischargedWh"):
        booked_counters(b, LIFETIME_WH, 499)


def test_a_report_after_the_baseline_books_only_the_energy_since_it(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    client = StorageLedgerClient(ledger)
    client.set_baseline(station, gen, _meter(world, 0), LIFETIME_WH, 0)
    baseline = client.baseline_of(station, gen)
    booked = booked_counters(baseline, LIFETIME_WH + 2 * MWH, 0)
    submit(ledger, world, report(ledger, station, 0, {gen: booked}))
    assert client.account_of(station, gen).charged_wh == 2 * MWH


def test_set_baseline_rejects_an_unknown_station(
    ledger: Ledger, world: World, station: int
) -> None:
    with pytest.raises(revert_class("StorageLedgerUnknownStation")) as e:
        StorageLedgerClient(ledger).set_baseline(
            99, world.participants[0].address, _meter(world, 0), 1, 1
        )
    assert e.value.arguments == {"stationId": 99}


@pytest.mark.parametrize("who", ["grid operator", "other station's operator"])
def test_set_baseline_needs_the_station_operator_or_the_admin(
    ledger: Ledger, world: World, station: int, who: str
) -> None:
    if who == "grid operator":
        caller = world.grid_operator
    else:  # holds STATION_OPERATOR_ROLE, but operates another station
        caller = Account.from_key(devnet_keys()[14])
        registry = RegistryClient(ledger)
        registry.grant("STATION_OPERATOR_ROLE", caller.address)
        registry.register_station(
            type(world.station)(**{**world.station.__dict__, "operator": caller.address})
        )
    with pytest.raises(revert_class("StorageLedgerNotStationOperator")) as e:
        StorageLedgerClient(ledger.as_account(caller)).set_baseline(
            station, world.participants[0].address, _meter(world, 0), 1, 1
        )
    assert e.value.arguments == {"account": caller.address, "stationId": station}
    assert (
        StorageLedgerClient(ledger).baseline_of(station, world.participants[0].address).epoch == 0
    )


def test_set_baseline_needs_an_active_lease(ledger: Ledger, world: World, station: int) -> None:
    stranger = Account.from_key(devnet_keys()[13]).address
    with pytest.raises(revert_class("StorageLedgerNoActiveLease")) as e:
        StorageLedgerClient(ledger).set_baseline(station, stranger, _meter(world, 0), 1, 1)
    assert e.value.arguments["stationId"] == station
    assert e.value.arguments["participant"] == stranger
    # "now": the timestamp of the block the call ran in
    assert abs(e.value.arguments["at"] - ledger.w3.eth.get_block("latest")["timestamp"]) <= 60


@pytest.mark.parametrize("device", ["unregistered", "other station", "deactivated"])
def test_set_baseline_needs_an_active_device_of_the_station(
    ledger: Ledger, world: World, station: int, device: str
) -> None:
    registry = RegistryClient(ledger)
    if device == "unregistered":
        address = Account.from_key(devnet_keys()[15]).address
    elif device == "other station":
        second = registry.register_station(world.station)
        address = Account.from_key(devnet_keys()[16]).address
        registry.register_device(
            second,
            world.devices[1].kind,
            address,
            accuracy_class_bps=50,
            rated_power_w=1_000,
            external_code="other",
        )
    else:
        address = _meter(world, 0)
        ledger.transact("Registry", "deactivateDevice", registry.device_of(address))
    with pytest.raises(revert_class("StorageLedgerDeviceNotOfStation")) as e:
        StorageLedgerClient(ledger).set_baseline(
            station, world.participants[0].address, address, 1, 1
        )
    assert e.value.arguments == {"stationId": station, "device": address}
