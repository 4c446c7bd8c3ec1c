"""The operators' and regulators' page: the oracle's health per station (last interval booked,
its lag, explicit gaps), the settlement statements with their acknowledgements and disputes
(each with its reason text where recorded),
and the grid operator's curtailment attestations. Signed in (see participant.py) with a grid
operator, station operator, regulator or admin role; others get a 403 page."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from api.console import PREFIX, units
from api.console import queries as cq
from api.console.i18n import Translator, pick_lang, translator
from api.console.participant import SignedIn, refusal
from api.console.routes import chain_config, render
from api.deps import SessionDep
from api.queries import rows
from ledger.index.tables import (
    ChainEvent,
    CurtailmentRow,
    SettlementAnchorRow,
    SettlementResponseRow,
    StationRow,
)
from ledger.reasons import reason_texts

ROLES = ("grid_operator", "station_operator", "regulator", "admin")
router = APIRouter(prefix=PREFIX, tags=["console"], include_in_schema=False)


@dataclass
class StationHealth:
    station: StationRow
    intervals: int
    last_start: int | None
    lag_s: int | None  # now - end of the last booked interval
    gaps: int
    curtailed_wh: int
    curtailed_intervals: int


@dataclass
class StatementView:
    anchor: SettlementAnchorRow
    acknowledged: int
    disputed: list[SettlementResponseRow]
    reasons: dict[str, str]  # reason hash -> its recorded text, where known and intact


def station_health(session: Session, *, now: int) -> list[StationHealth]:
    gaps: dict[int, int] = {}
    for event in session.exec(select(ChainEvent).where(ChainEvent.event == "IntervalGap")):
        station_id = int(json.loads(event.args_json).get("stationId", 0))
        gaps[station_id] = gaps.get(station_id, 0) + 1
    out = []
    for row in rows.stations(session):
        count, last = rows.station_stats(session, row.station_id)
        wh, n = session.exec(
            select(
                func.sum(CurtailmentRow.curtailed_wh),
                func.count(func.distinct(CurtailmentRow.interval_start)),
            ).where(CurtailmentRow.station_id == row.station_id)
        ).one()
        lag = None if last is None else max(0, now - (last + row.interval_seconds))
        out.append(
            StationHealth(
                row, count, last, lag, gaps.get(row.station_id, 0), int(wh or 0), int(n or 0)
            )
        )
    return out


def statements(session: Session) -> list[StatementView]:
    anchors = session.exec(
        select(SettlementAnchorRow).order_by(
            col(SettlementAnchorRow.period).desc(), col(SettlementAnchorRow.version).desc()
        )
    ).all()
    out = []
    for a in anchors:
        responses = session.exec(
            select(SettlementResponseRow).where(
                SettlementResponseRow.station_id == a.station_id,
                SettlementResponseRow.period == a.period,
                SettlementResponseRow.version == a.version,
            )
        ).all()
        disputed = sorted((r for r in responses if r.response == 2), key=lambda r: r.participant)
        out.append(
            StatementView(
                a,
                sum(1 for r in responses if r.response == 1),
                disputed,
                reason_texts(session, [r.reason_hash for r in disputed]),
            )
        )
    return out


def script_labels(t: Translator) -> dict[str, object]:
    """The texts static/src/operator.js shows, in the page's language."""
    keys = "reverted sign_in_again supersedes lines reused not_a_time not_booked no_charges"
    keys += " charged_there"
    labels: dict[str, object] = {
        "".join(w.capitalize() if i else w for i, w in enumerate(k.split("_"))): t(f"js_{k}")
        for k in keys.split()
    }
    labels |= {"version": t("version"), "finalize": t("finalize")}
    labels["interval"] = t("interval_start_local")
    states = ("none", "pending", "final", "disputed", "superseded")
    labels["states"] = {s: t(f"st_{s}") for s in states}
    return labels


@router.get("/operator", response_class=HTMLResponse)
def operator_page(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
) -> Response:
    if (refused := refusal(request, actor, ROLES)) is not None:
        return refused
    assert actor is not None
    health = station_health(session, now=int(time.time()))
    lasts = [h.last_start for h in health if h.last_start is not None]
    return render(
        request,
        "operator.html",
        actor=actor,
        health=health,
        statements=statements(session),
        checkpoint=rows.checkpoint(session),
        quarantine=cq.quarantine_by_reason(session),
        chain=chain_config(request),
        default_day=units.local_day(max(lasts)) if lasts else "",
        labels=script_labels(translator(pick_lang(request))),
    )
