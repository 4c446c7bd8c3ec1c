"""From the accepted readings of one interval to its report: per-participant cumulative
counters, the station state at the end, the alarm union and the Merkle tree of all readings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ledger.merkle import MerkleTree
from ledger.reports import IntervalReport, ParticipantDelta
from oracle.errors import IntervalEmpty
from oracle.reading import ZERO_ADDRESS, SignedReading


@dataclass(frozen=True)
class Counters:
    """A participant channel's cumulative counters (unwrapped, Wh) as reported on-chain."""

    charged_wh: int
    discharged_wh: int


@dataclass(frozen=True)
class IntervalBatch:
    station_id: int
    interval_start: int
    interval_end: int
    readings: tuple[SignedReading, ...]
    tree: MerkleTree

    @property
    def root(self) -> bytes:
        return self.tree.root


def batch_of(
    station_id: int, interval_start: int, interval_end: int, readings: Sequence[SignedReading]
) -> IntervalBatch:
    """The interval's accepted readings and their Merkle tree. Raises `IntervalEmpty` when
    there are none: such an interval is a gap, not a report."""
    if not readings:
        raise IntervalEmpty(station_id, interval_start)
    tree = MerkleTree.from_leaf_hashes([r.leaf() for r in readings])
    return IntervalBatch(station_id, interval_start, interval_end, tuple(readings), tree)


def build_report(
    batch: IntervalBatch,
    *,
    config_digest: bytes,
    counters: Mapping[str, Counters],
    previous: Mapping[str, Counters] | None = None,
) -> IntervalReport:
    """`counters` are each participant's cumulative counters at the interval's end (from the
    validator's unwrapped state); the ledger books the difference to the previous report.
    Sparse: a participant whose counters equal its `previous` ones (those of the last committed
    report; (0, 0) when it has none) is left out, and the ledger leaves its account untouched."""
    before = previous or {}
    zero = Counters(0, 0)
    bms = [r.reading for r in batch.readings if r.reading.participant == ZERO_ADDRESS]
    last = max(bms, key=lambda r: r.timestamp) if bms else None
    alarms = 0
    for r in batch.readings:
        alarms |= r.reading.alarm_bits
    deltas = [
        ParticipantDelta(p, now.charged_wh, now.discharged_wh)
        for p, now in counters.items()
        if now != before.get(p, zero)
    ]
    return IntervalReport(
        station_id=batch.station_id,
        interval_start=batch.interval_start,
        interval_end=batch.interval_end,
        readings_root=batch.root,
        reading_count=len(batch.readings),
        config_digest=config_digest,
        soc_bps=last.soc_bps if last else 0,
        soh_bps=last.soh_bps if last else 0,
        cycle_count=last.cycle_count if last else 0,
        alarm_bits=alarms,
        participants=tuple(deltas),
    ).sorted()
