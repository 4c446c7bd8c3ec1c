"""Builders for passport tests: the demo world registered with an EV maker, a repurposer and a
recycler holding their roles, extra BMS devices for packs, passport parameters and signed
snapshots."""

from __future__ import annotations

from dataclasses import dataclass, replace

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from devnet.world import World, device_key, register_world
from ledger.client import Ledger
from ledger.keys import devnet_keys
from ledger.passport_snapshots import Snapshot, quorum_signatures
from ledger.passports import Category, PassportParams, PassportsClient, created_key
from ledger.registry import DeviceKind, RegistryClient

DAY0 = 20_780  # 2026-11-23 (unix day index)


@dataclass
class PassportActors:
    world: World
    station: int
    admin: PassportsClient
    oem: PassportsClient  # EV maker: ECONOMIC_OPERATOR_ROLE
    repurposer: PassportsClient  # ECONOMIC_OPERATOR_ROLE
    operator: PassportsClient  # the demo station's operator (no passport role)
    recycler: PassportsClient  # RECYCLER_ROLE
    stranger: PassportsClient
    bms: tuple[int, ...]  # registry device ids of pack BMS devices at the station
    bms_keys: tuple[LocalAccount, ...]

    def address(self, who: PassportsClient) -> str:
        return who.ledger.tx.address


def key(i: int) -> LocalAccount:
    return Account.from_key(devnet_keys()[i])


def make_actors(ledger: Ledger, world: World, packs: int = 2) -> PassportActors:
    station = register_world(ledger, world)
    registry = RegistryClient(ledger)
    oem, repurposer, recycler, stranger = key(13), key(14), key(15), key(16)
    registry.grant("ECONOMIC_OPERATOR_ROLE", oem.address)
    registry.grant("ECONOMIC_OPERATOR_ROLE", repurposer.address)
    registry.grant("RECYCLER_ROLE", recycler.address)
    as_operator = RegistryClient(ledger.as_account(world.station_operator))
    bms_keys = tuple(device_key(f"test-pack-bms-{i}") for i in range(packs))
    devices = tuple(
        as_operator.register_device(
            station,
            DeviceKind.BMS,
            k.address,
            accuracy_class_bps=100,
            rated_power_w=1_000_000,
            external_code=f"TEST-PACK-BMS-{i}",
        )
        for i, k in enumerate(bms_keys)
    )

    def as_(account: LocalAccount) -> PassportsClient:
        return PassportsClient(ledger.as_account(account))

    return PassportActors(
        world=world,
        station=station,
        admin=PassportsClient(ledger),
        oem=as_(oem),
        repurposer=as_(repurposer),
        operator=as_(world.station_operator),
        recycler=as_(recycler),
        stranger=as_(stranger),
        bms=devices,
        bms_keys=bms_keys,
    )


def params(n: int, owner: str, **changes: object) -> PassportParams:
    base = PassportParams(
        passport_id=f"urn:iso15459:TEST:EVPACK:{n:06d}",
        gbt_code=f"036PBC5C0000{n:06d}",
        manufacturer="Test Cells Co.",
        chemistry="LFP/graphite",
        category=Category.EV,
        rated_capacity_wh=75_000,
        nominal_voltage_mv=350_000,
        expected_cycle_life=3_000,
        manufactured_at=1_640_995_200,
        carbon_footprint_g_per_kwh=75_000,
        attributes_hash=bytes(Web3.keccak(text=f"attributes {n}")),
        owner=owner,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def create(client: PassportsClient, p: PassportParams) -> bytes:
    return created_key(client, client.create(p))


def snapshot(passport: bytes, day: int, device: int, digest: bytes, **changes: object) -> Snapshot:
    base = Snapshot(
        passport=passport,
        day=day,
        device_id=device,
        telemetry_root=bytes(Web3.keccak(text=f"telemetry {day}")),
        reading_count=8_640,
        config_digest=digest,
        soh_bps=8_200,
        cycle_count=1_000 + day - DAY0,
        charged_wh_total=60_000 * (day - DAY0 + 1),
        discharged_wh_total=55_000 * (day - DAY0 + 1),
        efficiency_bps=9_100,
        resistance_micro_ohm=0,
        cell_min_milli_volts=3_050,
        cell_max_milli_volts=3_420,
        temp_min_deci_c=180,
        temp_max_deci_c=330,
        extreme_temp_seconds=0,
        deep_discharge_events=0,
        overcharge_events=0,
        over_temp_events=0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def oracle_sigs(
    client: PassportsClient, world: World, s: Snapshot | list[Snapshot], count: int | None = None
) -> list[bytes]:
    keys = [o.key for o in world.oracles[: count or world.threshold]]
    return quorum_signatures(keys, client.ledger.chain_id, client.address, s)


def config_digest(ledger: Ledger) -> bytes:
    return RegistryClient(ledger).oracle_config().digest


def installed_pack(a: PassportActors, n: int = 1, device_index: int = 0) -> bytes:
    """A passport created by the EV maker, sold to the station operator and installed on
    `a.bms[device_index]`."""
    operator = a.address(a.operator)
    passport = create(a.oem, params(n, a.address(a.oem)))
    a.oem.transfer(passport, operator)
    a.operator.install(passport, a.station, a.bms[device_index])
    return passport
