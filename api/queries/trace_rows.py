"""Assembling a provenance trace from the indexed tables and the batch archive."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import BigInteger, literal
from sqlmodel import Session, col, func, select

from api.trace_models import (
    AvoidedAccountPublic,
    BatchPublic,
    CurtailmentPublic,
    DevicePublic,
    FactorUsedPublic,
    IntervalTracePublic,
    PagePublic,
    ReadingPublic,
)
from ledger.index.batches import BatchLeafRow, index_batch
from ledger.index.tables import (
    CurtailmentRow,
    DeviceKeyRow,
    DeviceRow,
    EmissionFactorDatasetRow,
    ParticipantIntervalRow,
    ReportRow,
    StationRow,
)

IntervalRow = tuple[ParticipantIntervalRow, ReportRow, CurtailmentRow | None]


def interval_rows(
    session: Session,
    station_id: int,
    participant: str,
    *,
    start_from: int = 0,
    start_to: int = 2**63 - 1,
    max_block: int | None = None,
) -> list[IntervalRow]:
    """The participant's booked intervals with their report and curtailment attestation (if
    any); with `max_block`, only what was on-chain at that block."""
    attested = (
        (col(CurtailmentRow.station_id) == col(ParticipantIntervalRow.station_id))
        & (col(CurtailmentRow.interval_start) == col(ParticipantIntervalRow.interval_start))
        & (col(CurtailmentRow.participant) == col(ParticipantIntervalRow.participant))
    )
    if max_block is not None:
        attested &= col(CurtailmentRow.block_number) <= max_block
    query = (
        select(ParticipantIntervalRow, ReportRow, CurtailmentRow)
        .join(
            ReportRow,
            (col(ReportRow.station_id) == col(ParticipantIntervalRow.station_id))
            & (col(ReportRow.interval_start) == col(ParticipantIntervalRow.interval_start)),
        )
        .outerjoin(CurtailmentRow, attested)
        .where(
            ParticipantIntervalRow.station_id == station_id,
            func.lower(ParticipantIntervalRow.participant) == participant.lower(),
            # BigInteger binds: the open-ended defaults do not fit PostgreSQL's INTEGER.
            col(ParticipantIntervalRow.interval_start) >= literal(start_from, BigInteger),
            col(ParticipantIntervalRow.interval_start) < literal(start_to, BigInteger),
        )
        .order_by(col(ParticipantIntervalRow.interval_start))
    )
    if max_block is not None:
        query = query.where(col(ReportRow.block_number) <= max_block)
    return [(p, r, c) for p, r, c in session.exec(query).all()]


def interval_avoided_grams(row: IntervalRow) -> int:
    """The interval's avoided grams: the report's plus those of its curtailment attestation."""
    p, _, c = row
    return p.avoided_grams + (c.avoided_grams if c else 0)


def avoided_account(
    session: Session, station_id: int, participant: str, rows: list[IntervalRow]
) -> AvoidedAccountPublic:
    station = session.get(StationRow, station_id)
    region = station.region if station else ""
    used = {r.factor_version: r.grams_per_mwh for _, r, _ in rows}
    used.update({c.factor_version: c.grams_per_mwh for _, _, c in rows if c})
    factors = []
    for version in sorted(used):
        dataset = session.get(EmissionFactorDatasetRow, version)
        factors.append(
            FactorUsedPublic(
                version=version,
                region=region,
                grams_per_mwh=used[version],
                dataset_hash=dataset.dataset_hash if dataset else "",
                source_uri=dataset.source_uri if dataset else "",
            )
        )
    return AvoidedAccountPublic(
        station_id=station_id,
        participant=participant,
        avoided_grams=sum(interval_avoided_grams(row) for row in rows),
        intervals=len(rows),
        factors=factors,
    )


def paging(total: int, page: int, page_size: int) -> PagePublic:
    return PagePublic(
        page=page, page_size=page_size, total_intervals=total, pages=-(-total // page_size)
    )


def intervals(
    session: Session,
    rows: list[IntervalRow],
    *,
    depth: int,
    archive: Path,
) -> list[IntervalTracePublic]:
    devices = device_directory(session) if depth >= 5 else {}
    out = []
    for p, r, c in rows:
        item = IntervalTracePublic(
            station_id=r.station_id,
            interval_start=r.interval_start,
            interval_end=r.interval_end,
            tx_hash=r.tx_hash,
            block_number=r.block_number,
            digest=r.digest,
            oracle_signers=json.loads(r.signers_json),
            readings_root=r.readings_root,
            reading_count=r.reading_count,
            factor_version=r.factor_version,
            grams_per_mwh=r.grams_per_mwh,
            charged_wh=p.charged_wh,
            discharged_wh=p.discharged_wh,
            curtailed_wh=c.curtailed_wh if c else 0,
            avoided_grams=interval_avoided_grams((p, r, c)),
            curtailment=CurtailmentPublic(
                **c.model_dump(exclude={"station_id", "interval_start", "participant"})
            )
            if c
            else None,
        )
        if depth >= 4:
            item.batch = batch(
                session, archive, r.readings_root, r.reading_count, devices, depth >= 5
            )
        out.append(item)
    return out


def device_directory(session: Session) -> dict[str, DevicePublic]:
    """Every signing key ever registered -> its device (keys bind to one device, ever)."""
    codes = {d.device_id: d.external_code for d in session.exec(select(DeviceRow)).all()}
    out = {}
    for k in session.exec(select(DeviceKeyRow)).all():
        out[k.signer.lower()] = DevicePublic(
            device_id=k.device_id, external_code=codes.get(k.device_id), signing_key=k.signer
        )
    return out


def batch(
    session: Session,
    archive: Path,
    root: str,
    count: int,
    devices: dict[str, DevicePublic],
    with_readings: bool,
) -> BatchPublic:
    """The batch from its indexed leaves (ledger.index.batches), indexing its archived file
    on first use; `available` only when the file is archived and reproduces its root."""
    indexed = index_batch(session, archive, root)
    available = indexed is not None and indexed.valid
    result = BatchPublic(
        root=root, url=f"/v1/batches/{root}", available=available, reading_count=count
    )
    if not with_readings or not available:
        return result
    leaves = session.exec(
        select(  # type: ignore[call-overload]  # columns, not ORM objects: many leaves
            BatchLeafRow.position,
            BatchLeafRow.leaf,
            BatchLeafRow.signer,
            BatchLeafRow.reading_json,
            BatchLeafRow.proof_json,
        )
        .where(BatchLeafRow.root == root)
        .order_by(col(BatchLeafRow.position))
    ).all()
    unknown: dict[str, DevicePublic] = {}
    readings = []
    for position, leaf, signer, reading_json, proof_json in leaves:
        key = signer.lower()
        device = devices.get(key) or unknown.setdefault(
            key, DevicePublic(device_id=None, external_code=None, signing_key=signer)
        )
        readings.append(
            ReadingPublic.model_construct(  # the stored values were checked when indexed
                index=position,
                reading=json.loads(reading_json),
                device=device,
                leaf=leaf,
                proof=json.loads(proof_json),
            )
        )
    result.readings = readings
    return result
