"""The demo world: one 100 MW / 200 MWh shared station in Qinghai, three generators and two
consumers with leases, a BMS and one revenue meter per participant channel, and three oracle
nodes with a 2-of-3 threshold. Keys are deterministic so every run tells the same story."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

from ledger.client import Ledger
from ledger.keys import devnet_keys
from ledger.registry import DeviceKind, RegistryClient, StationParams
from ledger.reports import IntervalReport, ordered_signatures, sign_report

DAY_START = 1_795_363_200  # 2026-11-22 16:00 UTC = 2026-11-23 00:00 in China (UTC+8)
INTERVAL_S = 900
MWH = 1_000_000  # Wh
PARTICIPANT_POWER_W = 20_000_000  # each channel's share of the 100 MW converter


@dataclass(frozen=True)
class Participant:
    name: str
    role: str  # "generator" | "consumer"
    account: LocalAccount
    leased_wh: int

    @property
    def address(self) -> str:
        return str(self.account.address)


@dataclass(frozen=True)
class Device:
    name: str
    kind: DeviceKind
    account: LocalAccount
    external_code: str
    rated_power_w: int
    accuracy_class_bps: int
    participant: str | None  # the metered channel; None for the BMS

    @property
    def address(self) -> str:
        return str(self.account.address)


@dataclass(frozen=True)
class World:
    station: StationParams
    participants: tuple[Participant, ...]
    devices: tuple[Device, ...]
    oracles: tuple[LocalAccount, ...]
    threshold: int
    admin: LocalAccount
    grid_operator: LocalAccount
    station_operator: LocalAccount
    verifier: LocalAccount
    regulator: LocalAccount


def device_key(name: str) -> LocalAccount:
    return Account.from_key(keccak(f"essl-demo-device:{name}".encode()))


def demo_world() -> World:
    keys = [Account.from_key(k) for k in devnet_keys()]
    participants = (
        Participant("Qinghai Wind 1", "generator", keys[5], 30 * MWH),
        Participant("Golmud Solar 2", "generator", keys[6], 30 * MWH),
        Participant("Hainan PV 3", "generator", keys[7], 20 * MWH),
        Participant("Xining Steel", "consumer", keys[8], 35 * MWH),
        Participant("Haidong Data Center", "consumer", keys[9], 25 * MWH),
    )
    devices = [
        Device(
            "BMS",
            DeviceKind.BMS,
            device_key("bms"),
            "GBT34014-036PBC5C000001QH0001",
            100_000_000,
            100,
            None,
        ),
    ]
    for i, p in enumerate(participants, start=1):
        devices.append(
            Device(
                f"meter {i}",
                DeviceKind.REVENUE_METER,
                device_key(f"meter-{i}"),
                f"ISO15459-QH-ESS-M{i:03d}",
                50_000_000,
                50,
                p.address,
            )
        )
    station = StationParams(
        operator=keys[2].address,
        rated_power_w=100_000_000,
        capacity_wh=200 * MWH,
        round_trip_efficiency_bps=8800,
        region="CN-QH",
        interval_seconds=INTERVAL_S,
        grid_start=0,
        external_code="QH-GOLMUD-SHARED-ESS-01",
    )
    return World(
        station=station,
        participants=participants,
        devices=tuple(devices),
        oracles=(keys[10], keys[11], keys[12]),
        threshold=2,
        admin=keys[0],
        grid_operator=keys[1],
        station_operator=keys[2],
        verifier=keys[3],
        regulator=keys[4],
    )


def register_world(ledger: Ledger, world: World) -> int:
    """Register roles, the station, its devices, the leases and the oracle set. Returns the
    station id; a world already registered on this chain is found and reused."""
    registry = RegistryClient(ledger)
    existing = registry.device_of(world.devices[0].address)
    if existing:
        return int(registry.device(existing)["station_id"])
    registry.grant("GRID_OPERATOR_ROLE", world.grid_operator.address)
    registry.grant("STATION_OPERATOR_ROLE", world.station_operator.address)
    registry.grant("VERIFIER_ROLE", world.verifier.address)
    registry.grant("REGULATOR_ROLE", world.regulator.address)
    station_id = registry.register_station(world.station)
    for d in world.devices:
        registry.register_device(
            station_id,
            d.kind,
            d.address,
            accuracy_class_bps=d.accuracy_class_bps,
            rated_power_w=d.rated_power_w,
            external_code=d.external_code,
        )
    for p in world.participants:
        registry.set_lease(
            station_id, p.address, p.leased_wh, DAY_START - 86_400, DAY_START + 365 * 86_400
        )
    registry.set_oracle_set(
        sorted((o.address for o in world.oracles), key=lambda a: int(a, 16)), world.threshold
    )
    return station_id


def oracle_signatures(
    ledger: Ledger, world: World, report: IntervalReport, count: int | None = None
) -> list[bytes]:
    """The first `count` (default: threshold) demo oracles' signatures, in contract order."""
    address = ledger.deployment.address("StorageLedger")
    signed = [
        (o.address, sign_report(report, o.key, ledger.chain_id, address))
        for o in world.oracles[: count or world.threshold]
    ]
    return ordered_signatures(signed)
