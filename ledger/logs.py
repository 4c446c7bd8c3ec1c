"""Event logs the way a public RPC endpoint serves them: `eth_getLogs` paged under a block
range cap (10,000 blocks, as many providers enforce), a page halved when the node says the
range or the result is too large, and rate limits (HTTP 429, JSON-RPC -32005) retried with
backoff. Every reader of past events goes through here."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import requests
from web3.exceptions import Web3RPCError
from web3.logs import DISCARD

from ledger.tx import with_retries

MAX_BLOCK_RANGE = 10_000
RATE_LIMIT_CODES = {-32005, 429}
TOO_LARGE_HINTS = ("range", "too many", "too large", "limit exceeded", "response size")


def _rate_limited(exc: Exception) -> bool:
    if isinstance(exc, requests.HTTPError):
        return exc.response is not None and exc.response.status_code == 429
    if isinstance(exc, Web3RPCError):
        code = (exc.rpc_response or {}).get("error", {}).get("code")
        return code in RATE_LIMIT_CODES or "rate limit" in str(exc).lower()
    return False


def _too_large(exc: Exception) -> bool:
    return isinstance(exc, Web3RPCError) and any(h in str(exc).lower() for h in TOO_LARGE_HINTS)


def paged(
    fetch: Callable[[int, int], Sequence[Any]],
    from_block: int,
    to_block: int,
    *,
    max_range: int = MAX_BLOCK_RANGE,
    rate_limit_retries: int = 8,
) -> list[Any]:
    """All of `fetch(a, b)` (inclusive block bounds) from `from_block` to `to_block`, in pages
    of at most `max_range` blocks, in order."""
    out: list[Any] = []
    start, span, waits = from_block, max(1, max_range), 0
    while start <= to_block:
        end = min(start + span - 1, to_block)
        try:
            out.extend(with_retries(lambda s=start, e=end: fetch(s, e)))  # type: ignore[misc]
        except (Web3RPCError, requests.HTTPError) as exc:
            if _rate_limited(exc) and waits < rate_limit_retries:
                time.sleep(min(0.25 * 2**waits, 8.0))
                waits += 1
                continue
            if _too_large(exc) and span > 1:
                span = max(1, span // 2)
                continue
            raise
        waits = 0
        start = end + 1
    return out


def event_logs(
    event: Any,
    *,
    from_block: int,
    to_block: int | None = None,
    argument_filters: dict[str, Any] | None = None,
    max_range: int = MAX_BLOCK_RANGE,
) -> list[Any]:
    """`contract.events.X()`'s logs over a block range of any length (to_block: the head)."""
    if to_block is None:
        to_block = int(with_retries(lambda: event.w3.eth.block_number))

    def fetch(a: int, b: int) -> Sequence[Any]:
        return event.get_logs(  # type: ignore[no-any-return]
            from_block=a, to_block=b, argument_filters=argument_filters or {}
        )

    return paged(fetch, from_block, to_block, max_range=max_range)


def receipt_events(event: Any, receipt: Any) -> tuple[Any, ...]:
    """`event`'s logs in a transaction's receipt, decoded. The receipt's other logs (other
    events, other contracts) are skipped quietly rather than warned about one by one."""
    return tuple(event.process_receipt(receipt, errors=DISCARD))
