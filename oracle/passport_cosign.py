"""Pack-day snapshots co-signed by oracle nodes on separate hosts (`exchange_url`): each host
computes the day's snapshots from its own archive (the interval batches its reports agreed
on, so the same readings everywhere), signs them with its one node key and posts the
signatures, per snapshot digest and per batch digest, to the exchange's
`oracle_snapshot_exchange` table; it reads the others' until `threshold` nodes signed what it
computed itself.

The exchange needs no trust of its own: a signature counts only if it is over the digest this
node computed and recovers to its claimed signer, a member of the on-chain oracle set. A peer
that signed another digest is logged by name with both digests, once."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ledger.passport_snapshots import recover_digest_signer, snapshot_digest
from ledger.reports import ordered_signatures
from oracle.exchange import BATCH_SUBJECT, Exchange, SnapshotSignature

if TYPE_CHECKING:
    from oracle.passport_days import OutboxSnapshot

log = logging.getLogger("essl.oracle.passport")


@dataclass
class DaySignatures:
    """What the exchange holds for one day, counted: each passport (0x-key) with at least
    `threshold` valid signatures -> those signatures in ascending signer order; the batch's,
    when it reached the threshold too; and how many valid signatures each subject has."""

    singles: dict[str, list[bytes]] = field(default_factory=dict)
    batch: list[bytes] | None = None
    counts: dict[str, int] = field(default_factory=dict)


class SnapshotCosigner:
    def __init__(
        self,
        exchange: Exchange,
        oracle_set: set[str],
        *,
        node_name: str,
        node_address: str,
        station_id: int,
        threshold: int,
        chain_id: int,
        passports_address: str,
        timeout_s: float = 60.0,
        wait_s: float = 3.0,
        poll_s: float = 0.1,
    ) -> None:
        """`wait_s`: how long a day just closed waits for its peers before the loop goes on
        (later passes look again without waiting); `timeout_s`: after that long a day's
        batch not co-signed gives way to its snapshots sent alone, and each still short of
        the threshold is logged (and kept: it is looked at again on every pass)."""
        self.exchange = exchange
        self.oracle_set = {a.lower() for a in oracle_set}
        self.node_name = node_name
        self.node_address = node_address
        self.station_id = station_id
        self.threshold = threshold
        self.chain_id = chain_id
        self.passports_address = passports_address
        self.timeout_s = timeout_s
        self.wait_s = wait_s
        self.poll_s = poll_s
        self._posted: set[tuple[int, str]] = set()
        self._told: set[tuple[object, ...]] = set()

    def post(self, rows: Sequence[OutboxSnapshot]) -> None:
        """This node's signatures of the day's rows still co-signing (their signatures fields
        hold this node's own signature only), posted once per process: again after a restart,
        which replaces them with the same."""
        todo = [r for r in rows if (r.day, r.passport) not in self._posted]
        if not todo:
            return
        now = time.time()
        parts = []
        for r in todo:
            [own] = json.loads(r.signatures_json)
            parts.append(self._part(r.day, r.passport, self._snapshot_digest(r), own, now))
        batched = [r for r in todo if r.batch is not None]
        if batched:
            [own] = json.loads(batched[0].batch_signatures_json or "[]")
            parts.append(self._part(batched[0].day, BATCH_SUBJECT, str(batched[0].batch), own, now))
        self.exchange.post_snapshot_signatures(parts)
        self._posted |= {(r.day, r.passport) for r in todo}

    def _part(self, day: int, subject: str, digest: str, sig: str, now: float) -> SnapshotSignature:
        return SnapshotSignature(
            station_id=self.station_id,
            day=day,
            subject=subject,
            signer=self.node_address,
            node=self.node_name,
            digest=digest,
            signature=sig,
            posted_at=now,
        )

    def _snapshot_digest(self, row: OutboxSnapshot) -> str:
        return "0x" + snapshot_digest(row.snapshot, self.chain_id, self.passports_address).hex()

    def gather(self, day: int, rows: Sequence[OutboxSnapshot]) -> DaySignatures:
        """The valid signatures the exchange holds for the day's `rows` (one day's)."""
        own = {r.passport: self._snapshot_digest(r) for r in rows}
        names = {r.passport: f"passport {r.passport_id}" for r in rows}
        batch = next((r.batch for r in rows if r.batch is not None), None)
        if batch is not None:
            own[BATCH_SUBJECT] = batch
            names[BATCH_SUBJECT] = "snapshot batch"
        valid: dict[str, list[tuple[str, bytes]]] = {s: [] for s in own}
        for part in self.exchange.snapshot_signatures(self.station_id, day):
            ours = own.get(part.subject)
            if ours is None:
                continue  # a subject this node has done with, or has no snapshot of
            what = f"{names[part.subject]} day {day}"
            if part.digest != ours:
                self.tell(
                    ("digest", day, part.subject, part.signer, part.digest),
                    "%s: node %s (%s) signed digest %s, this node computed %s: its signature "
                    "does not count",
                    what,
                    part.node,
                    part.signer,
                    part.digest,
                    ours,
                )
                continue
            try:
                signer = recover_digest_signer(bytes.fromhex(ours[2:]), _bytes(part.signature))
            except Exception:  # any malformed signature is the same refusal
                signer = ""
            if signer.lower() != part.signer.lower() or signer.lower() not in self.oracle_set:
                self.tell(
                    ("forged", day, part.subject, part.signer, part.signature),
                    "%s: ignoring a signature claimed by node %s (%s): it does not recover to "
                    "a member of the oracle set",
                    what,
                    part.node,
                    part.signer,
                )
                continue
            valid[part.subject].append((signer, _bytes(part.signature)))
        out = DaySignatures(counts={s: len(v) for s, v in valid.items()})
        for subject, signed in valid.items():
            if len(signed) < self.threshold:
                continue
            lowest = sorted(signed, key=lambda p: int(p[0], 16))[: self.threshold]
            chosen = ordered_signatures(lowest)
            if subject == BATCH_SUBJECT:
                out.batch = chosen
            else:
                out.singles[subject] = chosen
        return out

    def tell(self, key: tuple[object, ...], message: str, *args: object) -> None:
        if key not in self._told:
            self._told.add(key)
            log.warning(message, *args)


def _bytes(hex_sig: str) -> bytes:
    return bytes.fromhex(hex_sig.removeprefix("0x"))
