"""The avoided-emissions methodology in Python: the one home of the integer rules the contracts
apply, so the verifier, the indexer, the curtailment tools and the tests compute what the chain
books, to the gram. Each function names the Solidity it mirrors.

All quantities are integers: energy in Wh, efficiency in basis points, factors in gCO2e/MWh."""

from __future__ import annotations

from typing import Final

BPS: Final = 10_000  # contracts/ledger/LedgerState.sol `BPS`
WH_PER_MWH: Final = 1_000_000


def truncated_div(numerator: int, denominator: int) -> int:
    """Solidity's signed division (`/` on int, `sdiv`): the quotient rounded toward zero,
    where Python's `//` floors (-7 // 2 == -4, truncated_div(-7, 2) == -3)."""
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator >= 0) == (denominator > 0) else -quotient


def stored_wh(charged_total_wh: int, efficiency_bps: int) -> int:
    """The stored energy of a lifetime charge counter: floor(charged * effBps / 10000), as
    `ReportBooking._bookOne` (contracts/ledger/ReportBooking.sol) and
    `StorageLedger.balanceOf` (contracts/StorageLedger.sol) apply it."""
    return charged_total_wh * efficiency_bps // BPS


def balance_wh(charged_total_wh: int, discharged_total_wh: int, efficiency_bps: int) -> int:
    """A participant's balance: floor(charged * effBps / 10000) - discharged
    (`StorageLedger.balanceOf`)."""
    return stored_wh(charged_total_wh, efficiency_bps) - discharged_total_wh


def stored_in_interval(charged_before_wh: int, charged_wh: int, efficiency_bps: int) -> int:
    """An interval's share of stored energy: the difference of the floors of the lifetime
    counter after and before it (the floors, not the interval's own charge, are what the
    ledger books, so the shares add up to the lifetime figure)."""
    after = charged_before_wh + charged_wh
    return stored_wh(after, efficiency_bps) - stored_wh(charged_before_wh, efficiency_bps)


def avoided_grams(charged_wh: int, discharged_wh: int, grams_per_mwh: int) -> int:
    """Avoided grams of one participant in one interval, signed and truncated toward zero:
    (discharged - charged) * gramsPerMWh / 1e6 (`ReportBooking._bookOne`, its `sdiv`)."""
    return truncated_div((discharged_wh - charged_wh) * grams_per_mwh, WH_PER_MWH)


def curtailment_grams(curtailed_wh: int, grams_per_mwh: int) -> int:
    """Grams credited back for curtailed charging: curtailedWh * gramsPerMWh / 1e6, unsigned
    (`CurtailmentBook._bookCurtailed`, contracts/ledger/CurtailmentBook.sol)."""
    return curtailed_wh * grams_per_mwh // WH_PER_MWH
