"""Liveness and indexing progress."""

from __future__ import annotations

from fastapi import APIRouter

from api import queries
from api.deps import SessionDep
from api.models import Health

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", response_model=Health)
def health(session: SessionDep) -> Health:
    cp = queries.checkpoint(session)
    return Health(
        status="ok",
        chain_id=cp.chain_id if cp else None,
        indexed_block=cp.block_number if cp else None,
    )
