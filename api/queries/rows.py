"""Read-side queries over the indexed tables, shared by the routes."""

from __future__ import annotations

from sqlalchemy import BigInteger, BindParameter, func, literal
from sqlmodel import Session, col, select

from ledger.index.tables import (
    Checkpoint,
    CurtailmentRow,
    LeaseRow,
    ParticipantIntervalRow,
    ReportRow,
    StationRow,
)


def big(value: int) -> BindParameter[int]:
    """`value` bound as BIGINT: PostgreSQL casts a plain bind to the column's INTEGER type and
    fails above 2^31 - 1, where a BIGINT bind simply matches no row."""
    return literal(value, BigInteger)


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


def curtailments(
    session: Session, station_id: int, interval_starts: list[int]
) -> list[CurtailmentRow]:
    """The grid operator's attestations of these intervals of the station."""
    return list(
        session.exec(
            select(CurtailmentRow).where(
                CurtailmentRow.station_id == station_id,
                col(CurtailmentRow.interval_start).in_(interval_starts),
            )
        ).all()
    )


def attested_grams(session: Session, participant: str) -> dict[int, int]:
    """Avoided grams the participant's curtailment attestations added, per station."""
    rows = session.exec(
        select(  # type: ignore[call-overload]
            CurtailmentRow.station_id, func.sum(CurtailmentRow.avoided_grams)
        )
        .where(func.lower(CurtailmentRow.participant) == participant.lower())
        .group_by(col(CurtailmentRow.station_id))
    ).all()
    return {int(station_id): int(grams or 0) for station_id, grams in rows}


def participant_totals(
    session: Session, participant: str
) -> list[tuple[int, int, int, int, int, int, int]]:
    """(station, charged, discharged, stored, losses, avoided, intervals) per station; avoided
    counts the reports' grams and those of the curtailment attestations."""
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
    attested = attested_grams(session, participant)
    out = []
    for row in rows:
        station_id, charged, discharged, stored, losses, avoided, count = (int(v or 0) for v in row)
        avoided += attested.pop(station_id, 0)
        out.append((station_id, charged, discharged, stored, losses, avoided, count))
    out += [(station_id, 0, 0, 0, 0, grams, 0) for station_id, grams in attested.items()]
    return sorted(out)
