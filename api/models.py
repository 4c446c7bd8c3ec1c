"""Public response models (table models never leave the API)."""

from __future__ import annotations

from pydantic import BaseModel


class Health(BaseModel):
    status: str
    chain_id: int | None
    indexed_block: int | None


class StationPublic(BaseModel):
    station_id: int
    operator: str
    region: str
    rated_power_w: int
    capacity_wh: int
    round_trip_efficiency_bps: int
    interval_seconds: int
    grid_start: int
    external_code: str
    participants: list[str]
    latest_interval_start: int | None
    intervals_on_chain: int


class ParticipantIntervalPublic(BaseModel):
    participant: str
    charged_wh: int
    discharged_wh: int
    curtailed_wh: int
    losses_wh: int
    avoided_grams: int
    factor_version: int


class IntervalPublic(BaseModel):
    station_id: int
    interval_start: int
    interval_end: int
    soc_bps: int
    soh_bps: int
    alarm_bits: int
    readings_root: str
    reading_count: int
    tx_hash: str
    block_number: int
    participants: list[ParticipantIntervalPublic]


class ReportPublic(BaseModel):
    station_id: int
    interval_start: int
    interval_end: int
    digest: str
    readings_root: str
    reading_count: int
    signers: list[str]
    tx_hash: str
    block_number: int
    soc_bps: int
    soh_bps: int
    cycle_count: int
    alarm_bits: int
    factor_version: int
    grams_per_mwh: int


class EnergyBalance(BaseModel):
    station_id: int
    leased_wh: int
    charged_wh: int
    discharged_wh: int
    balance_wh: int
    losses_wh: int
    avoided_grams: int
    intervals: int


class ParticipantBalances(BaseModel):
    participant: str
    stations: list[EnergyBalance]
