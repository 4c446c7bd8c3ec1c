"""What every projection receives with an event's arguments: where the event sits on the chain.
Its own module so the projection modules import it, and each other not at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session


@dataclass(frozen=True)
class EventMeta:
    block_number: int
    log_index: int
    tx_hash: str
    contract: str
    event: str
    timestamp: int


# The arguments are typed per event by each projection (ledger.index.event_args); the indexer
# hands over the decoded dict, so the table of projections takes any of them.
Projection = Callable[[Session, Any, EventMeta], None]
