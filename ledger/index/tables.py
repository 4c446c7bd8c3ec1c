"""SQL tables filled by the indexer. Every row carries the block it came from, so a reorg
rewinds by deleting rows above the common ancestor; mutable facts (a device's current key,
a lease's latest terms) are read as the latest row, never updated in place."""

from __future__ import annotations

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, SQLModel

from ledger.index.passport_tables import PASSPORT_TABLES


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
    """One participant's interval as its ReportAccepted booked it (a curtailment attestation
    of the interval is a CurtailmentRow)."""

    __tablename__ = "participant_intervals"
    station_id: int = Field(primary_key=True)
    interval_start: int = Field(primary_key=True)
    participant: str = Field(primary_key=True)
    charged_wh: int
    discharged_wh: int
    stored_wh: int  # charged x station efficiency, floored: the ledger's own rule
    losses_wh: int
    avoided_grams: int
    factor_version: int
    block_number: int = Field(index=True)


class CurtailmentRow(SQLModel, table=True):
    """CurtailmentAttested: Wh of a participant's charging in the interval that the grid
    operator attested as curtailed renewables, and the grams it added to the avoided account
    (at the factor of the station's latest report when attested). Written once."""

    __tablename__ = "curtailment_attestations"
    station_id: int = Field(primary_key=True)
    interval_start: int = Field(primary_key=True)
    participant: str = Field(primary_key=True)
    grid_operator: str
    curtailed_wh: int = Field(sa_type=BigInteger)
    factor_version: int
    grams_per_mwh: int
    avoided_grams: int = Field(sa_type=BigInteger)
    tx_hash: str
    block_number: int = Field(index=True)


class EmissionFactorDatasetRow(SQLModel, table=True):
    """One registered factor dataset version (DatasetRegistered carries the whole table)."""

    __tablename__ = "emission_factor_datasets"
    version: int = Field(primary_key=True)
    dataset_hash: str = Field(index=True)
    source_uri: str
    valid_from: int = Field(sa_type=BigInteger)
    valid_to: int = Field(sa_type=BigInteger)
    factors_json: str  # [[region, gramsPerMWh], ...] in registration order
    tx_hash: str
    block_number: int = Field(index=True)


class AvoidedConsumedRow(SQLModel, table=True):
    """Avoided grams leaving a participant's un-issued balance (issuance or green certificate)."""

    __tablename__ = "avoided_consumed"
    block_number: int = Field(primary_key=True)
    log_index: int = Field(primary_key=True)
    station_id: int = Field(index=True)
    participant: str = Field(index=True)
    consumer: str  # the contract that consumed (CarbonCredits)
    grams: int = Field(sa_type=BigInteger)
    consumed_total: int = Field(sa_type=BigInteger)


class CreditRow(SQLModel, table=True):
    """An issuance request; its token id equals the request id. Written once."""

    __tablename__ = "credits"
    token_id: int = Field(primary_key=True)
    station_id: int = Field(index=True)
    participant: str = Field(index=True)
    requester: str
    period_start: int = Field(sa_type=BigInteger)
    period_end: int = Field(sa_type=BigInteger)
    requested_grams: int = Field(sa_type=BigInteger)
    methodology_version: int
    factor_version: int
    reports_root: str
    tx_hash: str
    block_number: int = Field(index=True)


class CreditDecisionRow(SQLModel, table=True):
    """A verifier's approval (with what it minted and consumed) or rejection of a request."""

    __tablename__ = "credit_decisions"
    token_id: int = Field(primary_key=True)
    approved: bool
    verifier: str
    units: int = Field(sa_type=BigInteger)
    consumed_grams: int = Field(sa_type=BigInteger)
    reason_hash: str
    tx_hash: str
    block_number: int = Field(index=True)


class CreditMoveRow(SQLModel, table=True):
    """One ERC-1155 movement (mint: from zero; burn: to zero); `position` orders a batch."""

    __tablename__ = "credit_moves"
    block_number: int = Field(primary_key=True)
    log_index: int = Field(primary_key=True)
    position: int = Field(primary_key=True, default=0)
    token_id: int = Field(index=True)
    operator: str
    from_address: str = Field(index=True)
    to_address: str = Field(index=True)
    amount: int = Field(sa_type=BigInteger)
    tx_hash: str


class CreditRetirementRow(SQLModel, table=True):
    """The canonical Retired claim (the matching burn is a CreditMoveRow)."""

    __tablename__ = "credit_retirements"
    block_number: int = Field(primary_key=True)
    log_index: int = Field(primary_key=True)
    token_id: int = Field(index=True)
    account: str = Field(index=True)
    beneficiary_address: str
    amount: int = Field(sa_type=BigInteger)
    beneficiary: str
    period_start: int = Field(sa_type=BigInteger)
    period_end: int = Field(sa_type=BigInteger)
    country: str
    purpose: str
    tx_hash: str


