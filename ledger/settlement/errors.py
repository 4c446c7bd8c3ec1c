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


class SettlementRunError(LedgerError):
    """Root of the errors of a settlement run (not of the engine's input checks)."""


class NoTermsInForce(SettlementRunError):
    def __init__(self, station_id: int, period: int) -> None:
        self.station_id, self.period = station_id, period
        super().__init__(
            f"station {station_id} has no stored terms in force for {period}: register them "
            "with `essl settle terms FILE STATION`"
        )


class IncompleteData(SettlementRunError):
    def __init__(self, station_id: int, period: int, reports: int, expected: int) -> None:
        self.station_id, self.period = station_id, period
        self.reports, self.expected = reports, expected
        super().__init__(
            f"station {station_id}, {period}: {reports} of {expected} interval reports are "
            "indexed; wait for the oracle and the indexer, or settle with allow_partial"
        )


class StatementIsFinal(SettlementRunError):
    def __init__(self, station_id: int, period: int, version: int) -> None:
        self.station_id, self.period, self.version = station_id, period, version
        super().__init__(
            f"statement {station_id}/{period} v{version} is Final and differs from a new run: "
            "a Final statement is immutable"
        )


class StatementNotFound(SettlementRunError):
    def __init__(self, station_id: int, period: int, version: int | None = None) -> None:
        self.station_id, self.period, self.version = station_id, period, version
        which = f" v{version}" if version else ""
        super().__init__(f"no stored statement {station_id}/{period}{which}")
