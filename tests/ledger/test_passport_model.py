"""The residual-value and safety model v1: SOH bands, fade from the series (or the declared
rate), remaining cycles and years, residual capacity and throughput, the safety flag, each with
the inputs it used; deterministic."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger.passport_model import assess, eligibility_of
from ledger.passports import Category, PassportParams
from tests.passport_helpers import DAY0, params, snapshot

DIGEST = b"\x00" * 32
KEY = b"\x01" * 32


def series(days: int, soh0: int, fade_per_day: int, **changes: object) -> list:  # type: ignore[type-arg]
    return [
        snapshot(
            KEY,
            DAY0 + d,
            1,
            DIGEST,
            soh_bps=soh0 - fade_per_day * d,
            cycle_count=1_000 + d,
            **changes,
        )
        for d in range(days)
    ]


def ev() -> PassportParams:
    return replace(params(1, "0x" + "11" * 20), category=Category.EV, expected_cycle_life=2_000)


def stationary() -> PassportParams:
    return replace(ev(), category=Category.INDUSTRIAL)


def test_soh_bands() -> None:
    assert [eligibility_of(x) for x in (10_000, 8_000, 7_999, 6_000, 5_999)] == [
        "reuse_or_second_life",
        "reuse_or_second_life",
        "second_life",
        "second_life",
        "recycle",
    ]


def test_second_life_pack_remaining_life_from_its_own_fade() -> None:
    a = assess(stationary(), series(30, 8_230, 1))  # 1 bps per cycle, 1 cycle a day
    assert a.eligibility.value == "reuse_or_second_life"
    assert a.fade_bps_per_kcycle.value == 1_000
    assert a.remaining_cycles.value == 8_201 - 6_000
    assert a.cycles_per_year.value == 365
    assert a.remaining_years.value == round((8_201 - 6_000) / 365, 2)
    assert a.residual_capacity_wh.value == 75_000 * 8_201 // 10_000
    assert a.residual_throughput_wh.value == (8_201 - 6_000) * 75_000 * (8_201 + 6_000) // 20_000
    assert a.remaining_cycles.inputs == {
        "soh_bps": 8_201,
        "band_floor_bps": 6_000,
        "fade_bps_per_kcycle": 1_000,
    }


def test_flat_series_falls_back_to_the_declared_rate() -> None:
    a = assess(ev(), series(3, 9_500, 0))
    assert "declared" in a.fade_bps_per_kcycle.rule
    assert a.fade_bps_per_kcycle.value == 1_000  # 2000 bps over 2000 cycles
    assert a.remaining_cycles.value == 1_500  # down to the vehicle end of life, 80 %
    assert assess(ev(), series(3, 7_900, 0)).remaining_cycles.value == 0
    assert assess(stationary(), series(3, 7_900, 0)).remaining_cycles.value == 1_900


@pytest.mark.parametrize(
    ("changes", "flag"),
    [
        ({}, "green"),
        ({"deep_discharge_events": 1}, "amber"),
        ({"extreme_temp_seconds": 200}, "amber"),  # 30 days x 200 s > 3600 s
        ({"over_temp_events": 1}, "red"),  # 30 days x 1 event >= 3
        ({"overcharge_events": 1}, "red"),
        ({"temp_max_deci_c": 600}, "red"),
    ],
)
def test_safety_flag(changes: dict[str, int], flag: str) -> None:
    a = assess(ev(), series(30, 9_000, 1, **changes))
    assert a.safety.value == flag
    assert a.safety.inputs["days"] == 30


def test_the_model_is_deterministic_and_needs_a_snapshot() -> None:
    s = series(10, 8_800, 2)
    assert assess(ev(), s).to_json() == assess(ev(), list(reversed(s))).to_json()
    with pytest.raises(ValueError, match="at least one snapshot"):
        assess(ev(), [])
