"""Transaction manager: local signing, a nonce counter safe for many concurrent senders on
one key (resynchronised from the node on demand), EIP-1559 fees with a legacy fallback,
transient-error retries, stuck-transaction fee bumps, rebroadcast of a signed transaction a
node lost, nonce-gap fillers, receipts after N confirmations, and reverts raised as typed
exceptions."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import TimeExhausted, TransactionNotFound, Web3Exception
from web3.types import TxParams, TxReceipt

from ledger.errors import RpcUnavailable, TransactionFailed
from ledger.reverts import RevertDecoder

T = TypeVar("T")

TRANSIENT = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)
FEE_BUMP_NUM, FEE_BUMP_DEN = 1125, 1000  # nodes accept a replacement at >= +10%
LOST_CHECK_S = 2.0  # how often a wait checks that the node still has the transaction


def receipt_hash(receipt: TxReceipt) -> str:
    """The 0x-hex transaction hash of a receipt."""
    return "0x" + bytes(receipt["transactionHash"]).hex()


def with_retries(fn: Callable[[], T], *, attempts: int = 6, first_delay: float = 0.2) -> T:
    """Run `fn`, retrying transient RPC failures with exponential backoff."""
    delay = first_delay
    for attempt in range(attempts):
        try:
            return fn()
        except TRANSIENT:
            if attempt == attempts - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")


@dataclass
class SentTx:
    tx_hash: str
    nonce: int
    params: dict[str, Any]
    raw: str = ""  # 0x-hex of the signed transaction: what a node that lost it is sent again


BroadcastHook = Callable[[SentTx], None]
"""Runs between signing and broadcasting, so a caller can record the transaction durably
before it can exist anywhere."""


class NotMined(TransactionFailed):
    """Not mined within the wait: the transaction may still be pending."""


class TxManager:
    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        decoder: RevertDecoder,
        *,
        confirmations: int = 0,
        receipt_timeout_s: float = 120.0,
        stuck_after_s: float = 30.0,
        gas_headroom: float = 1.25,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.decoder = decoder
        self.confirmations = confirmations
        self.receipt_timeout_s = receipt_timeout_s
        self.stuck_after_s = stuck_after_s
        self.gas_headroom = gas_headroom
        self._nonce_lock = threading.Lock()
        self._next_nonce: int | None = None
        self._chain_id: int | None = None
        self.resent = 0  # transactions broadcast again after a node lost them

    @property
    def address(self) -> str:
        return str(self.account.address)

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(with_retries(lambda: self.w3.eth.chain_id))
        return self._chain_id

    # -- building -----------------------------------------------------------------------------

    def _fees(self) -> dict[str, int]:
        block = with_retries(lambda: self.w3.eth.get_block("latest"))
        base = block.get("baseFeePerGas")
        if base is None:
            return {"gasPrice": int(with_retries(lambda: self.w3.eth.gas_price))}
        try:
            tip = int(with_retries(lambda: self.w3.eth.max_priority_fee))
        except Web3Exception:
            tip = Web3.to_wei(1, "gwei")
        return {"maxFeePerGas": 2 * int(base) + tip, "maxPriorityFeePerGas": tip}

    def estimate(self, call: ContractFunction, value: int = 0) -> int:
        try:
            return int(
                with_retries(lambda: call.estimate_gas({"from": self.address, "value": value}))
            )
        except Web3Exception as exc:
            typed = self.decoder.from_exception(exc)
            if typed is not None:
                raise typed from exc
            raise

    def call(self, call: ContractFunction, block: int | str = "latest") -> Any:
        """A read-only call; a revert raises its typed exception."""
        try:
            return with_retries(lambda: call.call({"from": self.address}, block_identifier=block))
        except Web3Exception as exc:
            typed = self.decoder.from_exception(exc)
            if typed is not None:
                raise typed from exc
            raise

    # -- sending ------------------------------------------------------------------------------

    def send(
        self,
        call: ContractFunction | None = None,
        *,
        tx: TxParams | None = None,
        gas: int | None = None,
        value: int = 0,
        before_broadcast: BroadcastHook | None = None,
    ) -> SentTx:
        """Estimate (raising the typed revert), sign and broadcast. Safe from many threads.
        `before_broadcast(sent)` runs between signing and broadcasting."""
        if call is not None:
            gas = gas or int(self.estimate(call, value) * self.gas_headroom)
            params: dict[str, Any] = dict(
                call.build_transaction(
                    {
                        "from": self.address,
                        "gas": gas,
                        "value": value,
                        "chainId": self.chain_id,
                        "nonce": 0,
                        **self._fees(),
                    }
                )
            )
        else:
            assert tx is not None
            params = {
                "from": self.address,
                "chainId": self.chain_id,
                "value": value,
                **tx,
                **self._fees(),
            }
            if gas is not None:
                params["gas"] = gas
            elif "gas" not in params:
                params["gas"] = int(
                    with_retries(lambda: self.w3.eth.estimate_gas(params))  # type: ignore[arg-type]
                    * self.gas_headroom
                )
        with self._nonce_lock:
            if self._next_nonce is None:
                self._next_nonce = int(
                    with_retries(
                        lambda: self.w3.eth.get_transaction_count(self.account.address, "pending")
                    )
                )
            params["nonce"] = self._next_nonce
            sent = self._broadcast(params, before_broadcast)
            self._next_nonce = sent.nonce + 1
        return sent

    def _sign(self, params: dict[str, Any]) -> SentTx:
        signed = self.account.sign_transaction(params)
        return SentTx(
            tx_hash="0x" + bytes(signed.hash).hex(),
            nonce=int(params["nonce"]),
            params=params,
            raw="0x" + bytes(signed.raw_transaction).hex(),
        )

    def _broadcast(self, params: dict[str, Any], before: BroadcastHook | None = None) -> SentTx:
        sent = self._sign(params)
        if before is not None:
            before(sent)
        try:
            with_retries(lambda: self.w3.eth.send_raw_transaction(sent.raw))
            return sent
        except (ValueError, Web3Exception) as exc:
            if self.node_has(sent.tx_hash):
                return sent  # a retry after the node's reply to the first send was lost
            if "nonce too low" in str(exc).lower():
                # Someone else used this key: resynchronise from the node and try once more.
                params = {**params, "nonce": self._node_nonce("pending")}
                sent = self._sign(params)
                if before is not None:
                    before(sent)
                self.w3.eth.send_raw_transaction(sent.raw)
                return sent
            raise

    # -- recovering from a node that lost transactions ------------------------------------------

    def _node_nonce(self, block: str) -> int:
        return int(
            with_retries(lambda: self.w3.eth.get_transaction_count(self.account.address, block))  # type: ignore[arg-type]
        )

    def node_has(self, tx_hash: str) -> bool:
        """Whether the node knows the transaction (pending or mined)."""
        try:
            with_retries(lambda: self.w3.eth.get_transaction(tx_hash))  # type: ignore[arg-type]
        except TransactionNotFound:
            return False
        return True

    def mined_nonce(self) -> int:
        """How many transactions of this key the node has mined (its next nonce to mine)."""
        return self._node_nonce("latest")

    def resync(self) -> None:
        """Forget the local nonce counter: the next send asks the node. Call it after the
        node lost transactions (restart without its pool, reorg) or after rebroadcasting."""
        with self._nonce_lock:
            self._next_nonce = None

    def rebroadcast(self, raw: str) -> bool:
        """Send a signed transaction again, as is (same hash, same nonce). True when the node
        holds it now (or already did); False when the node refuses it (its nonce taken by
        another transaction, mined or pending, or its fees no longer enough), so it must be
        signed anew."""
        try:
            with_retries(lambda: self.w3.eth.send_raw_transaction(raw))
        except (ValueError, Web3Exception) as exc:
            reason = str(exc).lower()
            return "already known" in reason or "already imported" in reason
        self.resent += 1
        return True

    def fill_nonce(self, nonce: int) -> SentTx:
        """A zero-value transfer to self at `nonce`: closes a nonce gap left by a transaction
        the node lost and nobody holds any more, so the transactions above it can be mined.
        At the current fees it cannot replace a pending transaction that holds the nonce."""
        params: dict[str, Any] = {
            "from": self.address,
            "to": self.address,
            "value": 0,
            "gas": 21_000,
            "nonce": nonce,
            "chainId": self.chain_id,
            **self._fees(),
        }
        sent = self._sign(params)
        with contextlib.suppress(ValueError, Web3Exception):  # held after all: nothing to fill
            with_retries(lambda: self.w3.eth.send_raw_transaction(sent.raw))
        return sent

    def bump(self, sent: SentTx, before_broadcast: BroadcastHook | None = None) -> SentTx:
        """Replace a stuck transaction (same nonce) with higher fees."""
        params = dict(sent.params)
        for key in ("maxFeePerGas", "maxPriorityFeePerGas", "gasPrice"):
            if key in params:
                params[key] = int(params[key]) * FEE_BUMP_NUM // FEE_BUMP_DEN + 1
        fresh = self._fees()
        for key, fee in fresh.items():
            params[key] = max(int(params.get(key, 0)), fee)
        bumped = self._sign(params)
        if before_broadcast is not None:
            before_broadcast(bumped)
        with_retries(lambda: self.w3.eth.send_raw_transaction(bumped.raw))
        return bumped

    def wait(self, sent: SentTx) -> TxReceipt:
        """The receipt once mined and confirmed; bumps fees while the transaction is stuck."""
        receipt = self.wait_mined(sent)
        self._await_confirmations(receipt)
        return receipt

    def wait_mined(
        self,
        sent: SentTx,
        *,
        timeout_s: float | None = None,
        on_replace: BroadcastHook | None = None,
    ) -> TxReceipt:
        """The receipt once mined, not waiting for confirmations. Every LOST_CHECK_S it
        checks that the node still has the transaction and sends it again as is if not (a
        node restarted without its pool); bumps fees while it is stuck (`on_replace` sees each
        replacement before it is broadcast). Raises NotMined after `timeout_s` (default
        receipt_timeout_s) or when the node refuses the lost transaction again, and the typed
        revert for a reverted transaction. A node that does not answer raises its
        connection error (after the usual retries)."""
        timeout = self.receipt_timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout
        stuck_at = time.monotonic() + self.stuck_after_s
        hashes = [sent.tx_hash]
        while True:
            window = min(LOST_CHECK_S, stuck_at - time.monotonic(), deadline - time.monotonic())
            receipt = self._poll_receipt(hashes, window)
            if receipt is not None:
                break
            if time.monotonic() >= deadline:
                raise NotMined(sent.tx_hash, f"not mined within {timeout:.0f} s")
            if not any(self.node_has(h) for h in hashes):
                if not self.rebroadcast(sent.raw):
                    raise NotMined(sent.tx_hash, "the node lost it and refuses it again")
                continue
            if time.monotonic() >= stuck_at:
                sent = self.bump(sent, on_replace)
                hashes.append(sent.tx_hash)
                stuck_at = time.monotonic() + self.stuck_after_s
        if receipt["status"] != 1:
            raise self._revert_reason(sent, receipt)
        return receipt

    def _poll_receipt(self, hashes: list[str], timeout: float) -> TxReceipt | None:
        end = time.monotonic() + max(timeout, 0.1)
        while time.monotonic() < end:
            for h in hashes:
                try:
                    return with_retries(
                        lambda h=h: self.w3.eth.wait_for_transaction_receipt(  # type: ignore[misc]
                            h, timeout=0.05, poll_latency=0.02
                        )
                    )
                except TimeExhausted:
                    continue
            time.sleep(0.02)
        return None

    def _await_confirmations(self, receipt: TxReceipt) -> None:
        if self.confirmations <= 1:
            return
        target = receipt["blockNumber"] + self.confirmations - 1
        while int(with_retries(lambda: self.w3.eth.block_number)) < target:
            time.sleep(0.2)

    def _revert_reason(self, sent: SentTx, receipt: TxReceipt) -> Exception:
        replay = {
            k: v for k, v in sent.params.items() if k in ("from", "to", "data", "value", "gas")
        }
        try:
            self.w3.eth.call(replay, block_identifier=receipt["blockNumber"])  # type: ignore[arg-type]
        except Web3Exception as exc:
            typed = self.decoder.from_exception(exc)
            if typed is not None:
                return typed
        return TransactionFailed(sent.tx_hash, "reverted")

    def transact(
        self, call: ContractFunction, *, gas: int | None = None, value: int = 0
    ) -> TxReceipt:
        """Send and wait: the common case."""
        return self.wait(self.send(call, gas=gas, value=value))


def connect(rpc_url: str, timeout_s: float = 30.0) -> Web3:
    """A Web3 client for `rpc_url`, checked to answer."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}))
    try:
        w3.eth.chain_id  # noqa: B018 - a cheap liveness probe
    except TRANSIENT as exc:
        raise RpcUnavailable(rpc_url, type(exc).__name__) from exc
    return w3
