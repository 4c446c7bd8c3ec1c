"""The methodology's integer rules behave as the Solidity they mirror."""

from __future__ import annotations

from ledger.methodology import stored_in_interval, stored_wh, truncated_div


def test_truncated_div_matches_solidity_for_both_signs() -> None:
    assert truncated_div(7, 2) == 3 and truncated_div(-7, 2) == -3 and -7 // 2 == -4
    assert truncated_div(0, 5) == 0 and truncated_div(-4, 2) == -2


def test_interval_shares_of_stored_energy_add_up_to_the_lifetime_floor() -> None:
    charges = [3, 7, 1, 1, 9, 2]
    before = 0
    shares = []
    for wh in charges:
        shares.append(stored_in_interval(before, wh, 8_800))
        before += wh
    assert sum(shares) == stored_wh(sum(charges), 8_800) == 20
    assert sum(wh * 8_800 // 10_000 for wh in charges) == 16  # flooring each interval loses Wh
