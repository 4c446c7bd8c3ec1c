"""The verifiers' and regulators' page: pending issuance requests (a verifier approves or rejects
each, with a reason) and live credits (a regulator revokes one, with a reason). The wallet
itself sends each transaction (static/src/review.js); the page reads the new state back from
the chain. Signed in (see participant.py) with a verifier or regulator role; others get a 403
page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.console import PREFIX
from api.console import queries as cq
from api.console.participant import SignedIn, refusal
from api.console.routes import chain_config, render
from api.deps import SessionDep
from api.queries import rows
from ledger.deploy import GRAMS_PER_CREDIT

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
        checkpoint=rows.checkpoint(session),
        chain=chain_config(request),
    )
