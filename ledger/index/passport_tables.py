"""SQL tables of the BatteryPassports events: each passport's static attributes, its status
changes, custody, installations, repairs and daily health snapshots. Rows are written once and
carry their block, so a reorg removes them like the others (tables.BLOCK_TABLES lists them);
a passport's current state is its latest rows."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class PassportRow(SQLModel, table=True):
    """PassportCreated: the key (keccak256 of the passport id) and the attributes in full."""

    __tablename__ = "passports"
    passport: str = Field(primary_key=True)  # 0x + 64 hex
    passport_id: str = Field(index=True)
    gbt_code: str
    manufacturer: str
    chemistry: str
    category: int
    rated_capacity_wh: int = Field(sa_type=BigInteger)
    nominal_voltage_mv: int = Field(sa_type=BigInteger)
    expected_cycle_life: int = Field(sa_type=BigInteger)
    manufactured_at: int = Field(sa_type=BigInteger)
    carbon_footprint_g_per_kwh: int = Field(sa_type=BigInteger)
    attributes_hash: str
    params_hash: str
    owner: str  # at creation; later owners are PassportCustodyRows
    predecessor: str | None = Field(default=None, index=True)
    status: int  # at creation: Original, Repurposed or Remanufactured
    created_by: str
    tx_hash: str
    block_number: int = Field(index=True)
    log_index: int


class PassportStatusRow(SQLModel, table=True):
    """A status change: StatusChanged (same passport), PassportSuperseded (the predecessor is
    closed; `successor` set) or PassportWasted (`recycler`, `at`)."""

    __tablename__ = "passport_status"
    block_number: int = Field(primary_key=True)
    log_index: int = Field(primary_key=True)
    passport: str = Field(index=True)
    event: str
    status: int
    successor: str | None = None
    recycler: str | None = None
    at: int | None = Field(default=None, sa_type=BigInteger)
    by: str
    tx_hash: str


class PassportCustodyRow(SQLModel, table=True):
    __tablename__ = "passport_custody"
    block_number: int = Field(primary_key=True)
    log_index: int = Field(primary_key=True)
    passport: str = Field(index=True)
    owner: str
    holder: str
    previous_owner: str
    previous_holder: str
    by: str
    tx_hash: str


class PassportInstallRow(SQLModel, table=True):
    """PackInstalled (`installed`) or PackRemoved."""

    __tablename__ = "passport_installations"
    block_number: int = Field(primary_key=True)
    log_index: int = Field(primary_key=True)
    passport: str = Field(index=True)
    installed: bool
    station_id: int = Field(index=True)
    bms_device: int
    by: str
    tx_hash: str


class PassportRepairRow(SQLModel, table=True):
    __tablename__ = "passport_repairs"
    block_number: int = Field(primary_key=True)
    log_index: int = Field(primary_key=True)
    passport: str = Field(index=True)
    report_hash: str
    by: str
    tx_hash: str


class PassportSnapshotRow(SQLModel, table=True):
    """SnapshotAnchored, its 118-byte record decoded (ledger.passport_snapshots)."""

    __tablename__ = "passport_snapshots"
    passport: str = Field(primary_key=True)
    day: int = Field(primary_key=True)
    device_id: int
    telemetry_root: str
    reading_count: int = Field(sa_type=BigInteger)
    config_digest: str
    soh_bps: int
    cycle_count: int = Field(sa_type=BigInteger)
    charged_wh_total: int = Field(sa_type=BigInteger)
    discharged_wh_total: int = Field(sa_type=BigInteger)
    efficiency_bps: int
    resistance_micro_ohm: int = Field(sa_type=BigInteger)
    cell_min_milli_volts: int
    cell_max_milli_volts: int
    temp_min_deci_c: int
    temp_max_deci_c: int
    extreme_temp_seconds: int = Field(sa_type=BigInteger)
    deep_discharge_events: int
    overcharge_events: int
    over_temp_events: int
    digest: str
    tx_hash: str
    block_number: int = Field(index=True)


PASSPORT_TABLES: tuple[type[SQLModel], ...] = (
    PassportRow,
    PassportStatusRow,
    PassportCustodyRow,
    PassportInstallRow,
    PassportRepairRow,
    PassportSnapshotRow,
)
