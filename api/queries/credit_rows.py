"""Read-side queries for credits and avoided emissions. Current amounts are derived from the
event rows (moves, retirements, revocations), never stored, so a reorg rewind stays exact."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.queries.rows import attested_grams
from ledger.index.tables import (
    AvoidedConsumedRow,
    CreditDecisionRow,
    CreditMoveRow,
    CreditRetirementRow,
    CreditRevocationRow,
    CreditRow,
    ParticipantIntervalRow,
)
from ledger.reasons import reason_texts

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def credit_state(decision: CreditDecisionRow | None, revocation: CreditRevocationRow | None) -> str:
    if decision is None:
        return "requested"
    if not decision.approved:
        return "rejected"
    return "revoked" if revocation is not None else "live"


Decided = tuple[CreditDecisionRow | None, CreditRevocationRow | None]


def decided_reasons(session: Session, credits: Iterable[Decided]) -> dict[str, str]:
    """The known texts of the credits' rejection and revocation reason hashes, by hash (only
    texts that hash to the on-chain hash; none for an approval or the zero hash), in one query."""
    hashes: list[str] = []
    for decision, revocation in credits:
        if decision is not None and not decision.approved:
            hashes.append(decision.reason_hash)
        if revocation is not None:
            hashes.append(revocation.reason_hash)
    return reason_texts(session, hashes)


def credit_reasons(
    session: Session, decision: CreditDecisionRow | None, revocation: CreditRevocationRow | None
) -> dict[str, str]:
    """One credit's `decided_reasons`."""
    return decided_reasons(session, [(decision, revocation)])


def retired_units(session: Session, token_id: int) -> int:
    total = session.exec(
        select(func.sum(CreditRetirementRow.amount)).where(CreditRetirementRow.token_id == token_id)
    ).one()
    return int(total or 0)


def holder_balances(session: Session, token_id: int) -> dict[str, int]:
    """Balance per holder from the ERC-1155 moves (a revoked id keeps its frozen balances)."""
    balances: dict[str, int] = defaultdict(int)
    for move in session.exec(select(CreditMoveRow).where(CreditMoveRow.token_id == token_id)):
        if move.from_address != ZERO_ADDRESS:
            balances[move.from_address] -= move.amount
        if move.to_address != ZERO_ADDRESS:
            balances[move.to_address] += move.amount
    return {holder: amount for holder, amount in sorted(balances.items()) if amount}


def participant_holdings(session: Session, participant: str) -> dict[int, tuple[int, int]]:
    """(held balance, retired by the participant) per token id the participant ever touched."""
    held: dict[int, int] = defaultdict(int)
    retired: dict[int, int] = defaultdict(int)
    who = participant.lower()
    moves = session.exec(
        select(CreditMoveRow).where(
            (func.lower(CreditMoveRow.from_address) == who)
            | (func.lower(CreditMoveRow.to_address) == who)
        )
    )
    for move in moves:
        if move.from_address.lower() == who:
            held[move.token_id] -= move.amount
        if move.to_address.lower() == who:
            held[move.token_id] += move.amount
    for claim in session.exec(
        select(CreditRetirementRow).where(func.lower(CreditRetirementRow.account) == who)
    ):
        retired[claim.token_id] += claim.amount
    ids = sorted(set(held) | set(retired))
    return {token_id: (held[token_id], retired[token_id]) for token_id in ids}


def credits_by_id(session: Session, ids: list[int]) -> dict[int, CreditRow]:
    rows = session.exec(select(CreditRow).where(col(CreditRow.token_id).in_(ids))).all()
    return {row.token_id: row for row in rows}


def avoided_totals(session: Session, participant: str) -> dict[int, tuple[int, int]]:
    """(avoided grams, consumed grams) per station; avoided counts the reports' grams and
    those of the curtailment attestations, as the ledger's avoidedOf does."""
    who = participant.lower()
    booked = session.exec(
        select(  # type: ignore[call-overload]
            ParticipantIntervalRow.station_id, func.sum(ParticipantIntervalRow.avoided_grams)
        )
        .where(func.lower(ParticipantIntervalRow.participant) == who)
        .group_by(col(ParticipantIntervalRow.station_id))
    ).all()
    consumed = session.exec(
        select(  # type: ignore[call-overload]
            AvoidedConsumedRow.station_id, func.sum(AvoidedConsumedRow.grams)
        )
        .where(func.lower(AvoidedConsumedRow.participant) == who)
        .group_by(col(AvoidedConsumedRow.station_id))
    ).all()
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for station_id, grams in booked:
        totals[int(station_id)][0] = int(grams or 0)
    for station_id, grams in attested_grams(session, participant).items():
        totals[station_id][0] += grams
    for station_id, grams in consumed:
        totals[int(station_id)][1] = int(grams or 0)
    return {station_id: (v[0], v[1]) for station_id, v in sorted(totals.items())}
