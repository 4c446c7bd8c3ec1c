"""How each event lands in the typed tables (beyond the raw `chain_events` log)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ledger.index.tables import (
    DeviceKeyRow,
    DeviceRow,
    LeaseRow,
    OracleSetRow,
    ParticipantIntervalRow,
    ReportRow,
    StationRow,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class EventMeta:
    block_number: int
    log_index: int
    tx_hash: str
    contract: str
    event: str
    timestamp: int


Projection = Callable[[Session, dict[str, Any], EventMeta], None]


def region_text(value: str) -> str:
    """bytes32 region code (hex) to its ASCII text."""
    return bytes.fromhex(value.removeprefix("0x")).rstrip(b"\0").decode("ascii", "replace")


def station_registered(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        StationRow(
            station_id=a["stationId"],
            operator=a["operator"],
            region=region_text(a["region"]),
            rated_power_w=a["ratedPowerW"],
            capacity_wh=a["capacityWh"],
            round_trip_efficiency_bps=a["roundTripEfficiencyBps"],
            interval_seconds=a["intervalSeconds"],
            grid_start=a["gridStart"],
            external_code=a["externalCode"],
            block_number=m.block_number,
        )
    )


def device_registered(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        DeviceRow(
            device_id=a["deviceId"],
            station_id=a["stationId"],
            kind=a["kind"],
            accuracy_class_bps=a["accuracyClassBps"],
            rated_power_w=a["ratedPowerW"],
            external_code=a["externalCode"],
            block_number=m.block_number,
        )
    )
    s.merge(
        DeviceKeyRow(
            block_number=m.block_number,
            log_index=m.log_index,
            device_id=a["deviceId"],
            signer=a["signer"],
            active=True,
        )
    )


def device_signer_changed(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        DeviceKeyRow(
            block_number=m.block_number,
            log_index=m.log_index,
            device_id=a["deviceId"],
            signer=a["newSigner"],
            active=True,
        )
    )


def device_deactivated(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        DeviceKeyRow(
            block_number=m.block_number,
            log_index=m.log_index,
            device_id=a["deviceId"],
            signer=a["signer"],
            active=False,
        )
    )


def lease_set(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        LeaseRow(
            block_number=m.block_number,
            log_index=m.log_index,
            station_id=a["stationId"],
            participant=a["participant"],
            leased_wh=a["leasedWh"],
            valid_from=a["validFrom"],
            valid_to=a["validTo"],
        )
    )


def oracle_set_changed(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    s.merge(
        OracleSetRow(
            config_version=a["configVersion"],
            config_digest=a["configDigest"],
            signers_json=json.dumps(a["signers"]),
            threshold=a["threshold"],
            block_number=m.block_number,
        )
    )


def report_accepted(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    row = s.get(ReportRow, (a["stationId"], a["intervalStart"]))
    state = {}
    if row is not None:  # StationStateRecorded came first in the same transaction
        state = {
            k: getattr(row, k)
            for k in (
                "soc_bps",
                "soh_bps",
                "cycle_count",
                "alarm_bits",
                "factor_version",
                "grams_per_mwh",
            )
        }
    s.merge(
        ReportRow(
            station_id=a["stationId"],
            interval_start=a["intervalStart"],
            interval_end=a["intervalEnd"],
            digest=a["digest"],
            readings_root=a["readingsRoot"],
            reading_count=a["readingCount"],
            signers_json=json.dumps(a["signers"]),
            tx_hash=m.tx_hash,
            block_number=m.block_number,
            log_index=m.log_index,
            **state,
        )
    )


def station_state_recorded(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    row = s.get(ReportRow, (a["stationId"], a["intervalStart"]))
    if row is None:
        row = ReportRow(
            station_id=a["stationId"],
            interval_start=a["intervalStart"],
            interval_end=0,
            digest="",
            readings_root="",
            reading_count=0,
            signers_json="[]",
            tx_hash=m.tx_hash,
            block_number=m.block_number,
            log_index=m.log_index,
        )
    row.soc_bps, row.soh_bps = a["socBps"], a["sohBps"]
    row.cycle_count, row.alarm_bits = a["cycleCount"], a["alarmBits"]
    row.factor_version, row.grams_per_mwh = a["factorVersion"], a["gramsPerMWh"]
    s.merge(row)


def participant_interval_recorded(s: Session, a: dict[str, Any], m: EventMeta) -> None:
    station = s.get(StationRow, a["stationId"])
    efficiency = station.round_trip_efficiency_bps if station else 10_000
    stored = a["chargedWh"] * efficiency // 10_000
    s.merge(
        ParticipantIntervalRow(
            station_id=a["stationId"],
            interval_start=a["intervalStart"],
            participant=a["participant"],
            charged_wh=a["chargedWh"],
            discharged_wh=a["dischargedWh"],
            curtailed_wh=a["curtailedChargedWh"],
            stored_wh=stored,
            losses_wh=a["chargedWh"] - stored,
            avoided_grams=a["avoidedGrams"],
            factor_version=a["factorVersion"],
            block_number=m.block_number,
        )
    )


PROJECTIONS: dict[str, Projection] = {
    "StationRegistered": station_registered,
    "DeviceRegistered": device_registered,
    "DeviceSignerChanged": device_signer_changed,
    "DeviceDeactivated": device_deactivated,
    "LeaseSet": lease_set,
    "OracleSetChanged": oracle_set_changed,
    "ReportAccepted": report_accepted,
    "StationStateRecorded": station_state_recorded,
    "ParticipantIntervalRecorded": participant_interval_recorded,
}
