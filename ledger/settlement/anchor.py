"""Typed client for SettlementAnchor: register terms, anchor a statement, acknowledge or
dispute one's own line (directly, or signed off-chain and relayed with `*_by_sig`), finalize,
and the views. Every write signs with the Ledger's own account; `ledger.as_account(acct)`
gives a Ledger for another actor."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from ledger.client import Ledger
from ledger.reasons import reason_hash as reason_hash  # the old import path
from ledger.settlement.statement import Statement
from ledger.settlement.terms import Terms
from ledger.tx import receipt_hash

DOMAIN_NAME = "ESSLedgerSettlement"
DOMAIN_VERSION = "1"
ZERO_HASH = bytes(32)

RESPONSE_TYPES: dict[str, list[dict[str, str]]] = {
    "LineResponse": [
        {"name": "stationId", "type": "uint32"},
        {"name": "period", "type": "uint32"},
        {"name": "version", "type": "uint16"},
        {"name": "participant", "type": "address"},
        {"name": "response", "type": "uint8"},
        {"name": "netMinor", "type": "int256"},
        {"name": "lineHash", "type": "bytes32"},
        {"name": "reasonHash", "type": "bytes32"},
        {"name": "signatureDeadline", "type": "uint64"},
    ]
}


class StatementState(IntEnum):
    """ISettlementAnchor.StatementState."""

    NONE = 0
    PENDING = 1
    FINAL = 2
    DISPUTED = 3
    SUPERSEDED = 4


class Response(IntEnum):
    """ISettlementAnchor.Response."""

    NONE = 0
    ACKNOWLEDGED = 1
    DISPUTED = 2


@dataclass(frozen=True)
class AnchoredStatement:
    """What the contract stores for one (station, period, version)."""

    lines_root: bytes
    terms_hash: bytes
    net_total: int
    deadline: int
    participant_count: int
    supersedes_version: int
    acknowledged_count: int
    disputed_count: int
    state: StatementState
    superseded_by: int


@dataclass(frozen=True)
class LineResponse:
    """A participant's answer to one statement version (ISettlementAnchor.LineResponse)."""

    station_id: int
    period: int
    version: int
    participant: str
    net_minor: int
    line_hash: bytes
    reason_hash: bytes
    signature_deadline: int

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.station_id,
            self.period,
            self.version,
            self.participant,
            self.net_minor,
            self.line_hash,
            self.reason_hash,
            self.signature_deadline,
        )

    def typed_data(self, response: Response, chain_id: int, anchor: str) -> dict[str, Any]:
        """The EIP-712 document the participant signs (eth_signTypedData_v4 shape)."""
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                **RESPONSE_TYPES,
            },
            "primaryType": "LineResponse",
            "domain": {
                "name": DOMAIN_NAME,
                "version": DOMAIN_VERSION,
                "chainId": chain_id,
                "verifyingContract": Web3.to_checksum_address(anchor),
            },
            "message": {
                "stationId": self.station_id,
                "period": self.period,
                "version": self.version,
                "participant": self.participant,
                "response": int(response),
                "netMinor": self.net_minor,
                "lineHash": self.line_hash,
                "reasonHash": self.reason_hash,
                "signatureDeadline": self.signature_deadline,
            },
        }

    def sign(self, key: bytes | str, response: Response, chain_id: int, anchor: str) -> bytes:
        message = encode_typed_data(full_message=self.typed_data(response, chain_id, anchor))
        return bytes(Account.sign_message(message, key).signature)

    def signer(self, signature: bytes, response: Response, chain_id: int, anchor: str) -> str:
        """The address that signed (for a quick check before relaying)."""
        message = encode_typed_data(full_message=self.typed_data(response, chain_id, anchor))
        return str(Account.recover_message(message, signature=signature))


def line_response(
    statement: Statement,
    period: int,
    version: int,
    participant: str,
    *,
    reason_hash: bytes = ZERO_HASH,
    signature_deadline: int,
) -> LineResponse:
    """`participant`'s response to its own line of `statement` (KeyError if it has none)."""
    line = statement.line_for(participant)
    return LineResponse(
        station_id=statement.station_id,
        period=period,
        version=version,
        participant=line.participant,
        net_minor=line.net,
        line_hash=line.line_hash,
        reason_hash=reason_hash,
        signature_deadline=signature_deadline,
    )


