"""Read-side queries the console needs beyond api/queries/ (rows, credit_rows, trace_rows)
(keyword-only, plain rows and dataclasses; pages format them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.queries import credit_rows, rows
from ledger.index.batches import BatchRejectedRow
from ledger.index.tables import (
    CreditDecisionRow,
    CreditMoveRow,
    CreditRetirementRow,
    CreditRevocationRow,
    CreditRow,
    DeviceKeyRow,
    DeviceRow,
    EmissionFactorDatasetRow,
    LeaseRow,
    OracleSetRow,
    ParticipantIntervalRow,
    ReportRow,
    StationRow,
)


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
    participant's booked line and the grid operator's curtailment attestations."""
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
    starts = list(views)
    for line in session.exec(
        select(ParticipantIntervalRow)
        .where(
            ParticipantIntervalRow.station_id == station_id,
            col(ParticipantIntervalRow.interval_start).in_(starts),
        )
        .order_by(col(ParticipantIntervalRow.participant))
    ).all():
        views[line.interval_start].lines.append(line)
    for c in rows.curtailments(session, station_id, starts):
        views[c.interval_start].curtailed_wh[c.participant] = c.curtailed_wh
        views[c.interval_start].curtailed_grams[c.participant] = c.avoided_grams
    return list(views.values())


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
