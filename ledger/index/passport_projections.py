"""How the BatteryPassports events land in SQL: creation with the attributes, status changes
(including supersession and waste), custody, installation, repairs and the daily health
snapshots (registered in projections.PROJECTIONS)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from ledger.index.events import EventMeta
from ledger.index.passport_tables import (
    PassportCustodyRow,
    PassportInstallRow,
    PassportRepairRow,
    PassportRow,
    PassportSnapshotRow,
    PassportStatusRow,
)
from ledger.passport_snapshots import snapshot_from_record

ZERO32 = "0x" + "00" * 32


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def passport_created(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    p = a["params"]
    s.merge(
        PassportRow(
            passport=a["passport"],
            passport_id=p["passportId"],
            gbt_code=p["gbtCode"],
            manufacturer=p["manufacturer"],
            chemistry=p["chemistry"],
            category=p["category"],
            rated_capacity_wh=p["ratedCapacityWh"],
            nominal_voltage_mv=p["nominalVoltageMv"],
            expected_cycle_life=p["expectedCycleLife"],
            manufactured_at=p["manufacturedAt"],
            carbon_footprint_g_per_kwh=p["carbonFootprintGPerKWh"],
            attributes_hash=p["attributesHash"],
            params_hash=a["paramsHash"],
            owner=a["owner"],
            predecessor=None if a["predecessor"] == ZERO32 else a["predecessor"],
            status=a["status"],
            created_by=a["by"],
            tx_hash=m.tx_hash,
            block_number=m.block_number,
            log_index=m.log_index,
        )
    )


def _status(s: Session, m: EventMeta, passport: str, status: int, by: str, **what: Any) -> None:
    s.merge(
        PassportStatusRow(
            block_number=m.block_number,
            log_index=m.log_index,
            passport=passport,
            event=m.event,
            status=status,
            by=by,
            tx_hash=m.tx_hash,
            **what,
        )
    )


def passport_superseded(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    # the predecessor keeps its status; it is closed and names its successor
    row = s.get(PassportRow, a["predecessor"])
    previous = _latest_status(s, a["predecessor"], row.status if row else 0)
    _status(s, m, a["predecessor"], previous, a["by"], successor=a["successor"])


def _latest_status(s: Session, passport: str, default: int) -> int:
    row = s.exec(
        select(PassportStatusRow)
        .where(PassportStatusRow.passport == passport)
        .order_by(
            col(PassportStatusRow.block_number).desc(), col(PassportStatusRow.log_index).desc()
        )
    ).first()
    return row.status if row is not None else default


def status_changed(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    _status(s, m, a["passport"], a["status"], a["by"])


def passport_wasted(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    _status(s, m, a["passport"], 5, a["recycler"], recycler=a["recycler"], at=a["at"])


def custody_changed(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        PassportCustodyRow(
            block_number=m.block_number,
            log_index=m.log_index,
            passport=a["passport"],
            owner=a["owner"],
            holder=a["holder"],
            previous_owner=a["previousOwner"],
            previous_holder=a["previousHolder"],
            by=a["by"],
            tx_hash=m.tx_hash,
        )
    )


def _installation(s: Session, a: dict[str, Any], m: EventMeta, *, installed: bool) -> None:
    s.merge(
        PassportInstallRow(
            block_number=m.block_number,
            log_index=m.log_index,
            passport=a["passport"],
            installed=installed,
            station_id=a["stationId"],
            bms_device=a["bmsDevice"],
            by=a["by"],
            tx_hash=m.tx_hash,
        )
    )


def pack_installed(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    _installation(s, a, m, installed=True)


def pack_removed(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    _installation(s, a, m, installed=False)


def repair_recorded(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        PassportRepairRow(
            block_number=m.block_number,
            log_index=m.log_index,
            passport=a["passport"],
            report_hash=a["reportHash"],
            by=a["by"],
            tx_hash=m.tx_hash,
        )
    )


def snapshot_anchored(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    key = bytes.fromhex(a["passport"].removeprefix("0x"))
    snap = snapshot_from_record(key, a["day"], bytes.fromhex(a["record"].removeprefix("0x")))
    s.merge(
        PassportSnapshotRow(
            passport=a["passport"],
            day=snap.day,
            device_id=snap.device_id,
            telemetry_root=_hex(snap.telemetry_root),
            reading_count=snap.reading_count,
            config_digest=_hex(snap.config_digest),
            soh_bps=snap.soh_bps,
            cycle_count=snap.cycle_count,
            charged_wh_total=snap.charged_wh_total,
            discharged_wh_total=snap.discharged_wh_total,
            efficiency_bps=snap.efficiency_bps,
            resistance_micro_ohm=snap.resistance_micro_ohm,
            cell_min_milli_volts=snap.cell_min_milli_volts,
            cell_max_milli_volts=snap.cell_max_milli_volts,
            temp_min_deci_c=snap.temp_min_deci_c,
            temp_max_deci_c=snap.temp_max_deci_c,
            extreme_temp_seconds=snap.extreme_temp_seconds,
            deep_discharge_events=snap.deep_discharge_events,
            overcharge_events=snap.overcharge_events,
            over_temp_events=snap.over_temp_events,
            digest=a["digest"],
            tx_hash=m.tx_hash,
            block_number=m.block_number,
        )
    )


PASSPORT_PROJECTIONS = {
    "PassportCreated": passport_created,
    "PassportSuperseded": passport_superseded,
    "StatusChanged": status_changed,
    "PassportWasted": passport_wasted,
    "CustodyChanged": custody_changed,
    "PackInstalled": pack_installed,
    "PackRemoved": pack_removed,
    "RepairRecorded": repair_recorded,
    "SnapshotAnchored": snapshot_anchored,
}
