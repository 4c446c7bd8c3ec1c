"""The residual-value and safety model (残值评估, 安全预警), version 1: documented, deterministic
(exact rational arithmetic, floors stated), and each output carries the inputs it used. Formulas,
thresholds and their sources: docs/passport.md, "Residual value and safety model"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final

from ledger.passport_snapshots import Snapshot
from ledger.passports import Category, PassportParams

MODEL_VERSION: Final = 1
BPS: Final = 10_000
# SOH bands (bps of rated capacity), docs/passport.md "Second-life eligibility".
FIRST_LIFE_MIN_BPS: Final = 8_000  # automotive end of life: 80 % of rated capacity
SECOND_LIFE_MIN_BPS: Final = 6_000  # stationary second life down to 60 %, then recycling
WINDOW_DAYS: Final = 30  # safety flag: the latest 30 snapshots' days
HOT_LIMIT_DECI_C: Final = 600  # 60 °C: above the usual maximum operating temperature
EXTREME_AMBER_SECONDS: Final = 3_600  # an hour outside 0-45 °C within the window
OVER_TEMP_RED_EVENTS: Final = 3
DEFAULT_CYCLES_PER_YEAR: Final = 365  # one full cycle a day: daily arbitrage / solar shifting


@dataclass(frozen=True)
class Output:
    value: Any
    rule: str
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "rule": self.rule, "inputs": self.inputs}


@dataclass(frozen=True)
class Assessment:
    model_version: int
    soh_bps: Output
    fade_bps_per_kcycle: Output
    eligibility: Output
    remaining_cycles: Output
    cycles_per_year: Output
    remaining_years: Output
    residual_capacity_wh: Output
    residual_throughput_wh: Output
    safety: Output

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model_version": self.model_version}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, Output):
                out[name] = value.to_json()
        return out


def eligibility_of(soh_bps: int) -> str:
    """What the SOH still allows: EV (or LMT) re-use and stationary second life, stationary
    second life only, or recycling."""
    if soh_bps >= FIRST_LIFE_MIN_BPS:
        return "reuse_or_second_life"
    if soh_bps >= SECOND_LIFE_MIN_BPS:
        return "second_life"
    return "recycle"


def end_of_life_bps(category: Category) -> int:
    """The SOH at which the pack's current use ends: 80 % in a vehicle, 60 % stationary."""
    return FIRST_LIFE_MIN_BPS if category in (Category.EV, Category.LMT) else SECOND_LIFE_MIN_BPS


def _fade_per_cycle(series: Sequence[Snapshot], params: PassportParams) -> tuple[Fraction, str]:
    """SOH loss per equivalent full cycle (bps): least-squares slope of SOH over cycle count
    across the series; the declared rate when the series cannot give a positive fade."""
    points = [(s.cycle_count, s.soh_bps) for s in series]
    xs = {x for x, _ in points}
    if len(xs) >= 2:
        n = len(points)
        mx = Fraction(sum(x for x, _ in points), n)
        my = Fraction(sum(y for _, y in points), n)
        sxx = sum(((x - mx) * (x - mx) for x, _ in points), Fraction(0))
        sxy = sum(((x - mx) * (y - my) for x, y in points), Fraction(0))
        slope = sxy / sxx
        if slope < 0:
            return -slope, "least-squares slope of sohBps over cycleCount (snapshot series)"
    life = params.expected_cycle_life or 3_000
    return (
        Fraction(BPS - FIRST_LIFE_MIN_BPS, life),
        "declared: (10000 - 8000) bps over expectedCycleLife (series shows no fade yet)",
    )


def assess(params: PassportParams, series: Sequence[Snapshot]) -> Assessment:
    """The model over a passport's snapshot series (day order); needs at least one snapshot."""
    if not series:
        raise ValueError("the model needs at least one snapshot")
    ordered = sorted(series, key=lambda s: s.day)
    last, first = ordered[-1], ordered[0]
    soh = last.soh_bps
    fade, fade_rule = _fade_per_cycle(ordered, params)
    band = eligibility_of(soh)
    target = end_of_life_bps(params.category)
    remaining = int((soh - target) / fade) if fade > 0 and soh > target else 0
    days = last.day - first.day
    cycles = last.cycle_count - first.cycle_count
    if days > 0 and cycles > 0:
        per_year = int(Fraction(cycles * 365, days))
        per_year_rule = "(last - first cycleCount) x 365 / days between them"
    else:
        per_year = DEFAULT_CYCLES_PER_YEAR
        per_year_rule = "default: one full cycle a day (series too short)"
    per_year = max(per_year, 1)
    years = Fraction(remaining, per_year)
    rated = params.rated_capacity_wh
    residual = rated * soh // BPS
    throughput = int(remaining * rated * Fraction(soh + target, 2 * BPS))
    window = ordered[-WINDOW_DAYS:]
    over_temp = sum(s.over_temp_events for s in window)
    overcharge = sum(s.overcharge_events for s in window)
    deep = sum(s.deep_discharge_events for s in window)
    extreme = sum(s.extreme_temp_seconds for s in window)
    hottest = max(s.temp_max_deci_c for s in window)
    if overcharge > 0 or over_temp >= OVER_TEMP_RED_EVENTS or hottest >= HOT_LIMIT_DECI_C:
        safety = "red"
    elif over_temp > 0 or deep > 0 or extreme > EXTREME_AMBER_SECONDS:
        safety = "amber"
    else:
        safety = "green"
    return Assessment(
        model_version=MODEL_VERSION,
        soh_bps=Output(soh, "sohBps of the latest snapshot", {"day": last.day}),
        fade_bps_per_kcycle=Output(
            int(fade * 1000), fade_rule + "; x 1000, floor", {"snapshots": len(ordered)}
        ),
        eligibility=Output(
            band,
            ">= 8000 reuse_or_second_life, >= 6000 second_life, else recycle",
            {"soh_bps": soh},
        ),
        remaining_cycles=Output(
            remaining,
            "floor((sohBps - end of life) / fade per cycle); end of life 8000 for EV/LMT, "
            "6000 for industrial (stationary) use",
            {"soh_bps": soh, "band_floor_bps": target, "fade_bps_per_kcycle": int(fade * 1000)},
        ),
        cycles_per_year=Output(
            per_year, per_year_rule, {"first_day": first.day, "last_day": last.day}
        ),
        remaining_years=Output(
            float(round(years, 2)),
            "remaining_cycles / cycles_per_year, rounded to 0.01",
            {"remaining_cycles": remaining, "cycles_per_year": per_year},
        ),
        residual_capacity_wh=Output(
            residual, "floor(ratedCapacityWh x sohBps / 10000)", {"rated_wh": rated, "soh_bps": soh}
        ),
        residual_throughput_wh=Output(
            throughput,
            "floor(remaining_cycles x ratedCapacityWh x (sohBps + band floor) / 20000)",
            {"remaining_cycles": remaining, "rated_wh": rated, "band_floor_bps": target},
        ),
        safety=Output(
            safety,
            "red: overcharge > 0, over-temperature >= 3 or tempMax >= 60.0 C; amber: any "
            "over-temperature or deep discharge, or > 3600 s outside 0-45 C; else green "
            f"(latest {WINDOW_DAYS} snapshots)",
            {
                "days": len(window),
                "over_temp_events": over_temp,
                "overcharge_events": overcharge,
                "deep_discharge_events": deep,
                "extreme_temp_seconds": extreme,
                "temp_max_deci_c": hottest,
            },
        ),
    )
