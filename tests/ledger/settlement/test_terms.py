from __future__ import annotations

import dataclasses

import pytest
from eth_hash.auto import keccak

from ledger.settlement import CallWindow, DailyWindow, InvalidTerms, Terms
from tests.ledger.settlement.example import TERMS


def test_terms_hash_is_keccak_of_canonical_json() -> None:
    text = TERMS.to_json()
    assert text.startswith('{"call_windows":[],"currency":"CNY"')
    assert " " not in text
    assert TERMS.hash == keccak(text.encode())


def test_terms_round_trip_through_json() -> None:
    again = Terms.from_json(TERMS.to_json())
    assert again == TERMS and again.hash == TERMS.hash


def test_any_change_changes_the_hash() -> None:
    assert dataclasses.replace(TERMS, version=2).hash != TERMS.hash
    assert dataclasses.replace(TERMS, peak_cap_per_kwh=32_470).hash != TERMS.hash


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lease_price_per_kwh_day": -1}, "lease_price_per_kwh_day"),
        ({"throughput_price_per_kwh": 2.5}, "throughput_price_per_kwh"),
        ({"efficiency_ppm": 0}, "efficiency_ppm"),
        ({"efficiency_ppm": 1_000_001}, "efficiency_ppm"),
        ({"currency": "yuan"}, "currency"),
        ({"dispute_window_s": 0}, "dispute_window_s"),
        ({"dispute_window_s": 90 * 86_400 + 1}, "dispute_window_s"),
        ({"valid_until": 1}, "valid_until"),
        ({"daily_windows": (DailyWindow(0, 90_000, 1),)}, "daily_windows[0]"),
        ({"daily_windows": (DailyWindow(900, 900, 1),)}, "daily_windows[0]"),
        ({"daily_windows": (DailyWindow(0, 900, -5),)}, "daily_windows[0].price_per_kwh"),
        (
            {"daily_windows": (DailyWindow(0, 3600, 1), DailyWindow(1800, 7200, 1))},
            "daily_windows",
        ),
        ({"call_windows": (CallWindow(10, 5, 1),)}, "call_windows[0]"),
    ],
)
def test_bad_terms_are_rejected_naming_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidTerms) as err:
        dataclasses.replace(TERMS, **change)  # type: ignore[arg-type]
    assert err.value.field == field


def test_from_json_rejects_a_document_that_is_not_terms() -> None:
    with pytest.raises(InvalidTerms, match="terms"):
        Terms.from_json('{"version": 1}')
