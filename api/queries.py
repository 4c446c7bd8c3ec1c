"""Read-side queries over the indexed tables, shared by the routes."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.index.tables import (
    Checkpoint,
    LeaseRow,
    ParticipantIntervalRow,
    ReportRow,
    StationRow,
)


def latest_leases(session: Session, station_id: int) -> dict[str, LeaseRow]:
    rows = session.exec(
        select(LeaseRow)
        .where(LeaseRow.station_id == station_id)
        .order_by(col(LeaseRow.block_number), col(LeaseRow.log_index))
    ).all()
    return {row.participant: row for row in rows}  # later rows win


def checkpoint(session: Session) -> Checkpoint | None:
    return session.exec(select(Checkpoint)).first()


def station_stats(session: Session, station_id: int) -> tuple[int, int | None]:
    count, latest = session.exec(
        select(func.count(), func.max(ReportRow.interval_start)).where(
            ReportRow.station_id == station_id, ReportRow.interval_end > 0
        )
    ).one()
    return int(count), latest


def stations(session: Session) -> list[StationRow]:
    return list(session.exec(select(StationRow).order_by(col(StationRow.station_id))).all())


def participant_totals(
    session: Session, participant: str
) -> list[tuple[int, int, int, int, int, int, int]]:
    """(station, charged, discharged, stored, losses, avoided, intervals) per station."""
    rows = session.exec(
        select(  # type: ignore[call-overload]
            ParticipantIntervalRow.station_id,
            func.sum(ParticipantIntervalRow.charged_wh),
            func.sum(ParticipantIntervalRow.discharged_wh),
            func.sum(ParticipantIntervalRow.stored_wh),
            func.sum(ParticipantIntervalRow.losses_wh),
            func.sum(ParticipantIntervalRow.avoided_grams),
            func.count(),
        )
        .where(func.lower(ParticipantIntervalRow.participant) == participant.lower())
        .group_by(ParticipantIntervalRow.station_id)
    ).all()
    return [tuple(int(v or 0) for v in row) for row in rows]  # type: ignore[misc]
