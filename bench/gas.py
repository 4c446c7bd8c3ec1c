"""Gas of the on-chain operations, measured on a London anvil.

- single_report_gas: one interval report, 1 station, 5 participants, 2-of-3 signatures, in
  steady state (not the first report, which creates the accounts' storage slots);
- batched_gas_per_report: 10 stations' reports in one submitReports transaction, per report
  (1 participant each), next to the same 10 reports sent one by one;
- gas_per_reading: single_report_gas amortized over the readings the report commits to by
  its Merkle root (900 readings per device per interval, 6 devices);
- issue_gas: approveIssuance of a new id (verifier check, consumeAvoided on the ledger, mint to
  the participant), the participant's first issuance at the station;
- transfer_gas: safeTransferFrom of part of an id to a holder without a balance of it yet;
- retire_gas: a holder's first retirement of an id (burn, counters, claimedBalanceOf, Retired).
  Each has its steady-state companion (same participant / holder again) next to it."""

from __future__ import annotations

from typing import Any

from bench._credits import measure as credits_gas
from devnet.world import DAY_START, INTERVAL_S, demo_world, oracle_signatures, register_world
from ledger.registry import RegistryClient, StationParams
from ledger.reports import IntervalReport, ParticipantDelta
from ledger.storage import StorageLedgerClient

MWH = 1_000_000
READINGS_PER_DEVICE = 900


def _report(
    station: int, index: int, digest: bytes, deltas: list[ParticipantDelta]
) -> IntervalReport:
    start = DAY_START + index * INTERVAL_S
    return IntervalReport(
        station_id=station,
        interval_start=start,
        interval_end=start + INTERVAL_S,
        readings_root=bytes([index % 256]) * 32,
        reading_count=5400,
        config_digest=digest,
        soc_bps=5000,
        soh_bps=9900,
        cycle_count=index,
        alarm_bits=0,
        participants=tuple(deltas),
    ).sorted()


def run(progress: bool = True) -> dict[str, Any]:
    from bench.chain import bench_chain

    figures: dict[str, Any] = {}
    with bench_chain() as ledger:
        world = demo_world()
        station = register_world(ledger, world)
        storage = StorageLedgerClient(ledger)
        digest = RegistryClient(ledger).oracle_config().digest
        parts = world.participants

        def deltas(i: int) -> list[ParticipantDelta]:
            # generators charge, consumers charge then discharge a little: all five slots change
            return [ParticipantDelta(p.address, (i + 1) * MWH, i * MWH // 2) for p in parts]

        gas = []
        for i in range(4):
            r = _report(station, i, digest, deltas(i))
            receipt = storage.submit(r, oracle_signatures(ledger, world, r))
            gas.append(int(receipt["gasUsed"]))
        figures["first_report_gas"] = gas[0]
        figures["single_report_gas"] = gas[-1]
        figures["gas_per_reading"] = round(gas[-1] / (READINGS_PER_DEVICE * len(world.devices)), 2)
        if progress:
            print(f"single report (5 participants, 2-of-3): {gas}")

        # Ten stations with one participant each.
        registry = RegistryClient(ledger)
        stations = []
        for _ in range(10):
            params = StationParams(**{**world.station.__dict__, "external_code": "bench"})
            sid = registry.register_station(params)
            registry.set_lease(
                sid, parts[0].address, 40 * MWH, DAY_START - 86_400, DAY_START + 86_400 * 365
            )
            stations.append(sid)
        for index in range(2):  # the first round creates the slots
            batch = [
                _report(
                    s, index, digest, [ParticipantDelta(parts[0].address, (index + 1) * MWH, 0)]
                )
                for s in stations
            ]
            receipt = storage.submit_many(
                batch, [oracle_signatures(ledger, world, r) for r in batch]
            )
        figures["batched_gas_per_report"] = int(receipt["gasUsed"]) // len(stations)
        singles = []
        for s in stations:
            r = _report(s, 2, digest, [ParticipantDelta(parts[0].address, 3 * MWH, 0)])
            singles.append(int(storage.submit(r, oracle_signatures(ledger, world, r))["gasUsed"]))
        figures["unbatched_gas_per_report_1_participant"] = sum(singles) // len(singles)
        # The credit lifecycle on the main station, after the report intervals used above.
        figures.update(credits_gas(ledger, world, station, first_index=4))
        if progress:
            print(
                f"credits: issue {figures['issue_gas']}, transfer {figures['transfer_gas']}, "
                f"retire {figures['retire_gas']}"
            )
        figures["targets"] = {
            "single_report_gas": 120_000,
            "batched_gas_per_report": 60_000,
            "gas_per_reading": 150,
            "issue_gas": 90_000,
            "transfer_gas": 55_000,
            "retire_gas": 60_000,
        }
    return figures
