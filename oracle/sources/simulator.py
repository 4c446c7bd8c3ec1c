"""A deterministic (seeded) shared battery station in accelerated time, as a reading source.

Model: each participant leases `lease_wh` of the battery and owns an energy account
    balance = round_trip_eff x charged - discharged   (AC Wh at its revenue meter)
which the simulator keeps within [0, lease] on whole-Wh counters, so the on-chain ledger never
sees a participant overdraw or overfill its lease, and total discharge respects the efficiency.
The pack's stored energy is the fixed reserve (SoCMin) plus each balance divided by the one-way
discharge efficiency; SOC is stored energy over capacity x SOH. The BMS counters integrate the
PCS's per-channel AC energy (so they agree with the meters' sum), and its power is the net flow.

Dispatch (local time = UTC + `utc_offset_s`): generators charge in the midday curtailment
hours and sell at the evening peak; consumers charge in the night valley and during the grid's
peak-shaving call window, and discharge at the evening peak. One BMS samples every 10 s, one
revenue meter per participant every 60 s; each signs with its own key."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from eth_hash.auto import keccak

from ledger.kinds import DeviceKindName
from oracle.errors import SimulatorConfigError, SimulatorTimeError
from oracle.reading import (
    ZERO_ADDRESS,
    DeviceDomain,
    Reading,
    SignedReading,
    address_of,
    sign_reading,
)
from oracle.validate import BPS, DeviceInfo, StationInfo

Role = Literal["generator", "consumer"]
DAY = 86_400

# (start hour, end hour, +1 charge / -1 discharge, power fraction low, high), local time.
_PROFILES: dict[str, tuple[tuple[float, float, int, float, float], ...]] = {
    "generator": ((10.0, 16.0, 1, 0.6, 1.0), (18.0, 22.0, -1, 0.5, 0.9)),
    "consumer": ((1.0, 6.0, 1, 0.3, 0.6), (12.5, 14.0, 1, 0.8, 1.0), (17.5, 21.5, -1, 0.6, 1.0)),
}
PEAK_SHAVING_CALL = (12.5, 14.0)  # local hours of the grid's call window


@dataclass(frozen=True)
class SimParticipant:
    address: str
    role: Role
    lease_wh: int
    rated_power_w: int
    meter_key: bytes


@dataclass(frozen=True)
class SimStation:
    station_id: int
    capacity_wh: int
    rated_power_w: int
    bms_key: bytes
    round_trip_eff_bps: int = 8_800
    soc_min_bps: int = 1_000
    soc_max_bps: int = 9_500
    soh_start_bps: int = 9_900
    interval_s: int = 900
    bms_period_s: int = 10
    meter_period_s: int = 60
    utc_offset_s: int = 8 * 3600
    meter_class_bps: int = 50  # class 0.5S revenue meters
    bms_class_bps: int = 100


@dataclass
class _Channel:
    participant: SimParticipant
    address: str  # the meter's signing address
    charged: int = 0
    discharged: int = 0
    seq: int = 0
    reported_charged: int = 0
    reported_discharged: int = 0


class StationSimulator:
    """`readings_between` moves forward only; asking for the past raises SimulatorTimeError."""

    def __init__(
        self,
        seed: int,
        start: int,
        station: SimStation,
        participants: Sequence[SimParticipant],
        domain: DeviceDomain,
    ) -> None:
        if start % station.meter_period_s or start % station.bms_period_s:
            raise SimulatorConfigError("start must sit on the meters' and the BMS's grid")
        if station.meter_period_s % station.bms_period_s:
            raise SimulatorConfigError("the meter period must be a multiple of the BMS period")
        if sum(p.rated_power_w for p in participants) > station.rated_power_w:
            raise SimulatorConfigError("participants' rated power exceeds the station's")
        self.station = station
        self.domain = domain
        self._rng = random.Random(seed)
        self._t = start
        self._channels = [_Channel(p, address_of(p.meter_key)) for p in participants]
        self._bms_address = address_of(station.bms_key)
        self._bms_seq = 0
        self._bms_charged = 0
        self._bms_discharged = 0
        self._bms_reported = (0, 0)
        # One-way efficiency, sqrt of the round trip, in bps.
        self._eta_d_bps = math.isqrt(station.round_trip_eff_bps * BPS)
        self._reserve_x = station.soc_min_bps * station.capacity_wh * station.soh_start_bps
        lowest_soh = station.soh_start_bps - 500  # head-room for fade over a simulated year
        leased_x = sum(p.lease_wh for p in participants) * BPS * BPS * BPS // self._eta_d_bps
        if self._reserve_x + leased_x > station.soc_max_bps * station.capacity_wh * lowest_soh:
            raise SimulatorConfigError("leases do not fit between SoCMin and SoCMax")

    @property
    def now(self) -> int:
        return self._t

    def station_info(self) -> StationInfo:
        s = self.station
        return StationInfo(
            s.station_id,
            s.rated_power_w,
            s.capacity_wh,
            s.interval_s,
            s.soc_min_bps,
            s.soc_max_bps,
            s.round_trip_eff_bps,
            grid_start=0,
        )

    def device_infos(self) -> list[DeviceInfo]:
        s = self.station
        bms = DeviceInfo(
            self._bms_address,
            s.station_id,
            DeviceKindName.BMS,
            s.rated_power_w,
            s.bms_class_bps,
            None,
            s.bms_period_s,
        )
        meters = [
            DeviceInfo(
                c.address,
                s.station_id,
                DeviceKindName.METER,
                c.participant.rated_power_w,
                s.meter_class_bps,
                c.participant.address,
                s.meter_period_s,
            )
            for c in self._channels
        ]
        return [bms, *meters]

    def balances_wh(self) -> dict[str, tuple[int, int]]:
        """participant -> (charged Wh, discharged Wh) so far."""
        return {c.participant.address: (c.charged, c.discharged) for c in self._channels}

    def readings_for_interval(self, interval_start: int) -> list[SignedReading]:
        return self.readings_between(interval_start, interval_start + self.station.interval_s)

    def readings_between(self, t0: int, t1: int) -> list[SignedReading]:
        """Readings with timestamps in [t0, t1). Samples before t0 not yet simulated are taken
        (their seq numbers are used) but not returned."""
        if t0 < self._t:
            raise SimulatorTimeError(t0, self._t)
        out: list[SignedReading] = []
        while self._t < t1:
            # Skipped samples are still taken (seq, rng draws), only not signed, so a seed
            # gives the same readings however the time range is asked for.
            samples = self._sample()
            if self._t >= t0:
                out.extend(sign_reading(r, key, self.domain) for r, key in samples)
            self._step()
        return out

    def readings(self) -> Iterator[SignedReading]:
        """The Source interface: an endless stream in simulated time."""
        while True:
            yield from self.readings_between(self._t, self._t + self.station.interval_s)

    def _local_hour(self, t: int) -> float:
        return ((t + self.station.utc_offset_s) % DAY) / 3600

    def _step(self) -> None:
        s = self.station
        hour = self._local_hour(self._t)
        rt = s.round_trip_eff_bps
        for c in self._channels:
            p = c.participant
            direction, fraction = 0, 0.0
            for lo, hi, sign, f_lo, f_hi in _PROFILES[p.role]:
                if lo <= hour < hi:
                    direction, fraction = sign, self._rng.uniform(f_lo, f_hi)
                    break
            wh = int(p.rated_power_w * fraction) * s.bms_period_s // 3600
            balance_x = c.charged * rt - c.discharged * BPS
            if direction > 0:
                wh = min(wh, (p.lease_wh * BPS - balance_x) // rt)
                c.charged += max(wh, 0)
                self._bms_charged += max(wh, 0)
            elif direction < 0:
                wh = min(wh, balance_x // BPS)
                c.discharged += max(wh, 0)
                self._bms_discharged += max(wh, 0)
        self._t += s.bms_period_s

    def _soh_bps(self) -> int:
        # Slow fade: 1 bps per three full-capacity equivalents of discharge.
        return self.station.soh_start_bps - self._bms_discharged // (3 * self.station.capacity_wh)

    def _soc_bps(self, soh: int) -> int:
        rt = self.station.round_trip_eff_bps
        balances_x = sum(c.charged * rt - c.discharged * BPS for c in self._channels)
        stored_x = self._reserve_x + balances_x * BPS * BPS // self._eta_d_bps  # Wh x 10^8
        return int(stored_x * BPS // (self.station.capacity_wh * soh * BPS))

    def _sample(self) -> list[tuple[Reading, bytes]]:
        s = self.station
        out = [self._bms_reading()]
        if self._t % s.meter_period_s == 0:
            out.extend(self._meter_reading(c) for c in self._channels)
        return out

    def _meter_reading(self, c: _Channel) -> tuple[Reading, bytes]:
        s = self.station
        net = (c.discharged - c.reported_discharged) - (c.charged - c.reported_charged)
        c.reported_charged, c.reported_discharged = c.charged, c.discharged
        c.seq += 1
        reading = Reading(
            c.address,
            s.station_id,
            c.participant.address,
            c.seq,
            self._t,
            c.charged,
            c.discharged,
            net * 3600 // s.meter_period_s,
            *(0,) * 10,  # pack fields belong to the BMS
        )
        return reading, c.participant.meter_key

    def _bms_reading(self) -> tuple[Reading, bytes]:
        s = self.station
        last_c, last_d = self._bms_reported
        net = (self._bms_discharged - last_d) - (self._bms_charged - last_c)
        self._bms_reported = (self._bms_charged, self._bms_discharged)
        power = net * 3600 // s.bms_period_s
        soh = self._soh_bps()
        soc = self._soc_bps(soh)
        rng = self._rng
        cell_mv = 3_000 + 400 * soc // BPS + rng.randint(-3, 3)  # LFP plateau
        pack_mv = 240 * cell_mv
        load = abs(power) / s.rated_power_w
        day_phase = math.sin(2 * math.pi * (self._local_hour(self._t) - 9) / 24)
        temp_max = int(250 + 40 * day_phase + 80 * load) + rng.randint(0, 5)
        self._bms_seq += 1
        reading = Reading(
            self._bms_address,
            s.station_id,
            ZERO_ADDRESS,
            self._bms_seq,
            self._t,
            self._bms_charged,
            self._bms_discharged,
            power,
            soc,
            soh,
            self._bms_discharged // max(s.capacity_wh, 1),
            pack_mv,
            power * 1_000_000 // pack_mv,
            cell_mv - rng.randint(5, 20),
            cell_mv + rng.randint(5, 20),
            temp_max - rng.randint(20, 40),
            temp_max,
            0,
        )
        return reading, s.bms_key


def derived_key(seed: int, label: str) -> bytes:
    """A deterministic test key (never use for anything of value)."""
    return bytes(keccak(f"essl-sim/{seed}/{label}".encode()))


def demo_station(
    seed: int,
    start: int,
    domain: DeviceDomain,
    *,
    station_id: int = 1,
    generators: int = 2,
    consumers: int = 2,
) -> StationSimulator:
    """A 2 MW / 4 MWh station with 500 kW / 700 kWh leases, keys derived from the seed."""
    participants = [
        SimParticipant(
            address_of(derived_key(seed, f"participant-{i}")),
            "generator" if i < generators else "consumer",
            700_000,
            500_000,
            derived_key(seed, f"meter-{i}"),
        )
        for i in range(generators + consumers)
    ]
    station = SimStation(station_id, 4_000_000, 2_000_000, derived_key(seed, "bms"))
    return StationSimulator(seed, start, station, participants, domain)


class Corruption(StrEnum):
    FORGED_SIGNATURE = "forged_signature"
    REPLAYED_SEQUENCE = "replayed_sequence"
    COUNTER_BACK = "counter_back"
    IMPOSSIBLE_POWER = "impossible_power"
    SOC_OUT_OF_RANGE = "soc_out_of_range"
    FUTURE_TIMESTAMP = "future_timestamp"
    MALFORMED = "malformed"
    UNKNOWN_DEVICE = "unknown_device"


def corrupt(
    previous: SignedReading,
    kind: Corruption,
    *,
    key: bytes,
    domain: DeviceDomain,
    now: int,
    period_s: int = 10,
) -> SignedReading | str:
    """A bad successor of `previous` (a reading the validator accepted), signed with the
    device's `key` unless the corruption is the signature itself. MALFORMED returns the raw
    JSON text (a truncated signature). SOC_OUT_OF_RANGE applies to BMS readings."""
    r = previous.reading
    nxt = replace(r, seq=r.seq + 1, timestamp=r.timestamp + period_s)
    match kind:
        case Corruption.FORGED_SIGNATURE:
            return SignedReading(nxt, sign_reading(nxt, derived_key(0, "forger"), domain).signature)
        case Corruption.REPLAYED_SEQUENCE:
            return sign_reading(replace(nxt, seq=r.seq), key, domain)
        case Corruption.COUNTER_BACK:
            if r.charged_wh == 0:
                raise ValueError("COUNTER_BACK needs a previous reading with chargedWh > 0")
            return sign_reading(replace(nxt, charged_wh=r.charged_wh - 1), key, domain)
        case Corruption.IMPOSSIBLE_POWER:
            return sign_reading(replace(nxt, power_w=10**12), key, domain)
        case Corruption.SOC_OUT_OF_RANGE:
            return sign_reading(replace(nxt, soc_bps=BPS), key, domain)
        case Corruption.FUTURE_TIMESTAMP:
            future = now + 3600
            return sign_reading(replace(nxt, timestamp=future - future % period_s), key, domain)
        case Corruption.MALFORMED:
            return (
                sign_reading(nxt, key, domain)
                .to_json()
                .replace('"signature":"0x', '"signature":"0xzz')
            )
        case Corruption.UNKNOWN_DEVICE:
            stranger = derived_key(0, "stranger")
            return sign_reading(replace(nxt, device=address_of(stranger)), stranger, domain)
    raise ValueError(kind)
