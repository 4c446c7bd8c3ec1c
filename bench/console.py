"""The web console at demo scale: the demo day (96 intervals, 15,840 signed readings, one credit)
on a throwaway anvil, the API with the console on a free port, then
- server time per page (in-process requests, 30 rounds after one warm-up): p50 and p95;
- in Debian's Chromium (Playwright): time from navigation until the station day charts are
  drawn, and until the credit page (its lineage is server-rendered SVG) has painted;
- verify-in-browser of the demo credit (every batch root and device signature), wall time.
Chromium is found at /usr/bin/chromium (or ESSL_CHROMIUM); without it the browser figures are
left out and `browser` says why."""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from devnet.anvil import free_port, start_anvil
from devnet.demo import run_demo
from ledger.client import open_ledger
from ledger.settings import LedgerSettings

ROUNDS = 30
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str | None:
    for candidate in (os.environ.get("ESSL_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(progress: bool) -> dict[str, Any]:
    def say(message: str) -> None:
        if progress:
            print(message, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port = free_port()
        anvil = start_anvil(port, hardfork="london", log=root / "anvil.log")
        try:
            return _measure(root, port, say)
        finally:
            anvil.terminate()
            anvil.wait(timeout=10)


def _measure(root: Path, port: int, say: Any) -> dict[str, Any]:
    settings = LedgerSettings(
        rpc_url=f"http://127.0.0.1:{port}",
        state_dir=root / "state",
        deployments_dir=root / "deployments",
        database_url=f"sqlite:///{root / 'ledger.sqlite'}",
    )
    say("running the demo day on a throwaway anvil ...")
    demo = run_demo(settings, port=port, progress=None)
    station, credit = demo["stations"][0], demo["sample_credit_id"]
    first_interval = 1_795_363_200
    app = create_app(
        ApiSettings(
            database_url=settings.database_url, archive_dir=demo["archive"], run_indexer=False
        ),
        ledger=open_ledger(settings),
    )
    pages = {
        "stations": "/console/stations",
        "station_day": f"/console/stations/{station}",
        "report": f"/console/reports/{station}/{first_interval + 40 * 900}",
        "credits": "/console/credits",
        "credit_lineage": f"/console/credits/{credit}",
        "factors": "/console/factors",
    }
    figures: dict[str, Any] = {
        "readings": demo["readings"],
        "intervals": demo["intervals_on_chain"],
    }
    with TestClient(app) as client:
        for name, path in pages.items():
            assert client.get(path).status_code == 200, path
            times = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            figures[f"{name}_p50_ms"] = round(statistics.median(times), 1)
            figures[f"{name}_p95_ms"] = round(_percentile(times, 0.95), 1)
            say(f"{name}: p50 {figures[f'{name}_p50_ms']} ms, p95 {figures[f'{name}_p95_ms']} ms")
    chromium = _chromium()
    if chromium is None:
        figures["browser"] = "no Chromium found: apt-get install chromium"
        return figures
    api_port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=api_port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        figures.update(_browser(chromium, f"http://127.0.0.1:{api_port}", pages, say))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return figures


def _browser(chromium: str, base: str, pages: dict[str, str], say: Any) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        page = browser.new_page(base_url=base)
        charts, lineage = [], []
        for _ in range(5):
            page.goto(pages["station_day"])
            page.wait_for_function("document.body.dataset.chartsDrawn", timeout=30_000)
            charts.append(float(page.evaluate("Number(document.body.dataset.chartsDrawn)")))
            page.goto(pages["credit_lineage"])
            page.wait_for_load_state("load")
            lineage.append(
                float(
                    page.evaluate(
                        "performance.getEntriesByName('first-contentful-paint')[0]?.startTime"
                        " ?? performance.timing.loadEventEnd - performance.timing.navigationStart"
                    )
                )
            )
        out["station_charts_drawn_ms_avg"] = round(statistics.mean(charts))
        out["station_charts_drawn_ms_max"] = round(max(charts))
        out["credit_lineage_painted_ms_avg"] = round(statistics.mean(lineage))
        out["credit_lineage_painted_ms_max"] = round(max(lineage))
        say(
            f"charts drawn after {out['station_charts_drawn_ms_avg']} ms, lineage painted after "
            f"{out['credit_lineage_painted_ms_avg']} ms"
        )
        page.goto(pages["credit_lineage"])
        out["browser_cores"] = page.evaluate("navigator.hardwareConcurrency")
        started = time.perf_counter()
        page.locator("#verify-button").click()
        page.wait_for_selector("#verify-verdict:not([hidden])", timeout=600_000)
        out["verify_credit_seconds"] = round(time.perf_counter() - started, 1)
        out["verify_credit_passed"] = (
            page.locator("#verify-verdict").get_attribute("data-passed") == "true"
        )
        say(
            f"verify in the browser: {out['verify_credit_seconds']} s, "
            f"passed {out['verify_credit_passed']}"
        )
        browser.close()
    return out
