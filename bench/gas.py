"""Gas of the on-chain operations, measured on a London anvil. Report figures are averages over
a run of consecutive reports (the report-key record opens a new storage slot once per window of
REPORT_KEYS_PER_SLOT intervals; the run covers one whole window), with the cheap case (key in an
existing slot), the dear case (key opening a slot) and the worst report beside them.

- single_report_gas: 1 station, 5 participants, 2-of-3 signatures, steady state (the first
  report, which creates the accounts' slots, is first_report_gas);
- batched_gas_per_report: 10 stations' reports (1 participant each) per submitReports call,
  per report, next to the same reports sent one by one;
- gas_per_report_by_participants / marginal_gas_per_participant / sparse_report_gas_*: see
  bench/_scaling.py;
- gas_per_reading: single_report_gas amortized over the readings the report commits to by
  its Merkle root (900 readings per device per interval, 6 devices);
- issue_gas, transfer_gas, retire_gas (+ their steady companions): see bench/_credits.py."""

from __future__ import annotations

from typing import Any

from bench._credits import measure as credits_gas
from bench._reports import MWH, interval_report, submit_batched_run, submit_run, summary
from bench._scaling import measure as scaling_gas
from devnet.world import DAY_START, INTERVAL_S, demo_world, register_world
from ledger.registry import RegistryClient, StationParams
from ledger.reports import ParticipantDelta
from ledger.storage import REPORT_KEYS_PER_SLOT

READINGS_PER_DEVICE = 900
RUN = REPORT_KEYS_PER_SLOT  # consecutive steady-state reports: one whole key window
BATCH_STATIONS = 10


def _opens_slot(first_index: int):  # type: ignore[no-untyped-def]
    """Whether the run's i-th report (interval first_index + i) opens a report-key slot."""
    k0 = DAY_START // INTERVAL_S + first_index
    return lambda i: (k0 + i) % REPORT_KEYS_PER_SLOT == 0


def run(progress: bool = True) -> dict[str, Any]:
    from bench.chain import bench_chain

    figures: dict[str, Any] = {}
    with bench_chain() as ledger:
        world = demo_world()
        station = register_world(ledger, world)
        digest = RegistryClient(ledger).oracle_config().digest
        parts = world.participants

        def deltas(i: int) -> list[ParticipantDelta]:
            # every participant charges 100 kWh and discharges 80 kWh per interval: all five
            # accounts change, and over the run the avoided grams stay above the credit bench's
            return [ParticipantDelta(p.address, (i + 1) * 100_000, i * 80_000) for p in parts]

        reports = [interval_report(station, i, digest, deltas(i)) for i in range(RUN + 1)]
        gas = submit_run(ledger, world, reports)
        single = summary(gas[1:], _opens_slot(1))
        figures["first_report_gas"] = gas[0]
        figures["single_report_gas"] = single["average"]
        figures["single_report"] = single
        figures["gas_per_reading"] = round(
            single["average"] / (READINGS_PER_DEVICE * len(world.devices)), 2
        )
        if progress:
            print(f"single report (5 participants, 2-of-3), run of {RUN}: {single}")

        registry = RegistryClient(ledger)
        stations = []
        for _ in range(BATCH_STATIONS):
            params = StationParams(**{**world.station.__dict__, "external_code": "bench"})
            sid = registry.register_station(params)
            registry.set_lease(
                sid, parts[0].address, 40 * MWH, DAY_START - 86_400, DAY_START + 86_400 * 365
            )
            stations.append(sid)

        def one(s: int, index: int) -> list[ParticipantDelta]:
            return [ParticipantDelta(parts[0].address, (index + 1) * MWH // 4, 0)]

        rounds = [
            [interval_report(s, index, digest, one(s, index)) for s in stations]
            for index in range(RUN + 1)
        ]
        per_report = submit_batched_run(ledger, world, rounds)
        batched = summary(per_report[1:], _opens_slot(1))  # the first round creates the slots
        figures["batched_gas_per_report"] = batched["average"]
        figures["batched_report"] = batched
        singles = submit_run(
            ledger,
            world,
            [interval_report(s, RUN + 1, digest, one(s, RUN + 1)) for s in stations],
        )
        figures["unbatched_gas_per_report_1_participant"] = sum(singles) // len(singles)
        if progress:
            print(f"batched ({BATCH_STATIONS} x 1 participant), per report: {batched}")

        figures.update(scaling_gas(ledger, world, progress))
        # The credit lifecycle on the main station, after the report intervals used above.
        figures.update(credits_gas(ledger, world, station, first_index=RUN + 1))
        if progress:
            print(
                f"credits: issue {figures['issue_gas']}, transfer {figures['transfer_gas']}, "
                f"retire {figures['retire_gas']}"
            )
        figures["targets"] = {
            "single_report_gas": 120_000,
            "batched_gas_per_report": 60_000,
            "sparse_report_gas_100_leased_20_active": 250_000,
            "gas_per_reading": 150,
            "issue_gas": 90_000,
            "transfer_gas": 55_000,
            "retire_gas": 60_000,
        }
    return figures
