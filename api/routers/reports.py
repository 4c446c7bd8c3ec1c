"""Interval reports by key, as accepted on-chain."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import SessionDep, StationId
from api.errors import NotFound
from api.models import ReportPublic
from ledger.index.tables import ReportRow

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get("/{station_id}/{interval_start}", response_model=ReportPublic)
def get_report(
    station_id: StationId,
    interval_start: Annotated[int, Path(ge=0, le=2**64 - 1, description="Unix seconds.")],
    session: SessionDep,
) -> ReportPublic:
    row = session.get(ReportRow, (station_id, interval_start))
    if row is None or row.interval_end == 0:
        raise NotFound(f"no accepted report for station {station_id} at {interval_start}")
    return ReportPublic(
        **row.model_dump(exclude={"signers_json", "log_index"}),
        signers=json.loads(row.signers_json),
    )
