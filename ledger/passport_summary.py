"""A pack's day in one summary, from the signed BMS readings of that pack: the deterministic
function the oracle signs and the verifier recomputes (so it lives here, below both).

Rules (docs/passport.md, "Daily summary"):
- readings in timestamp order; state (SOH, cycles, counters) from the day's last reading;
- day throughput = last counter - first counter of the day; measured round-trip efficiency =
  discharged / charged Wh of the day in bps, capped at 10000, 0 when nothing was charged;
- extremes: min of cellMin, max of cellMax, min of tempMin, max of tempMax;
- time at extreme temperature: each reading counts the seconds to the next reading (the last one
  the gap before it) when a cell is above 45.0 °C or below 0.0 °C;
- negative events: rising edges (bit clear in the previous reading of the day, set in this one) of
  three groups of SunSpec 802 Evt1 alarm bits, the first reading counting against "clear"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, NamedTuple

from ledger.passport_snapshots import DAY, Snapshot
from ledger.readings import (
    OVER_CHARGE_CURRENT_ALARM,
    OVER_SOC_MAX_ALARM,
    OVER_TEMP_ALARM,
    OVER_VOLT_ALARM,
    UNDER_SOC_MIN_ALARM,
    UNDER_VOLT_ALARM,
    Reading,
)

SUMMARY_VERSION: Final = 1
BPS: Final = 10_000
HOT_DECI_C: Final = 450  # above 45 °C: accelerated ageing, outside most LFP/NMC operating limits
COLD_DECI_C: Final = 0  # below 0 °C: lithium plating risk when charging
DEEP_DISCHARGE_BITS: Final = UNDER_SOC_MIN_ALARM | UNDER_VOLT_ALARM
OVERCHARGE_BITS: Final = OVER_VOLT_ALARM | OVER_SOC_MAX_ALARM | OVER_CHARGE_CURRENT_ALARM
OVER_TEMP_BITS: Final = OVER_TEMP_ALARM
MAX_U16: Final = 0xFFFF


class Row(NamedTuple):
    """The fields of one BMS reading that the summary reads."""

    timestamp: int
    charged_wh: int
    discharged_wh: int
    soh_bps: int
    cycle_count: int
    cell_min_mv: int
    cell_max_mv: int
    temp_min_deci_c: int
    temp_max_deci_c: int
    alarm_bits: int


def row_of(r: Reading) -> Row:
    return Row(
        r.timestamp,
        r.charged_wh,
        r.discharged_wh,
        r.soh_bps,
        r.cycle_count,
        r.cell_min_milli_volts,
        r.cell_max_milli_volts,
        r.temp_min_deci_c,
        r.temp_max_deci_c,
        r.alarm_bits,
    )


def row_of_dict(d: dict[str, Any]) -> Row:
    """From a reading's JSON object (a batch file), already range-checked by the caller."""
    return Row(
        d["timestamp"],
        d["chargedWh"],
        d["dischargedWh"],
        d["sohBps"],
        d["cycleCount"],
        d["cellMinMilliVolts"],
        d["cellMaxMilliVolts"],
        d["tempMinDeciC"],
        d["tempMaxDeciC"],
        d["alarmBits"],
    )


