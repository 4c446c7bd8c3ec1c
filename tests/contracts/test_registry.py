"""Registry: every revert with its arguments, unauthorized writes, device key rotation, and oracle
set changes as seen by the registry and by the ledger's cached membership."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from devnet.world import DAY_START, World
from ledger.client import Ledger
from ledger.errors import revert_class
from ledger.keys import devnet_keys
from ledger.kinds import DeviceKind
from ledger.logs import receipt_events
from ledger.registry import RegistryClient, StationParams
from ledger.reports import ordered_signatures, sign_report
from ledger.storage import StorageLedgerClient
from tests.helpers import report, submit

MWH = 1_000_000
ZERO = "0x0000000000000000000000000000000000000000"


def _key(i: int) -> LocalAccount:
    return Account.from_key(devnet_keys()[i])


def _params(world: World, **changes: object) -> StationParams:
    return replace(world.station, **changes)  # type: ignore[arg-type]


def _device(registry: RegistryClient, station: int, signer: str) -> int:
    return registry.register_device(
        station,
        DeviceKind.REVENUE_METER,
        signer,
        accuracy_class_bps=50,
        rated_power_w=1,
        external_code="x",
    )


@pytest.mark.parametrize(
    ("changes", "error", "arguments"),
    [
        ({"operator": ZERO}, "RegistryZeroAddress", {}),
        ({"capacity_wh": 0}, "RegistryInvalidCapacity", {"capacityWh": 0}),
        (
            {"round_trip_efficiency_bps": 0},
            "RegistryInvalidEfficiency",
            {"roundTripEfficiencyBps": 0},
        ),
        (
            {"round_trip_efficiency_bps": 10_001},
            "RegistryInvalidEfficiency",
            {"roundTripEfficiencyBps": 10_001},
        ),
        ({"region": ""}, "RegistryInvalidRegion", {"region": b"\0" * 32}),
        ({"interval_seconds": 86_401}, "RegistryInvalidInterval", {"intervalSeconds": 86_401}),
    ],
)
def test_register_station_rejects_invalid_parameters(
    ledger: Ledger,
    world: World,
    changes: dict[str, object],
    error: str,
    arguments: dict[str, object],
) -> None:
    with pytest.raises(revert_class(error)) as e:
        RegistryClient(ledger).register_station(_params(world, **changes))
    assert e.value.arguments == arguments


def test_register_station_defaults_the_interval(ledger: Ledger, world: World) -> None:
    registry = RegistryClient(ledger)
    sid = registry.register_station(_params(world, interval_seconds=0))
    assert registry.station(sid).interval_seconds == 900


def test_unauthorized_registry_writes_are_rejected(
    ledger: Ledger, world: World, station: int
) -> None:
    stranger = _key(13)
    as_stranger = RegistryClient(ledger.as_account(stranger))
    with pytest.raises(revert_class("RegistryNotStationOperator")) as e:
        as_stranger.register_station(_params(world, operator=stranger.address))
    assert e.value.arguments == {"account": stranger.address, "stationId": 0}
    with pytest.raises(revert_class("RegistryNotStationOperator")) as e:
        _device(as_stranger, station, _key(14).address)
    assert e.value.arguments == {"account": stranger.address, "stationId": station}
    with pytest.raises(revert_class("RegistryNotStationOperator")) as e:
        as_stranger.ledger.transact("Registry", "setDeviceSigner", 1, _key(14).address)
    assert e.value.arguments == {"account": stranger.address, "stationId": station}
    with pytest.raises(revert_class("RegistryNotStationOperator")):
        as_stranger.ledger.transact("Registry", "deactivateDevice", 1)
    with pytest.raises(revert_class("RegistryNotLeaseManager")) as e:
        as_stranger.set_lease(station, stranger.address, MWH, 0, 1)
    assert e.value.arguments == {"account": stranger.address, "stationId": station}
    with pytest.raises(revert_class("AccessControlUnauthorizedAccount")) as e:
        as_stranger.set_oracle_set([stranger.address], 1)
    assert e.value.arguments == {"account": stranger.address, "neededRole": b"\0" * 32}
    # A station operator may not register a station for someone else.
    operator = RegistryClient(ledger.as_account(world.station_operator))
    with pytest.raises(revert_class("RegistryNotStationOperator")):
        operator.register_station(_params(world, operator=stranger.address))
    assert int(ledger.view("Registry", "stationCount")) == 1


def test_station_operator_and_grid_operator_rights(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    operator = RegistryClient(ledger.as_account(world.station_operator))
    grid = RegistryClient(ledger.as_account(world.grid_operator))
    grid.set_lease(station, gen, 7 * MWH, 10, 20)
    assert ledger.view("Registry", "leaseOf", station, gen) == (7 * MWH, 10, 20)
    operator.set_lease(station, gen, 8 * MWH, 10, 30)
    assert ledger.view("Registry", "isLeaseActive", station, gen, 29) is True
    assert ledger.view("Registry", "isLeaseActive", station, gen, 30) is False
    own = operator.register_station(_params(world))
    device = _device(operator, own, _key(14).address)
    assert operator.device(device).station_id == own


def test_lease_and_device_input_errors(ledger: Ledger, world: World, station: int) -> None:
    registry = RegistryClient(ledger)
    with pytest.raises(revert_class("RegistryInvalidLeaseWindow")) as e:
        registry.set_lease(station, _key(13).address, MWH, 50, 50)
    assert e.value.arguments == {"validFrom": 50, "validTo": 50}
    with pytest.raises(revert_class("RegistryZeroAddress")):
        registry.set_lease(station, ZERO, MWH, 0, 1)
    with pytest.raises(revert_class("RegistryUnknownStation")) as e:
        registry.set_lease(42, _key(13).address, MWH, 0, 1)
    assert e.value.arguments == {"stationId": 42}
    with pytest.raises(revert_class("RegistryUnknownStation")):
        registry.station(42)
    with pytest.raises(revert_class("RegistryInvalidDeviceKind")) as e:
        ledger.transact("Registry", "registerDevice", station, 3, _key(13).address, 50, 1, "x")
    assert e.value.arguments == {"kind": 3}
    with pytest.raises(revert_class("RegistryZeroAddress")):
        _device(registry, station, ZERO)
    used = world.devices[0].address
    with pytest.raises(revert_class("RegistrySignerInUse")) as e:
        _device(registry, station, used)
    assert e.value.arguments == {"signer": used, "deviceId": registry.device_of(used)}
    with pytest.raises(revert_class("RegistryUnknownDevice")) as e:
        registry.device(999)
    assert e.value.arguments == {"deviceId": 999}


def test_device_key_rotation(ledger: Ledger, world: World, station: int) -> None:
    registry = RegistryClient(ledger)
    operator = RegistryClient(ledger.as_account(world.station_operator))
    old = world.devices[1].address
    device = registry.device_of(old)
    new = _key(14).address
    receipt = operator.ledger.transact("Registry", "setDeviceSigner", device, new)
    (event,) = receipt_events(registry.contract.events.DeviceSignerChanged(), receipt)
    assert dict(event["args"]) == {"deviceId": device, "previousSigner": old, "newSigner": new}
    assert registry.device(device).signer == new
    assert (registry.device_of(new), registry.device_of(old)) == (device, 0)
    other = registry.device_of(world.devices[2].address)
    with pytest.raises(revert_class("RegistrySignerInUse")) as e:
        operator.ledger.transact("Registry", "setDeviceSigner", other, new)
    assert e.value.arguments == {"signer": new, "deviceId": device}
    with pytest.raises(revert_class("RegistryZeroAddress")):
        operator.ledger.transact("Registry", "setDeviceSigner", device, ZERO)
    operator.ledger.transact("Registry", "deactivateDevice", device)
    assert registry.device(device).active is False
    for fn, args in (
        ("setDeviceSigner", (device, _key(15).address)),
        ("deactivateDevice", (device,)),
    ):
        with pytest.raises(revert_class("RegistryDeviceInactive")) as e:
            operator.ledger.transact("Registry", fn, *args)
        assert e.value.arguments == {"deviceId": device}


def test_oracle_set_validation(ledger: Ledger) -> None:
    registry = RegistryClient(ledger)
    a, b = _key(13).address, _key(14).address
    for signers, threshold in (([a], 0), ([a], 2), ([], 1)):
        with pytest.raises(revert_class("RegistryInvalidOracleSet")) as e:
            registry.set_oracle_set(signers, threshold)
        assert e.value.arguments == {"signerCount": len(signers), "threshold": threshold}
    with pytest.raises(revert_class("RegistryDuplicateOracle")) as e:
        registry.set_oracle_set([a, b, a], 2)
    assert e.value.arguments == {"signer": a}
    with pytest.raises(revert_class("RegistryZeroAddress")):
        registry.set_oracle_set([a, ZERO], 1)


def test_oracle_set_at_after_a_change(ledger: Ledger, world: World, station: int) -> None:
    registry = RegistryClient(ledger)
    first = registry.oracle_config()
    old_signers = sorted((o.address for o in world.oracles), key=lambda x: int(x, 16))
    assert registry.oracle_set_at(first.version) == (old_signers, 2, first.digest)
    new_oracles = [world.oracles[0], _key(13)]
    new_signers = sorted((o.address for o in new_oracles), key=lambda x: int(x, 16))
    second = registry.set_oracle_set(new_signers, 2)
    assert second.version == first.version + 1 and second.digest != first.digest
    assert registry.oracle_set_at(first.version) == (old_signers, 2, first.digest)
    assert registry.oracle_set_at(second.version) == (new_signers, 2, second.digest)
    for bad in (0, second.version + 1):
        with pytest.raises(revert_class("RegistryUnknownOracleVersion")) as e:
            registry.oracle_set_at(bad)
        assert e.value.arguments == {"version": bad}
    dropped = world.oracles[1].address
    assert ledger.view("Registry", "isOracle", dropped) is False
    assert ledger.view("Registry", "oracleIndex", new_signers[1]) == 2


def test_ledger_follows_an_oracle_set_change(ledger: Ledger, world: World, station: int) -> None:
    gen = world.participants[0].address
    client = StorageLedgerClient(ledger)
    old = report(ledger, station, 0, {gen: (MWH, 0)})
    submit(ledger, world, old)  # the ledger now remembers oracles 0 and 1 as members
    registry = RegistryClient(ledger)
    newcomer = _key(13)
    members = sorted((world.oracles[0].address, newcomer.address), key=lambda x: int(x, 16))
    config = registry.set_oracle_set(members, 2)
    stale = report(ledger, station, 1, {gen: (2 * MWH, 0)})
    stale = replace(stale, config_digest=old.config_digest)
    with pytest.raises(revert_class("StorageLedgerConfigDigestMismatch")) as e:
        submit(ledger, world, stale)
    assert e.value.arguments["current"] == config.digest
    fresh = report(ledger, station, 1, {gen: (2 * MWH, 0)})
    assert fresh.config_digest == config.digest

    def signed_by(*keys: LocalAccount) -> list[bytes]:
        return ordered_signatures(
            (k.address, sign_report(fresh, k.key, ledger.chain_id, client.address)) for k in keys
        )

    removed = world.oracles[1]  # was cached as a member under the old version
    with pytest.raises(revert_class("StorageLedgerSignerNotOracle")) as e:
        client.submit(fresh, signed_by(world.oracles[0], removed))
    assert e.value.arguments == {"signer": removed.address}
    client.submit(fresh, signed_by(world.oracles[0], newcomer))
    assert client.account_of(station, gen).charged_wh == 2 * MWH
    assert client.latest_interval(station)[0] == DAY_START + 900
