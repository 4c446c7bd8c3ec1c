"""Settlement of a shared storage station: tariff terms, the engine, and the statement whose
Merkle root is anchored on-chain and against which each participant proves its own line."""

from __future__ import annotations

from ledger.settlement.engine import settle
from ledger.settlement.errors import (
    ConservationViolated,
    InvalidInterval,
    InvalidLease,
    InvalidLosses,
    InvalidPeriod,
    InvalidStatement,
    InvalidTerms,
    SettlementError,
    TermsNotInForce,
    UnknownParticipant,
)
from ledger.settlement.inputs import IntervalRecord, Lease
from ledger.settlement.statement import Line, Statement, Totals, verify_line
from ledger.settlement.terms import CallWindow, DailyWindow, Terms

__all__ = [
    "CallWindow",
    "ConservationViolated",
    "DailyWindow",
    "IntervalRecord",
    "InvalidInterval",
    "InvalidLease",
    "InvalidLosses",
    "InvalidPeriod",
    "InvalidStatement",
    "InvalidTerms",
    "Lease",
    "Line",
    "SettlementError",
    "Statement",
    "Terms",
    "TermsNotInForce",
    "Totals",
    "UnknownParticipant",
    "settle",
    "verify_line",
]