@dataclass(frozen=True)
class PackDaySummary:
    day: int
    reading_count: int
    telemetry_root: bytes
    soh_bps: int
    capacity_fade_bps: int  # 10000 - soh_bps: capacity lost against the rated capacity
    cycle_count: int
    charged_wh_total: int
    discharged_wh_total: int
    charged_wh: int
    discharged_wh: int
    efficiency_bps: int
    cell_min_milli_volts: int
    cell_max_milli_volts: int
    temp_min_deci_c: int
    temp_max_deci_c: int
    extreme_temp_seconds: int
    deep_discharge_events: int
    overcharge_events: int
    over_temp_events: int
    resistance_micro_ohm: int = 0  # the Reading type carries no resistance: "not reported"

    def snapshot(self, passport: bytes, device_id: int, config_digest: bytes) -> Snapshot:
        return Snapshot(
            passport=passport,
            day=self.day,
            device_id=device_id,
            telemetry_root=self.telemetry_root,
            reading_count=self.reading_count,
            config_digest=config_digest,
            soh_bps=self.soh_bps,
            cycle_count=self.cycle_count,
            charged_wh_total=self.charged_wh_total,
            discharged_wh_total=self.discharged_wh_total,
            efficiency_bps=self.efficiency_bps,
            resistance_micro_ohm=self.resistance_micro_ohm,
            cell_min_milli_volts=self.cell_min_milli_volts,
            cell_max_milli_volts=self.cell_max_milli_volts,
            temp_min_deci_c=self.temp_min_deci_c,
            temp_max_deci_c=self.temp_max_deci_c,
            extreme_temp_seconds=self.extreme_temp_seconds,
            deep_discharge_events=self.deep_discharge_events,
            overcharge_events=self.overcharge_events,
            over_temp_events=self.over_temp_events,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["telemetry_root"] = "0x" + self.telemetry_root.hex()
        return data


# Snapshot fields the summary determines (all but passport, deviceId, configDigest).
CHECKED_FIELDS: Final = (
    "telemetry_root",
    "reading_count",
    "soh_bps",
    "cycle_count",
    "charged_wh_total",
    "discharged_wh_total",
    "efficiency_bps",
    "resistance_micro_ohm",
    "cell_min_milli_volts",
    "cell_max_milli_volts",
    "temp_min_deci_c",
    "temp_max_deci_c",
    "extreme_temp_seconds",
    "deep_discharge_events",
    "overcharge_events",
    "over_temp_events",
)


def summarize(day: int, rows: Sequence[Row], telemetry_root: bytes) -> PackDaySummary:
    """The day's summary; `rows` are every reading of the pack in the day (any order)."""
    if not rows:
        raise ValueError(f"day {day}: no readings")
    ordered = sorted(rows)
    start, end = day * DAY, (day + 1) * DAY
    outside = [r.timestamp for r in ordered if not start <= r.timestamp < end]
    if outside:
        raise ValueError(f"day {day}: reading at {outside[0]} is outside [{start}, {end})")
    first, last = ordered[0], ordered[-1]
    charged = last.charged_wh - first.charged_wh
    discharged = last.discharged_wh - first.discharged_wh
    efficiency = 0 if charged <= 0 else min(BPS, max(discharged, 0) * BPS // charged)
    extreme = 0
    events = [0, 0, 0]
    previous_bits = 0
    n = len(ordered)
    for i, r in enumerate(ordered):
        if r.temp_max_deci_c > HOT_DECI_C or r.temp_min_deci_c < COLD_DECI_C:
            if i + 1 < n:
                extreme += ordered[i + 1].timestamp - r.timestamp
            elif n > 1:
                extreme += r.timestamp - ordered[i - 1].timestamp
        bits = r.alarm_bits
        rising = bits & ~previous_bits
        if rising & DEEP_DISCHARGE_BITS:
            events[0] += 1
        if rising & OVERCHARGE_BITS:
            events[1] += 1
        if rising & OVER_TEMP_BITS:
            events[2] += 1
        previous_bits = bits
    return PackDaySummary(
        day=day,
        reading_count=n,
        telemetry_root=telemetry_root,
        soh_bps=last.soh_bps,
        capacity_fade_bps=BPS - min(last.soh_bps, BPS),
        cycle_count=last.cycle_count,
        charged_wh_total=last.charged_wh,
        discharged_wh_total=last.discharged_wh,
        charged_wh=charged,
        discharged_wh=discharged,
        efficiency_bps=efficiency,
        cell_min_milli_volts=min(r.cell_min_mv for r in ordered),
        cell_max_milli_volts=max(r.cell_max_mv for r in ordered),
        temp_min_deci_c=min(r.temp_min_deci_c for r in ordered),
        temp_max_deci_c=max(r.temp_max_deci_c for r in ordered),
        extreme_temp_seconds=extreme,
        deep_discharge_events=min(events[0], MAX_U16),
        overcharge_events=min(events[1], MAX_U16),
        over_temp_events=min(events[2], MAX_U16),
    )


def differences(on_chain: Snapshot, recomputed: PackDaySummary) -> list[tuple[str, Any, Any]]:
    """(field, on-chain value, recomputed value) for every field that differs."""
    out = []
    for name in CHECKED_FIELDS:
        a, b = getattr(on_chain, name), getattr(recomputed, name)
        if a != b:
            out.append((name, a, b))
    return out
