"""Oracle nodes on separate hosts: each posts the report it computed, with its EIP-712
signature, to a shared exchange (any SQL database the nodes can all reach), and reads the
others'. The channel needs no trust of its own: a proposal counts only if its signature
recovers to its claimed signer and that signer is in the on-chain oracle set."""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from ledger.reports import IntervalReport
from oracle.errors import QuorumNotReached
from oracle.quorum import OracleNode, QuorumResult, Round, differences

log = logging.getLogger("essl.oracle.exchange")


class SignedProposal(SQLModel, table=True):
    __tablename__ = "oracle_exchange"
    station_id: int = Field(primary_key=True)
    interval_start: int = Field(primary_key=True)
    signer: str = Field(primary_key=True)
    digest: str
    report_json: str
    signature: str
    posted_at: float


class SnapshotSignature(SQLModel, table=True):
    """One node's signature over a pack-day snapshot (`subject` the passport's 0x-key) or over
    the day's snapshot batch (`subject` "batch"), with the digest it signed."""

    __tablename__ = "oracle_snapshot_exchange"
    station_id: int = Field(primary_key=True)
    day: int = Field(primary_key=True)
    subject: str = Field(primary_key=True)
    signer: str = Field(primary_key=True)
    node: str  # the signer's node name, as it calls itself (for the logs only)
    digest: str
    signature: str
    posted_at: float


BATCH_SUBJECT = "batch"


class Exchange:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        tables = [SignedProposal.__table__, SnapshotSignature.__table__]  # type: ignore[attr-defined]
        SQLModel.metadata.create_all(self.engine, tables=tables)

    def post_snapshot_signatures(self, signatures: Sequence[SnapshotSignature]) -> None:
        """Post (or post again: the same key replaces) this node's signatures, together."""
        with Session(self.engine) as s:
            for sig in signatures:
                s.merge(sig)
            s.commit()

    def snapshot_signatures(self, station_id: int, day: int) -> list[SnapshotSignature]:
        with Session(self.engine) as s:
            return list(
                s.exec(
                    select(SnapshotSignature)
                    .where(SnapshotSignature.station_id == station_id, SnapshotSignature.day == day)
                    .order_by(col(SnapshotSignature.posted_at))
                ).all()
            )

    def post(self, proposal: SignedProposal) -> None:
        with Session(self.engine) as s:
            s.merge(proposal)
            s.commit()

    def proposals(self, station_id: int, interval_start: int) -> list[SignedProposal]:
        with Session(self.engine) as s:
            return list(
                s.exec(
                    select(SignedProposal)
                    .where(
                        SignedProposal.station_id == station_id,
                        SignedProposal.interval_start == interval_start,
                    )
                    .order_by(col(SignedProposal.posted_at))
                ).all()
            )


class ExchangeAgreement:
    """`agree` for one local node whose peers run elsewhere."""

    def __init__(
        self,
        exchange: Exchange,
        oracle_set: set[str],
        *,
        timeout_s: float = 120.0,
        poll_s: float = 0.05,
    ) -> None:
        self.exchange = exchange
        self.oracle_set = oracle_set
        self.timeout_s = timeout_s
        self.poll_s = poll_s

    def __call__(self, nodes: Sequence[OracleNode], threshold: int, round_: Round) -> QuorumResult:
        station_id, start = round_.station_id, round_.start
        (node,) = nodes
        view = node.compute(round_)
        own = round_.digest(view.report)
        self.exchange.post(
            SignedProposal(
                station_id=station_id,
                interval_start=start,
                signer=node.address,
                digest="0x" + own.hex(),
                report_json=json.dumps(view.report.to_json()),
                signature="0x"
                + node.sign(view.report, round_.chain_id, round_.ledger_address).hex(),
                posted_at=time.time(),
            )
        )
        deadline = time.monotonic() + self.timeout_s
        while True:
            backed: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
            reports: dict[str, IntervalReport] = {}
            for p in self.exchange.proposals(station_id, start):
                report = IntervalReport.from_json(json.loads(p.report_json))
                signature = bytes.fromhex(p.signature[2:])
                # Trust nothing the exchange says: recompute the digest and recover the signer.
                digest = "0x" + round_.digest(report).hex()
                signer = round_.signer(report, signature)
                if signer != p.signer or signer not in self.oracle_set or digest != p.digest:
                    log.warning("interval %d: ignoring a forged proposal from %s", start, p.signer)
                    continue
                backed[digest].append((signer, signature))
                reports[digest] = report
            winner = next((d for d, sigs in backed.items() if len(sigs) >= threshold), None)
            if winner is not None:
                break
            posted = sum(len(s) for s in backed.values())
            if posted >= len(self.oracle_set) or time.monotonic() > deadline:
                refusals = [
                    (s, differences(reports[d], view.report))
                    for d, sigs in backed.items()
                    for s, _ in sigs
                ]
                raise QuorumNotReached(start, threshold, refusals)
            time.sleep(self.poll_s)
        proposal = reports[winner]
        if winner != "0x" + own.hex():
            # This node computed something else: it does not sign the winner, and says why.
            raise QuorumNotReached(
                start, threshold, [(node.name, differences(view.report, proposal))]
            )
        node.committed(view)
        others = [
            (s, differences(reports[d], proposal))
            for d, sigs in backed.items()
            if d != winner
            for s, _ in sigs
        ]
        return QuorumResult(proposal, view.batch, backed[winner], others, {node.name: view})
