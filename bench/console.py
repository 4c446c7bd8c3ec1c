"""The web console at demo scale: the demo day (96 intervals, 15,840 signed readings, one credit)
on a throwaway anvil, the API with the console on a free port, then
- server time per page (in-process requests, 30 rounds after one warm-up): average, worst, p50
  and p95, and the full (generation 2) garbage collections during the rounds (gc.callbacks);
  over SQLite, and also over PostgreSQL when ESSL_BENCH_POSTGRES_URL names a server (a scratch
  database indexed from the same chain is created there and dropped after);
- in Debian's Chromium (Playwright): time from navigation until the station day charts are
  drawn, and until the credit page (its lineage is server-rendered SVG) has painted (5 each);
- verify-in-browser of the demo credit (every batch root and device signature), wall time of
  each run in a fresh browser context (nothing cached), average and worst.
Each figure is printed beside its target (`targets`, `meets_targets`), and the 1-minute load
average at the start of each part (`load_*`): the figures are wall times on a shared machine.
Chromium is found at /usr/bin/chromium (or ESSL_CHROMIUM); without it the browser figures are
left out and `browser` says why."""

from __future__ import annotations

import gc
import math
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
VERIFY_RUNS = 2
TARGETS = {
    "server_p95_ms": 150,  # every page, at demo scale
    "station_charts_drawn_ms": 1500,  # average and worst
    "credit_lineage_painted_ms": 1500,
    "verify_credit_seconds": 10,
}
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


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _children_cpu_seconds() -> float | None:
    """CPU time (user + system) of this process's descendants so far (Chromium, its Playwright
    driver, anvil), from /proc; None elsewhere. Beside a wall time on a loaded machine it says
    how much work the browser did."""
    try:
        children: dict[int, list[tuple[int, int]]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                children.setdefault(int(fields[1]), []).append(
                    (int(entry), int(fields[11]) + int(fields[12]))
                )
    except OSError:
        return None
    ticks, stack = 0, [os.getpid()]
    while stack:
        for pid, used in children.get(stack.pop(), []):
            ticks += used
            stack.append(pid)
    return ticks / os.sysconf("SC_CLK_TCK")


class _FullCollections:
    """Generation-2 garbage collections (count, milliseconds each) while it is installed."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.times.append((time.perf_counter() - self._started) * 1000)

    def __enter__(self) -> _FullCollections:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self)


def _server_times(app: Any, pages: dict[str, str], say: Any, tag: str = "") -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with TestClient(app) as client:
        for name, path in pages.items():
            assert client.get(path).status_code == 200, path
            times = []
            with _FullCollections() as full:
                for _ in range(ROUNDS):
                    started = time.perf_counter()
                    client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
            key = f"{tag}{name}"
            figures[f"{key}_avg_ms"] = round(statistics.mean(times), 1)
            figures[f"{key}_max_ms"] = round(max(times), 1)
            figures[f"{key}_p50_ms"] = round(statistics.median(times), 1)
            figures[f"{key}_p95_ms"] = round(_percentile(times, 0.95), 1)
            figures[f"{key}_full_gcs"] = len(full.times)
            figures[f"{key}_full_gc_max_ms"] = round(max(full.times, default=0.0), 1)
            say(
                f"{key}: avg {figures[f'{key}_avg_ms']} ms, worst {figures[f'{key}_max_ms']} ms, "
                f"p50 {figures[f'{key}_p50_ms']} ms, p95 {figures[f'{key}_p95_ms']} ms "
                f"(target p95 <= {TARGETS['server_p95_ms']} ms); {len(full.times)} full GCs "
                f"(worst {figures[f'{key}_full_gc_max_ms']} ms)"
            )
    return figures


def _postgres_times(
    settings: LedgerSettings, demo: dict[str, Any], pages: dict[str, str], say: Any
) -> dict[str, Any]:
    """The same pages over PostgreSQL: a scratch database indexed from the same chain."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from api.db import create_all
    from ledger.db import make_engine
    from ledger.index.batches import index_archived
    from ledger.index.indexer import Indexer

    server_url = os.environ["ESSL_BENCH_POSTGRES_URL"]
    name = f"essl_bench_console_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        ledger = open_ledger(settings)
        engine = make_engine(url)
        create_all(engine)
        Indexer(ledger, engine).run_once()
        index_archived(engine, Path(demo["archive"]))
        engine.dispose()
        say("indexed the demo chain into a scratch PostgreSQL database")
        app = create_app(
            ApiSettings(database_url=url, archive_dir=demo["archive"], run_indexer=False),
            ledger=ledger,
        )
        return {"load_server_pg": _load(), **_server_times(app, pages, say, tag="pg_")}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _meets(figures: dict[str, Any]) -> dict[str, bool]:
    meets = {
        "server_p95_ms": all(
            v <= TARGETS["server_p95_ms"] for k, v in figures.items() if k.endswith("_p95_ms")
        )
    }
    for name in ("station_charts_drawn_ms", "credit_lineage_painted_ms"):
        if f"{name}_max" in figures:
            meets[name] = figures[f"{name}_max"] <= TARGETS[name]
    if "verify_credit_seconds_max" in figures:
        meets["verify_credit_seconds"] = (
            figures["verify_credit_seconds_max"] <= TARGETS["verify_credit_seconds"]
            and figures["verify_credit_passed"]
        )
    return meets


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
        "rounds": ROUNDS,
        "targets": TARGETS,
        "load_server": _load(),
        "gc_tracked_objects": len(gc.get_objects()),  # what a full collection walks
    }
    figures.update(_server_times(app, pages, say))
    if os.environ.get("ESSL_BENCH_POSTGRES_URL"):
        figures.update(_postgres_times(settings, demo, pages, say))
    chromium = _chromium()
    if chromium is None:
        figures["browser"] = "no Chromium found: apt-get install chromium"
        figures["meets_targets"] = _meets(figures)
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
    figures["meets_targets"] = _meets(figures)
    return figures


