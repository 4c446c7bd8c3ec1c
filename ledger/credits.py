"""Typed client for CarbonCredits: issuance requests and decisions, green-certificate exclusion,
transfers, retirement and revocation, and the per-id views. Every write signs with the Ledger's
own account; `ledger.as_account(key)` gives a Ledger for another actor."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from web3.logs import DISCARD
from web3.types import TxReceipt

from ledger.client import Ledger
from ledger.tx import receipt_hash

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO_HASH = bytes(32)


class CreditState(IntEnum):
    """ICarbonCredits.CreditState; "retired" is an amount, not a state."""

    NONE = 0
    REQUESTED = 1
    REJECTED = 2
    LIVE = 3
    REVOKED = 4


@dataclass(frozen=True)
class Credit:
    """What is stored for one request / token id."""

    request_id: int
    station_id: int
    participant: str
    period_start: int
    period_end: int
    requested_grams: int
    methodology_version: int
    factor_version: int
    reports_root: bytes
    state: CreditState


@dataclass(frozen=True)
class CreditAmounts:
    """Per-id counters; issued = live + retired + revoked always holds."""

    state: CreditState
    issued: int
    live: int
    retired: int
    revoked: int


@dataclass(frozen=True)
class Issuance:
    """A request and, once approved, what it minted and consumed."""

    request_id: int
    tx_hash: str
    units: int = 0
    consumed_grams: int = 0


@dataclass(frozen=True)
class RetireInfo:
    """The typed claim of a retirement (ICarbonCredits.RetireInfo)."""

    beneficiary: str
    beneficiary_address: str = ZERO_ADDRESS
    period_start: int = 0
    period_end: int = 0
    country: str = "CN"
    purpose: str = ""

    def as_abi(self) -> tuple[str, str, int, int, bytes, str]:
        country = self.country.encode("ascii")
        if len(country) != 2:
            raise ValueError(f"country must be an ISO 3166-1 alpha-2 code, not {self.country!r}")
        return (
            self.beneficiary,
            self.beneficiary_address,
            self.period_start,
            self.period_end,
            country,
            self.purpose,
        )


class CreditsClient:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.contract = ledger.contract("CarbonCredits")

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def _event(self, receipt: TxReceipt, name: str) -> dict[str, Any]:
        events = getattr(self.contract.events, name)().process_receipt(receipt, errors=DISCARD)
        return dict(events[0]["args"])

    def _transact(self, fn: Any) -> TxReceipt:
        return self.ledger.tx.transact(fn)

    # -- writes -------------------------------------------------------------------------------

    def request_issuance(
        self,
        station_id: int,
        participant: str,
        grams: int,
        *,
        period_start: int,
        period_end: int,
        factor_version: int,
        methodology_version: int = 1,
        reports_root: bytes = ZERO_HASH,
    ) -> Issuance:
        """Ask for credits against `participant`'s un-issued avoided grams (signed by the
        participant itself or the station operator)."""
        receipt = self._transact(
            self.contract.functions.requestIssuance(
                station_id,
                participant,
                period_start,
                period_end,
                grams,
                methodology_version,
                factor_version,
                reports_root,
            )
        )
        args = self._event(receipt, "IssuanceRequested")
        return Issuance(request_id=int(args["requestId"]), tx_hash=receipt_hash(receipt))

    def approve(self, request_id: int) -> Issuance:
        """Approve a pending request (VERIFIER_ROLE): consumes the grams and mints."""
        receipt = self._transact(self.contract.functions.approveIssuance(request_id))
        args = self._event(receipt, "IssuanceApproved")
        return Issuance(
            request_id=request_id,
            tx_hash=receipt_hash(receipt),
            units=int(args["units"]),
            consumed_grams=int(args["consumedGrams"]),
        )

    def reject(self, request_id: int, reason_hash: bytes = ZERO_HASH) -> str:
        receipt = self._transact(self.contract.functions.rejectIssuance(request_id, reason_hash))
        return receipt_hash(receipt)

    def exclude_green_certificate(
        self, station_id: int, participant: str, mwh: int, certificate_id: bytes
    ) -> int:
        """Consume the avoided grams behind a green certificate's MWh; returns the grams."""
        receipt = self._transact(
            self.contract.functions.excludeGreenCertificate(
                station_id, participant, mwh, certificate_id
            )
        )
        return int(self._event(receipt, "GreenCertificateExcluded")["grams"])

    def transfer(self, to: str, token_id: int, amount: int, *, sender: str | None = None) -> str:
        """safeTransferFrom(sender or the signer, to, id, amount, "")."""
        source = sender or self.ledger.tx.address
        receipt = self._transact(
            self.contract.functions.safeTransferFrom(source, to, token_id, amount, b"")
        )
        return receipt_hash(receipt)

    def retire(self, token_id: int, amount: int, info: RetireInfo) -> str:
        receipt = self._transact(self.contract.functions.retire(token_id, amount, info.as_abi()))
        return receipt_hash(receipt)

    def revoke(self, token_id: int, reason_hash: bytes = ZERO_HASH) -> str:
        """Revoke a live id (REGULATOR_ROLE): its live supply freezes as revoked."""
        receipt = self._transact(self.contract.functions.revoke(token_id, reason_hash))
        return receipt_hash(receipt)

    # -- views --------------------------------------------------------------------------------

    def credit(self, token_id: int) -> Credit:
        raw = self.ledger.tx.call(self.contract.functions.creditOf(token_id))
        return Credit(
            request_id=int(raw[0]),
            station_id=int(raw[1]),
            participant=str(raw[2]),
            period_start=int(raw[3]),
            period_end=int(raw[4]),
            requested_grams=int(raw[5]),
            methodology_version=int(raw[6]),
            factor_version=int(raw[7]),
            reports_root=bytes(raw[8]),
            state=CreditState(int(raw[9])),
        )

    def amounts(self, token_id: int) -> CreditAmounts:
        state, issued, live, retired, revoked = self.ledger.tx.call(
            self.contract.functions.amountsOf(token_id)
        )
        return CreditAmounts(
            CreditState(int(state)), int(issued), int(live), int(retired), int(revoked)
        )

    def balance_of(self, account: str, token_id: int) -> int:
        return int(self.ledger.tx.call(self.contract.functions.balanceOf(account, token_id)))

    def claimed_balance_of(self, account: str, token_id: int) -> int:
        return int(self.ledger.tx.call(self.contract.functions.claimedBalanceOf(account, token_id)))

    def request_count(self) -> int:
        return int(self.ledger.tx.call(self.contract.functions.requestCount()))

    def grams_per_unit(self) -> int:
        return int(self.ledger.tx.call(self.contract.functions.gramsPerUnit()))
