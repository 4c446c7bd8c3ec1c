"""The participant's own pages: wallet sign-in (the API's challenge signed with personal_sign
through an EIP-1193 provider, exchanged for a bearer token that the console keeps in an
HttpOnly cookie) and the account page. Settlement lines are read by the page from the
authenticated JSON route, which only ever answers with the caller's own line."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from sqlmodel import col, select

from api.auth import Actor, read_token
from api.console import PREFIX
from api.console.routes import chain_config, render
from api.deps import SessionDep, SettingsDep, get_chain_id
from api.errors import Unauthorized, Unavailable
from api.queries import credit_rows, rows
from ledger.index.tables import SettlementAnchorRow

TOKEN_COOKIE = "essl_token"
router = APIRouter(prefix=PREFIX, tags=["console"], include_in_schema=False)


class SessionRequest(BaseModel):
    token: str


def signed_in(
    request: Request, settings: SettingsDep, essl_token: Annotated[str | None, Cookie()] = None
) -> Actor | None:
    """The visitor's actor from its token cookie; None (the sign-in page) without a valid
    token, or while the API does not know its chain yet (no token can be checked then)."""
    if not essl_token:
        return None
    try:
        return read_token(settings, essl_token, get_chain_id(request))
    except (Unauthorized, Unavailable):
        return None


SignedIn = Annotated[Actor | None, Depends(signed_in)]


def refusal(
    request: Request, actor: Actor | None, roles: tuple[str, ...], *, anonymous_status: int = 200
) -> Response | None:
    """What a visitor gets instead of a page for `roles`: the sign-in page without a token, a
    403 page naming the roles without any of them; None when `actor` may see the page."""
    if actor is None:
        return render(request, "signin.html", status_code=anonymous_status)
    if not actor.has(*roles):
        message = f"{actor.address} holds none of the roles {', '.join(roles)}"
        return render(request, "error.html", status_code=403, message=message)
    return None


@router.post("/session")
def start_session(body: SessionRequest, request: Request, settings: SettingsDep) -> Response:
    """Keep a valid API token (from /v1/auth/token) in an HttpOnly cookie for the pages."""
    try:
        chain_id = get_chain_id(request)
    except Unavailable as exc:  # no token can be valid before the API knows its chain
        raise Unauthorized(str(exc)) from None
    actor = read_token(settings, body.token, chain_id)  # 401 JSON for a bad one
    reply = JSONResponse({"address": actor.address})
    reply.set_cookie(
        TOKEN_COOKIE,
        body.token,
        max_age=max(actor.expires_at - 1, 60),
        httponly=True,
        samesite="strict",
        path=PREFIX,
    )
    return reply


@router.post("/session/end")
def end_session() -> Response:
    reply = JSONResponse({"signed_out": True})
    reply.delete_cookie(TOKEN_COOKIE, path=PREFIX)
    return reply


@router.get("/me", response_class=HTMLResponse)
def my_page(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
) -> Response:
    if actor is None:
        return render(request, "signin.html")
    who = actor.address
    totals = rows.participant_totals(session, who)
    stations = [t[0] for t in totals]
    leases = {s: rows.latest_leases(session, s).get(who) for s in stations}
    avoided = credit_rows.avoided_totals(session, who)
    holdings = credit_rows.participant_holdings(session, who)
    credits = credit_rows.credits_by_id(session, list(holdings))
    anchors = session.exec(
        select(SettlementAnchorRow)
        .where(col(SettlementAnchorRow.station_id).in_(stations))
        .order_by(col(SettlementAnchorRow.period).desc(), col(SettlementAnchorRow.version).desc())
    ).all()
    latest: dict[tuple[int, int], SettlementAnchorRow] = {}
    for a in anchors:
        latest.setdefault((a.station_id, a.period), a)
    return render(
        request,
        "me.html",
        actor=actor,
        totals=totals,
        leases=leases,
        avoided=avoided,
        holdings=holdings,
        credits=credits,
        statements=list(latest.values()),
        chain=chain_config(request),
    )
