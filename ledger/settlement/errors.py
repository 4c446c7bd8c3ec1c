"""The settlement engine's exception tree: one root, one subclass per kind of bad input.
Every error names the offending field (with its index, e.g. ``intervals[17].charged_wh``) and
the reason, so the operator can fix the input and settle again."""

from __future__ import annotations

from ledger.errors import LedgerError


class SettlementError(LedgerError):
    """Root of every error the settlement engine raises."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class InvalidTerms(SettlementError):
    """The tariff terms are malformed (negative price, overlapping windows, bad JSON...)."""


class TermsNotInForce(SettlementError):
    """The terms' validity does not cover the whole settlement period."""


class InvalidPeriod(SettlementError):
    """The period is empty, reversed or not a whole number of intervals."""


class InvalidLease(SettlementError):
    """A lease is malformed, overlaps another of the same participant, or none is in force."""


class UnknownParticipant(SettlementError):
    """Readings name a participant that holds no lease at the station in this period."""


class InvalidInterval(SettlementError):
    """An interval record is wrong: other station, off the grid, outside the period or the
    participant's lease, negative energy, or a duplicate."""


class InvalidLosses(SettlementError):
    """Station losses are negative, or positive with nothing charged to allocate them to."""


class ConservationViolated(SettlementError):
    """Lines do not add up to the station totals. A bug in the engine, never bad input."""


class InvalidStatement(SettlementError):
    """A serialised statement is malformed or its totals, line hashes or root do not match."""
