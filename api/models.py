"""Public response models (table models never leave the API)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from ledger.reasons import MAX_REASON_CHARS


class Health(BaseModel):
    status: str
    chain_id: int | None
    indexed_block: int | None
    leader: bool | None = Field(
        default=None,
        description="Whether this process runs the indexer and settlement jobs (None: none).",
    )


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


CURTAILED_WH = (
    "Wh of the interval's charging that the grid operator attested as curtailed renewables "
    "(CurtailmentAttested); 0 until attested."
)
INTERVAL_AVOIDED_GRAMS = (
    "gCO2e added to the avoided account for this interval: the report's grams plus those of "
    "the curtailment attestation."
)


class ParticipantIntervalPublic(BaseModel):
    participant: str
    charged_wh: int
    discharged_wh: int
    curtailed_wh: int = Field(description=CURTAILED_WH)
    losses_wh: int
    avoided_grams: int = Field(description=INTERVAL_AVOIDED_GRAMS)
    factor_version: int = Field(description="Emission factor version the report applied.")


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
    avoided_grams: int = Field(
        description="gCO2e booked at the station: reports plus curtailment attestations."
    )
    intervals: int


class CreditAmountsPublic(BaseModel):
    """Units of one token id; issued = live + retired + revoked."""

    issued: int
    live: int
    retired: int
    revoked: int


class CreditRequestPublic(BaseModel):
    station_id: int
    participant: str
    requester: str
    period_start: int
    period_end: int
    requested_grams: int
    methodology_version: int
    factor_version: int
    reports_root: str
    tx_hash: str
    block_number: int


REASON_TEXT = (
    "The text of the reason when it is known (kept by whoever sent the transaction) and its "
    "keccak256 equals the on-chain reason hash; null otherwise (no reason: the zero hash)."
)


class CreditDecisionPublic(BaseModel):
    approved: bool
    verifier: str
    units: int
    consumed_grams: int
    reason_hash: str
    reason: str | None = Field(default=None, description="A rejection's reason. " + REASON_TEXT)
    tx_hash: str
    block_number: int


class CreditRevocationPublic(BaseModel):
    regulator: str
    amount: int
    reason_hash: str
    reason: str | None = Field(default=None, description=REASON_TEXT)
    tx_hash: str
    block_number: int


class ReasonRequest(BaseModel):
    """A rejection's or revocation's reason, kept before the transaction carrying its hash."""

    reason: str = Field(
        min_length=1, max_length=MAX_REASON_CHARS, description="keccak256 goes on-chain."
    )

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a reason must say something (it is only white space)")
        return value


class ReasonPublic(BaseModel):
    reason_hash: str = Field(description="0x + keccak256(UTF-8 reason): put it in the tx.")


class CreditRetirementPublic(BaseModel):
    account: str
    amount: int
    beneficiary: str
    beneficiary_address: str
    period_start: int
    period_end: int
    country: str
    purpose: str
    tx_hash: str
    block_number: int


class CreditHolderPublic(BaseModel):
    holder: str
    balance: int


class CreditPublic(BaseModel):
    """One token id (= its issuance request): state, amounts and provenance."""

    token_id: int
    state: str  # requested | rejected | live | revoked
    amounts: CreditAmountsPublic
    factor_version: int
    request: CreditRequestPublic
    approval: CreditDecisionPublic | None
    revocation: CreditRevocationPublic | None
    retirements: list[CreditRetirementPublic]
    holders: list[CreditHolderPublic]


class CreditHoldingPublic(BaseModel):
    """A participant's position in one token id: live units held, units frozen by a
    revocation, and units it retired (claimedBalanceOf)."""

    token_id: int
    station_id: int
    state: str
    live: int
    frozen: int
    retired: int


class AvoidedBalance(BaseModel):
    """Avoided emissions at one station in gCO2e: the booked sum, what issuance and green
    certificates consumed, and what is still un-issued (never below zero), as avoidedOf."""

    station_id: int
    avoided_grams: int = Field(
        description="gCO2e booked by the reports plus the curtailment attestations."
    )
    consumed_grams: int
    unissued_grams: int


class FactorPublic(BaseModel):
    region: str
    grams_per_mwh: int


class EmissionFactorDatasetPublic(BaseModel):
    version: int
    dataset_hash: str
    source_uri: str
    valid_from: int
    valid_to: int
    factors: list[FactorPublic]
    tx_hash: str
    block_number: int


class ParticipantBalances(BaseModel):
    participant: str
    stations: list[EnergyBalance]
    avoided: list[AvoidedBalance]
    credits: list[CreditHoldingPublic]
