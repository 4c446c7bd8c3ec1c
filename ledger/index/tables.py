"""SQL tables filled by the indexer. Every row carries the block it came from, so a reorg
rewinds by deleting rows above the common ancestor; mutable facts (a device's current key,
a lease's latest terms) are read as the latest row, never updated in place."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Checkpoint(SQLModel, table=True):
    __tablename__ = "index_checkpoint"
    name: str = Field(primary_key=True)
    chain_id: int
    block_number: int
    block_hash: str


class SeenBlock(SQLModel, table=True):
    """Hashes of indexed blocks that carried events (for finding the reorg ancestor)."""

    __tablename__ = "index_blocks"
    block_number: int = Field(primary_key=True)
    block_hash: str


class ChainEvent(SQLModel, table=True):
    """Every decoded event of the suite, as it was emitted."""

    __tablename__ = "chain_events"
    block_number: int = Field(primary_key=True)
    log_index: int = Field(primary_key=True)
    tx_hash: str = Field(index=True)
    contract: str = Field(index=True)
    event: str = Field(index=True)
    args_json: str
    timestamp: int = 0


class StationRow(SQLModel, table=True):
    __tablename__ = "stations"
    station_id: int = Field(primary_key=True)
    operator: str
    region: str
    rated_power_w: int
    capacity_wh: int
    round_trip_efficiency_bps: int
    interval_seconds: int
    grid_start: int
    external_code: str
    block_number: int = Field(index=True)


class DeviceRow(SQLModel, table=True):
    __tablename__ = "devices"
    device_id: int = Field(primary_key=True)
    station_id: int = Field(index=True)
    kind: int
    accuracy_class_bps: int
    rated_power_w: int
    external_code: str
    block_number: int = Field(index=True)


class DeviceKeyRow(SQLModel, table=True):
    """A device's signing key from `block_number` on (registration, rotation, deactivation)."""

    __tablename__ = "device_keys"
    block_number: int = Field(primary_key=True)
    log_index: int = Field(primary_key=True)
    device_id: int = Field(index=True)
    signer: str = Field(index=True)
    active: bool = True


class LeaseRow(SQLModel, table=True):
    __tablename__ = "leases"
    block_number: int = Field(primary_key=True)
    log_index: int = Field(primary_key=True)
    station_id: int = Field(index=True)
    participant: str = Field(index=True)
    leased_wh: int
    valid_from: int
    valid_to: int


class OracleSetRow(SQLModel, table=True):
    __tablename__ = "oracle_sets"
    config_version: int = Field(primary_key=True)
    config_digest: str
    signers_json: str
    threshold: int
    block_number: int = Field(index=True)


class ReportRow(SQLModel, table=True):
    __tablename__ = "reports"
    station_id: int = Field(primary_key=True)
    interval_start: int = Field(primary_key=True)
    interval_end: int
    digest: str
    readings_root: str = Field(index=True)
    reading_count: int
    signers_json: str
    soc_bps: int = 0
    soh_bps: int = 0
    cycle_count: int = 0
    alarm_bits: int = 0
    factor_version: int = 0
    grams_per_mwh: int = 0
    tx_hash: str
    block_number: int = Field(index=True)
    log_index: int


class ParticipantIntervalRow(SQLModel, table=True):
    __tablename__ = "participant_intervals"
    station_id: int = Field(primary_key=True)
    interval_start: int = Field(primary_key=True)
    participant: str = Field(primary_key=True)
    charged_wh: int
    discharged_wh: int
    curtailed_wh: int
    stored_wh: int  # charged x station efficiency, floored: the ledger's own rule
    losses_wh: int
    avoided_grams: int
    factor_version: int
    block_number: int = Field(index=True)


BLOCK_TABLES: tuple[type[SQLModel], ...] = (
    ChainEvent,
    StationRow,
    DeviceRow,
    DeviceKeyRow,
    LeaseRow,
    OracleSetRow,
    ReportRow,
    ParticipantIntervalRow,
    SeenBlock,
)
