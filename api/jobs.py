"""Scheduled jobs besides the indexer: the daily settlement of yesterday's local day."""

from __future__ import annotations

import logging
import time

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ledger.client import Ledger
from ledger.errors import LedgerError
from ledger.index.tables import StationRow
from ledger.settlement.period import previous_period
from ledger.settlement.runs import AnchoredRun, settle_and_anchor

log = logging.getLogger("essl.api.jobs")


def settle_yesterday(
    ledger: Ledger, engine: Engine, *, now: int | None = None
) -> list[AnchoredRun]:
    """Settle and anchor the previous local (UTC+8) day for every indexed station, signed by
    the server's key. A station without terms in force or with missing reports is skipped
    and logged, never settled from partial data; one failing station does not stop the rest."""
    period = previous_period(int(time.time()) if now is None else now)
    with Session(engine) as session:
        stations = session.exec(
            select(StationRow.station_id).order_by(col(StationRow.station_id))
        ).all()
    runs = []
    for station_id in stations:
        try:
            run = settle_and_anchor(ledger, engine, station_id, period)
        except LedgerError as exc:
            log.warning("settlement of station %s for %s skipped: %s", station_id, period, exc)
            continue
        log.info(
            "station %s, %s: v%s root %s (%s)",
            station_id,
            period,
            run.version,
            run.root,
            "already anchored" if run.reused else run.tx_hash,
        )
        runs.append(run)
    return runs
