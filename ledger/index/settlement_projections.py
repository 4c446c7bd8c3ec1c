"""How SettlementAnchor's events land in SQL: registered terms, anchored statements, each
participant's response, and the Final / Disputed / Superseded transitions (registered in
projections.PROJECTIONS)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ledger.index.events import EventMeta
from ledger.index.tables import (
    SettlementAnchorRow,
    SettlementResponseRow,
    SettlementTermsRow,
    SettlementTransitionRow,
)

ZERO_HASH = "0x" + "00" * 32
SUPERSEDED = 4  # ISettlementAnchor.StatementState.Superseded


def terms_registered(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        SettlementTermsRow(
            station_id=a["stationId"],
            terms_hash=a["termsHash"],
            version=a["version"],
            registered_by=a["by"],
            tx_hash=m.tx_hash,
            block_number=m.block_number,
        )
    )


def statement_anchored(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        SettlementAnchorRow(
            station_id=a["stationId"],
            period=a["period"],
            version=a["version"],
            lines_root=a["linesRoot"],
            terms_hash=a["termsHash"],
            net_total=a["netTotal"],
            participant_count=a["participantCount"],
            deadline=a["deadline"],
            supersedes_version=a["supersedesVersion"],
            anchored_by=a["by"],
            tx_hash=m.tx_hash,
            block_number=m.block_number,
        )
    )


def _response(s: Session, a: dict[str, Any], m: EventMeta, response: int, reason: str) -> None:
    s.merge(
        SettlementResponseRow(
            station_id=a["stationId"],
            period=a["period"],
            version=a["version"],
            participant=a["participant"],
            response=response,
            net_minor=a["netMinor"],
            line_hash=a["lineHash"],
            reason_hash=reason,
            tx_hash=m.tx_hash,
            block_number=m.block_number,
        )
    )


def statement_acknowledged(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    _response(s, a, m, 1, ZERO_HASH)


def statement_disputed(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    _response(s, a, m, 2, a["reasonHash"])


def statement_finalized(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        SettlementTransitionRow(
            block_number=m.block_number,
            log_index=m.log_index,
            station_id=a["stationId"],
            period=a["period"],
            version=a["version"],
            state=a["outcome"],
            acknowledged_count=a["acknowledgedCount"],
            disputed_count=a["disputedCount"],
            tx_hash=m.tx_hash,
        )
    )


def statement_superseded(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        SettlementTransitionRow(
            block_number=m.block_number,
            log_index=m.log_index,
            station_id=a["stationId"],
            period=a["period"],
            version=a["oldVersion"],
            state=SUPERSEDED,
            superseded_by=a["newVersion"],
            tx_hash=m.tx_hash,
        )
    )


SETTLEMENT_PROJECTIONS = {
    "TermsRegistered": terms_registered,
    "StatementAnchored": statement_anchored,
    "StatementAcknowledged": statement_acknowledged,
    "StatementDisputed": statement_disputed,
    "StatementFinalized": statement_finalized,
    "StatementSuperseded": statement_superseded,
}