class SettlementAnchorClient:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.contract = ledger.contract("SettlementAnchor")

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def _transact(self, fn: Any) -> str:
        return receipt_hash(self.ledger.tx.transact(fn))

    def events(self, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
        found = getattr(self.contract.events, name)().process_receipt(receipt, errors=DISCARD)
        return [dict(e["args"]) for e in found]

    # -- writes -------------------------------------------------------------------------------

    def register_terms(self, station_id: int, terms: Terms) -> str:
        """Register `terms.hash` as `terms.version` (station operator or admin)."""
        return self._transact(
            self.contract.functions.registerTerms(station_id, terms.hash, terms.version)
        )

    def anchor(
        self,
        statement: Statement,
        period: int,
        version: int,
        window_s: int,
        supersedes: int = 0,
    ) -> str:
        """Anchor the statement's root and totals as `version` of (station, period)."""
        return self._transact(
            self.contract.functions.anchorStatement(
                statement.station_id,
                period,
                version,
                statement.root,
                statement.terms_hash,
                statement.totals.net,
                len(statement.lines),
                window_s,
                supersedes,
            )
        )

    def acknowledge(self, statement: Statement, period: int, version: int) -> str:
        """The signer acknowledges its own line (found in `statement`, with its proof)."""
        me = self.ledger.tx.address
        line = statement.line_for(me)
        return self._transact(
            self.contract.functions.acknowledge(
                statement.station_id,
                period,
                version,
                line.net,
                line.line_hash,
                statement.proof_for(me),
            )
        )

    def dispute(self, statement: Statement, period: int, version: int, reason: bytes) -> str:
        """The signer disputes the statement, proving its own line; `reason` is a hash."""
        me = self.ledger.tx.address
        line = statement.line_for(me)
        return self._transact(
            self.contract.functions.dispute(
                statement.station_id,
                period,
                version,
                line.net,
                line.line_hash,
                statement.proof_for(me),
                reason,
            )
        )

    def sign_response(self, account: LocalAccount, response: LineResponse, kind: Response) -> bytes:
        return response.sign(bytes(account.key), kind, self.ledger.chain_id, self.address)

    def relay(
        self, statement: Statement, response: LineResponse, kind: Response, signature: bytes
    ) -> str:
        """Send a participant's signed response from the Ledger's own key."""
        proof = statement.proof_for(response.participant)
        fn = (
            self.contract.functions.acknowledgeBySig
            if kind is Response.ACKNOWLEDGED
            else self.contract.functions.disputeBySig
        )
        return self._transact(fn(response.as_abi(), proof, signature))

    def finalize(self, station_id: int, period: int, version: int) -> StatementState:
        """Close a Pending statement after its window (anyone); returns Final or Disputed."""
        receipt = self.ledger.tx.transact(
            self.contract.functions.finalize(station_id, period, version)
        )
        return StatementState(int(self.events(receipt, "StatementFinalized")[0]["outcome"]))

    # -- views --------------------------------------------------------------------------------

    def statement_of(self, station_id: int, period: int, version: int) -> AnchoredStatement:
        raw = self.ledger.tx.call(self.contract.functions.statementOf(station_id, period, version))
        return AnchoredStatement(
            lines_root=bytes(raw[0]),
            terms_hash=bytes(raw[1]),
            net_total=int(raw[2]),
            deadline=int(raw[3]),
            participant_count=int(raw[4]),
            supersedes_version=int(raw[5]),
            acknowledged_count=int(raw[6]),
            disputed_count=int(raw[7]),
            state=StatementState(int(raw[8])),
            superseded_by=int(raw[9]),
        )

    def state(self, station_id: int, period: int, version: int) -> StatementState:
        return StatementState(
            int(self.ledger.tx.call(self.contract.functions.stateOf(station_id, period, version)))
        )

    def latest_version(self, station_id: int, period: int) -> int:
        return int(self.ledger.tx.call(self.contract.functions.latestVersion(station_id, period)))

    def response_of(self, station_id: int, period: int, version: int, participant: str) -> Response:
        return Response(
            int(
                self.ledger.tx.call(
                    self.contract.functions.responseOf(station_id, period, version, participant)
                )
            )
        )

    def terms_version_of(self, station_id: int, terms_hash: bytes) -> int:
        return int(
            self.ledger.tx.call(self.contract.functions.termsVersionOf(station_id, terms_hash))
        )

    def latest_terms_version(self, station_id: int) -> int:
        return int(self.ledger.tx.call(self.contract.functions.latestTermsVersion(station_id)))

    def verify_line(
        self, statement: Statement, period: int, version: int, participant: str
    ) -> bool:
        """Whether the on-chain root of (station, period, version) proves `participant`'s line."""
        line = statement.line_for(participant)
        return bool(
            self.ledger.tx.call(
                self.contract.functions.verifyLine(
                    statement.station_id,
                    period,
                    version,
                    statement.proof_for(participant),
                    line.participant,
                    line.net,
                    line.line_hash,
                )
            )
        )

    def response_digest(self, response: LineResponse, kind: Response) -> bytes:
        fn = self.contract.functions.responseDigest(response.as_abi(), int(kind))
        return bytes(self.ledger.tx.call(fn))
