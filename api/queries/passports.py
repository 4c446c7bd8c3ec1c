"""Battery passports from the indexed BatteryPassports events: the list, one passport's public
view (attributes, status, predecessor chain, custody and installation history), its health
series, the residual-value and safety model over that series, and the Battery Pass export."""

from __future__ import annotations

from typing import Any, cast

from sqlmodel import Session, col, select
from web3 import Web3

from api.auth import Actor
from api.errors import InvalidParameter, NotFound
from api.passport_models import (
    AssessmentPublic,
    CategoryName,
    CustodyPublic,
    EventBase,
    InstallationPublic,
    LineagePublic,
    ModelOutputPublic,
    PassportAttributesPublic,
    PassportExport,
    PassportHealthPublic,
    PassportPublic,
    PassportSummaryPublic,
    RepairPublic,
    SnapshotPublic,
    StatusChangePublic,
    StatusName,
)
from ledger.client import Ledger
from ledger.index.passport_tables import (
    PassportCustodyRow,
    PassportInstallRow,
    PassportRepairRow,
    PassportRow,
    PassportSnapshotRow,
    PassportStatusRow,
)
from ledger.index.tables import StationRow
from ledger.passport_export import export_passport as export_from_chain
from ledger.passport_model import assess
from ledger.passport_snapshots import Snapshot
from ledger.passports import Category, PassportParams, PassportsClient, Status, passport_key

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
LINEAGE_MAX = 64  # predecessor links followed at most (a lineage is a handful in practice)


def _status_name(value: int) -> StatusName:
    return cast(StatusName, Status(value).name.lower())


def _category_name(value: int) -> CategoryName:
    return cast(CategoryName, Category(value).name.lower())


