"""The Modbus source against a pymodbus SunSpec device (models 1, 802, 803, 203) on this
machine, over loopback TCP.

- poll_ms / readings_per_s: one `read_once` (three model reads on a kept-open connection,
  acc32 unwrapping, EIP-712 signing), back to back: the most readings per second one device
  link delivers; average with the worst case beside it.
- restart_to_first_reading_ms: a gateway restarted from its checkpoint (new client, model
  scan, first signed reading): what a restart costs before the sequence continues."""

from __future__ import annotations

import statistics
import time
from typing import Any

from oracle.reading import DeviceDomain, address_of
from oracle.sources.modbus import SunSpecModbusSource
from oracle.sources.simulator import derived_key
from tests.oracle.sunspec_server import SunSpecBatteryServer

POLLS = 300
RESTARTS = 20
KEY = derived_key(11, "gateway")
DOMAIN = DeviceDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")


def _source(port: int) -> SunSpecModbusSource:
    return SunSpecModbusSource(
        "127.0.0.1", port, key=KEY, device_address=address_of(KEY), domain=DOMAIN, station_id=1
    )


def run(progress: bool = True) -> dict[str, Any]:
    with SunSpecBatteryServer(meter_model=203) as server:
        server.set_counters(charged_wh=(1 << 32) - 1_000, discharged_wh=5)
        source = _source(server.port)
        source.read_once(0)  # scan
        polls = []
        for i in range(POLLS):
            server.set_counters(charged_wh=(1 << 32) - 1_000 + 10 * i, discharged_wh=5)
            t0 = time.perf_counter()
            source.read_once(10 * (i + 1))
            polls.append((time.perf_counter() - t0) * 1000)
        state = source.state()
        source.close()
        restarts = []
        for _ in range(RESTARTS):
            t0 = time.perf_counter()
            again = _source(server.port)
            again.restore(state)
            reading = again.read_once(10 * (POLLS + 1))
            restarts.append((time.perf_counter() - t0) * 1000)
            again.close()
            assert reading.reading.seq == state["seq"] + 1
    mean = statistics.fmean(polls)
    if progress:
        print(f"{POLLS} polls, {RESTARTS} restarts")
    return {
        "poll_ms": round(mean, 2),
        "poll_ms_worst": round(max(polls), 2),
        "readings_per_s": round(1000 / mean),
        "restart_to_first_reading_ms": round(statistics.fmean(restarts), 1),
        "restart_to_first_reading_ms_worst": round(max(restarts), 1),
    }
