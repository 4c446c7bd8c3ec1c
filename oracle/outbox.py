"""The durable outbox: every interval's signed report and where it is on its way to the chain
(signed -> submitted (the signed transaction, kept to rebroadcast) -> included (mined, not
yet final) -> confirmed (final at the configured depth); a reorg or a node that lost the
transaction moves it back), plus each node's validator checkpoint, written in one transaction
with the interval so a kill -9 at any point resumes with nothing lost and nothing sent twice."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Dialect, Engine, String, TypeDecorator, inspect, text
from sqlmodel import Field, Session, SQLModel, col, create_engine, delete, select

from ledger.reports import IntervalReport
from oracle.aggregate import Counters
from oracle.reading import SignedReading
from oracle.sources import RawRejected
from oracle.validate import DeviceState


class OutboxState(StrEnum):
    """Where a report is. Stored as its value, so outbox files written before the enum load."""

    SIGNED = "signed"
    SUBMITTED = "submitted"
    INCLUDED = "included"  # mined in block_number/block_hash, not yet at the confirmation depth
    CONFIRMED = "confirmed"
    FAILED = "failed"
    # An interval with nothing to report (no accepted readings): never sent; the next report
    # starts after it and the contract records the gap. `last_error` holds the reason.
    GAP = "gap"


IN_FLIGHT = (OutboxState.SUBMITTED, OutboxState.INCLUDED)


class _StateColumn(TypeDecorator[OutboxState]):
    """An `OutboxState` in a text column: written as its value, read back as the member."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: OutboxState | None, dialect: Dialect) -> str | None:
        return None if value is None else OutboxState(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> OutboxState | None:
        return None if value is None else OutboxState(value)


class OutboxReport(SQLModel, table=True):
    __tablename__ = "outbox_reports"
    station_id: int = Field(primary_key=True)
    interval_start: int = Field(primary_key=True)
    state: OutboxState = Field(sa_type=_StateColumn, index=True)
    report_json: str
    signatures_json: str  # [[signer, 0x-signature], ...] in contract order
    readings_root: str
    accepted: int
    rejected: int
    tx_hash: str | None = None
    raw_tx: str | None = None  # the signed transaction (0x-hex), rebroadcast as is if lost
    nonce: int | None = None
    block_number: int | None = None
    block_hash: str | None = None
    gas_used: int | None = None
    attempts: int = 0
    last_error: str | None = None
    updated_at: float = 0.0

    @property
    def report(self) -> IntervalReport:
        return IntervalReport.from_json(json.loads(self.report_json))

    @property
    def signatures(self) -> list[bytes]:
        return [bytes.fromhex(sig[2:]) for _, sig in json.loads(self.signatures_json)]


class NodeCheckpoint(SQLModel, table=True):
    """A node's validator state and report baseline after its last committed interval."""

    __tablename__ = "outbox_node_checkpoints"
    node: str = Field(primary_key=True)
    station_id: int = Field(primary_key=True)
    interval_start: int
    devices_json: str  # {device: DeviceState fields}
    counters_json: str  # {participant: [charged, discharged]}


class ReceivedReading(SQLModel, table=True):
    """A payload as received from a live source, kept until its interval is recorded, so a
    crash mid-interval loses nothing the device will not send again."""

    __tablename__ = "outbox_received"
    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(index=True)
    interval_start: int = Field(index=True)
    payload: str  # SignedReading JSON, or the raw text of an unparseable payload
    detail: str | None = None  # set for unparseable payloads: why
    origin: str = ""


def received_row(
    station_id: int, interval_start: int, item: SignedReading | RawRejected
) -> ReceivedReading:
    """The inbox row of a received payload: a reading as its JSON, an unparseable payload as
    its raw text with why it was refused."""
    if isinstance(item, SignedReading):
        return ReceivedReading(
            station_id=station_id, interval_start=interval_start, payload=item.to_json()
        )
    return ReceivedReading(
        station_id=station_id,
        interval_start=interval_start,
        payload=item.raw,
        detail=item.detail,
        origin=item.origin,
    )


TABLES = [OutboxReport.__table__, NodeCheckpoint.__table__, ReceivedReading.__table__]  # type: ignore[attr-defined]
# Columns added after the first outboxes were written: added in place to an older file.
ADDED_COLUMNS = {"outbox_reports": {"raw_tx": "TEXT", "nonce": "INTEGER", "block_hash": "TEXT"}}


def add_missing_columns(engine: Engine, added: dict[str, dict[str, str]]) -> None:
    """Bring tables of an older file up to this version: `added` is table -> column -> SQL
    type of the columns added since; those missing are added in place (older rows: NULL)."""
    tables = inspect(engine)
    for table, columns in added.items():
        have = {c["name"] for c in tables.get_columns(table)}
        with engine.begin() as conn:
            for name, sql_type in columns.items():
                if name not in have:
                    conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}"))


