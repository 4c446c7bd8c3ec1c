"""Battery passports: gas on a London anvil and the verifier's speed.

Gas (each figure the average over the run, with the worst case beside it):
- create_gas (an Original passport), transfer_gas (owner and holder to the station operator),
  install_gas, repurpose_gas (new linked passport, predecessor closed);
- single_snapshot_gas: one pack's daily snapshot, 2-of-3 oracle signatures, steady state (after
  the pack's first snapshot), over 30 days; pack_month_gas: those 30 days summed;
- batched_snapshot_gas_per_pack: one submitSnapshotBatch per day for 10 packs under one
  signature set, per pack, over 30 days; batch_of_one_gas: submitSnapshotBatch with one
  snapshot (against single_snapshot_gas: what a day with one pack ready costs either way);
- oracle_single_gas_per_pack / oracle_batched_gas_per_pack: the running oracle's path
  (oracle/passport_days.py: PassportDays closes the day from the packs' signed BMS readings,
  the nodes co-sign, the outbox row is written, SnapshotRelay sends) for the same 10 packs,
  ORACLE_DAYS days each sending every snapshot alone, then ORACLE_DAYS days one batch a day;
  gas per pack per day; oracle_batched_2_packs_gas_per_pack: the same for a station of 2 packs.

Verify: one pack at 1 Hz (86,400 signed BMS readings a day) for ESSL_BENCH_PASSPORT_DAYS days
(default 2; 30 is the full pack-month, about 2.6 M readings and 1.6 GB of batch files), archived
and anchored, then `ledger.verify.passport` timed (root, every device signature, the summary
recomputed, oracle signatures). The reference is the credit verifier's per-batch check
(`ledger.verify.signatures.check_batch`, what `python -m bench verify` times) over the same
files with the same number of processes; pack_month_verify_seconds extrapolates the measured
rate to 2,592,000 readings."""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from web3 import Web3

from bench.chain import bench_chain
from devnet.passport_demo import grant_passport_roles, pack_params, register_pack_bms, story_actors
from devnet.world import DAY_START, demo_world, register_world
from ledger.passport_snapshots import DAY, Snapshot, quorum_signatures
from ledger.passports import Category, PassportsClient, created_key
from ledger.readings import DeviceDomain
from ledger.registry import RegistryClient
from ledger.verify.passport import verify_passport
from ledger.verify.signatures import check_batch_job
from oracle.outbox import Outbox
from oracle.passport import PackBinding, day_snapshots, quorum_sign
from oracle.passport_days import PackPassport, PassportDays, SnapshotRelay
from oracle.sources.pack_simulator import PackSimulator, SimPack, pack_key

PACKS = 10
DAYS = 30
ORACLE_DAYS = 10
ORACLE_PERIOD_S = 600  # 144 readings per pack-day (the count does not change the gas)
PACK_MONTH_READINGS = 30 * 86_400


