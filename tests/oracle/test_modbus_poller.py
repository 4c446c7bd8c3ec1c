"""The Modbus source as the oracle runs it: polled on the oracle's (accelerated) clock into
the durable inbox, against a real pymodbus SunSpec device, with an acc32 counter that rolls
over and a gateway restart in the middle."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from oracle.feed import LiveFeed
from oracle.outbox import Outbox
from oracle.reading import DeviceDomain, SignedReading, address_of
from oracle.service import Clock
from oracle.source_state import DurableInbox
from oracle.sources.modbus import ACC32, ModbusPoller, SunSpecModbusSource
from oracle.sources.simulator import derived_key
from oracle.validate import DeviceInfo, StationInfo, Validator, Verdict
from tests.oracle.conftest import DAY_START
from tests.oracle.sunspec_server import SunSpecBatteryServer

KEY = derived_key(9, "gateway")
PARTICIPANT = address_of(derived_key(9, "participant"))
INTERVAL = 60
PERIOD = 10
STATION = StationInfo(1, 2_000_000, 4_000_000, INTERVAL, 1_000, 9_500, 8_800)
DEVICE = DeviceInfo(address_of(KEY), 1, "meter", 2_000_000, 100, PARTICIPANT, PERIOD)
TOP = ACC32 - 3_000  # the acc32 register rolls over 150 simulated s into the run
WH_PER_S = 20


class Meter:
    """A SunSpec 203 meter whose acc32 counter follows the oracle's clock (20 Wh/s)."""

    def __init__(self, server: SunSpecBatteryServer, clock: Clock) -> None:
        self.server, self.clock = server, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            elapsed = max(0, int(self.clock.time()) - DAY_START)
            self.server.set_counters(charged_wh=TOP + WH_PER_S * elapsed, discharged_wh=7)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def server() -> Iterator[SunSpecBatteryServer]:
    with SunSpecBatteryServer(meter_model=203) as s:
        s.set_counters(charged_wh=TOP, discharged_wh=7)
        yield s


def _feed(
    server: SunSpecBatteryServer, domain: DeviceDomain, inbox: DurableInbox, clock: Clock,
    first: int, max_failures: int = 5,
) -> tuple[LiveFeed, ModbusPoller]:  # fmt: skip
    device = SunSpecModbusSource(
        "127.0.0.1", server.port, key=KEY, device_address=address_of(KEY), domain=domain,
        station_id=1, participant=PARTICIPANT, period_s=PERIOD,
    )  # fmt: skip
    poller = ModbusPoller(
        [device], [PERIOD], clock=clock.time, speed=clock.speed, grid_start=DAY_START,
        resume=inbox.checkpoint(1, ModbusPoller.checkpoint_name), max_failures=max_failures,
    )  # fmt: skip
    feed = LiveFeed(
        poller, INTERVAL, inbox, 1, first_interval=first, clock=clock.time, grace_s=PERIOD,
        stop=poller.stop,
    ).start()  # fmt: skip
    return feed, poller


def _collect(
    feed: LiveFeed, outbox: Outbox, validator: Validator, first: int, intervals: int
) -> list[tuple[SignedReading, Verdict]]:
    out = []
    for k in range(intervals):
        start = first + k * INTERVAL
        items = feed.readings_for_interval(start)
        for item in items:
            assert isinstance(item, SignedReading)
            out.append((item, validator.validate(item, start + INTERVAL + 1)))
        outbox.record_gap(1, start, "released by the test", rejected=0)  # releases the inbox
    return out


def test_a_gateway_restarted_across_an_acc32_rollover_continues_its_sequence_and_counter(
    server: SunSpecBatteryServer, domain: DeviceDomain, tmp_path: Path
) -> None:
    clock = Clock(DAY_START, speed=200)  # 1 interval = 0.3 s of wall time
    meter = Meter(server, clock)
    outbox = Outbox(tmp_path / "outbox.sqlite")
    inbox = DurableInbox(outbox)
    validator = Validator(STATION, [DEVICE], domain)
    try:
        feed, _ = _feed(server, domain, inbox, clock, DAY_START)
        before = _collect(feed, outbox, validator, DAY_START, 3)
        feed.close()  # the gateway stops mid-run, after the counter rolled over...
        restart = DAY_START + 3 * INTERVAL
        feed, poller = _feed(server, domain, inbox, clock, restart)  # ...and comes back
        after = _collect(feed, outbox, validator, restart, 3)
        feed.close()
    finally:
        meter.stop()
    rejected = [(s.reading.seq, v.reason, v.detail) for s, v in before + after if not v.ok]
    assert rejected == []
    raws = [s.reading.charged_wh for s, _ in before]
    assert raws[0] < ACC32 <= raws[-1], "the register rolled over before the restart"
    seqs = [s.reading.seq for s, _ in before + after]
    assert seqs == list(range(1, len(seqs) + 1))  # the sequence continued, no gap, no reuse
    assert len(after) >= 3 and all(s.reading.charged_wh > ACC32 for s, _ in after)
    state = validator.state(DEVICE.address)
    assert state is not None
    assert state.charged_total == after[-1][0].reading.charged_wh  # unwrapped once, here
    assert poller.checkpoint()[poller.devices[0].name]["charged"][1] == 1  # one wrap kept


def test_the_poll_grid_is_the_oracle_clock_and_a_quiet_device_closes_by_grace(
    server: SunSpecBatteryServer, domain: DeviceDomain, tmp_path: Path
) -> None:
    clock = Clock(DAY_START, speed=200)
    outbox = Outbox(tmp_path / "outbox.sqlite")
    feed, _ = _feed(server, domain, DurableInbox(outbox), clock, DAY_START, max_failures=1000)
    items = feed.readings_for_interval(DAY_START)
    stamps = [i.reading.timestamp for i in items if isinstance(i, SignedReading)]
    assert stamps and all((t - DAY_START) % PERIOD == 0 for t in stamps)
    assert all(DAY_START <= t < DAY_START + INTERVAL for t in stamps)
    server.stop()  # the device goes quiet: polls fail, the next interval still closes
    later = DAY_START + 2 * INTERVAL
    assert feed.readings_for_interval(later) == []
    assert clock.time() >= later + INTERVAL + PERIOD
    feed.close()


def test_a_device_that_stays_away_stops_the_feed_with_its_error(
    server: SunSpecBatteryServer, domain: DeviceDomain, tmp_path: Path
) -> None:
    from oracle.errors import SourceUnavailable

    clock = Clock(DAY_START, speed=200)
    outbox = Outbox(tmp_path / "outbox.sqlite")
    feed, _ = _feed(server, domain, DurableInbox(outbox), clock, DAY_START, max_failures=3)
    server.stop()
    # An interval far enough ahead that only the device's failures can end the wait (on a
    # busy machine the oracle clock could otherwise close a nearer interval by grace first).
    for _ in range(2):  # raised each time it is asked, for the run loop to count
        with pytest.raises(SourceUnavailable, match="unavailable"):
            feed.readings_for_interval(DAY_START + 40 * INTERVAL)
    feed.close()
