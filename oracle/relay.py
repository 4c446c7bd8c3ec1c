"""Take signed reports from the outbox to the chain, in order, and see them final: record the
signed transaction before broadcasting; each step, follow every transaction in flight (mined
and final at the confirmation depth, mined but not final, still pending, or lost); rebroadcast
a transaction the node lost, as is and in nonce order, or sign the report anew when its nonce
is taken; close a nonce gap nobody can fill; put a report a reorg removed back in the queue;
never send a report the chain already has; back off while the RPC endpoint is down, and stop
after too many consecutive failures with the reason."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from web3.exceptions import TransactionNotFound, Web3Exception

from ledger.errors import ContractRevert, LedgerError
from ledger.storage import StorageLedgerClient
from ledger.tx import TRANSIENT, NotMined, SentTx, receipt_hash
from oracle.errors import RelayGaveUp, RelaySubmitFailed
from oracle.outbox import IN_FLIGHT, Outbox, OutboxReport, OutboxState

log = logging.getLogger("essl.oracle.relay")
WAITING = "waiting"  # a transaction still pending in the node's pool: order is kept behind it


@dataclass
class Confirmed:
    interval_start: int
    tx_hash: str
    block_number: int
    gas_used: int
    confirmed_at: float


def _tx_groups(rows: list[OutboxReport]) -> Iterator[list[OutboxReport]]:
    """Rows in interval order, those in flight grouped by their shared transaction."""
    group: list[OutboxReport] = []
    for row in rows:
        if group and (row.state not in IN_FLIGHT or row.tx_hash != group[0].tx_hash):
            yield group
            group = []
        group.append(row)
        if row.state not in IN_FLIGHT:
            yield group
            group = []
    if group:
        yield group


class Relay:
    def __init__(
        self,
        storage: StorageLedgerClient,
        outbox: Outbox,
        *,
        max_batch: int = 8,
        max_failures: int = 20,
        backoff_s: tuple[float, float] = (0.5, 15.0),
        on_confirmed: Callable[[OutboxReport, Confirmed], None] | None = None,
        failover_s: float = 0.0,
        submitters: Sequence[str] = (),
        interval_s: int = 900,
        confirmations: int | None = None,
        mine_wait_s: float = 60.0,
        gap_grace_s: float = 3.0,
    ) -> None:
        """With `submitters` (nodes on separate hosts: the on-chain oracle set, in one order
        every node shares), each interval has one designated submitter, in turn; the others
        wait `failover_s`, then send only what the chain still lacks.

        `confirmations` (default: the transaction manager's, ESSL_CONFIRMATIONS) is the depth
        at which a mined report is final: 0 and 1 both mean "in the head block". A send waits
        `mine_wait_s` for its receipt, then leaves the transaction to the next steps. A pending
        transaction blocked by a missing lower nonce for `gap_grace_s` gets the gap filled."""
        self.storage = storage
        self.failover_s = failover_s
        self.submitters = list(submitters)
        self.interval_s = interval_s
        self.outbox = outbox
        self.max_batch = max_batch
        self.max_failures = max_failures
        self.backoff_s = backoff_s
        self.on_confirmed = on_confirmed
        self.failures = 0
        depth = storage.ledger.tx.confirmations if confirmations is None else confirmations
        self.confirmations = max(1, depth)
        self.mine_wait_s = mine_wait_s
        self.gap_grace_s = gap_grace_s
        self.requeued = 0  # reports put back in the queue (reorg, or nonce taken)

    @property
    def rebroadcasts(self) -> int:
        """Transactions sent again, as signed, after the node lost them."""
        return int(self.tx.resent)

    @property
    def w3(self):  # type: ignore[no-untyped-def]
        return self.storage.ledger.w3

    @property
    def tx(self):  # type: ignore[no-untyped-def]
        return self.storage.ledger.tx

    def _on_chain(self, row: OutboxReport) -> bool:
        return any(self.storage.report_of(row.station_id, row.interval_start))

    def _confirm(self, row: OutboxReport, tx_hash: str, block: int, gas: int) -> None:
        self.outbox.update(
            row.station_id,
            row.interval_start,
            state=OutboxState.CONFIRMED,
            tx_hash=tx_hash,
            block_number=block,
            gas_used=gas,
            last_error=None,
        )
        if self.on_confirmed:
            self.on_confirmed(row, Confirmed(row.interval_start, tx_hash, block, gas, time.time()))

    def _set(self, rows: list[OutboxReport], **fields: object) -> None:
        for r in rows:
            self.outbox.update(r.station_id, r.interval_start, **fields)

    def _current(
        self, rows: list[OutboxReport], states: tuple[OutboxState, ...]
    ) -> list[OutboxReport]:
        """The outbox's current version of `rows`, those now in `states`."""
        starts = {r.interval_start for r in rows}
        fresh = self.outbox.in_states(rows[0].station_id, states, after=min(starts) - 1)
        return [r for r in fresh if r.interval_start in starts]

    def _requeue(self, rows: list[OutboxReport], why: str) -> None:
        log.warning("intervals %s back in the queue: %s", [r.interval_start for r in rows], why)
        self.requeued += len(rows)
        self._set(
            rows,
            state=OutboxState.SIGNED,
            tx_hash=None,
            raw_tx=None,
            nonce=None,
            block_number=None,
            block_hash=None,
            last_error=why,
        )
        self.tx.resync()

    # -- one step -----------------------------------------------------------------------------

    def step(self, station_id: int) -> list[int]:
        """One pass: returns the interval starts confirmed. Raises RelayGaveUp eventually."""
        try:
            done = self._step(station_id)
        except TRANSIENT as exc:
            self._failed(f"{type(exc).__name__}: {exc}")
            return []
        self.failures = 0
        return done

    def _failed(self, why: str) -> None:
        self.failures += 1
        if self.failures >= self.max_failures:
            raise RelayGaveUp(self.failures, why)
        delay = min(self.backoff_s[0] * 2 ** (self.failures - 1), self.backoff_s[1])
        log.warning("chain unreachable (%s); retry %d in %.1f s", why, self.failures, delay)
        time.sleep(delay)

    def _step(self, station_id: int) -> list[int]:
        self._reopen_lost_finals(station_id)
        confirmed: list[int] = []
        batch: list[OutboxReport] = []
        head = int(self.w3.eth.block_number)
        for group in _tx_groups(self.outbox.pending(station_id)):
            if group[0].state in IN_FLIGHT:
                outcome = self._track(group, head)
                if outcome == OutboxState.CONFIRMED:
                    confirmed += [r.interval_start for r in group]
                    continue
                if outcome == OutboxState.INCLUDED:
                    continue  # mined, not final yet: the next reports can go
                if outcome in (WAITING, OutboxState.SUBMITTED):
                    break  # wait for the pending transaction first: order is kept
                group = self._current(group, (OutboxState.SIGNED,))
            stop = False
            for row in group:
                if self._on_chain(row):
                    self._confirm(row, row.tx_hash or "", 0, 0)
                    confirmed.append(row.interval_start)
                    continue
                if self._deferred(row):
                    stop = True  # the designated node sends it; order is kept behind it
                    break
                batch.append(row)
                if len(batch) == self.max_batch:
                    stop = True
                    break
            if stop:
                break
        if batch:
            confirmed += self._submit(batch)
        return confirmed

    def _reopen_lost_finals(self, station_id: int) -> None:
        """A reorg deeper than the confirmation depth (or a node restarted from an older
        state) can remove reports already confirmed: the chain's latest interval says so in
        one call. Those rows go back in flight, so their transactions are followed again."""
        latest = self.storage.latest_interval(station_id)[0]
        vanished = [
            r
            for r in self.outbox.in_states(station_id, (OutboxState.CONFIRMED,), after=latest)
            if not self._on_chain(r)
        ]
        if vanished:
            log.warning(
                "chain lost %d confirmed reports (latest on chain %d): following them again",
                len(vanished),
                latest,
            )
            self._set(vanished, state=OutboxState.SUBMITTED, block_number=None, block_hash=None)

    # -- following a transaction in flight ----------------------------------------------------

    def _receipt(self, tx_hash: str) -> Any:
        try:
            return self.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None

    def _known(self, tx_hash: str) -> bool:
        try:
            self.w3.eth.get_transaction(tx_hash)
        except TransactionNotFound:
            return False
        return True

    def _track(self, group: list[OutboxReport], head: int) -> str:
        """Where the group's transaction is now; moves the rows accordingly. Returns
        CONFIRMED, INCLUDED, WAITING (pending), SUBMITTED (rebroadcast) or SIGNED (requeued)."""
        first = group[0]
        assert first.tx_hash is not None
        receipt = self._receipt(first.tx_hash)
        if receipt is not None and receipt["status"] == 1:
            return self._mined(group, receipt, head)
        if receipt is None and self._known(first.tx_hash):
            if first.state == OutboxState.INCLUDED:  # a reorg put it back in the pool
                self._set(group, state=OutboxState.SUBMITTED, block_number=None, block_hash=None)
            self._close_gap(first)
            return WAITING
        # Reverted, or unknown to the node: lost with the pool, or removed by a reorg.
        on_chain = [r for r in group if self._on_chain(r)]
        for r in on_chain:  # sent by another node, or a replacement of ours was mined
            self._confirm(r, first.tx_hash, 0, 0)
        rest = [r for r in group if r not in on_chain]
        if not rest:
            return OutboxState.CONFIRMED
        if receipt is None and not on_chain and self._rebroadcast(first, group):
            return OutboxState.SUBMITTED
        self._requeue(rest, "transaction reverted" if receipt else "transaction lost")
        return OutboxState.SIGNED

    def _mined(self, group: list[OutboxReport], receipt: Any, head: int) -> str:
        number = int(receipt["blockNumber"])
        block_hash = "0x" + bytes(receipt["blockHash"]).hex()
        if head - number + 1 < self.confirmations:
            if group[0].state != OutboxState.INCLUDED or group[0].block_hash != block_hash:
                self._set(
                    group, state=OutboxState.INCLUDED, block_number=number, block_hash=block_hash
                )
            return OutboxState.INCLUDED
        if self.confirmations > 1 and not all(self._on_chain(r) for r in group):
            return self._track_lost(group)
        gas = int(receipt["gasUsed"]) // len(group)
        for r in group:
            self._confirm(r, receipt_hash(receipt), number, gas)
        return OutboxState.CONFIRMED

    def _track_lost(self, group: list[OutboxReport]) -> str:
        self._requeue(group, "mined, yet the report is not on chain")
        return OutboxState.SIGNED

    def _rebroadcast(self, first: OutboxReport, group: list[OutboxReport]) -> bool:
        """Send the lost transaction again as is, if its nonce is still free."""
        if first.raw_tx is None or first.nonce is None:
            return False
        mined = self.tx.mined_nonce()
        if first.nonce < mined:
            return False  # the nonce went to another transaction: sign the report anew
        self._fill_gap(mined, first.nonce)
        if not self.tx.rebroadcast(first.raw_tx):
            return False
        log.warning(
            "node lost transaction %s (nonce %d, intervals %s): rebroadcast",
            first.tx_hash,
            first.nonce,
            [r.interval_start for r in group],
        )
        self._set(group, state=OutboxState.SUBMITTED, block_number=None, block_hash=None)
        self.tx.resync()
        return True

    def _close_gap(self, first: OutboxReport) -> None:
        """A pending transaction above the mined nonce that stays unmined waits on a nonce
        the node does not have: fill it, or it waits forever."""
        if first.nonce is None or time.time() < first.updated_at + self.gap_grace_s:
            return
        mined = self.tx.mined_nonce()
        if first.nonce > mined:
            self._fill_gap(mined, first.nonce)

    def _fill_gap(self, low: int, high: int) -> None:
        for nonce in range(low, high):
            filler = self.tx.fill_nonce(nonce)
            log.warning("nonce %d missing below ours: filled by %s", nonce, filler.tx_hash)
        if high > low:
            self.tx.resync()

    # -- sending ------------------------------------------------------------------------------

    def _deferred(self, row: OutboxReport) -> bool:
        if not self.submitters:
            return False
        turn = (row.interval_start // self.interval_s) % len(self.submitters)
        mine = self.submitters[turn] == self.storage.ledger.tx.address
        return not mine and time.time() < row.updated_at + self.failover_s

    def _submit(self, batch: list[OutboxReport]) -> list[int]:
        reports = [r.report for r in batch]

        def record(sent: SentTx) -> None:
            for r in batch:
                self.outbox.update(
                    r.station_id,
                    r.interval_start,
                    state=OutboxState.SUBMITTED,
                    tx_hash=sent.tx_hash,
                    raw_tx=sent.raw,
                    nonce=sent.nonce,
                    block_number=None,
                    block_hash=None,
                    attempts=r.attempts + 1,
                )

        contract = self.storage.contract
        call = (
            contract.functions.submitReport(reports[0].as_abi(), batch[0].signatures)
            if len(batch) == 1
            else contract.functions.submitReports(
                [r.as_abi() for r in reports], [r.signatures for r in batch]
            )
        )
        tx = self.storage.ledger.tx
        try:
            sent = tx.send(call, before_broadcast=record)
            receipt = tx.wait_mined(sent, timeout_s=self.mine_wait_s, on_replace=record)
        except NotMined as exc:
            log.warning("%s; following it in the next steps", exc)
            return []
        except ContractRevert as exc:
            # The contract refuses the report itself: retrying cannot help. Park it, loudly.
            for r in batch:
                self.outbox.update(
                    r.station_id, r.interval_start, state=OutboxState.FAILED, last_error=str(exc)
                )
            log.error("interval %s rejected on-chain: %s", batch[0].interval_start, exc)
            return []
        except TRANSIENT:
            raise
        except (LedgerError, Web3Exception) as exc:
            # Not a network hiccup (e.g. the submitting key has no funds): say so and stop;
            # the outbox keeps the report for the next run.
            for r in batch:
                self.outbox.update(r.station_id, r.interval_start, last_error=str(exc))
            raise RelaySubmitFailed(tx.address, exc) from exc
        rows = self._current(batch, IN_FLIGHT)
        if self._mined(rows, receipt, int(receipt["blockNumber"])) == OutboxState.CONFIRMED:
            return [r.interval_start for r in rows]
        return []
