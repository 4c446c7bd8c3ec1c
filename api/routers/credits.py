"""Carbon credits by token id: state, amounts, request, approval and factor version, with the
texts of a rejection's and a revocation's reasons when kept; and keeping such a text."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import CurrentActor, ReadCacheDep, SessionDep, TokenId
from api.errors import documented
from api.models import CreditPublic, ReasonPublic, ReasonRequest
from api.queries import credits

router = APIRouter(prefix="/v1/credits", tags=["credits"])


@router.get("/{token_id}", response_model=CreditPublic, responses=documented(404))
def get_credit(token_id: TokenId, session: SessionDep, cache: ReadCacheDep) -> Response:
    return cache.json(
        session,
        ("credit", token_id, credits.reasons_key(session, token_id)),
        lambda: credits.get_credit(session=session, token_id=token_id),
    )


@router.post("/reasons", response_model=ReasonPublic, responses=documented(400, 401, 403, 413))
def keep_reason(body: ReasonRequest, actor: CurrentActor, session: SessionDep) -> ReasonPublic:
    """Keep a rejection's or revocation's reason text before sending the transaction
    (verifier or regulator); the answer is the hash to put in `rejectIssuance` / `revoke`."""
    return credits.keep_reason(session=session, actor=actor, reason=body.reason)
