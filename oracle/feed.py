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


class Inbox(Protocol):
    """Durable keeping of received payloads until their interval is recorded (the outbox)."""

    def receive(self, station_id: int, interval_start: int, item: Item) -> None: ...

    def received(self, station_id: int, interval_start: int) -> list[Item]: ...


class StreamFeed:
    """An `IntervalSource` over any `Source`. Unparseable payloads travel with the interval
    being collected when they arrive (they have no trustworthy timestamp). With an `inbox`,
    every payload is stored before it is used, and what a crashed run received for an
    interval comes back first."""

    def __init__(
        self, source: Source, interval_s: int, inbox: Inbox | None = None, station_id: int = 0
    ) -> None:
        self._items: Iterator[Item] = source.readings()
        self._interval_s = interval_s
        self._inbox = inbox
        self._station_id = station_id
        self._held: Item | None = None
        self.exhausted = False

    def _next(self, interval_start: int) -> Item | None:
        item = next(self._items, None)
        if item is not None and self._inbox is not None:
            at = interval_start
            if isinstance(item, SignedReading):
                ahead = max(0, item.reading.timestamp - interval_start) // self._interval_s
                at = interval_start + ahead * self._interval_s
            self._inbox.receive(self._station_id, at, item)
        return item

    def readings_for_interval(self, interval_start: int) -> list[Item]:
        end = interval_start + self._interval_s
        out: list[Item] = []
        if self._inbox is not None:
            out += self._inbox.received(self._station_id, interval_start)
            if self._held is not None and self._held in out:
                self._held = None  # already kept for this interval
        while True:
            item = self._held if self._held is not None else self._next(interval_start)
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
