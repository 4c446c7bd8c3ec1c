"""API read throughput on the demo's data over PostgreSQL: requests/s and p50/p99 latency per
read route at 16 concurrent clients on loopback, with 1 and 2 worker processes, each route side
by side with /v1/health in the same run (target: every route >= 40 % of /v1/health's rate).
Repeated requests are answered from the rendered-answer cache (api/cache.py); the uncached cost
of the credit trace is measured apart: one client walking every page once over HTTP, and every
page built and rendered in this process without HTTP (wall and CPU time, queries per page).

Needs PostgreSQL: ESSL_BENCH_POSTGRES_URL (or ESSL_TEST_POSTGRES_URL); a scratch database is
created on that server for the run and dropped after. The chain is a throwaway anvil."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.chain import bench_chain

CLIENTS = 16
REQUESTS = 480  # per route and worker count (30 per client)
WARMUP = 32
TARGET_SHARE = 0.40


def _scratch_database(server_url: str) -> tuple[str, str]:
    name = f"essl_bench_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(server_url: str, name: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _routes(demo: dict[str, Any], token: str) -> dict[str, tuple[str, dict[str, str]]]:
    station = demo["stations"][0]
    gen = demo["participants"][0]["address"]
    credit = demo["sample_credit_id"]
    period = demo["settlement"]["period"]
    bearer = {"Authorization": f"Bearer {token}"}
    return {
        "health": ("/v1/health", {}),
        "stations": ("/v1/stations", {}),
        "station": (f"/v1/stations/{station}", {}),
        "intervals": (f"/v1/stations/{station}/intervals?limit=96", {}),
        "balances": (f"/v1/participants/{gen}/balances", {}),
        "credit": (f"/v1/credits/{credit}", {}),
        "factors": ("/v1/emission-factors", {}),
        "trace_credit": (f"/v1/trace/credits/{credit}", {}),
        "trace_account": (f"/v1/trace/participants/{gen}?station_id={station}&depth=3", {}),
        "settlement": (f"/v1/settlements/{station}/{period}", bearer),
    }


def _server_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) of the server process and its descendants, from /proc."""
    try:
        total, todo = 0, [pid]
        while todo:
            p = todo.pop()
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            todo += map(int, Path(f"/proc/{p}/task/{p}/children").read_text().split())
    except (OSError, ValueError, IndexError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


async def _load(
    base: str, path: str, headers: dict[str, str], server_pid: int | None = None
) -> dict[str, float]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        for _ in range(WARMUP):
            (await client.get(path, headers=headers)).raise_for_status()
        latencies: list[float] = []
        per_client = REQUESTS // CLIENTS

        async def one_client() -> None:
            for _ in range(per_client):
                t0 = time.perf_counter()
                reply = await client.get(path, headers=headers)
                latencies.append(time.perf_counter() - t0)
                reply.raise_for_status()

        cpu0 = _server_cpu_s(server_pid) if server_pid else None
        client0 = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client0
        cpu1 = _server_cpu_s(server_pid) if server_pid else None
    latencies.sort()
    figures = {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
        # CPU per request, apart from the machine's load: the load generator's own, and the
        # server's (all its processes) where /proc tells
        "client_cpu_ms": round(client_cpu / len(latencies) * 1000, 2),
    }
    if cpu0 is not None and cpu1 is not None:
        figures["server_cpu_ms"] = round((cpu1 - cpu0) / len(latencies) * 1000, 2)
    return figures


def _cold(base: str, path: str) -> dict[str, float]:
    """First answers (nothing rendered yet): one client walks every page of the trace."""
    pages = httpx.get(base + path, timeout=60).json()["paging"]["pages"]
    times = []
    for page in range(2, pages + 1):
        t0 = time.perf_counter()
        httpx.get(f"{base}{path}?page={page}", timeout=60).raise_for_status()
        times.append(time.perf_counter() - t0)
    times.sort()
    return {
        "pages": len(times),
        "p50_ms": round(times[len(times) // 2] * 1000, 1),
        "max_ms": round(times[-1] * 1000, 1),
        "mean_ms": round(sum(times) / len(times) * 1000, 1),
    }


def _build_cost(url: str, archive: Path, token_id: int, rounds: int = 5) -> dict[str, float]:
    """In this process, no HTTP and no cache: build and render every page of the credit trace
    `rounds` times, as a cache miss does (wall time and this process's CPU time per page)."""
    from sqlalchemy import event
    from sqlmodel import Session

    from api.queries import trace

    engine = create_engine(url)
    statements = [0]
    event.listen(
        engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1)
    )
    walls: list[float] = []
    cpus: list[float] = []
    pages = 1
    for _ in range(rounds):
        page = 1
        while page <= pages:
            w0, c0 = time.perf_counter(), time.process_time()
            with Session(engine) as session:
                built = trace.trace_credit(
                    session=session, archive=archive, token_id=token_id, page=page, rendered=True
                )
                trace.render(built)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
            pages = built.paging.pages if built.paging else 1
            page += 1
    engine.dispose()
    return {
        "builds": len(walls),
        "queries_per_build": round(statements[0] / len(walls), 1),
        "wall_mean_ms": round(sum(walls) / len(walls) * 1000, 1),
        "wall_max_ms": round(max(walls) * 1000, 1),
        "cpu_mean_ms": round(sum(cpus) / len(cpus) * 1000, 1),
        "cpu_max_ms": round(max(cpus) * 1000, 1),
    }


def _serve(workers: int, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    essl = str(Path(sys.executable).parent / "essl")
    command = [essl, "api", "serve", "--no-index", "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _wait_up(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the API exited with {proc.returncode}")
        try:
            if httpx.get(base + "/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the API did not come up")


def run(progress: bool = True) -> dict[str, Any]:
    from api.auth import Actor, make_token
    from api.db import create_all
    from api.settings import ApiSettings
    from devnet.anvil import free_port
    from devnet.demo import run_demo
    from devnet.world import demo_world
    from ledger.index.batches import index_archived

    server_url = os.environ.get("ESSL_BENCH_POSTGRES_URL") or os.environ.get(
        "ESSL_TEST_POSTGRES_URL"
    )
    if not server_url:
        raise SystemExit("set ESSL_BENCH_POSTGRES_URL to a PostgreSQL server URL")
    say = print if progress else (lambda *_: None)
    name, url = _scratch_database(server_url)
    figures: dict[str, Any] = {"clients": CLIENTS, "requests_per_route": REQUESTS}
    try:
        with bench_chain() as ledger, tempfile.TemporaryDirectory() as tmp:
            settings = ledger.settings.model_copy(
                update={"database_url": url, "state_dir": Path(tmp) / "state"}
            )
            say("running the demo world into a scratch PostgreSQL database ...")
            demo = run_demo(settings, port=0, progress=None)
            engine = create_engine(url)
            create_all(engine)
            say(f"indexed {index_archived(engine, Path(demo['archive']))} batch files")
            engine.dispose()
            figures["trace_credit_build"] = _build_cost(
                url, Path(demo["archive"]), demo["sample_credit_id"]
            )
            api_settings = ApiSettings()
            actor = Actor(demo_world().regulator.address, frozenset({"regulator"}), 2**40)
            token = make_token(api_settings, actor, ledger.chain_id)
            routes = _routes(demo, token)
            env = {
                **os.environ,
                "ESSL_DATABASE_URL": url,
                "ESSL_ARCHIVE_DIR": demo["archive"],
                "ESSL_CONNECT_NODE": "false",
            }
            for workers in (1, 2):
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                proc = _serve(workers, port, env, Path(tmp) / f"api-{workers}.log")
                try:
                    _wait_up(base, proc)
                    load_before = round(os.getloadavg()[0], 2)
                    figures[f"workers_{workers}_trace_credit_uncached"] = _cold(
                        base, routes["trace_credit"][0]
                    )
                    results = {}
                    for route, (path, headers) in routes.items():
                        results[route] = asyncio.run(_load(base, path, headers, proc.pid))
                        say(f"{workers} worker(s) {route:>14}: {results[route]}")
                    health = results["health"]["rps"]
                    for r in results.values():
                        r["share_of_health"] = round(r["rps"] / health, 2)
                    figures[f"workers_{workers}"] = results
                    figures[f"workers_{workers}_all_routes_meet_target"] = all(
                        r["share_of_health"] >= TARGET_SHARE for r in results.values()
                    )
                    # the machine's 1-minute load average around the run (other work counts)
                    figures[f"workers_{workers}_load_1m"] = [
                        load_before,
                        round(os.getloadavg()[0], 2),
                    ]
                finally:
                    proc.terminate()
                    proc.wait(timeout=20)
    finally:
        _drop_database(server_url, name)
    return figures
