"""Console pages under /console: stations, a station's day, a report and its batch, credits and
a credit's lineage, emission-factor datasets, and the chain facts the browser verifier needs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as FPath
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from api.console import PREFIX, units
from api.console import queries as cq
from api.console.i18n import COOKIE, LANGS, pick_lang, translator
from api.console.lineage import lineage_nodes
from api.deps import SessionDep, SettingsDep, StationId
from api.queries import credit_rows, rows, trace_rows
from api.trace_models import BatchPublic
from ledger.client import Ledger

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.globals["u"] = units
TEMPLATES.env.globals["prefix"] = PREFIX
READINGS_PER_PAGE = 20
Day = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Local day.")]
Page = Annotated[int, Query(ge=1, le=100_000)]
IntervalStart = Annotated[int, FPath(ge=0, le=2**63 - 1, description="Unix seconds.")]
TokenId = Annotated[int, FPath(ge=1, le=2**63 - 1, description="Credit token id.")]

router = APIRouter(prefix=PREFIX, tags=["console"], include_in_schema=False)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    lang = pick_lang(request)
    response = TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "t": translator(lang),
            "lang": lang,
            "other_lang": LANGS[1 - LANGS.index(lang)],
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(COOKIE, lang, max_age=365 * 86_400, samesite="lax")
    return response


def not_found(request: Request, message: str) -> Response:
    return render(request, "error.html", status_code=404, message=message)


def chain_config(request: Request) -> dict[str, Any] | None:
    """RPC URL, chain id and contract addresses of the API's chain (None without a chain)."""
    ledger: Ledger | None = request.app.state.ledger
    if ledger is None:
        return None
    names = ("Registry", "StorageLedger", "CarbonCredits", "EmissionFactors", "SettlementAnchor")
    return {
        "rpc_url": ledger.settings.rpc_url,
        "chain_id": ledger.chain_id,
        "contracts": {n: ledger.deployment.address(n) for n in names if ledger.has(n)},
        "archive": "/v1/batches",
    }


def cached_batch(session: Session, archive: Path, root: str, count: int) -> BatchPublic:
    """The batch with every reading's proof; batch files are content-addressed and a key binds
    to one device for ever, so the result is kept while the file is unchanged."""
    path = archive / f"{root}.json"
    stamp = (path.stat().st_mtime_ns, path.stat().st_size) if path.is_file() else (0, 0)
    key = (str(path), *stamp, count)
    if key not in _BATCHES:
        devices = trace_rows.device_directory(session)
        if len(_BATCHES) >= 64:
            _BATCHES.pop(next(iter(_BATCHES)))
        _BATCHES[key] = trace_rows.batch(session, archive, root, count, devices, True)
    return _BATCHES[key]


_BATCHES: dict[tuple[str, int, int, int], BatchPublic] = {}


@router.get("", response_class=HTMLResponse)
def home() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/stations", status_code=307)


@router.get("/chain.json")
def chain(request: Request) -> JSONResponse:
    config = chain_config(request)
    if config is None:
        return JSONResponse({"error": {"code": "unavailable", "message": "no chain"}}, 503)
    return JSONResponse(config)


@router.get("/stations", response_class=HTMLResponse)
def stations_page(request: Request, session: SessionDep) -> Response:
    views = [cq.station_view(session, station_id=s.station_id) for s in rows.stations(session)]
    return render(request, "stations.html", stations=[v for v in views if v])


@router.get("/stations/{station_id}", response_class=HTMLResponse)
def station_page(
    request: Request, station_id: StationId, session: SessionDep, day: Day = None
) -> Response:
    try:
        found = cq.station_day(session, station_id=station_id, day=day)
    except ValueError:
        return render(request, "error.html", status_code=400, message=f"day: {day} is not a date")
    if found is None:
        return not_found(request, f"station {station_id}")
    return render(
        request,
        "station.html",
        view=found.view,
        day=found.day,
        prev_day=units.local_day(found.start - 86_400),
        next_day=units.local_day(found.end),
        rows=found.rows,
        rejected=cq.rejected_by_root(session, roots=[r.report.readings_root for r in found.rows]),
        chart=found.chart,
    )


@router.get("/reports/{station_id}/{interval_start}", response_class=HTMLResponse)
def report_page(
    request: Request,
    station_id: StationId,
    interval_start: IntervalStart,
    session: SessionDep,
    settings: SettingsDep,
    page: Page = 1,
) -> Response:
    found = cq.intervals(
        session, station_id=station_id, start=interval_start, end=interval_start + 1
    )
    if not found:
        return not_found(request, f"report {station_id}/{interval_start}")
    row = found[0]
    batch = cached_batch(
        session, settings.archive_dir, row.report.readings_root, row.report.reading_count
    )
    readings = batch.readings or []
    pages = max(1, math.ceil(len(readings) / READINGS_PER_PAGE))
    page = min(page, pages)
    shown = readings[(page - 1) * READINGS_PER_PAGE : page * READINGS_PER_PAGE]
    return render(
        request,
        "report.html",
        row=row,
        oracle_set=cq.oracle_set(session, at_block=row.report.block_number),
        batch=batch,
        readings=shown,
        page=page,
        pages=pages,
        chain=chain_config(request),
        verify_target={"station": station_id, "intervalStart": interval_start},
    )


@router.get("/credits", response_class=HTMLResponse)
def credits_page(request: Request, session: SessionDep) -> Response:
    views = cq.credit_views(session)
    reasons = credit_rows.decided_reasons(session, ((v.decision, v.revocation) for v in views))
    return render(request, "credits.html", credits=views, reasons=reasons)


@router.get("/credits/{token_id}", response_class=HTMLResponse)
def credit_page(
    request: Request, token_id: TokenId, session: SessionDep, settings: SettingsDep
) -> Response:
    view = cq.credit_view(session, token_id=token_id)
    if view is None:
        return not_found(request, f"credit {token_id}")
    r = view.row
    rows = trace_rows.interval_rows(
        session, r.station_id, r.participant, start_from=r.period_start, start_to=r.period_end
    )
    account = trace_rows.avoided_account(session, r.station_id, r.participant, rows)
    available = {
        rep.readings_root: (settings.archive_dir / f"{rep.readings_root}.json").is_file()
        for _, rep, _ in rows
    }
    devices = cq.station_devices(session, station_id=r.station_id)
    moves = [m for m in cq.credit_moves(session, token_id=token_id)]
    retirements = cq.credit_retirements(session, token_id=token_id)
    t = translator(pick_lang(request))
    nodes = lineage_nodes(t, view, moves, retirements, account, rows, available, devices)
    return render(
        request,
        "credit.html",
        view=view,
        rows=rows,
        account=account,
        available=available,
        devices=devices,
        moves=moves,
        retirements=retirements,
        nodes=nodes,
        chain=chain_config(request),
        verify_target={"credit": token_id},
        reasons=credit_rows.credit_reasons(session, view.decision, view.revocation),
    )


@router.get("/factors", response_class=HTMLResponse)
def factors_page(request: Request, session: SessionDep) -> Response:
    return render(request, "factors.html", datasets=cq.factor_datasets(session))
