"""A settlement statement: one line per participant, the station totals, the Merkle tree over
the lines (OpenZeppelin StandardMerkleTree leaves, as SettlementAnchor verifies them), CSV and
canonical JSON.

lineHash = keccak256(abi.encode(uint256 stationId, uint256 periodStart, uint256 periodEnd,
    bytes32 termsHash, address participant, uint256 leasedWh, uint256 leaseWhSeconds,
    uint256 chargedWh, uint256 dischargedWh, uint256 peakChargedWh, uint256 lossWh,
    uint256 leaseFee, uint256 throughputFee, uint256 peakPay, uint256 lossCharge, int256 net))
leaf     = keccak256(bytes.concat(keccak256(abi.encode(address participant, int256 net,
    bytes32 lineHash))))"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from functools import cached_property
from typing import Any, Literal

from eth_hash.auto import keccak

from ledger.merkle import MerkleTree, abi_encode_static, leaf_hash, verify
from ledger.settlement.errors import InvalidStatement
from ledger.settlement.terms import canonical_json

LINE_TYPES = ["uint256", "uint256", "uint256", "bytes32", "address"] + ["uint256"] * 10 + ["int256"]
LEAF_TYPES = ("address", "int256", "bytes32")
LossSource = Literal["measured", "efficiency"]


@dataclass(frozen=True)
class Line:
    """One participant's statement line. Energy in Wh, money in minor units (fen).
    net = peak_pay - lease_fee - throughput_fee - loss_charge: positive means the station
    pays the participant, negative means the participant pays the station."""

    station_id: int
    period_start: int
    period_end: int
    terms_hash: bytes
    participant: str
    leased_wh: int  # largest capacity leased at any time in the period
    lease_wh_seconds: int  # sum over leases of capacity x seconds in force within the period
    charged_wh: int
    discharged_wh: int
    peak_charged_wh: int  # charged in intervals inside peak-shaving windows
    loss_wh: int
    lease_fee: int
    throughput_fee: int
    peak_pay: int
    loss_charge: int
    net: int

    # Both hashes are worked out once per line (a line never changes): a statement read back
    # from its document builds its tree from the leaves and its lines show the line hashes.
    @cached_property
    def line_hash(self) -> bytes:
        return bytes(keccak(abi_encode_static(LINE_TYPES, astuple(self))))

    @cached_property
    def leaf(self) -> bytes:
        return leaf_hash(LEAF_TYPES, (self.participant, self.net, self.line_hash))

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["terms_hash"] = "0x" + self.terms_hash.hex()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Line:
        values = {f.name: d[f.name] for f in fields(cls)}
        values["terms_hash"] = bytes.fromhex(str(d["terms_hash"]).removeprefix("0x"))
        return cls(**values)


TOTAL_FIELDS = (
    "leased_wh",
    "lease_wh_seconds",
    "charged_wh",
    "discharged_wh",
    "peak_charged_wh",
    "loss_wh",
    "lease_fee",
    "throughput_fee",
    "peak_pay",
    "loss_charge",
    "net",
)


@dataclass(frozen=True, slots=True)
class Totals:
    """The station's sums of the lines' amount columns, in TOTAL_FIELDS order."""

    amounts: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.amounts) != len(TOTAL_FIELDS):
            raise InvalidStatement(
                "totals", f"expected {len(TOTAL_FIELDS)} amounts, got {len(self.amounts)}"
            )

    @classmethod
    def of(cls, lines: Sequence[Line]) -> Totals:
        return cls(tuple(sum(getattr(line, name) for line in lines) for name in TOTAL_FIELDS))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Totals:
        return cls(tuple(int(d[name]) for name in TOTAL_FIELDS))

    def __getattr__(self, name: str) -> int:
        """An amount by its column name: `totals.net`, `totals.charged_wh`..."""
        try:
            return self.amounts[TOTAL_FIELDS.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def to_dict(self) -> dict[str, int]:
        return dict(zip(TOTAL_FIELDS, self.amounts, strict=True))


@dataclass(frozen=True)
class Statement:
    station_id: int
    period_start: int
    period_end: int
    interval_s: int
    terms_version: int
    terms_hash: bytes
    currency: str
    loss_source: LossSource
    lines: tuple[Line, ...]  # sorted by participant address ascending
    totals: Totals
    # The terms' measured round-trip efficiency the losses were computed at (None when the
    # losses were measured). It is not the registry's round-trip efficiency: that one is the
    # ledger's upper bound on discharge per Wh charged, not a loss measure (docs/settlement.md).
    loss_efficiency_ppm: int | None = None

    @cached_property
    def _tree(self) -> MerkleTree:
        return MerkleTree.from_leaf_hashes([line.leaf for line in self.lines])

    @cached_property
    def _by_participant(self) -> dict[str, Line]:
        return {line.participant.lower(): line for line in self.lines}

    @property
    def root(self) -> bytes:
        return self._tree.root

    def line_for(self, participant: str) -> Line:
        try:
            return self._by_participant[participant.lower()]
        except KeyError:
            raise KeyError(f"no line for {participant} in this statement") from None

    def leaf_for(self, participant: str) -> bytes:
        return self.line_for(participant).leaf

    def proof_for(self, participant: str) -> list[bytes]:
        return self._tree.proof(self.leaf_for(participant))

    def to_csv(self) -> str:
        """Header, one row per line, then a TOTAL row. Money in minor units, energy in Wh; the
        last column says how the losses were found: `efficiency <ppm>` (the terms' measured
        round trip) or `measured`."""
        basis = (
            "measured"
            if self.loss_efficiency_ppm is None
            else f"efficiency {self.loss_efficiency_ppm}"
        )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["participant", *TOTAL_FIELDS, "loss_basis"])
        for line in self.lines:
            writer.writerow([line.participant, *(getattr(line, n) for n in TOTAL_FIELDS), basis])
        writer.writerow(["TOTAL", *self.totals.amounts, basis])
        return out.getvalue()

    def to_dict(self) -> dict[str, Any]:
        return {
            "station_id": self.station_id,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "interval_s": self.interval_s,
            "terms_version": self.terms_version,
            "terms_hash": "0x" + self.terms_hash.hex(),
            "currency": self.currency,
            "loss_source": self.loss_source,
            "loss_efficiency_ppm": self.loss_efficiency_ppm,
            "lines": [line.to_dict() for line in self.lines],
            "totals": self.totals.to_dict(),
            "root": "0x" + self.root.hex(),
        }

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no whitespace); includes the root for convenience."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Statement:
        """Parse and check: totals must equal the sum of the lines, every line must belong to
        this station, period and terms, and the root (if present) must match."""
        try:
            d = json.loads(text)
            lines = tuple(Line.from_dict(x) for x in d["lines"])
            statement = cls(
                station_id=d["station_id"],
                period_start=d["period_start"],
                period_end=d["period_end"],
                interval_s=d["interval_s"],
                terms_version=d["terms_version"],
                terms_hash=bytes.fromhex(str(d["terms_hash"]).removeprefix("0x")),
                currency=d["currency"],
                loss_source=d["loss_source"],
                lines=lines,
                totals=Totals.from_dict(d["totals"]),
                loss_efficiency_ppm=d.get("loss_efficiency_ppm"),
            )
            claimed_root = d.get("root")
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidStatement("statement", f"not a statement document ({exc!r})") from exc
        statement.check()
        if claimed_root is not None and claimed_root != "0x" + statement.root.hex():
            raise InvalidStatement("root", f"{claimed_root} does not match the lines")
        return statement

    def check(self) -> None:
        """Raise InvalidStatement unless the lines are consistent with the header and totals."""
        if not self.lines:
            raise InvalidStatement("lines", "a statement needs at least one line")
        header = (self.station_id, self.period_start, self.period_end, self.terms_hash)
        for i, line in enumerate(self.lines):
            own = (line.station_id, line.period_start, line.period_end, line.terms_hash)
            if own != header:
                raise InvalidStatement(f"lines[{i}]", "station, period or terms differ from header")
            money = line.peak_pay - line.lease_fee - line.throughput_fee - line.loss_charge
            if line.net != money:
                raise InvalidStatement(f"lines[{i}].net", f"is {line.net}, lines give {money}")
        keys = [int(line.participant, 16) for line in self.lines]
        if keys != sorted(set(keys)):
            raise InvalidStatement("lines", "must be sorted by participant, one line each")
        if Totals.of(self.lines) != self.totals:
            raise InvalidStatement("totals", "do not equal the sum of the lines")


def verify_line(root: bytes, line: Line, proof: Sequence[bytes]) -> bool:
    """True if `line` is in the statement whose Merkle root is `root`."""
    return verify(root, line.leaf, proof)
