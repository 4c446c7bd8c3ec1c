"""The leader lock on PostgreSQL: of three processes' Leadership, exactly one runs a job at a
time, and when the leader's connection goes, another takes over; SQLite always leads."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from api.leader import Leadership
from ledger.db import make_engine
from tests.conftest import postgres_url


def test_one_leader_runs_the_job_and_another_takes_over() -> None:
    url = postgres_url()
    if not url:
        pytest.skip("ESSL_TEST_POSTGRES_URL is not set")
    engines = [create_engine(url) for _ in range(3)]
    leaders = [Leadership(e) for e in engines]
    try:
        ran: list[int] = []
        for _ in range(3):  # several ticks: the same one runs, every time
            for i, leader in enumerate(leaders):
                leader.run(lambda i=i: ran.append(i))
        assert len(set(ran)) == 1 and len(ran) == 3
        first = ran[0]
        leaders[first].release()  # as when its process dies and the server drops the session
        after: list[int] = []
        for _ in range(2):  # the dead process tries no more
            for i, leader in enumerate(leaders):
                if i != first:
                    leader.run(lambda i=i: after.append(i))
        assert len(set(after)) == 1 and len(after) == 2 and after[0] != first

        # The new leader's server session dies (as with a killed process): the lock goes with it.
        second = after[0]
        held = leaders[second]._conn
        assert held is not None
        pid = held.execute(text("SELECT pg_backend_pid()")).scalar()
        with engines[first].connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        third: list[int] = []
        deadline = time.monotonic() + 10
        while not third and time.monotonic() < deadline:
            for i, leader in enumerate(leaders):
                if i != second:
                    leader.run(lambda i=i: third.append(i))
            time.sleep(0.1)
        assert len(third) == 1 and third[0] != second
    finally:
        for leader in leaders:
            leader.release()
        for engine in engines:
            engine.dispose()


def test_sqlite_is_single_process_and_always_leads() -> None:
    assert Leadership(make_engine("sqlite://")).run(lambda: 7) == 7
