"""Exact rounding of shares to whole units so that they add up to a total (Hamilton's largest
remainder method, ties broken by participant address ascending)."""

from __future__ import annotations

from collections.abc import Sequence


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves up (both >= 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def largest_remainder(
    total: int, numerators: Sequence[int], denominator: int, keys: Sequence[int]
) -> list[int]:
    """Whole shares of `total` where share i is exactly numerators[i] / denominator.

    Each share is first rounded down; the units still missing go one each to the shares with
    the largest remainders, ties to the smallest key (the participant address as an integer).
    Requires sum(floor) <= total <= sum(floor) + len(numerators)."""
    shares = [n // denominator for n in numerators]
    missing = total - sum(shares)
    if not 0 <= missing <= len(shares):
        raise ValueError(f"total {total} cannot be reached from floors summing to {sum(shares)}")
    if missing:
        order = sorted(range(len(shares)), key=lambda i: (-(numerators[i] % denominator), keys[i]))
        for i in order[:missing]:
            shares[i] += 1
    return shares
