"""A deterministic (seeded) station of several battery packs of different ages, one BMS per pack
signing SunSpec-802-style readings with its own key (the same Reading type, signing and archive
format as the station simulator).

Each pack charges in the midday solar hours and discharges at the evening peak (local time =
UTC + 8 h), between 5 % and 95 % SOC. SOH fades linearly with equivalent full cycles
(discharged Wh / rated Wh) at the pack's own rate; cells warm with load and the afternoon;
older packs run hotter with a wider cell spread. A pack marked `fragile` (the second-life EV
pack) sees a hot afternoon now and then (SunSpec OVER_TEMP_WARNING/ALARM) and is drained to its
floor at the evening peak (UNDER_SOC_MIN_ALARM)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from eth_hash.auto import keccak

from ledger.readings import (
    OVER_TEMP_ALARM,
    OVER_TEMP_WARNING,
    UNDER_SOC_MIN_ALARM,
    ZERO_ADDRESS,
    DeviceDomain,
    Reading,
    SignedReading,
    address_of,
    sign_reading,
)
from oracle.errors import SimulatorConfigError

DAY = 86_400
BPS = 10_000
UTC_OFFSET_S = 8 * 3600
SOC_MIN, SOC_MAX = 0.05, 0.95
ONE_WAY_EFF = 0.97


@dataclass(frozen=True)
class SimPack:
    name: str
    bms_key: bytes
    rated_wh: int
    soh_start_bps: int
    cycles_start: int
    fade_bps_per_cycle: float
    cells_in_series: int = 104
    temp_offset_deci_c: int = 0
    cell_spread_mv: int = 8
    charge_c_rate: float = 0.2
    discharge_c_rate: float = 0.25
    fragile: bool = False

    @property
    def address(self) -> str:
        return address_of(self.bms_key)


@dataclass
class _State:
    soc: float = 0.5
    charged: float = 0.0
    discharged: float = 0.0
    seq: int = 0
    alarms: int = 0


class PackSimulator:
    """`next_day()` returns every pack's signed readings of the next UTC day."""

    def __init__(
        self,
        seed: int,
        first_day: int,
        packs: Sequence[SimPack],
        station_id: int,
        domain: DeviceDomain,
        period_s: int = 10,
    ) -> None:
        if period_s <= 0 or DAY % period_s:
            raise SimulatorConfigError("the BMS period must divide a day")
        if not packs:
            raise SimulatorConfigError("a pack station needs at least one pack")
        self.seed = seed
        self.day = first_day
        self.packs = tuple(packs)
        self.station_id = station_id
        self.domain = domain
        self.period_s = period_s
        self._states = [_State() for _ in packs]

    def next_day(self) -> dict[str, list[SignedReading]]:
        out = {p.address: self._pack_day(i) for i, p in enumerate(self.packs)}
        self.day += 1
        return out

    def soh_bps(self, i: int) -> int:
        p, s = self.packs[i], self._states[i]
        fade = s.discharged / p.rated_wh * p.fade_bps_per_cycle
        return max(0, int(p.soh_start_bps - fade))

    def _pack_day(self, i: int) -> list[SignedReading]:
        p, s = self.packs[i], self._states[i]
        rng = random.Random(f"{self.seed}/{p.name}/{self.day}")
        dt = self.period_s
        hot_day = p.fragile and rng.random() < 0.3
        hot_from = rng.uniform(14.0, 16.0)
        out = []
        start = self.day * DAY
        address = p.address
        for t in range(start, start + DAY, dt):
            hour = ((t + UTC_OFFSET_S) % DAY) / 3600
            soh = self.soh_bps(i)
            capacity = p.rated_wh * soh / BPS
            power = 0.0  # W, + discharging, - charging (SunSpec sign of the station simulator)
            if 10.0 <= hour < 15.0 and s.soc < SOC_MAX:
                power = -p.charge_c_rate * p.rated_wh * rng.uniform(0.8, 1.0)
            elif 18.0 <= hour < 22.0 and s.soc > SOC_MIN:
                rate = p.discharge_c_rate * (1.3 if p.fragile else 1.0)
                power = rate * p.rated_wh * rng.uniform(0.8, 1.0)
            energy = abs(power) * dt / 3600
            if power < 0:
                s.charged += energy
                s.soc = min(SOC_MAX, s.soc + energy * ONE_WAY_EFF / capacity)
            elif power > 0:
                s.discharged += energy
                s.soc = max(SOC_MIN, s.soc - energy / ONE_WAY_EFF / capacity)
            day_phase = math.sin(2 * math.pi * (hour - 9) / 24)
            load = abs(power) / p.rated_wh
            temp_max = int(250 + 40 * day_phase + 120 * load) + p.temp_offset_deci_c
            if hot_day and hot_from <= hour < hot_from + 0.4:
                temp_max += 220
            temp_max += rng.randint(0, 4)
            temp_min = temp_max - rng.randint(20, 45)
            alarms = 0
            if temp_max > 480:
                alarms |= OVER_TEMP_ALARM
            elif temp_max > 450:
                alarms |= OVER_TEMP_WARNING
            if s.soc <= SOC_MIN + 1e-9 and p.fragile:
                alarms |= UNDER_SOC_MIN_ALARM
            cell_mv = 3_000 + int(400 * s.soc) + rng.randint(-2, 2)
            spread = p.cell_spread_mv + rng.randint(0, 4)
            pack_mv = p.cells_in_series * cell_mv
            s.seq += 1
            reading = Reading(
                address,
                self.station_id,
                ZERO_ADDRESS,
                s.seq,
                t,
                int(s.charged),
                int(s.discharged),
                int(power),
                int(s.soc * BPS),
                soh,
                p.cycles_start + int(s.discharged // p.rated_wh),
                pack_mv,
                int(power * 1_000_000 // pack_mv),
                cell_mv - spread,
                cell_mv + spread,
                temp_min,
                temp_max,
                alarms,
            )
            out.append(sign_reading(reading, p.bms_key, self.domain))
        return out


def pack_key(seed: int, label: str) -> bytes:
    """A deterministic test key (never use for anything of value)."""
    return bytes(keccak(f"essl-pack-sim/{seed}/{label}".encode()))


def demo_packs(seed: int) -> tuple[SimPack, ...]:
    """A new industrial pack, a three-year-old one and a second-life EV pack at ~82 % SOH."""
    return (
        SimPack("new LFP rack", pack_key(seed, "rack-new"), 280_000, 9_950, 20, 0.5),
        SimPack(
            "3-year LFP rack",
            pack_key(seed, "rack-3y"),
            280_000,
            9_300,
            1_100,
            0.6,
            temp_offset_deci_c=15,
            cell_spread_mv=12,
        ),
        SimPack(
            "second-life EV pack",
            pack_key(seed, "ev-second-life"),
            75_000,
            8_200,
            1_650,
            1.2,
            cells_in_series=96,
            temp_offset_deci_c=40,
            cell_spread_mv=25,
            fragile=True,
        ),
    )
