"""Public models of the provenance trace: a credit (or an energy account over a period) down to
the signed readings, level by level (depth 1 credit, 2 avoided accounts and factors, 3 interval
reports, 4 batch files, 5 readings with their device and Merkle proof)."""

from __future__ import annotations

from pydantic import BaseModel, Field, PrivateAttr

from api.models import (
    CURTAILED_WH,
    INTERVAL_AVOIDED_GRAMS,
    CreditDecisionPublic,
    CreditRequestPublic,
    CreditRetirementPublic,
    CreditRevocationPublic,
)
from api.settlement_models import OwnLinePublic


class TransferPublic(BaseModel):
    from_address: str
    to_address: str
    amount: int
    tx_hash: str
    block_number: int


class FactorUsedPublic(BaseModel):
    version: int
    region: str
    grams_per_mwh: int
    dataset_hash: str
    source_uri: str


class AvoidedAccountPublic(BaseModel):
    station_id: int
    participant: str
    avoided_grams: int = Field(
        description="gCO2e booked by the intervals in this trace: the reports' grams plus "
        "those of their curtailment attestations."
    )
    intervals: int
    factors: list[FactorUsedPublic]


class DevicePublic(BaseModel):
    device_id: int | None
    external_code: str | None
    signing_key: str


class ReadingPublic(BaseModel):
    index: int
    reading: dict[str, int | str]  # the signed reading as archived (fields + signature)
    device: DevicePublic
    leaf: str
    proof: list[str]


class BatchPublic(BaseModel):
    root: str
    url: str
    available: bool
    reading_count: int
    readings: list[ReadingPublic] | None = None  # depth 5
    # The readings already rendered as JSON (api.queries.trace_rows.render_trace), never a field.
    _readings_json: str | None = PrivateAttr(default=None)


class CurtailmentPublic(BaseModel):
    """The grid operator's CurtailmentAttested for one participant and interval."""

    grid_operator: str
    curtailed_wh: int
    factor_version: int = Field(description="Factor version of the station's latest report.")
    grams_per_mwh: int
    avoided_grams: int = Field(description="curtailed_wh x grams_per_mwh / 1e6, truncated.")
    tx_hash: str
    block_number: int


class IntervalTracePublic(BaseModel):
    station_id: int
    interval_start: int
    interval_end: int
    tx_hash: str
    block_number: int
    digest: str
    oracle_signers: list[str]
    readings_root: str
    reading_count: int
    factor_version: int
    grams_per_mwh: int
    charged_wh: int
    discharged_wh: int
    curtailed_wh: int = Field(description=CURTAILED_WH)
    avoided_grams: int = Field(description=INTERVAL_AVOIDED_GRAMS)
    curtailment: CurtailmentPublic | None = Field(
        default=None, description="The grid operator's attestation behind curtailed_wh, if any."
    )
    batch: BatchPublic | None = None  # depth 4


class PagePublic(BaseModel):
    page: int
    page_size: int
    total_intervals: int
    pages: int


class CreditTracePublic(BaseModel):
    token_id: int
    depth: int
    request: CreditRequestPublic
    approval: CreditDecisionPublic | None
    revocation: CreditRevocationPublic | None
    transfers: list[TransferPublic]
    retirements: list[CreditRetirementPublic]
    avoided: AvoidedAccountPublic | None = None  # depth 2
    intervals: list[IntervalTracePublic] | None = None  # depth 3, paged
    paging: PagePublic | None = None


class AccountTracePublic(BaseModel):
    station_id: int
    participant: str
    period_from: int
    period_to: int
    depth: int
    avoided: AvoidedAccountPublic
    intervals: list[IntervalTracePublic] | None = None
    paging: PagePublic | None = None


class AnchorPublic(BaseModel):
    """Where the statement's root went on-chain."""

    lines_root: str
    tx_hash: str
    block_number: int
    anchored_by: str


class SettlementLineTracePublic(BaseModel):
    """A settlement line: the line and its proof under the anchored root, the anchoring
    transaction, and the participant's energy account over the settled day down to readings."""

    line: OwnLinePublic
    anchor: AnchorPublic | None
    account: AccountTracePublic
