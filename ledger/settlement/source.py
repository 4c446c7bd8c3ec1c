"""Engine inputs from the indexed tables: per-participant interval records
(ParticipantIntervalRow, projected from ReportAccepted) and each participant's current lease
(the latest LeaseRow, as the Registry keeps one lease per station and participant)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from ledger.index.tables import LeaseRow, ParticipantIntervalRow, ReportRow, StationRow
from ledger.settlement.inputs import IntervalRecord, Lease


@dataclass(frozen=True)
class PeriodInputs:
    station_id: int
    period_start: int
    period_end: int
    interval_s: int
    intervals: list[IntervalRecord]
    leases: list[Lease]
    reports: int  # interval reports indexed in the period

    @property
    def expected_reports(self) -> int:
        return (self.period_end - self.period_start) // self.interval_s

    @property
    def complete(self) -> bool:
        return self.reports >= self.expected_reports


def interval_records(
    session: Session, station_id: int, period_start: int, period_end: int
) -> list[IntervalRecord]:
    rows = session.exec(
        select(ParticipantIntervalRow)
        .where(ParticipantIntervalRow.station_id == station_id)
        .where(ParticipantIntervalRow.interval_start >= period_start)
        .where(ParticipantIntervalRow.interval_start < period_end)
        .order_by(
            col(ParticipantIntervalRow.interval_start), col(ParticipantIntervalRow.participant)
        )
    ).all()
    return [
        IntervalRecord(station_id, r.participant, r.interval_start, r.charged_wh, r.discharged_wh)
        for r in rows
    ]


def current_leases(
    session: Session, station_id: int, period_start: int, period_end: int
) -> list[Lease]:
    """The latest lease of each participant, if it touches [period_start, period_end)."""
    rows = session.exec(
        select(LeaseRow)
        .where(LeaseRow.station_id == station_id)
        .order_by(col(LeaseRow.block_number), col(LeaseRow.log_index))
    ).all()
    latest: dict[str, LeaseRow] = {}
    for row in rows:
        latest[row.participant] = row
    return [
        Lease(r.participant, r.leased_wh, r.valid_from, r.valid_to)
        for r in latest.values()
        if r.leased_wh > 0 and r.valid_from < period_end and period_start < r.valid_to
    ]


def period_inputs(
    session: Session, station_id: int, period_start: int, period_end: int
) -> PeriodInputs:
    station = session.get(StationRow, station_id)
    interval_s = station.interval_seconds if station is not None else 900
    reports = session.exec(
        select(func.count())
        .select_from(ReportRow)
        .where(ReportRow.station_id == station_id)
        .where(ReportRow.interval_start >= period_start)
        .where(ReportRow.interval_start < period_end)
    ).one()
    return PeriodInputs(
        station_id=station_id,
        period_start=period_start,
        period_end=period_end,
        interval_s=interval_s,
        intervals=interval_records(session, station_id, period_start, period_end),
        leases=current_leases(session, station_id, period_start, period_end),
        reports=int(reports),
    )
