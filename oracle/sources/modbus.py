"""A source that polls a real SunSpec device over Modbus TCP with pysunspec2 and signs each
sample with the gateway key it is configured with. `ModbusPoller` polls several such devices
(the BMS and the participants' meters) on the oracle's clock.

Points read: model 802 (battery) SoC, SoH, NCyc, V, A, W, CellVMin/CellVMax, Evt1; model 803
(lithium-ion bank) ModTmpMin/ModTmpMax when present; energy counters from model 701
(TotWhAbs = charged, TotWhInj = discharged, uint64) or, when the device has no 701, from model
203 (TotWhImp / TotWhExp, acc32). Scale factors are honoured: pysunspec2's `cvalue` for the
analogue points, exact integer scaling for the counters (floats lose Wh above 2^53). A 32-bit
accumulator that rolls over is unwrapped here, so readings carry monotonic uint64 counters.

Why here and nowhere else: the gateway signs what it read, so the signed reading (and the
Merkle leaf a verifier later checks) should carry the counter as it is meant, a monotonic
uint64, not a register artefact only this gateway can interpret; only the source knows that a
203 register is an acc32 (the SunSpec model says so). The validator's `acc32` channel flag is
for the other case, devices that sign their own 32-bit counters; setting it for a device this
source polls would unwrap twice, and the oracle refuses that configuration at start.

The gateway's state (sequence number, rollovers, last raw counters, last timestamp) is what a
restart must not forget: `state()` / `restore()` carry it, and `ModbusPoller.checkpoint()`
stores it with every reading it delivers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sunspec2.modbus.client import SunSpecModbusClientDeviceTCP, SunSpecModbusClientError
from sunspec2.modbus.modbus import ModbusClientError

from oracle.errors import DeviceDataMissing, SourceUnavailable
from oracle.reading import ZERO_ADDRESS, DeviceDomain, Reading, SignedReading, sign_reading

ACC32 = 1 << 32
log = logging.getLogger("essl.oracle.modbus")


@dataclass
class _Unwrapper:
    """Turns a 32-bit accumulator into a monotonic count by adding 2^32 at each rollover."""

    last_raw: int | None = None
    wraps: int = 0

    def __call__(self, raw: int) -> int:
        if self.last_raw is not None and raw < self.last_raw:
            self.wraps += 1
        self.last_raw = raw
        return raw + self.wraps * ACC32


def _scaled_int(point: Any) -> int:
    """value x 10^sf in integers (counters)."""
    raw = point.value
    if raw is None and str(point.pdef.get("type", "")).startswith("acc"):
        raw = 0  # SunSpec accumulators read 0 as "not implemented": a fresh meter is at 0 Wh
    if raw is None:
        raise DeviceDataMissing("the meter", f"point {point.pdef['name']}")
    sf_point = point.model.points.get(point.sf) if point.sf else None
    sf = int(sf_point.value) if sf_point is not None and sf_point.value is not None else 0
    value = int(raw)
    scale: int = 10 ** abs(sf)  # typeshed types int ** int as Any (negative powers are floats)
    return value * scale if sf >= 0 else value // scale


def _c(point: Any, default: float = 0.0) -> float:
    value = point.cvalue
    return default if value is None else float(value)


class SunSpecModbusSource:
    """Polls one SunSpec device; `read_once(now)` takes one signed sample."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        key: bytes,
        device_address: str,
        domain: DeviceDomain,
        station_id: int,
        participant: str = ZERO_ADDRESS,
        unit_id: int = 1,
        period_s: int = 10,
        timeout_s: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host, self.port = host, port
        self._key = key
        self._device_address = device_address
        self._domain = domain
        self._station_id = station_id
        self._participant = participant
        self._period_s = period_s
        self._clock = clock
        self._seq = 0
        self._charged = _Unwrapper()
        self._discharged = _Unwrapper()
        self._unit_id = unit_id
        self._client = SunSpecModbusClientDeviceTCP(
            slave_id=unit_id, ipaddr=host, ipport=port, timeout=timeout_s
        )
        self._scanned = False
        self.meter_model: int | None = None
        self.last_timestamp: int | None = None

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}/{self._unit_id}"

    @property
    def device_address(self) -> str:
        return self._device_address

    def close(self) -> None:
        self._client.disconnect()

    def state(self) -> dict[str, Any]:
        """What a restart must not forget (JSON-able)."""
        return {
            "seq": self._seq,
            "timestamp": self.last_timestamp,
            "charged": [self._charged.last_raw, self._charged.wraps],
            "discharged": [self._discharged.last_raw, self._discharged.wraps],
        }

    def restore(self, state: dict[str, Any]) -> None:
        self._seq = int(state["seq"])
        self.last_timestamp = state["timestamp"]
        self._charged = _Unwrapper(*state["charged"])
        self._discharged = _Unwrapper(*state["discharged"])

    def _scan(self) -> None:
        try:
            self._client.scan()
        except (SunSpecModbusClientError, ModbusClientError, OSError) as exc:
            raise SourceUnavailable(f"SunSpec device at {self.host}:{self.port}", str(exc)) from exc
        models = self._client.models
        if 802 not in models:
            raise DeviceDataMissing(f"{self.host}:{self.port}", "SunSpec model 802 (battery)")
        self.meter_model = 701 if 701 in models else 203 if 203 in models else None
        if self.meter_model is None:
            raise DeviceDataMissing(f"{self.host}:{self.port}", "model 701 or 203 (energy)")
        self._scanned = True

    def read_once(self, now: int | None = None) -> SignedReading:
        """Read the models, build the reading stamped `now` (default: the clock on the sampling
        grid), sign it."""
        if not self._scanned:
            self._scan()
        models = self._client.models
        battery = models[802][0]
        meter = models[self.meter_model][0]
        bank = models[803][0] if 803 in models else None
        try:
            if not self._client.is_connected():
                self._client.connect()  # kept open between polls; opened again after an error
            battery.read()
            meter.read()
            if bank is not None:
                bank.read()
        except (SunSpecModbusClientError, ModbusClientError, OSError) as exc:
            self._client.disconnect()
            raise SourceUnavailable(f"SunSpec device at {self.host}:{self.port}", str(exc)) from exc
        if self.meter_model == 701:
            charged = _scaled_int(meter.TotWhAbs)
            discharged = _scaled_int(meter.TotWhInj)
        else:
            charged = self._charged(_scaled_int(meter.TotWhImp))
            discharged = self._discharged(_scaled_int(meter.TotWhExp))
        if now is None:
            t = int(self._clock())
            now = t - t % self._period_s
        self._seq += 1
        self.last_timestamp = now
        reading = Reading(
            device=self._device_address,
            station_id=self._station_id,
            participant=self._participant,
            seq=self._seq,
            timestamp=now,
            charged_wh=charged,
            discharged_wh=discharged,
            power_w=round(_c(battery.W)),
            soc_bps=round(_c(battery.SoC) * 100),
            soh_bps=round(_c(battery.SoH) * 100),
            cycle_count=int(battery.NCyc.value or 0),
            pack_milli_volts=round(_c(battery.V) * 1000),
            pack_milli_amps=round(_c(battery.A) * 1000),
            cell_min_milli_volts=round(_c(battery.CellVMin) * 1000),
            cell_max_milli_volts=round(_c(battery.CellVMax) * 1000),
            temp_min_deci_c=round(_c(bank.ModTmpMin) * 10) if bank is not None else 0,
            temp_max_deci_c=round(_c(bank.ModTmpMax) * 10) if bank is not None else 0,
            alarm_bits=int(battery.Evt1.value or 0),
        )
        return sign_reading(reading, self._key, self._domain)

    def readings(self, limit: int | None = None) -> Iterator[SignedReading]:
        """Poll every `period_s` on the wall clock's sampling grid (forever unless `limit`)."""
        taken = 0
        while limit is None or taken < limit:
            now = self._clock()
            next_slot = now - now % self._period_s + self._period_s
            time.sleep(max(0.0, next_slot - now))
            yield self.read_once(int(next_slot))
            taken += 1


