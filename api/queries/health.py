"""Liveness and indexing progress."""

from __future__ import annotations

from sqlmodel import Session

from api.models import Health
from api.queries import rows


def get_health(*, session: Session, leader: bool | None = None) -> Health:
    cp = rows.checkpoint(session)
    return Health(
        status="ok",
        chain_id=cp.chain_id if cp else None,
        indexed_block=cp.block_number if cp else None,
        leader=leader,
    )
