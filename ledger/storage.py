"""Typed client for the StorageLedger: submit signed interval reports, attest curtailment,
read accounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from web3.types import TxReceipt

from ledger.baselines import Baseline
from ledger.client import Ledger
from ledger.reports import IntervalReport

# Report keys per record slot of the ledger (StorageLedger._reportKeys): one window of 128
# intervals per slot, so a report opens a new slot once per 128 intervals.
REPORT_KEYS_PER_SLOT = 128


@dataclass(frozen=True)
class EnergyAccount:
    charged_wh: int
    discharged_wh: int
    balance_wh: int
    losses_wh: int


@dataclass(frozen=True)
class AvoidedAccount:
    avoided_grams: int
    consumed_grams: int
    unissued_grams: int
    factor_version: int


@dataclass(frozen=True)
class CurtailedCharge:
    """One participant's part of a curtailment attestation: Wh of its charging in the interval
    that came from curtailed renewables (counted at emission factor 0)."""

    participant: str
    curtailed_wh: int


class ReportRecord(NamedTuple):
    """`StorageLedger.reportOf`: whether the key's report was accepted, and its digest's first
    16 bytes when it is the latest accepted key of its window (None otherwise: the digest is in
    its ReportAccepted event). `any(record)` is true iff the key was accepted."""

    accepted: bool
    digest_prefix: bytes | None


def sorted_charges(charges: Iterable[CurtailedCharge]) -> list[CurtailedCharge]:
    """Charges in the ascending address order the ledger requires."""
    return sorted(charges, key=lambda c: int(c.participant, 16))


class StorageLedgerClient:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.contract = ledger.contract("StorageLedger")

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def submit(
        self, report: IntervalReport, signatures: list[bytes], gas: int | None = None
    ) -> TxReceipt:
        fn = self.contract.functions.submitReport(report.as_abi(), signatures)
        return self.ledger.tx.transact(fn, gas=gas)

    def submit_many(
        self, reports: list[IntervalReport], signatures: list[list[bytes]], gas: int | None = None
    ) -> TxReceipt:
        fn = self.contract.functions.submitReports([r.as_abi() for r in reports], signatures)
        return self.ledger.tx.transact(fn, gas=gas)

    def attest_curtailment(
        self, station_id: int, interval_start: int, charges: Iterable[CurtailedCharge]
    ) -> TxReceipt:
        """The grid operator's attestation of one interval (signer needs GRID_OPERATOR_ROLE)."""
        rows = [(c.participant, c.curtailed_wh) for c in sorted_charges(charges)]
        fn = self.contract.functions.attestCurtailment(station_id, interval_start, rows)
        return self.ledger.tx.transact(fn)

    def set_baseline(
        self,
        station_id: int,
        participant: str,
        device: str,
        raw_charged_wh: int,
        raw_discharged_wh: int,
    ) -> TxReceipt:
        """Record the meter channel's raw counters as the participant's baseline (signer: the
        station's operator or the registry admin)."""
        fn = self.contract.functions.setBaseline(
            station_id, participant, device, raw_charged_wh, raw_discharged_wh
        )
        return self.ledger.tx.transact(fn)

    def baseline_of(self, station_id: int, participant: str) -> Baseline:
        device, *numbers = self.ledger.tx.call(
            self.contract.functions.baselineOf(station_id, participant)
        )
        return Baseline(str(device), *(int(n) for n in numbers))

    def curtailed_of(self, station_id: int, participant: str) -> int:
        """Cumulative attested curtailed Wh of an account."""
        return int(
            self.ledger.tx.call(self.contract.functions.curtailedOf(station_id, participant))
        )

    def curtailment_attested(self, station_id: int, interval_start: int) -> bool:
        return bool(
            self.ledger.tx.call(
                self.contract.functions.curtailmentAttested(station_id, interval_start)
            )
        )

    def hash_report(self, report: IntervalReport) -> bytes:
        return bytes(self.ledger.tx.call(self.contract.functions.hashReport(report.as_abi())))

    def account_of(self, station_id: int, participant: str) -> EnergyAccount:
        return EnergyAccount(
            *(
                int(v)
                for v in self.ledger.tx.call(
                    self.contract.functions.accountOf(station_id, participant)
                )
            )
        )

    def avoided_of(self, station_id: int, participant: str) -> AvoidedAccount:
        return AvoidedAccount(
            *(
                int(v)
                for v in self.ledger.tx.call(
                    self.contract.functions.avoidedOf(station_id, participant)
                )
            )
        )

    def report_of(self, station_id: int, interval_start: int) -> ReportRecord:
        accepted, digest = self.ledger.tx.call(
            self.contract.functions.reportOf(station_id, interval_start)
        )
        prefix = bytes(digest)
        return ReportRecord(bool(accepted), prefix if any(prefix) else None)

    def is_reported(self, station_id: int, interval_start: int) -> bool:
        """Whether a report with this key was accepted."""
        return self.report_of(station_id, interval_start).accepted

    def latest_interval(self, station_id: int) -> tuple[int, int, int, int]:
        start, end, soc, soh = self.ledger.tx.call(
            self.contract.functions.latestInterval(station_id)
        )
        return int(start), int(end), int(soc), int(soh)
