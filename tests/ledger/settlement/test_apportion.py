from __future__ import annotations

import pytest

from ledger.settlement.apportion import largest_remainder, round_half_up


def test_round_half_up() -> None:
    assert [round_half_up(n, 10) for n in (14, 15, 16, 25)] == [1, 2, 2, 3]


def test_missing_units_go_to_the_largest_remainders() -> None:
    # exact shares 1.2, 1.7, 0.1 -> total 3: floors 1, 1, 0 and the one missing unit goes to 1.7
    assert largest_remainder(3, [12, 17, 1], 10, [1, 2, 3]) == [1, 2, 0]


def test_ties_go_to_the_smaller_address() -> None:
    # three equal thirds of 1: the unit goes to the smallest key, whatever the input order
    assert largest_remainder(1, [1, 1, 1], 3, [30, 10, 20]) == [0, 1, 0]
    assert largest_remainder(2, [1, 1, 1], 3, [30, 10, 20]) == [0, 1, 1]


def test_unreachable_total_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be reached"):
        largest_remainder(5, [1, 1], 3, [1, 2])
