"""Interval reports by key, as accepted on-chain."""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from api.errors import NotFound
from api.models import ReportPublic
from api.queries.rows import big
from ledger.index.tables import ReportRow


def get_report(*, session: Session, station_id: int, interval_start: int) -> ReportPublic:
    row = session.exec(
        select(ReportRow).where(
            ReportRow.station_id == station_id, col(ReportRow.interval_start) == big(interval_start)
        )
    ).first()
    if row is None or row.interval_end == 0:
        raise NotFound(f"no accepted report for station {station_id} at {interval_start}")
    return ReportPublic(
        **row.model_dump(exclude={"signers_json", "log_index"}),
        signers=json.loads(row.signers_json),
    )
