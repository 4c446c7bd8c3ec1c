"""How the carbon events land in SQL: factor datasets, avoided grams consumed, and each credit's
request, decision, moves, retirements and revocation (registered in projections.PROJECTIONS)."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from ledger.index.events import EventMeta
from ledger.index.tables import (
    AvoidedConsumedRow,
    CreditDecisionRow,
    CreditMoveRow,
    CreditRetirementRow,
    CreditRevocationRow,
    CreditRow,
    EmissionFactorDatasetRow,
)


def ascii_code(value: str) -> str:
    """A right-zero-padded bytesN code (hex) as text: bytes32 regions, bytes2 countries."""
    return bytes.fromhex(value.removeprefix("0x")).rstrip(b"\0").decode("ascii", "replace")


def dataset_registered(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    factors = [[ascii_code(r), int(g)] for r, g in zip(a["regions"], a["gramsPerMWh"], strict=True)]
    s.merge(
        EmissionFactorDatasetRow(
            version=a["version"],
            dataset_hash=a["datasetHash"],
            source_uri=a["sourceUri"],
            valid_from=a["validFrom"],
            valid_to=a["validTo"],
            factors_json=json.dumps(factors),
            tx_hash=m.tx_hash,
            block_number=m.block_number,
        )
    )


def avoided_consumed(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        AvoidedConsumedRow(
            block_number=m.block_number,
            log_index=m.log_index,
            station_id=a["stationId"],
            participant=a["participant"],
            consumer=a["by"],
            grams=a["grams"],
            consumed_total=a["consumedTotal"],
        )
    )


def issuance_requested(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        CreditRow(
            token_id=a["requestId"],
            station_id=a["stationId"],
            participant=a["participant"],
            requester=a["requester"],
            period_start=a["periodStart"],
            period_end=a["periodEnd"],
            requested_grams=a["grams"],
            methodology_version=a["methodologyVersion"],
            factor_version=a["factorVersion"],
            reports_root=a["reportsRoot"],
            tx_hash=m.tx_hash,
            block_number=m.block_number,
        )
    )


def _decision(
    s: Session, m: EventMeta, token_id: int, verifier: str, approved: bool, **what: Any
) -> None:
    s.merge(
        CreditDecisionRow(
            token_id=token_id,
            approved=approved,
            verifier=verifier,
            tx_hash=m.tx_hash,
            block_number=m.block_number,
            **what,
        )
    )


def issuance_approved(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    _decision(
        s,
        m,
        a["requestId"],
        a["verifier"],
        True,
        units=a["units"],
        consumed_grams=a["consumedGrams"],
        reason_hash="",
    )


def issuance_rejected(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    _decision(
        s,
        m,
        a["requestId"],
        a["verifier"],
        False,
        units=0,
        consumed_grams=0,
        reason_hash=a["reasonHash"],
    )


def _moves(s: Session, a: dict[str, Any], m: EventMeta, ids: list[int], values: list[int]) -> None:
    for position, (token_id, amount) in enumerate(zip(ids, values, strict=True)):
        s.merge(
            CreditMoveRow(
                block_number=m.block_number,
                log_index=m.log_index,
                position=position,
                token_id=token_id,
                operator=a["operator"],
                from_address=a["from"],
                to_address=a["to"],
                amount=amount,
                tx_hash=m.tx_hash,
            )
        )


def transfer_single(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    _moves(s, a, m, [a["id"]], [a["value"]])


def transfer_batch(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    _moves(s, a, m, list(a["ids"]), list(a["values"]))


def retired(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        CreditRetirementRow(
            block_number=m.block_number,
            log_index=m.log_index,
            token_id=a["id"],
            account=a["account"],
            beneficiary_address=a["beneficiaryAddress"],
            amount=a["amount"],
            beneficiary=a["beneficiary"],
            period_start=a["periodStart"],
            period_end=a["periodEnd"],
            country=ascii_code(a["country"]),
            purpose=a["purpose"],
            tx_hash=m.tx_hash,
        )
    )


def revoked(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        CreditRevocationRow(
            token_id=a["id"],
            regulator=a["regulator"],
            amount=a["amount"],
            reason_hash=a["reasonHash"],
            tx_hash=m.tx_hash,
            block_number=m.block_number,
        )
    )


CREDIT_PROJECTIONS = {
    "DatasetRegistered": dataset_registered,
    "AvoidedConsumed": avoided_consumed,
    "IssuanceRequested": issuance_requested,
    "IssuanceApproved": issuance_approved,
    "IssuanceRejected": issuance_rejected,
    "TransferSingle": transfer_single,  # CarbonCredits is the suite's only ERC-1155
    "TransferBatch": transfer_batch,
    "Retired": retired,
    "Revoked": revoked,
}
