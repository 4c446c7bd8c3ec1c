"""Scheduled jobs besides the indexer: the daily settlement of yesterday's local day.

Only the leader process runs it (api.leader). It is idempotent by on-chain state: before
anchoring, `settle_and_anchor` reads SettlementAnchor's latestVersion and that version's
root, and a day already anchored with the same root is only recorded (never sent again); a
second sender racing on the same day is refused by the contract itself (it anchors a version
only over the latest one it names). So a process that takes over from a leader that died
mid-run, even one that anchored a day without recording it, settles that day once."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ledger.client import Ledger
from ledger.errors import LedgerError
from ledger.index.tables import StationRow
from ledger.settlement.period import previous_period
from ledger.settlement.runs import AnchoredRun, settle_and_anchor

log = logging.getLogger("essl.api.jobs")


def settle_day(
    ledger: Ledger, engine: Engine, period: int, *, skip: Collection[int] = ()
) -> list[AnchoredRun]:
    """Settle and anchor local day `period` for every indexed station (but those in `skip`),
    signed by the server's key. A station without terms in force or with missing reports is
    skipped and logged, never settled from partial data; one failing station does not stop
    the rest."""
    with Session(engine) as session:
        stations = session.exec(
            select(StationRow.station_id).order_by(col(StationRow.station_id))
        ).all()
    runs = []
    for station_id in stations:
        if station_id in skip:
            continue
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


def settle_yesterday(
    ledger: Ledger, engine: Engine, *, now: int | None = None
) -> list[AnchoredRun]:
    """`settle_day` for the previous local (UTC+8) day."""
    return settle_day(ledger, engine, previous_period(int(time.time()) if now is None else now))


RETRY_S = 300  # a station not settled yet (missing reports, no terms) is tried again so often


class DailySettlement:
    """The daily job as the leader ticks it, right after each index pass: the day due is
    yesterday once the local time is past hour:minute (the day before until then). Each
    process settles each station's due day once, and tries the stations it could not settle
    (reports not indexed yet, no terms in force, a failed send) again every RETRY_S. A process
    that becomes leader therefore settles the due day on its first tick, whether or not the
    leader before it got to it, or finished it."""

    def __init__(
        self, ledger: Ledger, engine: Engine, *, hour: int, minute: int, retry_s: int = RETRY_S
    ) -> None:
        self.ledger, self.engine = ledger, engine
        self.offset_s = hour * 3600 + minute * 60
        self.retry_s = retry_s
        self.period: int | None = None
        self.settled: set[int] = set()
        self.next_try = 0

    def due(self, now: int) -> int:
        return previous_period(now - self.offset_s)

    def tick(self, now: int | None = None) -> list[AnchoredRun]:
        """The runs of this tick (none when nothing was due)."""
        now = int(time.time()) if now is None else now
        period = self.due(now)
        if period != self.period:
            self.period, self.settled, self.next_try = period, set(), 0
        if now < self.next_try:
            return []
        self.next_try = now + self.retry_s
        runs = settle_day(self.ledger, self.engine, period, skip=self.settled)
        self.settled.update(r.station_id for r in runs)
        return runs
