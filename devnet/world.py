"""The demo world: one 100 MW / 200 MWh shared station in Qinghai, three generators and two
consumers with leases, a BMS and one revenue meter per participant channel, and three oracle
nodes with a 2-of-3 threshold. Keys are deterministic so every run tells the same story."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

from ledger.client import Ledger
from ledger.keys import devnet_keys
from ledger.kinds import DeviceKind
from ledger.onboarding import apply, plan
from ledger.registry import StationParams
from ledger.reports import IntervalReport, ordered_signatures, sign_report
from ledger.station_file import Party, StationFile, parse_station_file

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


def demo_world(keys: Sequence[str] | None = None) -> World:
    """The demo world; `keys` are 13 private keys for its parties (default: anvil's public
    devnet keys, which only the devnet accepts)."""
    accounts = [Account.from_key(k) for k in (keys or devnet_keys())]
    participants = (
        Participant("Qinghai Wind 1", "generator", accounts[5], 30 * MWH),
        Participant("Golmud Solar 2", "generator", accounts[6], 30 * MWH),
        Participant("Hainan PV 3", "generator", accounts[7], 20 * MWH),
        Participant("Xining Steel", "consumer", accounts[8], 35 * MWH),
        Participant("Haidong Data Center", "consumer", accounts[9], 25 * MWH),
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
        operator=accounts[2].address,
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
        oracles=(accounts[10], accounts[11], accounts[12]),
        threshold=2,
        admin=accounts[0],
        grid_operator=accounts[1],
        station_operator=accounts[2],
        verifier=accounts[3],
        regulator=accounts[4],
    )


LEASE_FROM = DAY_START - 86_400
LEASE_TO = DAY_START + 365 * 86_400
DEMO_STATION_FILE = Path(__file__).with_name("qinghai_station.toml")


def world_station_file(world: World) -> StationFile:
    """The world as a station file, signed by its own admin, station and grid operators."""
    s = world.station
    data: dict[str, object] = {
        "station": {
            "external_code": s.external_code,
            "operator": s.operator,
            "rated_power_w": s.rated_power_w,
            "capacity_wh": s.capacity_wh,
            "round_trip_efficiency_bps": s.round_trip_efficiency_bps,
            "region": s.region,
            "interval_seconds": s.interval_seconds,
            "grid_start": s.grid_start,
        },
        "roles": {
            "grid_operators": [world.grid_operator.address],
            "verifiers": [world.verifier.address],
            "regulators": [world.regulator.address],
        },
        "oracle": {
            "threshold": world.threshold,
            "signers": sorted((o.address for o in world.oracles), key=lambda a: int(a, 16)),
        },
        "devices": [
            {
                "name": d.name,
                "kind": d.kind.label.value,
                "signer": d.address,
                "external_code": d.external_code,
                "rated_power_w": d.rated_power_w,
                "accuracy_class_bps": d.accuracy_class_bps,
            }
            | ({"participant": d.participant} if d.participant else {})
            for d in world.devices
        ],
        "leases": [
            {
                "participant": p.address,
                "name": p.name,
                "leased_wh": p.leased_wh,
                "valid_from": LEASE_FROM,
                "valid_to": LEASE_TO,
            }
            for p in world.participants
        ],
        "signers": {
            "admin": {"key": world.admin.key.hex()},
            "station_operator": {"key": world.station_operator.key.hex()},
            "grid_operator": {"key": world.grid_operator.key.hex()},
        },
    }
    return parse_station_file(data, "demo world")


def register_world(ledger: Ledger, world: World) -> int:
    """Bring the chain to the world's station file (roles, the station, its devices, the
    leases and the oracle set), each write signed by its party's key. Returns the station id;
    a world already registered on this chain plans no change and is reused."""
    spec = world_station_file(world)

    def signer(account: LocalAccount) -> Ledger:
        return ledger if ledger.tx.address == account.address else ledger.as_account(account)

    parties: dict[Party, Ledger] = {
        "admin": signer(world.admin),
        "station_operator": signer(world.station_operator),
        "grid_operator": signer(world.grid_operator),
    }
    return apply(plan(ledger, spec), parties)


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
