"""Three API processes over one fresh PostgreSQL: all start (no CREATE TABLE race), exactly one
leads the indexer, and when the leader is killed another takes over and indexes on; the rows
match a single indexer's run exactly (no duplicates, nothing lost)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, text
from sqlmodel import Session, SQLModel, select

from devnet.anvil import free_port
from devnet.world import World, register_world
from ledger.client import Ledger
from ledger.db import make_engine
from ledger.index.indexer import Indexer
from ledger.index.tables import BLOCK_TABLES
from ledger.settings import LedgerSettings
from tests.conftest import postgres_url
from tests.helpers import report, submit

MWH = 1_000_000
pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def pg_url() -> str:
    url = postgres_url()
    if not url:
        pytest.skip("ESSL_TEST_POSTGRES_URL is not set")
    engine = create_engine(url)
    import api.auth  # noqa: F401 - the API's tables are dropped too

    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return url


def _start(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "essl"), "api", "serve", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _health(port: int) -> dict[str, object] | None:
    try:
        reply = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
        return reply.json() if reply.status_code == 200 else None  # type: ignore[no-any-return]
    except httpx.HTTPError:
        return None


def _wait(condition: object, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def processes(
    pg_url: str, session_settings: LedgerSettings, tmp_path: Path
) -> Iterator[dict[int, subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        "ESSL_RPC_URL": session_settings.rpc_url,
        "ESSL_DEPLOYMENTS_DIR": str(session_settings.deployments_dir),
        "ESSL_STATE_DIR": str(session_settings.state_dir),
        "ESSL_DATABASE_URL": pg_url,
        "ESSL_INDEX_EVERY_S": "0.5",
        "ESSL_ARCHIVE_DIR": str(tmp_path / "archive"),
    }
    ports = [free_port() for _ in range(3)]
    procs = {port: _start(port, env, tmp_path / f"api-{port}.log") for port in ports}
    yield procs
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


def _indexed(port: int) -> int:
    block = (_health(port) or {}).get("indexed_block")
    return block if isinstance(block, int) else -1


def _leaders(ports: list[int]) -> list[int]:
    return [p for p in ports if (h := _health(p)) is not None and h["leader"] is True]


def test_three_processes_share_one_database_and_one_leader_indexes(
    ledger: Ledger,
    processes: dict[int, subprocess.Popen[bytes]],
    pg_url: str,
    world: World,
) -> None:
    station = register_world(ledger, world)
    gen = world.participants[0].address
    submit(ledger, world, report(ledger, station, 0, {gen: (10 * MWH, 0)}))
    ports = list(processes)
    _wait(lambda: all(_health(p) is not None for p in ports), "all three processes to serve")
    head = ledger.w3.eth.block_number
    _wait(
        lambda: len(_leaders(ports)) == 1 and _indexed(ports[0]) >= head,
        "one leader to index the head",
    )
    assert len(_leaders(ports)) == 1
    first = _leaders(ports)[0]
    processes[first].send_signal(signal.SIGKILL)
    processes[first].wait(timeout=10)
    rest = [p for p in ports if p != first]

    submit(ledger, world, report(ledger, station, 1, {gen: (10 * MWH, MWH)}))
    head = ledger.w3.eth.block_number
    _wait(
        lambda: len(_leaders(rest)) == 1 and _indexed(rest[0]) >= head,
        "another process to take over and index the new report",
    )
    assert all(processes[p].poll() is None for p in rest)

    reference = make_engine("sqlite://")
    Indexer(ledger, reference).run_once()
    shared = create_engine(pg_url)
    with Session(reference) as ref, Session(shared) as got:
        for table in BLOCK_TABLES:
            want = ref.exec(select(func.count()).select_from(table)).one()
            have = got.exec(select(func.count()).select_from(table)).one()
            assert have == want, f"{table.__tablename__}: {have} rows, a single indexer has {want}"
    shared.dispose()
