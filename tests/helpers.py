"""Small builders for chain tests: the demo world registered, and signed reports."""

from __future__ import annotations

from dataclasses import replace

from devnet.world import DAY_START, INTERVAL_S, World, oracle_signatures
from ledger.client import Ledger
from ledger.registry import RegistryClient
from ledger.reports import IntervalReport, ParticipantDelta
from ledger.storage import StorageLedgerClient

ROOT = bytes.fromhex("11" * 32)


def report(
    ledger: Ledger,
    station_id: int,
    index: int,
    counters: dict[str, tuple[int, int]],
    *,
    soc_bps: int = 5000,
    soh_bps: int = 9900,
) -> IntervalReport:
    """Interval `index` of the demo day with cumulative (charged, discharged) Wh."""
    digest = RegistryClient(ledger).oracle_config().digest
    start = DAY_START + index * INTERVAL_S
    deltas = tuple(ParticipantDelta(addr, c, d) for addr, (c, d) in counters.items())
    return IntervalReport(
        station_id=station_id,
        interval_start=start,
        interval_end=start + INTERVAL_S,
        readings_root=ROOT,
        reading_count=3,
        config_digest=digest,
        soc_bps=soc_bps,
        soh_bps=soh_bps,
        cycle_count=1,
        alarm_bits=0,
        participants=deltas,
    ).sorted()


def signatures(ledger: Ledger, world: World, r: IntervalReport, count: int = 2) -> list[bytes]:
    return oracle_signatures(ledger, world, r, count)


def submit(ledger: Ledger, world: World, r: IntervalReport) -> None:
    StorageLedgerClient(ledger).submit(r, signatures(ledger, world, r))


def with_root(r: IntervalReport, root: bytes) -> IntervalReport:
    return replace(r, readings_root=root)
