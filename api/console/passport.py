"""Console pages of the battery passports: the list, and one passport's public view (identity,
status, predecessor chain, custody and installation timeline) for anyone; its health charts
(SOH, cycles, throughput, temperatures over the snapshot days) and the model's assessment only
for a signed-in visitor with a legitimate interest (EU 2023/1542 Annex XIII)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.console import PREFIX
from api.console.participant import SignedIn
from api.console.routes import not_found, render
from api.deps import PassportRef, SessionDep
from api.errors import ApiError
from api.passport_models import PassportHealthPublic
from api.queries import passports

router = APIRouter(prefix=PREFIX, tags=["console"], include_in_schema=False)


def health_chart(health: PassportHealthPublic) -> dict[str, Any]:
    """The snapshot series as the chart script reads it (#passport-data)."""
    s = health.snapshots
    return {
        "day": [x.day for x in s],
        "soh": [x.soh_bps / 100 for x in s],
        "cycles": [x.cycle_count for x in s],
        "charged_kwh": [x.charged_wh_total / 1000 for x in s],
        "discharged_kwh": [x.discharged_wh_total / 1000 for x in s],
        "temp_min": [x.temp_min_deci_c / 10 for x in s],
        "temp_max": [x.temp_max_deci_c / 10 for x in s],
    }


@router.get("/passports", response_class=HTMLResponse)
def passports_page(request: Request, session: SessionDep) -> Response:
    listed = passports.list_passports(session=session, station_id=None, limit=500, offset=0)
    return render(request, "passports.html", passports=listed)


@router.get("/passports/{passport}", response_class=HTMLResponse)
def passport_page(
    request: Request,
    passport: PassportRef,
    session: SessionDep,
    actor: SignedIn,
) -> Response:
    try:
        view = passports.get_passport(session=session, ref=passport)
    except ApiError:
        return not_found(request, f"passport {passport}")
    row = passports.passport_row(session, passport)
    allowed = actor is not None and passports.may_read_health(session=session, actor=actor, row=row)
    health = passports.get_health(session=session, ref=passport) if allowed else None
    assessment = None
    if health is not None and health.snapshots:
        assessment = passports.get_assessment(session=session, ref=passport)
    return render(
        request,
        "passport.html",
        p=view,
        actor=actor,
        health=health,
        assessment=assessment,
        chart=health_chart(health) if health is not None and health.snapshots else None,
    )
