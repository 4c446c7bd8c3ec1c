"""One leader among the API processes over one database: only the leader runs the indexer and
the daily settlement job.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own; when
the process dies, the server closes that connection and releases the lock, and the next
process to try takes over (every process tries on each job tick). SQLite is single-process:
the one process is always the leader."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, text

log = logging.getLogger("essl.api.leader")
T = TypeVar("T")

# Advisory lock keys (any two distinct bigints; these spell "esslLEAD" and "esslDDL").
LEADER_KEY = 0x6573736C4C454144
SCHEMA_KEY = 0x6573736C44444C


class Leadership:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.shared = engine.dialect.name == "postgresql"
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    @property
    def is_leader(self) -> bool:
        return not self.shared or self._conn is not None

    def _alive(self) -> bool:
        assert self._conn is not None
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception as exc:  # a dropped connection has lost the lock with it
            log.warning("process %s lost the leader connection: %s", os.getpid(), exc)
            self._drop()
            return False

    def _drop(self) -> None:
        if self._conn is not None:
            # invalidate, not close: a pooled connection would keep the session's lock alive
            with contextlib.suppress(Exception):  # already broken; nothing left to release
                self._conn.invalidate()
                self._conn.close()
            self._conn = None

    def acquire(self) -> bool:
        """True when this process is (now) the leader."""
        if not self.shared:
            return True
        with self._lock:
            if self._conn is not None:
                return self._alive()
            conn = self.engine.connect()
            try:
                got = bool(
                    conn.execute(
                        text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_KEY}
                    ).scalar()
                )
                conn.commit()
            except Exception:
                conn.close()
                raise
            if not got:
                conn.close()
                return False
            self._conn = conn
            log.info("process %s is the leader (indexer and settlement jobs)", os.getpid())
            return True

    def release(self) -> None:
        """Step down now (at shutdown); a process that dies steps down when its session ends."""
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
                    self._conn.commit()
            self._drop()

    def run(self, job: Callable[[], T]) -> T | None:
        """Run `job` only while this process leads."""
        if not self.acquire():
            return None
        return job()


def create_tables(engine: Engine, create: Callable[[Connection], None]) -> None:
    """`create(conn)` once at a time across processes: on PostgreSQL under a transaction-level
    advisory lock, so processes starting together never race on CREATE TABLE."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_KEY})
        create(conn)
