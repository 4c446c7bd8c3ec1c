"""Cut a stream of readings into intervals: everything with a timestamp in [start, end) of
one interval, holding back what belongs to the next one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from oracle.reading import SignedReading
from oracle.sources import RawRejected, Source

Item = SignedReading | RawRejected


class IntervalSource(Protocol):
    def readings_for_interval(self, interval_start: int) -> Sequence[Item]: ...


class StreamFeed:
    """An `IntervalSource` over any `Source`. Unparseable payloads travel with the interval
    being collected when they arrive (they have no trustworthy timestamp)."""

    def __init__(self, source: Source, interval_s: int) -> None:
        self._items: Iterator[Item] = source.readings()
        self._interval_s = interval_s
        self._held: Item | None = None
        self.exhausted = False

    def readings_for_interval(self, interval_start: int) -> list[Item]:
        end = interval_start + self._interval_s
        out: list[Item] = []
        while True:
            item = self._held if self._held is not None else next(self._items, None)
            self._held = None
            if item is None:
                self.exhausted = True
                return out
            if isinstance(item, SignedReading):
                if item.reading.timestamp < interval_start:
                    out.append(item)  # late: the validator will judge it (not increasing)
                    continue
                if item.reading.timestamp >= end:
                    self._held = item
                    return out
            out.append(item)
