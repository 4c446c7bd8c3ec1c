"""Public shapes of the battery passport routes. Energy in Wh, SOH and efficiency in basis
points of rated capacity, temperatures in 0.1 °C, days as UTC unix days (seconds / 86400)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, JsonValue

StatusName = Literal["none", "original", "reused", "repurposed", "remanufactured", "waste"]
CategoryName = Literal["ev", "industrial", "lmt", "sli"]


class PassportBase(BaseModel):
    """What every passport answer starts with (Annex XIII public identity)."""

    passport: str = Field(description="On-chain key: keccak256 of the passport id.")
    passport_id: str = Field(description="ISO/IEC 15459 unique identifier.")
    gbt_code: str = Field(description="GB/T 34014 code of the pack.")
    category: CategoryName
    status: StatusName
    closed: bool = Field(description="Superseded by a successor (repurposed/remanufactured).")


class EventBase(BaseModel):
    """Where an indexed passport event sits on the chain."""

    block_number: int
    log_index: int
    tx_hash: str


class PassportSummaryPublic(PassportBase):
    owner: str
    station_id: int | None = Field(description="The station the pack is installed in, if any.")


class PassportAttributesPublic(BaseModel):
    manufacturer: str
    chemistry: str
    rated_capacity_wh: int
    nominal_voltage_mv: int
    expected_cycle_life: int
    manufactured_at: int
    carbon_footprint_g_per_kwh: int
    attributes_hash: str = Field(
        description="Hash of the authority-only documents (Annex XIII (3))."
    )
    params_hash: str


class LineagePublic(PassportBase):
    """A predecessor: the passport this one was repurposed or remanufactured from."""


class CustodyPublic(EventBase):
    owner: str
    holder: str
    previous_owner: str
    previous_holder: str
    by: str


class InstallationPublic(EventBase):
    action: Literal["installed", "removed"]
    station_id: int
    bms_device: int
    by: str


class StatusChangePublic(EventBase):
    event: str
    status: StatusName
    successor: str | None
    recycler: str | None
    at: int | None
    by: str


class RepairPublic(EventBase):
    report_hash: str
    by: str


class PassportPublic(PassportBase):
    attributes: PassportAttributesPublic
    owner: str
    holder: str
    station_id: int | None
    bms_device: int | None
    predecessor: str | None
    successor: str | None
    original_gbt_code: str = Field(description="The GB/T 34014 code at the root of the lineage.")
    predecessors: list[LineagePublic] = Field(description="Newest first.")
    custody: list[CustodyPublic]
    installations: list[InstallationPublic]
    status_history: list[StatusChangePublic]
    repairs: list[RepairPublic]
    created: EventBase
    created_by: str


class SnapshotPublic(BaseModel):
    day: int
    device_id: int
    telemetry_root: str
    reading_count: int
    soh_bps: int
    capacity_fade_bps: int = Field(description="10000 - sohBps (derived).")
    cycle_count: int
    charged_wh_total: int
    discharged_wh_total: int
    efficiency_bps: int
    resistance_micro_ohm: int
    cell_min_milli_volts: int
    cell_max_milli_volts: int
    temp_min_deci_c: int
    temp_max_deci_c: int
    extreme_temp_seconds: int
    deep_discharge_events: int
    overcharge_events: int
    over_temp_events: int
    digest: str
    tx_hash: str
    block_number: int


class PassportHealthPublic(BaseModel):
    passport: str
    passport_id: str
    rated_capacity_wh: int
    snapshots: list[SnapshotPublic] = Field(description="In day order.")


class ModelOutputPublic(BaseModel):
    value: int | float | str
    rule: str
    inputs: dict[str, int | str]


class AssessmentPublic(BaseModel):
    """ledger.passport_model over the indexed snapshot series (docs/passport.md)."""

    passport: str
    model_version: int
    snapshots: int
    first_day: int
    last_day: int
    soh_bps: ModelOutputPublic
    fade_bps_per_kcycle: ModelOutputPublic
    eligibility: ModelOutputPublic
    remaining_cycles: ModelOutputPublic
    cycles_per_year: ModelOutputPublic
    remaining_years: ModelOutputPublic
    residual_capacity_wh: ModelOutputPublic
    residual_throughput_wh: ModelOutputPublic
    safety: ModelOutputPublic


PassportExport = dict[str, JsonValue]
