"""Liveness and indexing progress."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import LeaderDep, SessionDep
from api.errors import documented
from api.models import Health
from api.queries import health as queries

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", response_model=Health, responses=documented())
def health(session: SessionDep, leader: LeaderDep) -> Health:
    return queries.get_health(session=session, leader=leader.is_leader if leader else None)
