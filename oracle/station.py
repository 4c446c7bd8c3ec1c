"""One station's oracle work per interval: collect the readings, let the nodes agree on the
report, quarantine the rejects, publish the batch file and put the signed report in the
outbox (with every node's checkpoint) for the relay. An interval without one accepted
reading is recorded as a gap with its reason (its rejects still go to the quarantine), and
the oracle moves on: the next report starts after it."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ledger.reports import ordered_signatures
from oracle.archive import write_batch
from oracle.errors import IntervalEmpty
from oracle.feed import IntervalSource, Item
from oracle.outbox import Outbox, OutboxReport, OutboxState, checkpoint_of, restore
from oracle.quarantine import Quarantine
from oracle.quorum import Agreement, OracleNode, Round, agree
from oracle.reading import SignedReading
from oracle.validate import StationInfo, Verdict

log = logging.getLogger("essl.oracle")


@dataclass
class IntervalOutcome:
    interval_start: int
    readings: int
    rejected: int
    reasons: dict[str, int]
    refusals: list[tuple[str, str]]
    root: str
    gap: str | None = None  # why the interval has no report (then root is "")


@dataclass
class ChainContext:
    chain_id: int
    ledger_address: str
    registry_address: str
    config_digest: bytes


class StationRuntime:
    def __init__(
        self,
        *,
        station: StationInfo,
        nodes: Sequence[OracleNode],
        threshold: int,
        feed: IntervalSource,
        outbox: Outbox,
        quarantine: Quarantine,
        archive_dir: Path,
        chain: ChainContext,
        first_interval: int,
        agreement: Agreement = agree,
    ) -> None:
        self.station = station
        self.nodes = list(nodes)
        self.threshold = threshold
        self.feed = feed
        self.outbox = outbox
        self.quarantine = quarantine
        self.archive_dir = archive_dir
        self.chain = chain
        self.first_interval = first_interval
        self.agreement = agreement
        self._resume()

    def _resume(self) -> None:
        """Pick up each node's validator state and baseline from the outbox checkpoint."""
        for node in self.nodes:
            cp = self.outbox.checkpoint(node.name, self.station.station_id)
            if cp is not None:
                devices, counters = restore(cp)
                node.validator.restore_states(devices)
                node.previous = counters

    def next_interval(self) -> int:
        last = self.outbox.last_interval(self.station.station_id)
        return self.first_interval if last is None else last + self.station.interval_s

    def process(self, start: int, *, now: int) -> IntervalOutcome:
        end = start + self.station.interval_s
        items = self.feed.readings_for_interval(start)
        try:
            result = self.agreement(
                self.nodes,
                self.threshold,
                Round(
                    self.station.station_id,
                    start,
                    end,
                    items,
                    now=now,
                    config_digest=self.chain.config_digest,
                    chain_id=self.chain.chain_id,
                    ledger_address=self.chain.ledger_address,
                ),
            )
        except IntervalEmpty:
            return self._gap(start, items, now)
        local = result.views[self.nodes[0].name]
        reasons = self._quarantine(local.rejected)
        for name, why in result.refusals:
            log.warning("interval %d: %s refused to sign: %s", start, name, why)
        write_batch(
            self.archive_dir,
            result.batch,
            chain_id=self.chain.chain_id,
            registry=self.chain.registry_address,
            rejected=reasons,
        )
        signatures = ordered_signatures(result.signatures)
        signers = sorted((a for a, _ in result.signatures), key=lambda a: int(a, 16))
        row = OutboxReport(
            station_id=self.station.station_id,
            interval_start=start,
            state=OutboxState.SIGNED,
            report_json=json.dumps(result.report.to_json()),
            signatures_json=json.dumps(
                [[a, "0x" + s.hex()] for a, s in zip(signers, signatures, strict=True)]
            ),
            readings_root="0x" + result.batch.root.hex(),
            accepted=len(result.batch.readings),
            rejected=len(local.rejected),
        )
        backers = [n for n in self.nodes if n.name not in dict(result.refusals)]
        self.outbox.record_interval(
            row,
            [
                checkpoint_of(
                    n.name, self.station.station_id, start, n.validator.export_states(), n.previous
                )
                for n in backers
            ],
        )
        return IntervalOutcome(
            start,
            len(result.batch.readings),
            len(local.rejected),
            dict(reasons),
            result.refusals,
            row.readings_root,
        )

    def _quarantine(self, rejected: Sequence[tuple[Item, Verdict]]) -> Counter[str]:
        reasons: Counter[str] = Counter()
        for item, verdict in rejected:
            assert verdict.reason is not None
            reasons[verdict.reason.value] += 1
            if isinstance(item, SignedReading):
                self.quarantine.reject(item, verdict)
            else:
                self.quarantine.reject_raw(item)
        return reasons

    def _gap(self, start: int, items: Sequence[Item], now: int) -> IntervalOutcome:
        """No reading was accepted. The validators' state is therefore what it was before the
        interval (a rejected reading never changes it), so validating again gives the same
        verdicts: those go to the quarantine, and the interval is recorded as a gap."""
        validator = self.nodes[0].validator
        rejected: list[tuple[Item, Verdict]] = []
        for item in items:
            if isinstance(item, SignedReading):
                verdict = validator.validate(item, now)
                assert not verdict.ok, "a gap has no accepted reading"
            else:
                verdict = Verdict.reject(item.reason, item.detail)
            rejected.append((item, verdict))
        reasons = self._quarantine(rejected)
        why = "no readings"
        if rejected:
            counts = ", ".join(f"{r} x {n}" for r, n in reasons.most_common())
            why = f"all {len(rejected)} rejected: {counts}"
        log.warning("interval %d: recorded as a gap (%s)", start, why)
        self.outbox.record_gap(self.station.station_id, start, why, rejected=len(rejected))
        return IntervalOutcome(start, 0, len(rejected), dict(reasons), [], "", gap=why)