def _browser(chromium: str, base: str, pages: dict[str, str], say: Any) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {"load_browser": _load()}
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
        page.close()
        out["station_charts_drawn_ms_avg"] = round(statistics.mean(charts))
        out["station_charts_drawn_ms_max"] = round(max(charts))
        out["credit_lineage_painted_ms_avg"] = round(statistics.mean(lineage))
        out["credit_lineage_painted_ms_max"] = round(max(lineage))
        say(
            f"charts drawn after {out['station_charts_drawn_ms_avg']} ms on average, worst "
            f"{out['station_charts_drawn_ms_max']} ms; lineage painted after "
            f"{out['credit_lineage_painted_ms_avg']} ms, worst "
            f"{out['credit_lineage_painted_ms_max']} ms (targets <= 1500 ms)"
        )
        out["load_verify"] = _load()
        seconds, passed, chain_ms, cpu = [], [], [], []
        for _ in range(VERIFY_RUNS):
            context = browser.new_context(base_url=base)  # nothing cached from the last run
            page = context.new_page()
            page.goto(pages["credit_lineage"])
            out["browser_cores"] = page.evaluate("navigator.hardwareConcurrency")
            cpu_before = _children_cpu_seconds()
            started = time.perf_counter()
            page.locator("#verify-button").click()
            page.wait_for_selector("#verify-verdict:not([hidden])", timeout=600_000)
            seconds.append(time.perf_counter() - started)
            cpu_after = _children_cpu_seconds()
            if cpu_before is not None and cpu_after is not None:
                cpu.append(cpu_after - cpu_before)
            verdict = page.locator("#verify-verdict")
            passed.append(verdict.get_attribute("data-passed") == "true")
            chain = verdict.get_attribute("data-chain-ms")  # the chain read (newer builds)
            chain_ms.append(float(chain) if chain else float("nan"))
            out["verify_worker_shares"] = verdict.get_attribute("data-shares")
            context.close()
            say(
                f"verify in the browser: {seconds[-1]:.1f} s (target <= "
                f"{TARGETS['verify_credit_seconds']} s), passed {passed[-1]}, chain read in "
                f"{chain_ms[-1]:.0f} ms, batches per worker {out['verify_worker_shares']}"
            )
        out["verify_credit_runs"] = VERIFY_RUNS
        out["verify_credit_seconds_avg"] = round(statistics.mean(seconds), 1)
        out["verify_credit_seconds_max"] = round(max(seconds), 1)
        if not any(math.isnan(c) for c in chain_ms):
            out["verify_credit_chain_read_ms_avg"] = round(statistics.mean(chain_ms))
        if len(cpu) == VERIFY_RUNS:  # the work done, whatever else ran: Chromium, driver, anvil
            out["verify_credit_cpu_seconds_avg"] = round(statistics.mean(cpu), 1)
        out["verify_credit_passed"] = all(passed)
        out["load_end"] = _load()
        browser.close()
    return out
