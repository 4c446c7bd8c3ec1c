"""Carbon credits by token id: state, amounts, request, approval and factor version."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import ReadCacheDep, SessionDep, TokenId
from api.errors import documented
from api.models import CreditPublic
from api.queries import credits

router = APIRouter(prefix="/v1/credits", tags=["credits"])


@router.get("/{token_id}", response_model=CreditPublic, responses=documented(404))
def get_credit(token_id: TokenId, session: SessionDep, cache: ReadCacheDep) -> Response:
    return cache.json(
        session,
        ("credit", token_id),
        lambda: credits.get_credit(session=session, token_id=token_id),
    )
