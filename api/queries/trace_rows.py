"""Assembling a provenance trace from the indexed tables and the batch archive."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel
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
from ledger.index.batches import BatchFileRow, BatchLeafRow, index_batch
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
    rendered: bool = False,
) -> list[IntervalTracePublic]:
    """The page's interval reports; at depth 4 their batch files, at depth 5 with the readings
    (`rendered`: as JSON kept beside each batch for `render_trace`, not as models)."""
    devices = device_directory(session) if depth >= 5 else {}
    found = (
        batches(
            session,
            archive,
            {r.readings_root: r.reading_count for _, r, _ in rows},
            devices,
            with_readings=depth >= 5,
            rendered=rendered,
        )
        if depth >= 4
        else {}
    )
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
            item.batch = found[r.readings_root]
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
    return batches(session, archive, {root: count}, devices, with_readings=with_readings)[root]


_LEAF_COLUMNS = (
    BatchLeafRow.root,
    BatchLeafRow.position,
    BatchLeafRow.leaf,
    BatchLeafRow.signer,
    BatchLeafRow.reading_json,
    BatchLeafRow.proof_json,
)


def batches(
    session: Session,
    archive: Path,
    counts: dict[str, int],
    devices: dict[str, DevicePublic],
    *,
    with_readings: bool,
    rendered: bool = False,
) -> dict[str, BatchPublic]:
    """`batch` for several roots (root -> reading count) in two queries: their indexed files,
    then the leaves of all the available ones (a file not indexed yet is indexed first). With
    `rendered`, each batch's readings are kept as JSON (`_readings_json`) and `readings` is
    an empty list standing in for them."""
    roots = sorted(counts)
    files = {
        f.root: f
        for f in session.exec(select(BatchFileRow).where(col(BatchFileRow.root).in_(roots))).all()
    }
    for root in roots:
        if root not in files:
            indexed = index_batch(session, archive, root)
            if indexed is not None:
                files[root] = indexed
    result = {
        root: BatchPublic(
            root=root,
            url=f"/v1/batches/{root}",
            available=root in files and files[root].valid,
            reading_count=counts[root],
        )
        for root in roots
    }
    available = [root for root in roots if result[root].available]
    if not with_readings or not available:
        return result
    leaves = session.exec(
        select(*_LEAF_COLUMNS)  # type: ignore[call-overload]  # columns, not ORM objects
        .where(col(BatchLeafRow.root).in_(available))
        .order_by(col(BatchLeafRow.root), col(BatchLeafRow.position))
    ).all()
    unknown: dict[str, DevicePublic] = {}

    def device_of(signer: str) -> DevicePublic:
        key = signer.lower()
        return devices.get(key) or unknown.setdefault(
            key, DevicePublic(device_id=None, external_code=None, signing_key=signer)
        )

    def model(position: int, leaf: str, signer: str, reading: str, proof: str) -> ReadingPublic:
        return ReadingPublic.model_construct(  # the stored values were checked when indexed
            index=position,
            reading=json.loads(reading),
            device=device_of(signer),
            leaf=leaf,
            proof=json.loads(proof),
        )

    if not rendered:
        readings: dict[str, list[ReadingPublic]] = {root: [] for root in available}
        for root, position, leaf, signer, reading_json, proof_json in leaves:
            readings[root].append(model(position, leaf, signer, reading_json, proof_json))
        for root in available:
            result[root].readings = readings[root]
        return result
    rendered_devices: dict[str, str] = {}
    parts: dict[str, list[str]] = {root: [] for root in available}
    for root, position, leaf, signer, reading_json, proof_json in leaves:
        key = signer.lower()
        device = rendered_devices.get(key)
        if device is None:
            device = rendered_devices[key] = device_of(signer).model_dump_json()
        parts[root].append(
            _reading_json(position, reading_json, device, leaf, proof_json)
            or model(position, leaf, signer, reading_json, proof_json).model_dump_json()
        )
    for root in available:
        result[root].readings = []
        result[root]._readings_json = ",".join(parts[root])
    return result


def _reading_json(position: int, reading: str, device: str, leaf: str, proof: str) -> str | None:
    """One ReadingPublic as its model would render it, from the stored JSON: the reading is
    stored compact, the proof with ", " between hex strings. None (render the model instead)
    for anything but plain ASCII hex and compact JSON."""
    if not (reading.isascii() and leaf.isascii() and proof.isascii()) or '"' in leaf:
        return None
    if "\\" in reading or ": " in reading:
        return None
    return (
        f'{{"index":{position},"reading":{reading},"device":{device},'
        f'"leaf":"{leaf}","proof":{proof.replace(", ", ",")}}}'
    )


_PLACEHOLDER = '"readings":[]'


def render_trace(trace: BaseModel, batches_in_order: list[BatchPublic]) -> bytes:
    """`trace` as JSON with each batch's kept readings put in place of its empty list:
    the same bytes `model_dump_json` gives with the readings as models."""
    body = trace.model_dump_json()
    pieces = body.split(_PLACEHOLDER)
    if len(pieces) != len(batches_in_order) + 1:
        raise AssertionError("a rendered trace lost track of its readings")
    out = [pieces[0]]
    for batch_, piece in zip(batches_in_order, pieces[1:], strict=True):
        out.append(f'"readings":[{batch_._readings_json}]')
        out.append(piece)
    return "".join(out).encode()
