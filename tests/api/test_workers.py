"""Three API processes over one fresh PostgreSQL: all start (no CREATE TABLE race), exactly one
leads the indexer, and when the leader is killed another takes over and indexes on; the rows
match a single indexer's run exactly (no duplicates, nothing lost). With the daily settlement
on, the leader anchors yesterday; killed after anchoring (its record of the statement gone,
as if it died between the two), the next leader settles the same day again and the chain
holds that day exactly once: latestVersion 1 and one StatementAnchored event."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from api.db import create_all
from devnet.anvil import free_port
from devnet.settlement_demo import demo_terms
from devnet.world import DAY_START, INTERVAL_S, World, register_world
from ledger.client import Ledger
from ledger.db import make_engine
from ledger.index.indexer import Indexer
from ledger.index.tables import BLOCK_TABLES, SettlementAnchorRow, SettlementStatementDocument
from ledger.settings import LedgerSettings
from ledger.settlement.anchor import SettlementAnchorClient
from ledger.settlement.period import period_bounds, previous_period
from ledger.settlement.runs import ensure_terms
from ledger.storage import StorageLedgerClient
from tests.conftest import postgres_url
from tests.helpers import report, signatures, submit
from tests.settlement_helpers import counters

MWH = 1_000_000
pytestmark = pytest.mark.timeout(360)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh scratch database of its own on the test server (dropped after): other tests
    on that server drop and create tables in its main database at any time."""
    server = postgres_url()
    if not server:
        pytest.skip("ESSL_TEST_POSTGRES_URL is not set")
    name = f"essl_workers_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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


Processes = dict[int, subprocess.Popen[bytes]]


@pytest.fixture
def start_processes(
    pg_url: str, session_settings: LedgerSettings, tmp_path: Path
) -> Iterator[Callable[[dict[str, str]], Processes]]:
    """Start three API processes over the PostgreSQL database (with extra environment)."""
    started: list[subprocess.Popen[bytes]] = []

    def start(extra: dict[str, str]) -> Processes:
        env = {
            **os.environ,
            "ESSL_RPC_URL": session_settings.rpc_url,
            "ESSL_DEPLOYMENTS_DIR": str(session_settings.deployments_dir),
            "ESSL_STATE_DIR": str(session_settings.state_dir),
            "ESSL_DATABASE_URL": pg_url,
            "ESSL_INDEX_EVERY_S": "0.5",
            "ESSL_ARCHIVE_DIR": str(tmp_path / "archive"),
            **extra,
        }
        ports = [free_port() for _ in range(3)]
        procs = {port: _start(port, env, tmp_path / f"api-{port}.log") for port in ports}
        started.extend(procs.values())
        return procs

    yield start
    for proc in started:
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
    start_processes: Callable[[dict[str, str]], Processes],
    pg_url: str,
    world: World,
) -> None:
    processes = start_processes({})
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

    _same_rows_as_one_indexer(ledger, pg_url)


def _same_rows_as_one_indexer(ledger: Ledger, pg_url: str) -> None:
    reference = make_engine("sqlite://")
    Indexer(ledger, reference).run_once()
    shared = create_engine(pg_url)
    with Session(reference) as ref, Session(shared) as got:
        for table in BLOCK_TABLES:
            want = ref.exec(select(func.count()).select_from(table)).one()
            have = got.exec(select(func.count()).select_from(table)).one()
            assert have == want, f"{table.__tablename__}: {have} rows, a single indexer has {want}"
    shared.dispose()


def _book_yesterday(ledger: Ledger, world: World, pg_url: str) -> tuple[int, int]:
    """The world's station with the whole previous local day (by the wall clock, as the daily
    job sees it) on-chain and the demo terms registered and stored. (station, period)."""
    period = previous_period(int(time.time()))
    day_start, _ = period_bounds(period)
    first = (day_start - DAY_START) // INTERVAL_S
    station = register_world(ledger, world)
    gen, con = world.participants[0].address, world.participants[3].address
    storage = StorageLedgerClient(ledger)
    for block in range(0, 96, 24):
        batch = []
        for i in range(block, block + 24):
            g, c = counters(i)
            batch.append(report(ledger, station, first + i, {gen: g, con: c}))
        storage.submit_many(batch, [signatures(ledger, world, r) for r in batch])
    engine = create_engine(pg_url)
    create_all(engine)
    operator = ledger.as_account(world.station_operator)
    ensure_terms(operator, engine, station, demo_terms(DAY_START))
    engine.dispose()
    return station, period


