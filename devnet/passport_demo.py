"""The demo's battery story (梯次利用): an EV maker builds a 75 kWh LFP pack with a passport; after
its vehicle life it is sold to a repurposer, who repurposes it for stationary storage (a new
passport linked to its predecessor, a new GB/T 34014 code, the original kept in the lineage) and
sells it to the Qinghai station's operator; the operator installs it next to two rack packs (a
new one and a three-year-old one), each measured by its own BMS; the oracle quorum anchors every
pack's daily health snapshot over the simulated weeks before the demo day, batched per day; the
second-life pack is verified from the chain and the archive alone.

Call `run_passport_story(ledger, world, station_id, archive_dir)` after `register_world`; it
returns the demo JSON's `passports` list (each with its `predecessor`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from devnet.world import DAY_START, World
from ledger.client import Ledger
from ledger.errors import ContractRevert
from ledger.keys import devnet_keys
from ledger.passport_model import assess
from ledger.passport_snapshots import DAY
from ledger.passports import Category, PassportParams, PassportsClient, created_key
from ledger.readings import DeviceDomain
from ledger.registry import DeviceKind, RegistryClient
from ledger.verify.passport import verify_passport
from oracle.passport import PackBinding, day_snapshots, quorum_sign
from oracle.sources.pack_simulator import PackSimulator, SimPack, demo_packs

SEED = 2026
DAYS = 21  # three simulated weeks, ending the day before the demo day
PERIOD_S = 600  # BMS sample period in the demo (a real BMS samples every 1-10 s)
EV_ID = "urn:iso15459:QHDEMO:EV:LFP75:000417"
SECOND_LIFE_ID = "urn:iso15459:QHDEMO:ESS:SL:000417"


@dataclass(frozen=True)
class StoryActors:
    oem: LocalAccount  # EV maker (economic operator)
    repurposer: LocalAccount  # second-life integrator (economic operator)
    recycler: LocalAccount


def story_actors() -> StoryActors:
    keys = devnet_keys()
    return StoryActors(
        Account.from_key(keys[13]), Account.from_key(keys[14]), Account.from_key(keys[15])
    )


def grant_passport_roles(ledger: Ledger, actors: StoryActors) -> None:
    registry = RegistryClient(ledger)
    for account in (actors.oem, actors.repurposer):
        if not registry.has_role("ECONOMIC_OPERATOR_ROLE", account.address):
            registry.grant("ECONOMIC_OPERATOR_ROLE", account.address)
    if not registry.has_role("RECYCLER_ROLE", actors.recycler.address):
        registry.grant("RECYCLER_ROLE", actors.recycler.address)


def register_pack_bms(
    ledger: Ledger, world: World, station_id: int, packs: tuple[SimPack, ...]
) -> list[int]:
    """Each pack's BMS as a registry device of the station (signed by the station operator);
    an already registered key is reused."""
    registry = RegistryClient(ledger.as_account(world.station_operator))
    ids = []
    for i, p in enumerate(packs):
        existing = registry.device_of(p.address)
        ids.append(
            existing
            or registry.register_device(
                station_id,
                DeviceKind.BMS,
                p.address,
                accuracy_class_bps=100,
                rated_power_w=p.rated_wh,
                external_code=f"QH-PACK-BMS-{i + 1:02d}",
            )
        )
    return ids


def pack_params(
    pack: SimPack, passport_id: str, gbt: str, owner: str, category: Category, made: int
) -> PassportParams:
    return PassportParams(
        passport_id=passport_id,
        gbt_code=gbt,
        manufacturer="Qinghai Demo Cells Co.",
        chemistry="LFP/graphite",
        category=category,
        rated_capacity_wh=pack.rated_wh,
        nominal_voltage_mv=pack.cells_in_series * 3_200,
        expected_cycle_life=6_000 if category is Category.INDUSTRIAL else 3_000,
        manufactured_at=made,
        carbon_footprint_g_per_kwh=62_000,
        attributes_hash=bytes(Web3.keccak(text=f"battery pass static attributes: {passport_id}")),
        owner=owner,
    )


def _passport_json(client: PassportsClient, key: bytes) -> dict[str, Any]:
    p = client.passport(key)
    created = client.created(key)
    series = [a.snapshot for a in client.snapshots(key)]
    predecessor = None
    if p.predecessor is not None:
        before = client.created(p.predecessor).params
        predecessor = {
            "key": "0x" + p.predecessor.hex(),
            "passport_id": before.passport_id,
            "gbt_code": before.gbt_code,
            "status": client.passport(p.predecessor).status.name.lower(),
            "closed": client.passport(p.predecessor).closed,
        }
    model = assess(created.params, series) if series else None
    return {
        "key": "0x" + key.hex(),
        "passport_id": created.params.passport_id,
        "gbt_code": created.params.gbt_code,
        "category": created.params.category.name.lower(),
        "status": p.status.name.lower(),
        "owner": p.owner,
        "station_id": p.station_id,
        "bms_device": p.bms_device,
        "predecessor": predecessor,
        "snapshots": len(series),
        "soh_bps": p.soh_bps,
        "cycle_count": p.cycle_count,
        "eligibility": None if model is None else model.eligibility.value,
        "remaining_cycles": None if model is None else model.remaining_cycles.value,
        "remaining_years": None if model is None else model.remaining_years.value,
        "safety": None if model is None else model.safety.value,
    }


def run_passport_story(
    ledger: Ledger,
    world: World,
    station_id: int,
    archive_dir: Path,
    *,
    days: int = DAYS,
    period_s: int = PERIOD_S,
    say: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Tell the story on a deployed suite (admin `ledger`); on a chain that already has it,
    return the passports as they are."""
    actors = story_actors()
    grant_passport_roles(ledger, actors)
    packs = demo_packs(SEED)
    devices = register_pack_bms(ledger, world, station_id, packs)
    admin = PassportsClient(ledger)
    oem = PassportsClient(ledger.as_account(actors.oem))
    repurposer = PassportsClient(ledger.as_account(actors.repurposer))
    operator = PassportsClient(ledger.as_account(world.station_operator))
    op_address = world.station_operator.address
    ids = [
        "urn:iso15459:QHDEMO:ESS:RACK:000001",
        "urn:iso15459:QHDEMO:ESS:RACK:000002",
        SECOND_LIFE_ID,
    ]
    try:
        admin.passport(SECOND_LIFE_ID)
        return [_passport_json(admin, admin.passport(i).key) for i in ids]
    except ContractRevert:
        pass
    first_day = DAY_START // DAY - days
    ev = pack_params(
        packs[2], EV_ID, "036PEV5C20210417QH0417", actors.oem.address, Category.EV, 1_618_000_000
    )
    ev_key = created_key(oem, oem.create(ev))
    oem.transfer(ev_key, actors.repurposer.address)
    second = pack_params(
        packs[2],
        SECOND_LIFE_ID,
        "036PBC5C2026SL0417QH01",
        actors.repurposer.address,
        Category.INDUSTRIAL,
        1_618_000_000,
    )
    keys = [
        created_key(
            oem,
            oem.create(
                pack_params(
                    packs[0],
                    ids[0],
                    "036PBC5C2026QH000001",
                    op_address,
                    Category.INDUSTRIAL,
                    DAY_START - 90 * DAY,
                )
            ),
        ),
        created_key(
            oem,
            oem.create(
                pack_params(
                    packs[1],
                    ids[1],
                    "036PBC5C2023QH000002",
                    op_address,
                    Category.INDUSTRIAL,
                    DAY_START - 3 * 365 * DAY,
                )
            ),
        ),
        created_key(repurposer, repurposer.repurpose(ev_key, second)),
    ]
    repurposer.transfer(keys[2], op_address)
    for key, device in zip(keys, devices, strict=True):
        operator.install(key, station_id, device)
    if say:
        say(f"passports: EV pack {EV_ID} repurposed as {SECOND_LIFE_ID}; 3 packs installed")
    bindings = [PackBinding(k, d, p.address) for k, d, p in zip(keys, devices, packs, strict=True)]
    registry = ledger.deployment.address("Registry")
    sim = PackSimulator(
        SEED, first_day, packs, station_id, DeviceDomain(ledger.chain_id, registry), period_s
    )
    oracle_keys = [bytes(o.key) for o in world.oracles]
    digest = RegistryClient(ledger).oracle_config().digest
    for _ in range(days):
        day = sim.day
        readings = sim.next_day()
        made = day_snapshots(
            bindings,
            readings,
            station_id=station_id,
            day=day,
            config_digest=digest,
            archive=archive_dir,
            chain_id=ledger.chain_id,
            registry=registry,
        )
        snapshots = [m.snapshot for m in made]
        sigs = quorum_sign(
            snapshots,
            readings,
            bindings,
            oracle_keys,
            world.threshold,
            chain_id=ledger.chain_id,
            passports_address=admin.address,
            batch=True,
        )
        admin.submit_batch(snapshots, sigs)
    out = [_passport_json(admin, k) for k in keys]
    verdict = verify_passport(ledger, keys[2], str(archive_dir), workers=1)
    out[2]["verified"] = verdict.ok
    if say:
        say(
            f"passports: {days} days of snapshots for 3 packs; second-life pack "
            f"verified: {verdict.ok}"
        )
    return out