def _b32(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def passport_row(session: Session, ref: str) -> PassportRow:
    """The passport named by its ISO/IEC 15459 id or its 0x key; 404 when not indexed."""
    try:
        key = "0x" + passport_key(ref).hex()
    except ValueError as exc:
        raise InvalidParameter("passport", str(exc)) from None
    row = session.get(PassportRow, key)
    if row is None:
        raise NotFound(f"passport {ref} was never created (or is not indexed yet)")
    return row


def _ordered(session: Session, table: Any, key: str) -> list[Any]:
    return list(
        session.exec(
            select(table)
            .where(table.passport == key)
            .order_by(col(table.block_number), col(table.log_index))
        ).all()
    )


def _status_rows(session: Session, key: str) -> list[PassportStatusRow]:
    return _ordered(session, PassportStatusRow, key)


def _state(session: Session, row: PassportRow) -> tuple[int, str | None]:
    """(current status, successor) of a passport from its status rows."""
    status, successor = row.status, None
    for s in _status_rows(session, row.passport):
        status = s.status
        successor = s.successor or successor
    return status, successor


def _custody_now(session: Session, row: PassportRow) -> tuple[str, str]:
    rows = _ordered(session, PassportCustodyRow, row.passport)
    owner, holder = (rows[-1].owner, rows[-1].holder) if rows else (row.owner, ZERO_ADDRESS)
    return owner, owner if holder == ZERO_ADDRESS else holder


def _installed(session: Session, key: str) -> PassportInstallRow | None:
    rows = _ordered(session, PassportInstallRow, key)
    return rows[-1] if rows and rows[-1].installed else None


def _base(session: Session, row: PassportRow) -> dict[str, Any]:
    status, successor = _state(session, row)
    return {
        "passport": row.passport,
        "passport_id": row.passport_id,
        "gbt_code": row.gbt_code,
        "category": _category_name(row.category),
        "status": _status_name(status),
        "closed": successor is not None,
    }


def list_passports(
    *, session: Session, station_id: int | None, limit: int, offset: int
) -> list[PassportSummaryPublic]:
    """In creation order; with `station_id`, only the packs installed there now (the offset
    counts those)."""
    query = select(PassportRow).order_by(col(PassportRow.block_number), col(PassportRow.log_index))
    if station_id is None:
        query = query.offset(offset).limit(limit)
    out = []
    for row in session.exec(query).all():
        installed = _installed(session, row.passport)
        here = installed.station_id if installed else None
        if station_id is not None and here != station_id:
            continue
        owner, _ = _custody_now(session, row)
        out.append(PassportSummaryPublic(**_base(session, row), owner=owner, station_id=here))
    return out if station_id is None else out[offset : offset + limit]


def get_passport(*, session: Session, ref: str) -> PassportPublic:
    row = passport_row(session, ref)
    owner, holder = _custody_now(session, row)
    installed = _installed(session, row.passport)
    _, successor = _state(session, row)
    lineage: list[LineagePublic] = []
    at = row
    while at.predecessor is not None and len(lineage) < LINEAGE_MAX:
        before = session.get(PassportRow, at.predecessor)
        if before is None:
            break
        lineage.append(LineagePublic(**_base(session, before)))
        at = before
    return PassportPublic(
        **_base(session, row),
        attributes=PassportAttributesPublic(**row.model_dump()),
        owner=owner,
        holder=holder,
        station_id=installed.station_id if installed else None,
        bms_device=installed.bms_device if installed else None,
        predecessor=row.predecessor,
        successor=successor,
        original_gbt_code=at.gbt_code,
        predecessors=lineage,
        custody=[
            CustodyPublic(**c.model_dump())
            for c in _ordered(session, PassportCustodyRow, row.passport)
        ],
        installations=[
            InstallationPublic(
                **i.model_dump(exclude={"installed"}),
                action="installed" if i.installed else "removed",
            )
            for i in _ordered(session, PassportInstallRow, row.passport)
        ],
        status_history=[
            StatusChangePublic(**s.model_dump(exclude={"status"}), status=_status_name(s.status))
            for s in _status_rows(session, row.passport)
        ],
        repairs=[
            RepairPublic(**r.model_dump())
            for r in _ordered(session, PassportRepairRow, row.passport)
        ],
        created=EventBase(
            block_number=row.block_number, log_index=row.log_index, tx_hash=row.tx_hash
        ),
        created_by=row.created_by,
    )


def may_read_health(*, session: Session, actor: Actor, row: PassportRow) -> bool:
    """Annex XIII legitimate interest: the owner, the holder, the operator of the station the
    pack is installed in, a recycler and a regulator."""
    if actor.has("regulator", "recycler"):
        return True
    owner, holder = _custody_now(session, row)
    if Web3.to_checksum_address(actor.address) in (owner, holder):
        return True
    installed = _installed(session, row.passport)
    station = session.get(StationRow, installed.station_id) if installed else None
    return station is not None and station.operator == actor.address


def _snapshot_rows(session: Session, key: str) -> list[PassportSnapshotRow]:
    return list(
        session.exec(
            select(PassportSnapshotRow)
            .where(PassportSnapshotRow.passport == key)
            .order_by(col(PassportSnapshotRow.day))
        ).all()
    )


def get_health(*, session: Session, ref: str) -> PassportHealthPublic:
    row = passport_row(session, ref)
    return PassportHealthPublic(
        passport=row.passport,
        passport_id=row.passport_id,
        rated_capacity_wh=row.rated_capacity_wh,
        snapshots=[
            SnapshotPublic(
                **s.model_dump(exclude={"passport", "config_digest"}),
                capacity_fade_bps=10_000 - s.soh_bps,
            )
            for s in _snapshot_rows(session, row.passport)
        ],
    )


def _params(row: PassportRow) -> PassportParams:
    return PassportParams(
        passport_id=row.passport_id,
        gbt_code=row.gbt_code,
        manufacturer=row.manufacturer,
        chemistry=row.chemistry,
        category=Category(row.category),
        rated_capacity_wh=row.rated_capacity_wh,
        nominal_voltage_mv=row.nominal_voltage_mv,
        expected_cycle_life=row.expected_cycle_life,
        manufactured_at=row.manufactured_at,
        carbon_footprint_g_per_kwh=row.carbon_footprint_g_per_kwh,
        attributes_hash=_b32(row.attributes_hash),
        owner=row.owner,
    )


def _snapshot(s: PassportSnapshotRow) -> Snapshot:
    fields = s.model_dump(
        exclude={"passport", "telemetry_root", "config_digest", "digest", "tx_hash", "block_number"}
    )
    return Snapshot(
        passport=_b32(s.passport),
        telemetry_root=_b32(s.telemetry_root),
        config_digest=_b32(s.config_digest),
        **fields,
    )


def get_assessment(*, session: Session, ref: str) -> AssessmentPublic:
    row = passport_row(session, ref)
    series = [_snapshot(s) for s in _snapshot_rows(session, row.passport)]
    if not series:
        raise NotFound(f"passport {ref} has no health snapshot yet: the model needs one")
    model = assess(_params(row), series).to_json()
    outputs = {
        name: ModelOutputPublic(**value) for name, value in model.items() if isinstance(value, dict)
    }
    return AssessmentPublic(
        passport=row.passport,
        model_version=model["model_version"],
        snapshots=len(series),
        first_day=series[0].day,
        last_day=series[-1].day,
        **outputs,
    )


def export_passport(
    *, session: Session, ledger: Ledger, ref: str, actor: Actor | None
) -> PassportExport:
    """The Battery Pass v1.2.0 export, read from the chain (ledger.passport_export); a passport
    the index does not know is 404 before the chain is asked."""
    row = passport_row(session, ref)
    allowed = actor is not None and may_read_health(session=session, actor=actor, row=row)
    out: PassportExport = export_from_chain(
        PassportsClient(ledger), _b32(row.passport), public_only=not allowed
    )
    return out
