"""Take signed reports from the outbox to the chain, in order: record the transaction hash
before broadcasting, resolve submitted ones after a restart (mined, still pending, or lost),
never send a report the chain already has, back off while the RPC endpoint is down, and stop
after too many consecutive failures with the reason."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from web3.exceptions import TransactionNotFound, Web3Exception

from ledger.errors import ContractRevert, LedgerError
from ledger.storage import StorageLedgerClient
from ledger.tx import TRANSIENT, receipt_hash
from oracle.errors import OracleError
from oracle.outbox import CONFIRMED, FAILED, SIGNED, SUBMITTED, Outbox, OutboxReport

log = logging.getLogger("essl.oracle.relay")


class RelayGaveUp(OracleError):
    def __init__(self, failures: int, last: str) -> None:
        super().__init__(
            f"gave up after {failures} consecutive failures to reach the chain; last: {last}. "
            "Check ESSL_RPC_URL and the node, then run again: the outbox resumes where it stopped"
        )


class RelaySubmitFailed(OracleError):
    def __init__(self, sender: str, exc: Exception) -> None:
        super().__init__(f"submitting from {sender} failed: {exc}")


@dataclass
class Confirmed:
    interval_start: int
    tx_hash: str
    block_number: int
    gas_used: int
    confirmed_at: float


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
    ) -> None:
        """With `submitters` (nodes on separate hosts: the on-chain oracle set, in one order
        every node shares), each interval has one designated submitter, in turn; the others
        wait `failover_s`, then send only what the chain still lacks."""
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

    @property
    def w3(self):  # type: ignore[no-untyped-def]
        return self.storage.ledger.w3

    def _on_chain(self, row: OutboxReport) -> bool:
        return any(self.storage.report_of(row.station_id, row.interval_start))

    def _confirm(self, row: OutboxReport, tx_hash: str, block: int, gas: int) -> None:
        self.outbox.update(
            row.station_id,
            row.interval_start,
            state=CONFIRMED,
            tx_hash=tx_hash,
            block_number=block,
            gas_used=gas,
            last_error=None,
        )
        if self.on_confirmed:
            self.on_confirmed(row, Confirmed(row.interval_start, tx_hash, block, gas, time.time()))

    def _resolve_submitted(self, row: OutboxReport) -> str:
        """After a restart: CONFIRMED, SIGNED (to send again) or SUBMITTED (still pending)."""
        assert row.tx_hash is not None
        try:
            receipt = self.w3.eth.get_transaction_receipt(row.tx_hash)
        except TransactionNotFound:
            receipt = None
        if receipt is not None and receipt["status"] == 1:
            self._confirm(row, row.tx_hash, int(receipt["blockNumber"]), int(receipt["gasUsed"]))
            return CONFIRMED
        if receipt is None:
            try:
                self.w3.eth.get_transaction(row.tx_hash)
                return SUBMITTED  # still pending in the node's pool: wait for it, never resend
            except TransactionNotFound:
                pass
        if self._on_chain(row):  # sent by another node, or a replacement of ours was mined
            self._confirm(row, row.tx_hash, 0, 0)
            return CONFIRMED
        self.outbox.update(row.station_id, row.interval_start, state=SIGNED, tx_hash=None)
        return SIGNED

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
        confirmed: list[int] = []
        batch: list[OutboxReport] = []
        for row in self.outbox.pending(station_id):
            if row.state == SUBMITTED:
                outcome = self._resolve_submitted(row)
                if outcome == SUBMITTED:
                    break  # wait for the pending transaction first: order is kept
                if outcome == CONFIRMED:
                    confirmed.append(row.interval_start)
                    continue
            if self._on_chain(row):
                self._confirm(row, row.tx_hash or "", 0, 0)
                confirmed.append(row.interval_start)
                continue
            if self._deferred(row):
                break  # the designated node sends it; order is kept behind it
            batch.append(row)
            if len(batch) == self.max_batch:
                break
        if batch:
            confirmed += self._submit(batch)
        return confirmed

    def _deferred(self, row: OutboxReport) -> bool:
        if not self.submitters:
            return False
        turn = (row.interval_start // self.interval_s) % len(self.submitters)
        mine = self.submitters[turn] == self.storage.ledger.tx.address
        return not mine and time.time() < row.updated_at + self.failover_s

    def _submit(self, batch: list[OutboxReport]) -> list[int]:
        reports = [r.report for r in batch]

        def record(tx_hash: str, nonce: int) -> None:
            for r in batch:
                self.outbox.update(
                    r.station_id,
                    r.interval_start,
                    state=SUBMITTED,
                    tx_hash=tx_hash,
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
            receipt = tx.wait(sent)
        except ContractRevert as exc:
            # The contract refuses the report itself: retrying cannot help. Park it, loudly.
            for r in batch:
                self.outbox.update(
                    r.station_id, r.interval_start, state=FAILED, last_error=str(exc)
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
        gas = int(receipt["gasUsed"]) // len(batch)
        tx_hash = receipt_hash(receipt)
        for r in batch:
            self._confirm(r, tx_hash, int(receipt["blockNumber"]), gas)
        return [r.interval_start for r in batch]
