"""k-of-n agreement: every oracle node computes the interval report on its own from the same
device data and signs only the report it computed itself. A report signed by at least the
threshold of nodes wins; a node whose own report differs does not sign, and says why.

The signatures are EIP-712 signatures by each node's registered key, so the channel they
travel over needs no trust of its own: the receiver recovers each signer and checks it
against the on-chain oracle set (and the contract checks it again)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ledger.baselines import NO_BASELINE, Baseline, booked_counters
from ledger.reports import IntervalReport, recover_report_signer, report_digest, sign_report
from oracle.aggregate import Counters, IntervalBatch, batch_of, build_report
from oracle.errors import NodeSignatureWrong, QuorumNotReached
from oracle.reading import SignedReading
from oracle.sources import RawRejected
from oracle.validate import Validator, Verdict


@dataclass(frozen=True)
class Round:
    """One interval to agree on: its readings, and what binds its report to the station's
    config and to the chain it goes to."""

    station_id: int
    start: int
    end: int
    items: Sequence[SignedReading | RawRejected]
    now: int
    config_digest: bytes
    chain_id: int
    ledger_address: str

    def digest(self, report: IntervalReport) -> bytes:
        return report_digest(report, self.chain_id, self.ledger_address)

    def sign(self, node: OracleNode, report: IntervalReport) -> bytes:
        return node.sign(report, self.chain_id, self.ledger_address)

    def signer(self, report: IntervalReport, signature: bytes) -> str:
        return recover_report_signer(report, signature, self.chain_id, self.ledger_address)


@dataclass
class NodeView:
    """What one node computed for one interval."""

    report: IntervalReport
    batch: IntervalBatch
    rejected: list[tuple[SignedReading | RawRejected, Verdict]]
    counters: dict[str, Counters]


@dataclass
class OracleNode:
    name: str
    key: bytes
    address: str
    validator: Validator
    meters: dict[str, str]  # meter device address -> participant
    previous: dict[str, Counters] = field(default_factory=dict)
    # participant -> its on-chain counter baseline (none: booked counters are the raw ones)
    baselines: dict[str, Baseline] = field(default_factory=dict)

    def compute(self, round_: Round) -> NodeView:
        station_id, start, end, now = round_.station_id, round_.start, round_.end, round_.now
        items, config_digest = round_.items, round_.config_digest
        accepted: list[SignedReading] = []
        rejected: list[tuple[SignedReading | RawRejected, Verdict]] = []
        for item in items:
            if isinstance(item, RawRejected):
                rejected.append((item, Verdict.reject(item.reason, item.detail)))
                continue
            verdict = self.validator.validate(item, now)
            if verdict.ok:
                accepted.append(item)
            else:
                rejected.append((item, verdict))
        counters = dict(self.previous)
        for device, participant in self.meters.items():
            state = self.validator.state(device)
            if state is not None:
                baseline = self.baselines.get(participant, NO_BASELINE)
                counters[participant] = Counters(
                    *booked_counters(baseline, state.charged_total, state.discharged_total)
                )
        batch = batch_of(station_id, start, end, accepted)
        report = build_report(
            batch, config_digest=config_digest, counters=counters, previous=self.previous
        )
        return NodeView(report, batch, rejected, counters)

    def sign(self, report: IntervalReport, chain_id: int, ledger_address: str) -> bytes:
        return sign_report(report, self.key, chain_id, ledger_address)

    def committed(self, view: NodeView) -> None:
        """The interval's report is final for this node: its counters become the baseline."""
        self.previous = dict(view.counters)


@dataclass
class QuorumResult:
    report: IntervalReport
    batch: IntervalBatch
    signatures: list[tuple[str, bytes]]  # (signer, signature), not yet ordered
    refusals: list[tuple[str, str]]  # (node, why it did not sign)
    views: dict[str, NodeView]


def differences(own: IntervalReport, other: IntervalReport) -> str:
    """Why `own` is not `other`, field by field, for a refusing node to say."""
    out = []
    for name in (
        "readings_root",
        "reading_count",
        "soc_bps",
        "soh_bps",
        "cycle_count",
        "alarm_bits",
        "config_digest",
    ):
        a, b = getattr(own, name), getattr(other, name)
        if a != b:
            shown = (a.hex()[:12], b.hex()[:12]) if isinstance(a, bytes) else (a, b)
            out.append(f"{name} {shown[0]} vs {shown[1]}")
    mine = {p.participant: p for p in own.participants}
    for p in other.participants:
        q = mine.get(p.participant)
        if q != p:
            out.append(
                f"participant {p.participant[:10]} counters {q and q.as_abi()[1:]} vs "
                f"{p.as_abi()[1:]}"
            )
    return ", ".join(out) or "identical"


class Agreement(Protocol):
    """How the nodes of this process reach a signed report: `agree` (all nodes here) or
    `oracle.exchange.ExchangeAgreement` (one node here, its peers elsewhere)."""

    def __call__(
        self, nodes: Sequence[OracleNode], threshold: int, round_: Round
    ) -> QuorumResult: ...


def agree(nodes: Sequence[OracleNode], threshold: int, round_: Round) -> QuorumResult:
    views = {n.name: n.compute(round_) for n in nodes}
    by_digest: dict[bytes, list[OracleNode]] = defaultdict(list)
    for node in nodes:
        by_digest[round_.digest(views[node.name].report)].append(node)
    backers = max(by_digest.values(), key=len)
    proposal = views[backers[0].name].report
    refusals = [
        (n.name, differences(views[n.name].report, proposal)) for n in nodes if n not in backers
    ]
    if len(backers) < threshold:
        raise QuorumNotReached(round_.start, threshold, refusals)
    signatures = []
    for node in backers:
        signature = round_.sign(node, proposal)
        # What a receiving peer does with each signature before counting it.
        if round_.signer(proposal, signature) != node.address:
            raise NodeSignatureWrong(node.name, node.address)
        signatures.append((node.address, signature))
    for node in backers:
        node.committed(views[node.name])
    return QuorumResult(proposal, views[backers[0].name].batch, signatures, refusals, views)