class CreditRevocationRow(SQLModel, table=True):
    """A regulator's revocation; `amount` is the live supply frozen as revoked."""

    __tablename__ = "credit_revocations"
    token_id: int = Field(primary_key=True)
    regulator: str
    amount: int = Field(sa_type=BigInteger)
    reason_hash: str
    tx_hash: str
    block_number: int = Field(index=True)


class SettlementTermsRow(SQLModel, table=True):
    """TermsRegistered: a station's tariff terms hash and its version."""

    __tablename__ = "settlement_terms"
    station_id: int = Field(primary_key=True)
    terms_hash: str = Field(primary_key=True)
    version: int
    registered_by: str
    tx_hash: str
    block_number: int = Field(index=True)


class SettlementAnchorRow(SQLModel, table=True):
    """StatementAnchored: one statement version as anchored (written once)."""

    __tablename__ = "settlement_anchors"
    station_id: int = Field(primary_key=True)
    period: int = Field(primary_key=True)  # yyyymmdd of the local (UTC+8) day
    version: int = Field(primary_key=True)
    lines_root: str
    terms_hash: str
    net_total: int = Field(sa_type=BigInteger)
    participant_count: int
    deadline: int = Field(sa_type=BigInteger)
    supersedes_version: int
    anchored_by: str
    tx_hash: str
    block_number: int = Field(index=True)


class SettlementResponseRow(SQLModel, table=True):
    """StatementAcknowledged / StatementDisputed: one participant's answer."""

    __tablename__ = "settlement_responses"
    station_id: int = Field(primary_key=True)
    period: int = Field(primary_key=True)
    version: int = Field(primary_key=True)
    participant: str = Field(primary_key=True)
    response: int  # 1 acknowledged, 2 disputed (ISettlementAnchor.Response)
    net_minor: int = Field(sa_type=BigInteger)
    line_hash: str
    reason_hash: str  # zero hash for an acknowledgement
    tx_hash: str
    block_number: int = Field(index=True)


class SettlementTransitionRow(SQLModel, table=True):
    """StatementFinalized (Final / Disputed) or StatementSuperseded: the latest row of a
    version is its state (Pending when it has none)."""

    __tablename__ = "settlement_transitions"
    block_number: int = Field(primary_key=True)
    log_index: int = Field(primary_key=True)
    station_id: int = Field(index=True)
    period: int = Field(index=True)
    version: int
    state: int  # ISettlementAnchor.StatementState: 2 Final, 3 Disputed, 4 Superseded
    superseded_by: int = 0
    acknowledged_count: int = 0
    disputed_count: int = 0
    tx_hash: str


class SettlementTermsDocument(SQLModel, table=True):
    """The full terms document behind a registered hash. Off-chain (no block_number): a reorg
    does not unmake a document, it only drops the indexed registration, which is re-indexed."""

    __tablename__ = "settlement_terms_documents"
    station_id: int = Field(primary_key=True)
    terms_hash: str = Field(primary_key=True)
    version: int = Field(index=True)
    valid_from: int = Field(sa_type=BigInteger)
    terms_json: str


class SettlementStatementDocument(SQLModel, table=True):
    """A statement as anchored: its canonical JSON (Statement.to_json) with every line, so the
    API can serve lines and proofs. Off-chain and append-only (one row per anchored version);
    not in BLOCK_TABLES because a reorg must not lose the document the root commits to."""

    __tablename__ = "settlement_statements"
    station_id: int = Field(primary_key=True)
    period: int = Field(primary_key=True)
    version: int = Field(primary_key=True)
    root: str = Field(index=True)
    terms_hash: str
    net_total: int = Field(sa_type=BigInteger)
    lines: int
    statement_json: str = Field(sa_type=Text)
    anchor_tx: str
    created_at: int = Field(sa_type=BigInteger)


class ReasonText(SQLModel, table=True):
    """The text behind a reason hash (a dispute's, a rejection's or a revocation's), stored by
    whoever sent it, content-addressed: `reason_hash` is "0x" + keccak256(UTF-8 text) in lower
    case. Off-chain (no block_number, not in BLOCK_TABLES): a reorg must not lose it; the chain
    only ever carries the hash. Readers recompute the hash (ledger.reasons.reason_texts)."""

    __tablename__ = "reason_texts"
    reason_hash: str = Field(primary_key=True)
    text: str = Field(sa_type=Text)
    recorded_at: int = Field(sa_type=BigInteger)


BLOCK_TABLES: tuple[type[SQLModel], ...] = (
    ChainEvent,
    StationRow,
    DeviceRow,
    DeviceKeyRow,
    LeaseRow,
    OracleSetRow,
    ReportRow,
    ParticipantIntervalRow,
    CurtailmentRow,
    EmissionFactorDatasetRow,
    AvoidedConsumedRow,
    CreditRow,
    CreditDecisionRow,
    CreditMoveRow,
    CreditRetirementRow,
    CreditRevocationRow,
    SettlementTermsRow,
    SettlementAnchorRow,
    SettlementResponseRow,
    SettlementTransitionRow,
    *PASSPORT_TABLES,
    SeenBlock,
)
