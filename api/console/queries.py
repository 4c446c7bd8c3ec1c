"""Read-side queries the console needs beyond api/queries/ (rows, credit_rows, trace_rows)
(keyword-only, plain rows and dataclasses; pages format them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.cache import Version, data_version
from api.console import units
from api.queries import credit_rows, rows
from ledger.index.batches import BatchRejectedRow
from ledger.index.tables import (
    CreditDecisionRow,
    CreditMoveRow,
    CreditRetirementRow,
    CreditRevocationRow,
    CreditRow,
    CurtailmentRow,
    DeviceKeyRow,
    DeviceRow,
    EmissionFactorDatasetRow,
    LeaseRow,
    OracleSetRow,
    ParticipantIntervalRow,
    ReportRow,
    StationRow,
)
from ledger.lru import Lru


@dataclass
class DeviceView:
    device: DeviceRow
    keys: list[DeviceKeyRow]

    @property
    def current_key(self) -> DeviceKeyRow | None:
        return self.keys[-1] if self.keys else None


@dataclass
class OracleSetView:
    version: int
    digest: str
    signers: list[str]
    threshold: int
    block_number: int


@dataclass
class StationView:
    station: StationRow
    intervals_on_chain: int
    latest_interval_start: int | None
    leases: list[LeaseRow]
    devices: list[DeviceView]
    oracle_set: OracleSetView | None


@dataclass
class IntervalView:
    report: ReportRow
    lines: list[ParticipantIntervalRow]
    curtailed_wh: dict[str, int] = field(default_factory=dict)  # participant -> attested Wh
    curtailed_grams: dict[str, int] = field(default_factory=dict)

    @property
    def signers(self) -> list[str]:
        return list(json.loads(self.report.signers_json))

    @property
    def charged_wh(self) -> int:
        return sum(line.charged_wh for line in self.lines)

    @property
    def total_curtailed_wh(self) -> int:
        return sum(self.curtailed_wh.values())


@dataclass
class CreditView:
    row: CreditRow
    state: str
    issued: int
    live: int
    retired: int
    revoked: int
    decision: CreditDecisionRow | None
    revocation: CreditRevocationRow | None


def oracle_set(session: Session, *, at_block: int | None = None) -> OracleSetView | None:
    """The oracle set in force (at `at_block`, or now)."""
    query = select(OracleSetRow).order_by(col(OracleSetRow.config_version).desc())
    if at_block is not None:
        query = query.where(OracleSetRow.block_number <= at_block)
    row = session.exec(query).first()
    if row is None:
        return None
    return OracleSetView(
        row.config_version,
        row.config_digest,
        list(json.loads(row.signers_json)),
        row.threshold,
        row.block_number,
    )


def station_devices(session: Session, *, station_id: int) -> list[DeviceView]:
    devices = session.exec(
        select(DeviceRow)
        .where(DeviceRow.station_id == station_id)
        .order_by(col(DeviceRow.device_id))
    ).all()
    ids = [d.device_id for d in devices]
    keys: dict[int, list[DeviceKeyRow]] = {i: [] for i in ids}
    for k in session.exec(
        select(DeviceKeyRow)
        .where(col(DeviceKeyRow.device_id).in_(ids))
        .order_by(col(DeviceKeyRow.block_number), col(DeviceKeyRow.log_index))
    ).all():
        keys[k.device_id].append(k)
    return [DeviceView(d, keys[d.device_id]) for d in devices]


def station_view(session: Session, *, station_id: int) -> StationView | None:
    row = session.get(StationRow, station_id)
    if row is None:
        return None
    count, latest = rows.station_stats(session, station_id)
    leases = sorted(rows.latest_leases(session, station_id).values(), key=lambda r: r.participant)
    return StationView(
        row,
        count,
        latest,
        leases,
        station_devices(session, station_id=station_id),
        oracle_set(session),
    )


def intervals(session: Session, *, station_id: int, start: int, end: int) -> list[IntervalView]:
    """Accepted reports of the station with interval start in [start, end), with each
    participant's booked line and the grid operator's curtailment attestations: three queries,
    each over the range (not a list of the interval starts)."""
    reports = session.exec(
        select(ReportRow)
        .where(
            ReportRow.station_id == station_id,
            ReportRow.interval_end > 0,
            col(ReportRow.interval_start) >= start,
            col(ReportRow.interval_start) < end,
        )
        .order_by(col(ReportRow.interval_start))
    ).all()
    views = {r.interval_start: IntervalView(r, []) for r in reports}
    if not views:
        return []
    first, last = reports[0].interval_start, reports[-1].interval_start
    for line in session.exec(
        select(ParticipantIntervalRow)
        .where(
            ParticipantIntervalRow.station_id == station_id,
            col(ParticipantIntervalRow.interval_start) >= first,
            col(ParticipantIntervalRow.interval_start) <= last,
        )
        .order_by(col(ParticipantIntervalRow.participant))
    ).all():
        if (view := views.get(line.interval_start)) is not None:
            view.lines.append(line)
    for c in session.exec(
        select(CurtailmentRow).where(
            CurtailmentRow.station_id == station_id,
            col(CurtailmentRow.interval_start) >= first,
            col(CurtailmentRow.interval_start) <= last,
        )
    ).all():
        if (view := views.get(c.interval_start)) is not None:
            view.curtailed_wh[c.participant] = c.curtailed_wh
            view.curtailed_grams[c.participant] = c.avoided_grams
    return list(views.values())


@dataclass(frozen=True)
class DayView:
    """A station's page for one local day (UTC+8): the station, the day's intervals and the
    charts' series (what the page embeds for ECharts)."""

    view: StationView
    day: str
    start: int
    end: int
    rows: list[IntervalView]
    chart: dict[str, Any]