def _stats(values: list[int]) -> dict[str, int]:
    return {"avg": sum(values) // len(values), "worst": max(values)}


def _snapshot(key: bytes, day: int, device: int, digest: bytes, i: int) -> Snapshot:
    return Snapshot(
        passport=key,
        day=day,
        device_id=device,
        telemetry_root=bytes(Web3.keccak(text=f"{i}/{day}")),
        reading_count=86_400,
        config_digest=digest,
        soh_bps=9_300 - (day % 100),
        cycle_count=1_100 + day % 1_000,
        charged_wh_total=280_000 * (day % 10_000 + 1) + i,
        discharged_wh_total=270_000 * (day % 10_000 + 1) + i,
        efficiency_bps=9_350,
        resistance_micro_ohm=0,
        cell_min_milli_volts=3_012,
        cell_max_milli_volts=3_408,
        temp_min_deci_c=163,
        temp_max_deci_c=342,
        extreme_temp_seconds=0,
        deep_discharge_events=0,
        overcharge_events=0,
        over_temp_events=0,
    )


def run(progress: bool = True) -> dict[str, Any]:
    def say(message: str) -> None:
        if progress:
            print(message, flush=True)

    figures: dict[str, Any] = {}
    with bench_chain() as ledger, tempfile.TemporaryDirectory() as tmp:
        world = demo_world()
        station = register_world(ledger, world)
        actors = story_actors()
        grant_passport_roles(ledger, actors)
        packs = [
            SimPack(f"bench {i}", pack_key(9, f"bench-{i}"), 280_000, 9_300, 1_100, 0.6)
            for i in range(PACKS + 1)
        ]
        devices = register_pack_bms(ledger, world, station, tuple(packs))
        admin = PassportsClient(ledger)
        oem = PassportsClient(ledger.as_account(actors.oem))
        operator = PassportsClient(ledger.as_account(world.station_operator))
        op = world.station_operator.address
        create, transfer, install, keys = [], [], [], []
        for i, p in enumerate(packs):
            params = pack_params(
                p,
                f"urn:iso15459:BENCH:{i}",
                f"BENCH-GBT-{i:04d}",
                actors.oem.address,
                Category.INDUSTRIAL,
                DAY_START,
            )
            receipt = oem.create(params)
            create.append(int(receipt["gasUsed"]))
            key = created_key(oem, receipt)
            transfer.append(int(oem.transfer(key, op)["gasUsed"]))
            install.append(int(operator.install(key, station, devices[i])["gasUsed"]))
            keys.append(key)
        repurpose = []
        for i in range(3):
            ev = pack_params(
                packs[0],
                f"urn:iso15459:BENCH:EV:{i}",
                f"BENCH-EV-{i}",
                actors.oem.address,
                Category.EV,
                DAY_START,
            )
            ev_key = created_key(oem, oem.create(ev))
            new = pack_params(
                packs[0],
                f"urn:iso15459:BENCH:SL:{i}",
                f"BENCH-SL-{i}",
                actors.oem.address,
                Category.INDUSTRIAL,
                DAY_START,
            )
            repurpose.append(int(oem.repurpose(ev_key, new)["gasUsed"]))
        figures |= {
            "create_gas": _stats(create),
            "transfer_gas": _stats(transfer),
            "install_gas": _stats(install),
            "repurpose_gas": _stats(repurpose),
        }
        say(
            f"create {create[1]}, transfer {transfer[1]}, install {install[1]}, "
            f"repurpose {repurpose}"
        )

        digest = RegistryClient(ledger).oracle_config().digest
        oracle_keys = [bytes(o.key) for o in world.oracles[: world.threshold]]
        chain_id, address = ledger.chain_id, admin.address
        first_day = DAY_START // DAY - 2 * DAYS - 2
        single = []
        for d in range(DAYS + 1):
            s = _snapshot(keys[0], first_day + d, devices[0], digest, 0)
            sigs = quorum_signatures(oracle_keys, chain_id, address, s)
            single.append(int(admin.submit_snapshot(s, sigs)["gasUsed"]))
        figures["first_snapshot_gas"] = single[0]
        figures["single_snapshot_gas"] = _stats(single[1:])
        figures["pack_month_gas"] = sum(single[1:])
        say(f"single snapshot: first {single[0]}, steady {figures['single_snapshot_gas']}")
        batched = []
        for d in range(DAYS + 1):
            batch = [
                _snapshot(keys[i], first_day + DAYS + 1 + d, devices[i], digest, i)
                for i in range(1, PACKS + 1)
            ]
            sigs = quorum_signatures(oracle_keys, chain_id, address, batch)
            batched.append(int(admin.submit_batch(batch, sigs)["gasUsed"]) // PACKS)
        figures["batched_snapshot_gas_per_pack"] = _stats(batched[1:])
        figures["batched_pack_month_gas"] = sum(batched[1:])
        say(f"batched ({PACKS} packs): {figures['batched_snapshot_gas_per_pack']} per pack")
        one = []
        for d in range(5):
            s = _snapshot(keys[0], first_day + DAYS + 1 + d, devices[0], digest, 0)
            sigs = quorum_signatures(oracle_keys, chain_id, address, [s])
            one.append(int(admin.submit_batch([s], sigs)["gasUsed"]))
        figures["batch_of_one_gas"] = _stats(one)
        say(f"batch of one: {figures['batch_of_one_gas']}")

        figures |= _oracle_bench(ledger, world, station, Path(tmp), say)
        figures |= _verify_bench(ledger, world, station, say, Path(tmp) / "archive")
        figures["targets"] = {
            "single_snapshot_gas": 60_000,
            "batched_snapshot_gas_per_pack": 25_000,
            "oracle_batched_gas_per_pack": 25_000,
            "verify_vs_bench_verify_ratio": 2.0,
        }
    return figures


def _oracle_bench(ledger: Any, world: Any, station: int, tmp: Path, say: Any) -> dict[str, Any]:
    """The oracle's path for PACKS new packs: ORACLE_DAYS days each snapshot alone, then
    ORACLE_DAYS days one batch a day (after each pack's first snapshot)."""
    actors = story_actors()
    packs = [
        SimPack(f"oracle {i}", pack_key(9, f"oracle-{i}"), 280_000, 9_300, 1_100, 0.6)
        for i in range(PACKS)
    ]
    devices = register_pack_bms(ledger, world, station, tuple(packs))
    oem = PassportsClient(ledger.as_account(actors.oem))
    operator = PassportsClient(ledger.as_account(world.station_operator))
    bound = []
    for i, p in enumerate(packs):
        passport_id = f"urn:iso15459:BENCH:ORACLE:{i}"
        made = pack_params(
            p, passport_id, f"BENCH-OR-{i:04d}", actors.oem.address, Category.INDUSTRIAL, DAY_START
        )
        key = created_key(oem, oem.create(made))
        oem.transfer(key, world.station_operator.address)
        operator.install(key, station, devices[i])
        bound.append(PackPassport(passport_id, PackBinding(key, devices[i], p.address)))
    registry = ledger.deployment.address("Registry")
    domain = DeviceDomain(ledger.chain_id, registry)
    first = DAY_START // DAY
    sim = PackSimulator(5, first, packs, station, domain, period_s=ORACLE_PERIOD_S)
    client = PassportsClient(ledger)
    out: dict[str, Any] = {}
    runs = (
        ("single", False, bound),
        ("batched", True, bound),
        ("batched_2_packs", True, bound[:2]),
    )
    for name, batch, some in runs:
        outbox = Outbox(tmp / f"oracle-{name}.sqlite")
        days = PassportDays(
            packs=some,
            station_id=station,
            interval_s=world.station.interval_seconds,
            first_interval=first * DAY,
            outbox=outbox,
            archive_dir=tmp / "oracle-archive",
            node_keys=[bytes(o.key) for o in world.oracles],
            threshold=world.threshold,
            chain_id=ledger.chain_id,
            registry_address=registry,
            passports_address=client.address,
            config_digest=RegistryClient(ledger).oracle_config().digest,
            batch=batch,
        )
        relay = SnapshotRelay(client, days)
        per_pack = []
        for _ in range(ORACLE_DAYS + (1 if name == "single" else 0)):
            day = sim.day
            days.close_day(day, some, sim.next_day())
            confirmed = relay.step()
            if len(confirmed) != len(some):
                raise RuntimeError(f"oracle {name} day {day}: {len(confirmed)} confirmed")
            txs = {r.tx_hash: r.gas_used or 0 for r in confirmed}
            per_pack.append(sum(txs.values()) // len(some))
        if name == "single":
            per_pack = per_pack[1:]  # each pack's first snapshot costs more (fresh storage)
        out[f"oracle_{name}_gas_per_pack"] = _stats(per_pack)
        out[f"oracle_{name}_transactions_per_day"] = len(txs)
        say(f"oracle path, {name}: {out[f'oracle_{name}_gas_per_pack']} per pack per day")
    return out


def _verify_bench(ledger: Any, world: Any, station: int, say: Any, archive: Path) -> dict[str, Any]:
    days = int(os.environ.get("ESSL_BENCH_PASSPORT_DAYS", "2"))
    actors = story_actors()
    pack = SimPack("verify", pack_key(9, "verify-1hz"), 280_000, 9_300, 1_100, 0.6)
    [device] = register_pack_bms(ledger, world, station, (pack,))
    oem = PassportsClient(ledger.as_account(actors.oem))
    operator = PassportsClient(ledger.as_account(world.station_operator))
    admin = PassportsClient(ledger)
    params = pack_params(
        pack,
        "urn:iso15459:BENCH:VERIFY",
        "BENCH-VERIFY",
        world.station_operator.address,
        Category.INDUSTRIAL,
        DAY_START,
    )
    key = created_key(oem, oem.create(params))
    operator.install(key, station, device)
    registry = ledger.deployment.address("Registry")
    domain = DeviceDomain(ledger.chain_id, registry)
    sim = PackSimulator(11, DAY_START // DAY - days, [pack], station, domain, period_s=1)
    binding = PackBinding(key, device, pack.address)
    digest = RegistryClient(ledger).oracle_config().digest
    oracle_keys = [bytes(o.key) for o in world.oracles]
    say(f"generating, signing and archiving {days} pack-days at 1 Hz ...")
    t0 = time.perf_counter()
    roots = []
    for _ in range(days):
        day = sim.day
        readings = sim.next_day()
        [made] = day_snapshots(
            [binding],
            readings,
            station_id=station,
            day=day,
            config_digest=digest,
            archive=archive,
            chain_id=ledger.chain_id,
            registry=registry,
        )
        sigs = quorum_sign(
            [made.snapshot],
            readings,
            [binding],
            oracle_keys,
            world.threshold,
            chain_id=ledger.chain_id,
            passports_address=admin.address,
            batch=False,
        )
        admin.submit_snapshot(made.snapshot, sigs)
        roots.append("0x" + made.snapshot.telemetry_root.hex())
    generate_s = time.perf_counter() - t0
    workers = os.cpu_count() or 1
    say(f"verifying ({workers} processes) ...")
    t1 = time.perf_counter()
    verdict = verify_passport(ledger, key, str(archive), workers=workers)
    seconds = time.perf_counter() - t1
    readings_n = verdict.checks.get("readings", 0)
    rate = readings_n / seconds
    t2 = time.perf_counter()
    jobs = [(str(archive), r, domain.separator) for r in roots]
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        checked = sum(res.readings for res in pool.map(check_batch_job, jobs))
    ref_seconds = time.perf_counter() - t2
    ref_rate = checked / ref_seconds
    say(f"passport verify {rate:.0f} readings/s, credit batch check {ref_rate:.0f} readings/s")
    return {
        "verify_days": days,
        "verify_readings": readings_n,
        "verify_seconds": round(seconds, 2),
        "verify_readings_per_second": round(rate),
        "verify_ok": verdict.ok,
        "pack_month_verify_seconds": round(PACK_MONTH_READINGS / rate, 1),
        "bench_verify_batch_check_readings_per_second": round(ref_rate),
        "verify_vs_bench_verify_ratio": round(ref_rate / rate, 2),
        "verify_generate_seconds": round(generate_s, 1),
        "cpus": workers,
    }
