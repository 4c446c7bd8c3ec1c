"""The verifiers' and regulators' page: pending issuance requests (a verifier approves or rejects
each, with a reason) and live credits (a regulator revokes one, with a reason). The wallet
itself sends each transaction (static/src/review.js); the page reads the new state back from
the chain. Signed in (see participant.py) with a verifier or regulator role; others get a 403
page. Before the wallet sends a rejection or a revocation, the page keeps the reason's text
through `POST /console/review/reasons` (the cookie session's counterpart of
`POST /v1/credits/reasons`) and checks the hash it gets back against its own keccak256."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.console import PREFIX
from api.console import queries as cq
from api.console.participant import SignedIn, refusal
from api.console.routes import chain_config, render
from api.deps import SessionDep
from api.errors import Unauthorized
from api.models import ReasonPublic, ReasonRequest
from api.queries import credits, rows
from ledger.deploy import GRAMS_PER_CREDIT
from ledger.reasons import MAX_REASON_CHARS

ROLES = ("verifier", "regulator")
router = APIRouter(prefix=PREFIX, tags=["console"], include_in_schema=False)


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
) -> Response:
    # Not signed in: the sign-in page, with the status of a refused request.
    if (refused := refusal(request, actor, ROLES, anonymous_status=403)) is not None:
        return refused
    assert actor is not None
    return render(
        request,
        "review.html",
        actor=actor,
        pending=cq.pending_requests(session),
        live=cq.live_credits(session),
        grams_per_unit=GRAMS_PER_CREDIT,
        max_reason=MAX_REASON_CHARS,
        checkpoint=rows.checkpoint(session),
        chain=chain_config(request),
    )


@router.post("/review/reasons", response_model=ReasonPublic)
def keep_reason(body: ReasonRequest, session: SessionDep, actor: SignedIn) -> ReasonPublic:
    """Keep a rejection's or revocation's reason text for the signed-in verifier or regulator
    (401 without a session, 403 without either role); the hash the wallet's tx must carry."""
    if actor is None:
        raise Unauthorized("sign in on the console first (no valid session cookie)")
    return credits.keep_reason(session=session, actor=actor, reason=body.reason)
