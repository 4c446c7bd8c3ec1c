"""Public shapes of the settlement routes. Money in minor units (fen), energy in Wh."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ledger.reasons import MAX_REASON_CHARS

StateName = Literal["pending", "final", "disputed", "superseded", "unknown"]
ResponseName = Literal["acknowledged", "disputed"]


class SettlementRunRequest(BaseModel):
    station_id: int = Field(ge=1, le=2**31 - 1, description="Registry station id.")
    period: int = Field(
        ge=19700101, le=99991231, description="Local (UTC+8) day as yyyymmdd, e.g. 20261123."
    )
    allow_partial: bool = Field(
        default=False, description="Settle even when some interval reports are missing."
    )


class SettlementRunPublic(BaseModel):
    station_id: int
    period: int
    version: int
    supersedes: int
    root: str
    terms_hash: str
    lines: int
    net_total: int
    tx_hash: str
    reused: bool = Field(description="True when this root was already anchored.")


class AmountsBase(BaseModel):
    """The energy and money columns a settlement line and the statement's totals share."""

    leased_wh: int
    lease_wh_seconds: int
    charged_wh: int
    discharged_wh: int
    peak_charged_wh: int
    loss_wh: int
    lease_fee: int
    throughput_fee: int
    peak_pay: int
    loss_charge: int
    net: int


class LinePublic(AmountsBase):
    participant: str
    line_hash: str
    response: ResponseName | Literal["none"] = "none"


class StatementLinePublic(LinePublic):
    """A line in the operator / regulator view, with the dispute's reason in words."""

    reason: str | None = Field(
        default=None,
        description="A disputed line: the text of the dispute's reason when it is known (kept "
        "by whoever sent the dispute) and its keccak256 equals the on-chain reason hash; null "
        "otherwise.",
    )


class TotalsPublic(AmountsBase):
    pass


class StatementHeader(BaseModel):
    station_id: int
    period: int
    version: int
    period_start: int
    period_end: int
    currency: str
    terms_version: int
    terms_hash: str
    root: str
    state: StateName
    loss_source: Literal["efficiency", "measured"] = Field(
        description="How the station's losses were found: from the terms' measured round-trip "
        "efficiency, or measured."
    )
    loss_efficiency_ppm: int | None = Field(
        description="The terms' measured round-trip efficiency the losses were priced at (ppm); "
        "null when the losses were measured."
    )
    registry_efficiency_bps: int | None = Field(
        description="The station's registered round-trip efficiency: the ledger's upper bound on "
        "what can be discharged per Wh charged, not a loss measure, so it may differ."
    )


class StatementPublic(StatementHeader):
    """Operator / regulator view: every line and the totals."""

    lines: list[StatementLinePublic]
    totals: TotalsPublic


class OwnLinePublic(StatementHeader):
    """A participant's view: its own line and the Merkle proof of it under `root`."""

    line: LinePublic
    leaf: str
    proof: list[str]


class ResponseRequest(BaseModel):
    version: int = Field(ge=1, le=2**16 - 1)
    signature_deadline: int = Field(ge=0, le=2**64 - 1)
    signature: str = Field(pattern=r"^(0x)?[0-9a-fA-F]{130}$")


class DisputeRequest(ResponseRequest):
    reason: str = Field(
        min_length=1, max_length=MAX_REASON_CHARS, description="keccak256 goes on-chain."
    )


class ResponsePublic(BaseModel):
    station_id: int
    period: int
    version: int
    participant: str
    response: ResponseName
    reason_hash: str
    tx_hash: str
