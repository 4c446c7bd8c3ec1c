"""Verifying a credit end to end: one full day of the demo station's two generators plus its BMS
(96 intervals, 3 devices at 1 Hz: 259,200 signed readings) relayed as real reports on a
throwaway anvil, the grid operator's attestation of the generators' 10:00-16:00 charging as
curtailed, a credit issued for the first generator's avoided emissions, then
`ledger.verify.verify_credit` timed over the archive (batch roots, every device signature, the
oracle signatures, the curtailment attestations, the avoided-emission recomputation). Readings
are generated, signed and archived and the curtailment attested before timing starts (reported
as `generate_seconds`)."""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.chain import bench_chain
from devnet.world import DAY_START, INTERVAL_S, PARTICIPANT_POWER_W, demo_world, register_world
from ledger.credits import CreditsClient
from ledger.curtailment import attest_dispatch
from ledger.errors import ContractRevert
from ledger.readings import DeviceDomain
from ledger.registry import RegistryClient
from ledger.storage import StorageLedgerClient
from ledger.verify import verify_credit
from oracle.aggregate import Counters, batch_of, build_report
from oracle.archive import write_batch
from oracle.sources.simulator import SimParticipant, SimStation, StationSimulator

INTERVALS = 96
CURTAILED = range(40, 64)  # intervals of the grid operator's 10:00-16:00 dispatch


def _cpu() -> float:
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run(progress: bool) -> dict[str, Any]:
    def say(message: str) -> None:
        if progress:
            print(message, flush=True)

    with bench_chain() as ledger, tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive"
        world = demo_world()
        station_id = register_world(ledger, world)
        registry = ledger.deployment.address("Registry")
        domain = DeviceDomain(ledger.chain_id, registry)
        gens = [p for p in world.participants if p.role == "generator"][:2]
        meters = {d.participant: d for d in world.devices if d.participant}
        bms = next(d for d in world.devices if d.participant is None)
        sim = StationSimulator(
            7,
            DAY_START,
            SimStation(
                station_id,
                world.station.capacity_wh,
                world.station.rated_power_w,
                bytes(bms.account.key),
                round_trip_eff_bps=world.station.round_trip_efficiency_bps,
                bms_period_s=1,
                meter_period_s=1,
            ),
            [
                SimParticipant(
                    p.address,
                    "generator",
                    p.leased_wh,
                    PARTICIPANT_POWER_W,
                    bytes(meters[p.address].account.key),
                )
                for p in gens
            ],
            domain,
        )
        digest = RegistryClient(ledger).oracle_config().digest
        storage = StorageLedgerClient(ledger)
        from devnet.world import oracle_signatures

        say(f"signing, archiving and relaying {INTERVALS} intervals of 3 devices at 1 Hz ...")
        t0 = time.perf_counter()
        previous: dict[str, Counters] = {}
        generated = rejected = 0
        accepted: list[int] = []
        for i in range(INTERVALS):
            start = DAY_START + i * INTERVAL_S
            readings = sim.readings_for_interval(start)
            generated += len(readings)
            batch = batch_of(station_id, start, start + INTERVAL_S, readings)
            counters = dict(previous)
            for r in readings:
                if r.reading.participant in meters:
                    counters[r.reading.participant] = Counters(
                        r.reading.charged_wh, r.reading.discharged_wh
                    )
            report = build_report(batch, config_digest=digest, counters=counters)
            write_batch(archive, batch, chain_id=ledger.chain_id, registry=registry)
            try:
                storage.submit(report, oracle_signatures(ledger, world, report))
                previous = counters
                accepted.append(i)
            except ContractRevert as exc:
                if not rejected:
                    say(f"interval {i} refused: {exc}")
                rejected += 1  # the simulator's whole-Wh balance vs the ledger's floors
        attested = attest_dispatch(
            StorageLedgerClient(ledger.as_account(world.grid_operator)),
            station_id,
            [DAY_START + i * INTERVAL_S for i in accepted if i in CURTAILED],
            [p.address for p in gens],
        )
        generate_s = time.perf_counter() - t0
        gen = gens[0]
        avoided = storage.avoided_of(station_id, gen.address)
        as_gen = CreditsClient(ledger.as_account(gen.account))
        request = as_gen.request_issuance(
            station_id,
            gen.address,
            avoided.unissued_grams,
            period_start=DAY_START,
            period_end=DAY_START + INTERVALS * INTERVAL_S,
            factor_version=avoided.factor_version,
        )
        issued = CreditsClient(ledger.as_account(world.verifier)).approve(request.request_id)
        say(f"verifying credit {request.request_id} ({issued.units} units) ...")
        cpu0 = _cpu()
        t1 = time.perf_counter()
        verdict = verify_credit(ledger, request.request_id, archive)
        seconds = time.perf_counter() - t1
        cpu_s = _cpu() - cpu0
        return {
            "seconds": round(seconds, 2),
            "readings": verdict.checks.get("readings", 0),
            "readings_per_second": round(verdict.checks.get("readings", 0) / seconds),
            # CPU time of this process and its workers: the figure that does not depend on what
            # else the machine runs (wall time on 2 free cores is about cpu_seconds / 2).
            "cpu_seconds": round(cpu_s, 2),
            "batches": verdict.checks.get("batches", 0),
            "oracle_signatures": verdict.checks.get("oracle_signatures", 0),
            "curtailment_attestations": verdict.checks.get("curtailment_attestations", 0),
            "curtailed_wh": verdict.facts.get("curtailment", {}).get("curtailed_wh", 0),
            "attested_intervals": len(attested),
            "ok": verdict.ok,
            "failures": verdict.failure_count,
            "generated_readings": generated,
            "reports_rejected_on_chain": rejected,
            "generate_seconds": round(generate_s, 1),
            "credit_units": issued.units,
            "cpus": os.cpu_count(),
        }