class ModbusPoller:
    """Polls SunSpec devices, each every `periods[i]` seconds of `clock` (the oracle's time:
    simulated seconds when it runs accelerated), stamping each reading with its slot on the
    sampling grid from `grid_start`. `speed` is simulated seconds per wall second (0: the
    clock is the wall clock). A device that fails to answer is logged and polled again at its
    next slot; after `max_failures` failed polls in a row the poller stops with the error.

    `checkpoint()` is every device's gateway state after the last reading yielded; built with
    `resume=` that state, sequences continue, rollovers are remembered, and no slot already
    sampled is sampled again."""

    checkpoint_name = "modbus"

    def __init__(
        self,
        devices: Sequence[SunSpecModbusSource],
        periods: Sequence[int],
        *,
        clock: Callable[[], float],
        speed: float,
        grid_start: int,
        resume: dict[str, Any] | None = None,
        max_failures: int = 5,
    ) -> None:
        self.devices = list(devices)
        self.periods = list(periods)
        self._clock = clock
        self._speed = speed
        self._grid_start = grid_start
        self._max_failures = max_failures
        self._stopped = threading.Event()
        self.polls = 0
        for device in self.devices:
            saved = (resume or {}).get(device.name)
            if saved is not None:
                device.restore(saved)

    def checkpoint(self) -> dict[str, Any]:
        return {d.name: d.state() for d in self.devices}

    def stop(self) -> None:
        self._stopped.set()

    def _slot_after(self, t: float, period: int) -> int:
        """The first slot on the device's grid strictly after `t`."""
        k = int(t - self._grid_start) // period + 1
        return self._grid_start + k * period

    def _sleep_until(self, t: int) -> bool:
        """Wait (in wall time) until the clock reaches `t`; False when stopped."""
        while not self._stopped.is_set():
            ahead = t - self._clock()
            if ahead <= 0:
                return True
            self._stopped.wait(min(ahead / self._speed if self._speed else ahead, 0.5))
        return False

    def readings(self) -> Iterator[SignedReading]:
        now = self._clock()
        due = []
        for device, period in zip(self.devices, self.periods, strict=True):
            last = device.last_timestamp
            first = now - period if last is None else max(last, now - period)
            due.append(self._slot_after(first, period))
        failures = [0] * len(self.devices)
        try:
            yield from self._poll(due, failures)
        finally:
            for device in self.devices:
                device.close()

    def _poll(self, due: list[int], failures: list[int]) -> Iterator[SignedReading]:
        while True:
            slot = min(due)
            if not self._sleep_until(slot):
                return
            for i, device in enumerate(self.devices):
                if due[i] != slot:
                    continue
                # Behind schedule (a slow device, a busy machine): skip to the newest slot.
                newest = self._slot_after(self._clock(), self.periods[i]) - self.periods[i]
                if newest > slot:
                    log.warning(
                        "%s: behind schedule, %d slot(s) of %d s skipped (%d to %d)",
                        device.name,
                        (newest - slot) // self.periods[i],
                        self.periods[i],
                        slot,
                        newest,
                    )
                due[i] = max(slot, newest)
                stamp = due[i]
                due[i] += self.periods[i]
                try:
                    reading = device.read_once(stamp)
                except (SourceUnavailable, DeviceDataMissing) as exc:
                    failures[i] += 1
                    log.warning("poll %d of %s failed: %s", failures[i], device.name, exc)
                    if failures[i] >= self._max_failures:
                        raise
                    continue
                failures[i] = 0
                self.polls += 1
                yield reading
