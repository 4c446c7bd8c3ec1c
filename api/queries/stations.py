"""Stations and their interval history."""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.errors import ApiError, NotFound
from api.models import IntervalPublic, ParticipantIntervalPublic, StationPublic
from api.queries import rows
from ledger.index.tables import ParticipantIntervalRow, ReportRow, StationRow


def _public(session: Session, row: StationRow) -> StationPublic:
    count, latest = rows.station_stats(session, row.station_id)
    return StationPublic(
        **row.model_dump(exclude={"block_number"}),
        participants=sorted(rows.latest_leases(session, row.station_id)),
        latest_interval_start=latest,
        intervals_on_chain=count,
    )


def _station_row(session: Session, station_id: int) -> StationRow:
    row = session.get(StationRow, station_id)
    if row is None:
        raise NotFound(f"station {station_id} is not registered (or not indexed yet)")
    return row


def list_stations(*, session: Session) -> list[StationPublic]:
    return [_public(session, row) for row in rows.stations(session)]


def get_station(*, session: Session, station_id: int) -> StationPublic:
    return _public(session, _station_row(session, station_id))


def list_intervals(
    *,
    session: Session,
    station_id: int,
    from_: int | None = None,
    to: int | None = None,
    limit: int = 500,
) -> list[IntervalPublic]:
    """Accepted interval reports of the station with each participant's line, from_ inclusive,
    to exclusive (unix seconds), oldest first."""
    _station_row(session, station_id)
    if from_ is not None and to is not None and to <= from_:
        raise ApiError(f"to ({to}) must be after from ({from_})")
    query = select(ReportRow).where(ReportRow.station_id == station_id, ReportRow.interval_end > 0)
    if from_ is not None:
        query = query.where(col(ReportRow.interval_start) >= rows.big(from_))
    if to is not None:
        query = query.where(col(ReportRow.interval_start) < rows.big(to))
    reports = session.exec(query.order_by(col(ReportRow.interval_start)).limit(limit)).all()
    if not reports:
        return []
    starts = [r.interval_start for r in reports]
    by_key: dict[tuple[int, str], ParticipantIntervalPublic] = {}
    for p in session.exec(
        select(ParticipantIntervalRow).where(
            ParticipantIntervalRow.station_id == station_id,
            col(ParticipantIntervalRow.interval_start).in_(starts),
        )
    ).all():
        by_key[p.interval_start, p.participant] = ParticipantIntervalPublic(
            participant=p.participant,
            charged_wh=p.charged_wh,
            discharged_wh=p.discharged_wh,
            curtailed_wh=0,
            losses_wh=p.losses_wh,
            avoided_grams=p.avoided_grams,
            factor_version=p.factor_version,
        )
    for c in rows.curtailments(session, station_id, starts):
        # The ledger bounds attestations by cumulative charge only: one may name a participant
        # its interval's report did not (essl verify flags it); it is listed all the same.
        line = by_key.setdefault(
            (c.interval_start, c.participant),
            ParticipantIntervalPublic(
                participant=c.participant,
                charged_wh=0,
                discharged_wh=0,
                curtailed_wh=0,
                losses_wh=0,
                avoided_grams=0,
                factor_version=c.factor_version,
            ),
        )
        line.curtailed_wh = c.curtailed_wh
        line.avoided_grams += c.avoided_grams
    by_start: dict[int, list[ParticipantIntervalPublic]] = {}
    for (start, _), line in by_key.items():
        by_start.setdefault(start, []).append(line)
    return [
        IntervalPublic(
            station_id=r.station_id,
            interval_start=r.interval_start,
            interval_end=r.interval_end,
            soc_bps=r.soc_bps,
            soh_bps=r.soh_bps,
            alarm_bits=r.alarm_bits,
            readings_root=r.readings_root,
            reading_count=r.reading_count,
            tx_hash=r.tx_hash,
            block_number=r.block_number,
            participants=sorted(by_start.get(r.interval_start, []), key=lambda x: x.participant),
        )
        for r in reports
    ]
