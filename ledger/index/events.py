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


Projection = Callable[[Session, dict[str, Any], EventMeta], None]