def day_chart(rows: list[IntervalView], leased: list[str]) -> dict[str, Any]:
    """The day charts' series, in one pass over the booked lines: SOC/SOH, alarms, the curtailed
    share of the charging, and each participant's charged and discharged kWh per interval
    (the leaseholders first, then anyone else with a line that day)."""
    n = len(rows)
    series: dict[str, tuple[list[float], list[float]]] = {p: ([0.0] * n, [0.0] * n) for p in leased}
    for i, r in enumerate(rows):
        for line in r.lines:
            charged, discharged = series.setdefault(line.participant, ([0.0] * n, [0.0] * n))
            charged[i] += line.charged_wh
            discharged[i] += line.discharged_wh
    return {
        "t": [r.report.interval_start for r in rows],
        "soc": [r.report.soc_bps / 100 for r in rows],
        "soh": [r.report.soh_bps / 100 for r in rows],
        "alarms": [r.report.alarm_bits for r in rows],
        "curtailed_share": [
            round(100 * r.total_curtailed_wh / r.charged_wh, 2) if r.charged_wh else 0 for r in rows
        ],
        "participants": [
            {
                "address": p,
                "charged_kwh": [wh / 1000 for wh in charged],
                "discharged_kwh": [wh / 1000 for wh in discharged],
            }
            for p, (charged, discharged) in series.items()
        ],
    }


_DAYS: Lru[tuple[int, str | None, Version], DayView] = Lru(max_entries=32)


def station_day(session: Session, *, station_id: int, day: str | None) -> DayView | None:
    """The station's page data for a local day (None: the day of its latest interval); None
    for an unknown station, ValueError for a day that is not a date. Kept per process until
    the indexed data moves on (the version api/cache.py keys the JSON routes by), so a repeated
    request costs two small queries instead of building the day's rows and series, and their
    garbage, again."""
    version = data_version(session)
    key = (station_id, day, version)
    hit = _DAYS.get(key)
    if hit is not None:
        return hit
    view = station_view(session, station_id=station_id)
    if view is None:
        return None
    shown = day or units.local_day(view.latest_interval_start or view.station.grid_start)
    start, end = units.local_day_bounds(shown)
    found = intervals(session, station_id=station_id, start=start, end=end)
    leased = [lease.participant for lease in view.leases]
    result = DayView(view, shown, start, end, found, day_chart(found, leased))
    _DAYS.put(key, result)
    return result


