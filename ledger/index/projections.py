"""How each event lands in the typed tables (beyond the raw `chain_events` log)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ledger.index.credit_projections import CREDIT_PROJECTIONS
from ledger.index.event_args import (
    CurtailmentAttestedArgs,
    DeviceDeactivatedArgs,
    DeviceRegisteredArgs,
    DeviceSignerChangedArgs,
    LeaseSetArgs,
    OracleSetChangedArgs,
    ReportAcceptedArgs,
    StationRegisteredArgs,
)
from ledger.index.events import EventMeta, Projection
from ledger.index.passport_projections import PASSPORT_PROJECTIONS
from ledger.index.settlement_projections import SETTLEMENT_PROJECTIONS
from ledger.index.tables import (
    CurtailmentRow,
    DeviceKeyRow,
    DeviceRow,
    LeaseRow,
    OracleSetRow,
    ParticipantIntervalRow,
    ReportRow,
    StationRow,
)
from ledger.methodology import BPS, stored_in_interval
from ledger.reports import participant_records

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def region_text(value: str) -> str:
    """bytes32 region code (hex) to its ASCII text."""
    return bytes.fromhex(value.removeprefix("0x")).rstrip(b"\0").decode("ascii", "replace")


def station_registered(s: Session, a: StationRegisteredArgs, m: EventMeta) -> None:
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


def device_registered(s: Session, a: DeviceRegisteredArgs, m: EventMeta) -> None:
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
    _device_key(s, m, a["deviceId"], a["signer"], active=True)


def _device_key(s: Session, m: EventMeta, device_id: int, signer: str, *, active: bool) -> None:
    """A device's key from this event on (registration, rotation or deactivation)."""
    s.merge(
        DeviceKeyRow(
            block_number=m.block_number,
            log_index=m.log_index,
            device_id=device_id,
            signer=signer,
            active=active,
        )
    )


def device_signer_changed(s: Session, a: DeviceSignerChangedArgs, m: EventMeta) -> None:
    _device_key(s, m, a["deviceId"], a["newSigner"], active=True)


def device_deactivated(s: Session, a: DeviceDeactivatedArgs, m: EventMeta) -> None:
    _device_key(s, m, a["deviceId"], a["signer"], active=False)


def lease_set(s: Session, a: LeaseSetArgs, m: EventMeta) -> None:
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


def oracle_set_changed(s: Session, a: OracleSetChangedArgs, m: EventMeta) -> None:
    s.merge(
        OracleSetRow(
            config_version=a["configVersion"],
            config_digest=a["configDigest"],
            signers_json=json.dumps(a["signers"]),
            threshold=a["threshold"],
            block_number=m.block_number,
        )
    )


def _hex_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


def charged_before(s: Session, station_id: int, participant: str, interval_start: int) -> int:
    total = s.exec(
        select(func.coalesce(func.sum(ParticipantIntervalRow.charged_wh), 0)).where(
            ParticipantIntervalRow.station_id == station_id,
            ParticipantIntervalRow.participant == participant,
            ParticipantIntervalRow.interval_start < interval_start,
        )
    ).one()
    return int(total)


def report_accepted(s: Session, a: ReportAcceptedArgs, m: EventMeta) -> None:
    """One event per report: the report row with the station state, and one row per participant."""
    s.merge(
        ReportRow(
            station_id=a["stationId"],
            interval_start=a["intervalStart"],
            interval_end=a["intervalEnd"],
            digest=a["digest"],
            readings_root=a["readingsRoot"],
            reading_count=a["readingCount"],
            signers_json=json.dumps(a["signers"]),
            soc_bps=a["socBps"],
            soh_bps=a["sohBps"],
            cycle_count=a["cycleCount"],
            alarm_bits=a["alarmBits"],
            factor_version=a["factorVersion"],
            grams_per_mwh=a["gramsPerMWh"],
            tx_hash=m.tx_hash,
            block_number=m.block_number,
            log_index=m.log_index,
        )
    )
    station = s.get(StationRow, a["stationId"])
    efficiency = station.round_trip_efficiency_bps if station else BPS
    for rec in participant_records(_hex_bytes(a["participants"])):
        # The ledger applies the efficiency to the lifetime counter: this interval's share of
        # stored energy is the difference of the floors before and after it.
        before = charged_before(s, a["stationId"], rec.participant, a["intervalStart"])
        stored = stored_in_interval(before, rec.charged_wh, efficiency)
        s.merge(
            ParticipantIntervalRow(
                station_id=a["stationId"],
                interval_start=a["intervalStart"],
                participant=rec.participant,
                charged_wh=rec.charged_wh,
                discharged_wh=rec.discharged_wh,
                stored_wh=stored,
                losses_wh=rec.charged_wh - stored,
                avoided_grams=rec.avoided_grams,
                factor_version=a["factorVersion"],
                block_number=m.block_number,
            )
        )


def curtailment_attested(s: Session, a: CurtailmentAttestedArgs, m: EventMeta) -> None:
    """One event per participant of a grid operator's attestation."""
    s.merge(
        CurtailmentRow(
            station_id=a["stationId"],
            interval_start=a["intervalStart"],
            participant=a["participant"],
            grid_operator=a["gridOperator"],
            curtailed_wh=a["curtailedWh"],
            factor_version=a["factorVersion"],
            grams_per_mwh=a["gramsPerMWh"],
            avoided_grams=a["avoidedGrams"],
            tx_hash=m.tx_hash,
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
    "CurtailmentAttested": curtailment_attested,
    **CREDIT_PROJECTIONS,
    **SETTLEMENT_PROJECTIONS,
    **PASSPORT_PROJECTIONS,
}