def _anchored_events(ledger: Ledger, station: int, period: int) -> list[dict[str, object]]:
    anchor = SettlementAnchorClient(ledger)
    logs = anchor.contract.events.StatementAnchored().get_logs(
        from_block=ledger.deployment.deploy_block, argument_filters={"stationId": station}
    )
    return [dict(log["args"]) for log in logs if log["args"]["period"] == period]


def _statements(pg_url: str, station: int, period: int) -> list[SettlementStatementDocument]:
    engine = create_engine(pg_url)
    with Session(engine) as session:
        rows = session.exec(
            select(SettlementStatementDocument).where(
                SettlementStatementDocument.station_id == station,
                SettlementStatementDocument.period == period,
            )
        ).all()
    engine.dispose()
    return list(rows)


def test_after_the_leader_dies_each_day_is_anchored_once(
    ledger: Ledger,
    start_processes: Callable[[dict[str, str]], Processes],
    pg_url: str,
    world: World,
) -> None:
    station, period = _book_yesterday(ledger, world, pg_url)
    processes = start_processes(
        {
            "ESSL_SETTLE_DAILY": "true",
            "ESSL_SETTLE_HOUR": "0",
            "ESSL_SETTLE_MINUTE": "0",
            "ESSL_PRIVATE_KEY": "0x" + bytes(world.grid_operator.key).hex(),  # may anchor
        }
    )
    ports = list(processes)
    anchor = SettlementAnchorClient(ledger)
    _wait(lambda: all(_health(p) is not None for p in ports), "all three processes to serve")
    _wait(
        lambda: (
            anchor.latest_version(station, period) >= 1
            and len(_statements(pg_url, station, period)) >= 1
        ),
        "the leader to anchor and record yesterday",
        timeout=120,
    )
    assert len(_leaders(ports)) == 1
    first = _leaders(ports)[0]
    processes[first].send_signal(signal.SIGKILL)
    processes[first].wait(timeout=10)
    (recorded,) = _statements(pg_url, station, period)
    # As if the leader had died between anchoring and recording: only the chain knows.
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM settlement_statements WHERE station_id = :s AND period = :p"),
            {"s": station, "p": period},
        )
    engine.dispose()

    rest = [p for p in ports if p != first]
    _wait(
        lambda: len(_leaders(rest)) == 1 and len(_statements(pg_url, station, period)) >= 1,
        "another process to lead and settle the day again",
        timeout=120,
    )
    time.sleep(3)  # a few more ticks of every process: nothing more may be sent
    assert all(processes[p].poll() is None for p in rest)
    assert len(_leaders(rest)) == 1

    assert anchor.latest_version(station, period) == 1
    events = _anchored_events(ledger, station, period)
    assert [e["version"] for e in events] == [1], f"anchored {len(events)} times: {events}"
    (again,) = _statements(pg_url, station, period)
    assert (again.version, again.root) == (1, recorded.root)
    root = events[0]["linesRoot"]
    assert isinstance(root, bytes) and "0x" + root.hex() == again.root
    assert again.anchor_tx == recorded.anchor_tx  # recovered from the indexed event

    head = ledger.w3.eth.block_number
    _wait(lambda: _indexed(rest[0]) >= head, "the new leader to index the head")
    _same_rows_as_one_indexer(ledger, pg_url)
    shared = create_engine(pg_url)
    with Session(shared) as session:
        anchored = session.exec(
            select(func.count())
            .select_from(SettlementAnchorRow)
            .where(SettlementAnchorRow.station_id == station, SettlementAnchorRow.period == period)
        ).one()
    shared.dispose()
    assert anchored == 1