def credit_view(session: Session, *, token_id: int) -> CreditView | None:
    row = session.get(CreditRow, token_id)
    if row is None:
        return None
    decision = session.get(CreditDecisionRow, token_id)
    revocation = session.get(CreditRevocationRow, token_id)
    issued = decision.units if decision is not None and decision.approved else 0
    retired = credit_rows.retired_units(session, token_id)
    revoked = revocation.amount if revocation is not None else 0
    return CreditView(
        row,
        credit_rows.credit_state(decision, revocation),
        issued,
        issued - retired - revoked,
        retired,
        revoked,
        decision,
        revocation,
    )


def credit_views(session: Session) -> list[CreditView]:
    ids = session.exec(select(CreditRow.token_id).order_by(col(CreditRow.token_id))).all()
    return [v for i in ids if (v := credit_view(session, token_id=i)) is not None]


def credit_moves(session: Session, *, token_id: int) -> list[CreditMoveRow]:
    return list(
        session.exec(
            select(CreditMoveRow)
            .where(CreditMoveRow.token_id == token_id)
            .order_by(col(CreditMoveRow.block_number), col(CreditMoveRow.log_index))
        ).all()
    )


def credit_retirements(session: Session, *, token_id: int) -> list[CreditRetirementRow]:
    return list(
        session.exec(
            select(CreditRetirementRow)
            .where(CreditRetirementRow.token_id == token_id)
            .order_by(col(CreditRetirementRow.block_number), col(CreditRetirementRow.log_index))
        ).all()
    )


def factor_datasets(
    session: Session,
) -> list[tuple[EmissionFactorDatasetRow, list[tuple[str, int]]]]:
    rows = session.exec(
        select(EmissionFactorDatasetRow).order_by(col(EmissionFactorDatasetRow.version))
    ).all()
    return [(row, [(r, int(g)) for r, g in json.loads(row.factors_json)]) for row in rows]


def rejected_by_root(session: Session, *, roots: list[str]) -> dict[str, int]:
    """Readings rejected in each interval, from the indexed batch files' `rejected` counts;
    a root is missing when its file is not indexed yet or carries no counts."""
    if not roots:
        return {}
    found = session.exec(
        select(BatchRejectedRow.root, BatchRejectedRow.total).where(
            col(BatchRejectedRow.root).in_(roots)
        )
    ).all()
    return {root: int(total) for root, total in found}


@dataclass
class QuarantineView:
    station_id: int
    batches: int  # indexed batch files of the station's reports that carry counts
    reports: int
    by_reason: dict[str, int] = field(default_factory=dict)


def quarantine_by_reason(session: Session) -> dict[int, QuarantineView]:
    """Per station: the rejected counts of its reports' batch files, summed by reason code."""
    out: dict[int, QuarantineView] = {}
    for station_id, n in session.exec(
        select(ReportRow.station_id, func.count())
        .where(ReportRow.interval_end > 0)
        .group_by(col(ReportRow.station_id))
    ).all():
        out[int(station_id)] = QuarantineView(int(station_id), 0, int(n))
    found = session.exec(
        select(ReportRow.station_id, BatchRejectedRow.total, BatchRejectedRow.counts_json)
        .join(BatchRejectedRow, col(BatchRejectedRow.root) == col(ReportRow.readings_root))
        .where(ReportRow.interval_end > 0)
    ).all()
    for station_id, total, counts in found:
        view = out[int(station_id)]
        view.batches += 1
        if total:
            for reason, n in json.loads(counts).items():
                view.by_reason[reason] = view.by_reason.get(reason, 0) + int(n)
    for view in out.values():
        view.by_reason = dict(sorted(view.by_reason.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def pending_requests(session: Session) -> list[CreditRow]:
    """Issuance requests no verifier has approved or rejected yet, oldest first."""
    decided = select(CreditDecisionRow.token_id)
    return list(
        session.exec(
            select(CreditRow)
            .where(col(CreditRow.token_id).not_in(decided))
            .order_by(col(CreditRow.token_id))
        ).all()
    )


def live_credits(session: Session) -> list[CreditView]:
    """Approved credits not revoked (what a regulator can revoke), by token id."""
    return [v for v in credit_views(session) if v.state == "live"]
