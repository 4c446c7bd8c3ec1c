"""Durable source state next to the outbox (same SQLAlchemy engine, so the same SQLite file):
each source's checkpoint (a replay file's offset, a Modbus gateway's sequence numbers and
acc32 rollover state) is written in the same transaction as the payload it covers enters
the inbox. After a kill -9 a source resumes exactly after the last payload the inbox kept:
nothing is read twice (no REPLAYED_SEQUENCE) and nothing is skipped."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlmodel import Field, Session, SQLModel

from oracle.outbox import Outbox, received_row
from oracle.reading import SignedReading
from oracle.sources import RawRejected

Checkpoint = tuple[str, dict[str, Any]]  # (source name, its state)


class SourceCheckpoint(SQLModel, table=True):
    __tablename__ = "oracle_source_checkpoints"
    station_id: int = Field(primary_key=True)
    source: str = Field(primary_key=True, max_length=200)
    state_json: str
    updated_at: float = 0.0


class DurableInbox:
    """The outbox's inbox of received payloads, plus source checkpoints."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.engine = outbox.engine
        table: Any = SourceCheckpoint.__table__  # type: ignore[attr-defined]
        SQLModel.metadata.create_all(self.engine, tables=[table])

    def receive(
        self,
        station_id: int,
        interval_start: int,
        item: SignedReading | RawRejected,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        """Keep a payload durably (committed on return), and the source's state after it in
        the same transaction."""
        with Session(self.engine) as s:
            s.add(received_row(station_id, interval_start, item))
            if checkpoint is not None:
                s.merge(_row(station_id, checkpoint))
            s.commit()

    def received(self, station_id: int, interval_start: int) -> list[SignedReading | RawRejected]:
        return self.outbox.received(station_id, interval_start)

    def save(self, station_id: int, checkpoint: Checkpoint) -> None:
        with Session(self.engine) as s:
            s.merge(_row(station_id, checkpoint))
            s.commit()

    def checkpoint(self, station_id: int, source: str) -> dict[str, Any] | None:
        with Session(self.engine) as s:
            row = s.get(SourceCheckpoint, (station_id, source))
        return None if row is None else dict(json.loads(row.state_json))


def _row(station_id: int, checkpoint: Checkpoint) -> SourceCheckpoint:
    name, state = checkpoint
    return SourceCheckpoint(
        station_id=station_id,
        source=name,
        state_json=json.dumps(state, sort_keys=True),
        updated_at=time.time(),
    )
