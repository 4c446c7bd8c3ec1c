"""Report builders and run summaries for `bench gas`: consecutive interval reports of one
station, and the average / cheap / dear cases of a run (the report-key record opens a new
storage slot once per window of intervals, see docs/contracts.md "Storage layout")."""

from __future__ import annotations

from collections.abc import Callable
from statistics import mean

from devnet.world import DAY_START, INTERVAL_S, World, oracle_signatures
from ledger.client import Ledger
from ledger.reports import IntervalReport, ParticipantDelta
from ledger.storage import StorageLedgerClient

MWH = 1_000_000


def interval_report(
    station: int, index: int, digest: bytes, deltas: list[ParticipantDelta]
) -> IntervalReport:
    """Interval `index` of the demo day with the given cumulative counters."""
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


def submit_run(
    ledger: Ledger,
    world: World,
    reports: list[IntervalReport],
) -> list[int]:
    """Submit one report per transaction, in order; the gas of each."""
    storage = StorageLedgerClient(ledger)
    return [int(storage.submit(r, oracle_signatures(ledger, world, r))["gasUsed"]) for r in reports]


def submit_batched_run(
    ledger: Ledger,
    world: World,
    rounds: list[list[IntervalReport]],
) -> list[int]:
    """One submitReports transaction per round; the gas per report of each round."""
    storage = StorageLedgerClient(ledger)
    out = []
    for batch in rounds:
        receipt = storage.submit_many(batch, [oracle_signatures(ledger, world, r) for r in batch])
        out.append(int(receipt["gasUsed"]) // len(batch))
    return out


def summary(gas: list[int], opens_slot: Callable[[int], bool]) -> dict[str, int]:
    """Average over the run, and the two cases beside it: reports whose key lands in an
    existing record slot, and those opening a new one (`opens_slot(position in run)`)."""
    fresh = [g for i, g in enumerate(gas) if opens_slot(i)]
    warm = [g for i, g in enumerate(gas) if not opens_slot(i)]
    out = {"average": round(mean(gas)), "worst": max(gas), "reports": len(gas)}
    if warm:
        out["existing_slot"] = round(mean(warm))
    if fresh:
        out["new_slot"] = round(mean(fresh))
    return out
