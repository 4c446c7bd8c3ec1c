"""The daily pack summary: each rule (state from the last reading, day throughput and
efficiency, extremes, time at extreme temperature, rising-edge event counts) on hand-made rows."""

from __future__ import annotations

import pytest

from ledger.passport_snapshots import DAY
from ledger.passport_summary import Row, differences, summarize
from ledger.readings import OVER_TEMP_ALARM, OVER_VOLT_ALARM, UNDER_SOC_MIN_ALARM

D = 20_780
T0 = D * DAY
ROOT = b"\x01" * 32


def row(
    t: int,
    charged: int,
    discharged: int,
    *,
    tmax: int = 300,
    tmin: int = 200,
    alarms: int = 0,
    soh: int = 9_000,
    cycles: int = 10,
    vmin: int = 3_100,
    vmax: int = 3_300,
) -> Row:
    return Row(T0 + t, charged, discharged, soh, cycles, vmin, vmax, tmin, tmax, alarms)


def test_state_comes_from_the_last_reading_in_time_order() -> None:
    rows = [row(20, 150, 0, soh=8_990, cycles=11), row(0, 100, 0), row(10, 120, 0)]
    s = summarize(D, rows, ROOT)
    assert (s.soh_bps, s.cycle_count, s.charged_wh_total) == (8_990, 11, 150)
    assert s.capacity_fade_bps == 1_010 and s.reading_count == 3


def test_efficiency_is_discharged_over_charged_capped_and_zero_without_charge() -> None:
    assert summarize(D, [row(0, 1_000, 0), row(10, 2_000, 900)], ROOT).efficiency_bps == 9_000
    assert summarize(D, [row(0, 1_000, 0), row(10, 1_100, 900)], ROOT).efficiency_bps == 10_000
    assert summarize(D, [row(0, 1_000, 0), row(10, 1_000, 900)], ROOT).efficiency_bps == 0


def test_extremes_and_time_at_extreme_temperature() -> None:
    rows = [
        row(0, 0, 0, tmax=460, vmin=3_000),  # hot: counts the 10 s to the next reading
        row(10, 0, 0, tmin=-5, vmax=3_500),  # cold: counts 30 s
        row(40, 0, 0),
        row(50, 0, 0, tmax=451),  # the last reading counts the gap before it: 10 s
    ]
    s = summarize(D, rows, ROOT)
    assert s.extreme_temp_seconds == 50
    assert (s.cell_min_milli_volts, s.cell_max_milli_volts) == (3_000, 3_500)
    assert (s.temp_min_deci_c, s.temp_max_deci_c) == (-5, 460)


def test_events_count_rising_edges_per_group() -> None:
    rows = [
        row(0, 0, 0, alarms=OVER_TEMP_ALARM),  # first reading counts against "clear"
        row(10, 0, 0, alarms=OVER_TEMP_ALARM),  # still on: no new event
        row(20, 0, 0),
        row(30, 0, 0, alarms=OVER_TEMP_ALARM | UNDER_SOC_MIN_ALARM),
        row(40, 0, 0, alarms=OVER_VOLT_ALARM),
    ]
    s = summarize(D, rows, ROOT)
    assert (s.over_temp_events, s.deep_discharge_events, s.overcharge_events) == (2, 1, 1)


def test_readings_outside_the_day_or_none_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        summarize(D, [row(DAY, 0, 0)], ROOT)
    with pytest.raises(ValueError, match="no readings"):
        summarize(D, [], ROOT)


def test_differences_name_each_field() -> None:
    s = summarize(D, [row(0, 0, 0), row(10, 100, 50)], ROOT)
    snap = s.snapshot(b"\x02" * 32, 7, b"\x03" * 32)
    assert differences(snap, s) == []
    from dataclasses import replace

    assert differences(replace(snap, soh_bps=1), s) == [("soh_bps", 1, 9_000)]
