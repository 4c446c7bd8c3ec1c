"""Cut a stream of readings into intervals: everything with a timestamp in [start, end) of
one interval, holding back what belongs to the next one.

`StreamFeed` pulls from its source when an interval is asked for (files: the replay source).
`LiveFeed` takes everything a live source delivers from the moment it is built (MQTT, Modbus
polling) and stores it in the durable inbox at once, so nothing sent before the first
interval falls due is lost."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from oracle.reading import SignedReading
from oracle.sources import RawRejected, Resumable, Source

Item = SignedReading | RawRejected
Checkpoint = tuple[str, dict[str, Any]]  # (source name, state after the item)

log = logging.getLogger("essl.oracle.feed")


class IntervalSource(Protocol):
    def readings_for_interval(self, interval_start: int) -> Sequence[Item]: ...


class Inbox(Protocol):
    """Durable keeping of received payloads until their interval is recorded (the outbox),
    with the source's checkpoint after each one (`oracle.source_state.DurableInbox`)."""

    def receive(
        self,
        station_id: int,
        interval_start: int,
        item: Item,
        checkpoint: Checkpoint | None = None,
    ) -> None: ...

    def received(self, station_id: int, interval_start: int) -> list[Item]: ...


def _checkpointer(source: Source) -> Callable[[], Checkpoint | None]:
    if isinstance(source, Resumable):
        return lambda: (source.checkpoint_name, source.checkpoint())
    return lambda: None


class StreamFeed:
    """An `IntervalSource` over any `Source`. Unparseable payloads travel with the interval
    being collected when they arrive (they have no trustworthy timestamp). With an `inbox`,
    every payload is stored before it is used (with the source's checkpoint, if it keeps
    one), and what a crashed run received for an interval comes back first."""

    def __init__(
        self, source: Source, interval_s: int, inbox: Inbox | None = None, station_id: int = 0
    ) -> None:
        self._items: Iterator[Item] = source.readings()
        self._checkpoint = _checkpointer(source)
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
            self._inbox.receive(self._station_id, at, item, self._checkpoint())
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

    def close(self) -> None:
        pass


class LiveFeed:
    """An `IntervalSource` over a live source, receiving from the moment `start()` is
    called: a thread stores every item in `inbox` under the interval its timestamp falls in
    (never one already closed: a late reading joins the interval being collected, and the
    validator judges it), with the source's checkpoint in the same transaction.

    `readings_for_interval(start)` returns once a reading at or after the interval's end has
    arrived, the source has ended, or `clock()` (the oracle's time) has passed the end by
    `grace_s`: a device that went quiet cannot hold the oracle up. A source that failed
    raises its error here, each time, so the run loop can count it and give up."""

    def __init__(
        self,
        source: Source,
        interval_s: int,
        inbox: Inbox,
        station_id: int,
        *,
        first_interval: int,
        clock: Callable[[], float],
        grace_s: int,
        stop: Callable[[], None] | None = None,
        wait_s: float = 0.02,
    ) -> None:
        self._source = source
        self._checkpoint = _checkpointer(source)
        self._interval_s = interval_s
        self._inbox = inbox
        self._station_id = station_id
        self._clock = clock
        self._grace_s = grace_s
        self._stop = stop
        self._wait_s = wait_s
        self._floor = first_interval  # the earliest interval not yet closed
        self._latest: int | None = None  # the latest reading timestamp received
        self._ended = False
        self.error: BaseException | None = None
        self.received = 0
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self) -> LiveFeed:
        self._thread = threading.Thread(target=self._pump, name="essl-live-feed", daemon=True)
        self._thread.start()
        return self

    def _interval_of(self, item: Item) -> int:
        if not isinstance(item, SignedReading):
            return self._floor
        ahead = (item.reading.timestamp - self._floor) // self._interval_s
        return self._floor + max(0, ahead) * self._interval_s

    def _pump(self) -> None:
        try:
            for item in self._source.readings():
                with self._lock:
                    self._inbox.receive(
                        self._station_id, self._interval_of(item), item, self._checkpoint()
                    )
                    self.received += 1
                    if isinstance(item, SignedReading):
                        t = item.reading.timestamp
                        self._latest = t if self._latest is None else max(self._latest, t)
                    self._lock.notify_all()
        except BaseException as exc:  # kept and raised to the run loop, never swallowed
            log.error("live source stopped: %s", exc)
            self.error = exc
        finally:
            with self._lock:
                self._ended = True
                self._lock.notify_all()

    def _closed(self, end: int) -> bool:
        if self._ended or (self._latest is not None and self._latest >= end):
            return True
        return self._clock() >= end + self._grace_s

    def readings_for_interval(self, interval_start: int) -> list[Item]:
        end = interval_start + self._interval_s
        with self._lock:
            while not self._closed(end):
                self._lock.wait(self._wait_s)
            if self.error is not None:
                raise self.error
            # From here on, a straggler for this interval joins the next one.
            self._floor = max(self._floor, end)
            return self._inbox.received(self._station_id, interval_start)

    def close(self) -> None:
        if self._stop is not None:
            self._stop()
        if self._thread is not None:
            self._thread.join(10)