class Outbox:
    def __init__(self, path_or_engine: Path | Engine) -> None:
        if isinstance(path_or_engine, Path):
            path_or_engine.parent.mkdir(parents=True, exist_ok=True)
            path_or_engine = create_engine(f"sqlite:///{path_or_engine}")
        self.engine = path_or_engine
        SQLModel.metadata.create_all(self.engine, tables=TABLES)
        add_missing_columns(self.engine, ADDED_COLUMNS)

    def record_interval(
        self,
        row: OutboxReport,
        checkpoints: list[NodeCheckpoint],
    ) -> None:
        """The signed report and every node's checkpoint, atomically; the interval's received
        payloads are released in the same transaction."""
        row.updated_at = time.time()
        with Session(self.engine) as s:
            s.merge(row)
            for cp in checkpoints:
                s.merge(cp)
            s.exec(
                delete(ReceivedReading).where(  # type: ignore[call-overload]
                    col(ReceivedReading.station_id) == row.station_id,
                    col(ReceivedReading.interval_start) == row.interval_start,
                )
            )
            s.commit()

    def record_gap(
        self, station_id: int, interval_start: int, reason: str, *, rejected: int
    ) -> None:
        """An interval skipped without a report, with its reason, so the oracle moves on; the
        interval's received payloads are released in the same transaction."""
        row = OutboxReport(
            station_id=station_id,
            interval_start=interval_start,
            state=OutboxState.GAP,
            report_json="null",
            signatures_json="[]",
            readings_root="",
            accepted=0,
            rejected=rejected,
            last_error=reason,
        )
        self.record_interval(row, [])

    def receive(
        self, station_id: int, interval_start: int, item: SignedReading | RawRejected
    ) -> None:
        """Keep a payload durably before it is used (committed on return)."""
        with Session(self.engine) as s:
            s.add(received_row(station_id, interval_start, item))
            s.commit()

    def received(self, station_id: int, interval_start: int) -> list[SignedReading | RawRejected]:
        """What an earlier run received for this interval but never recorded, in order."""
        with Session(self.engine) as s:
            rows = s.exec(
                select(ReceivedReading)
                .where(
                    ReceivedReading.station_id == station_id,
                    ReceivedReading.interval_start == interval_start,
                )
                .order_by(col(ReceivedReading.id))
            ).all()
        return [
            RawRejected(r.payload, r.detail, r.origin)
            if r.detail is not None
            else SignedReading.from_json(r.payload)
            for r in rows
        ]

    def update(self, station_id: int, interval_start: int, **fields: object) -> None:
        with Session(self.engine) as s:
            row = s.get(OutboxReport, (station_id, interval_start))
            if row is None:
                raise KeyError((station_id, interval_start))
            for k, v in fields.items():
                setattr(row, k, v)
            row.updated_at = time.time()
            s.add(row)
            s.commit()

    def pending(self, station_id: int) -> list[OutboxReport]:
        """Reports not final yet (signed, submitted or included), oldest first: the relay's
        work, in order."""
        return self.in_states(station_id, (OutboxState.SIGNED, *IN_FLIGHT))

    def in_states(
        self, station_id: int, states: tuple[OutboxState, ...], *, after: int | None = None
    ) -> list[OutboxReport]:
        """The station's reports in `states` (after interval start `after`), oldest first."""
        query = select(OutboxReport).where(
            OutboxReport.station_id == station_id, col(OutboxReport.state).in_(states)
        )
        if after is not None:
            query = query.where(OutboxReport.interval_start > after)
        with Session(self.engine) as s:
            return list(s.exec(query.order_by(col(OutboxReport.interval_start))).all())

    def rows(self, station_id: int) -> list[OutboxReport]:
        with Session(self.engine) as s:
            return list(
                s.exec(
                    select(OutboxReport)
                    .where(OutboxReport.station_id == station_id)
                    .order_by(col(OutboxReport.interval_start))
                ).all()
            )

    def last_interval(self, station_id: int) -> int | None:
        rows = self.rows(station_id)
        return rows[-1].interval_start if rows else None

    def checkpoint(self, node: str, station_id: int) -> NodeCheckpoint | None:
        with Session(self.engine) as s:
            return s.get(NodeCheckpoint, (node, station_id))


def checkpoint_of(
    node: str,
    station_id: int,
    interval_start: int,
    devices: dict[str, DeviceState],
    counters: dict[str, Counters],
) -> NodeCheckpoint:
    return NodeCheckpoint(
        node=node,
        station_id=station_id,
        interval_start=interval_start,
        devices_json=json.dumps({d: asdict(s) for d, s in devices.items()}),
        counters_json=json.dumps({p: [c.charged_wh, c.discharged_wh] for p, c in counters.items()}),
    )


def restore(cp: NodeCheckpoint) -> tuple[dict[str, DeviceState], dict[str, Counters]]:
    devices = {d: DeviceState(**s) for d, s in json.loads(cp.devices_json).items()}
    counters = {p: Counters(c[0], c[1]) for p, c in json.loads(cp.counters_json).items()}
    return devices, counters
