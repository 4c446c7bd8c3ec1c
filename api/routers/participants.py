"""What a generator or consumer holds: energy accounts and un-issued avoided emissions per
station, and credits per token id (live, frozen by a revocation, retired)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import Address, ReadCacheDep, SessionDep
from api.errors import documented
from api.models import ParticipantBalances
from api.queries import participants

router = APIRouter(prefix="/v1/participants", tags=["participants"])


@router.get("/{address}/balances", response_model=ParticipantBalances, responses=documented())
def balances(address: Address, session: SessionDep, cache: ReadCacheDep) -> Response:
    return cache.json(
        session,
        ("balances", address.lower()),
        lambda: participants.get_balances(session=session, address=address),
    )
