"""The quarantine: every reading the oracle rejects is stored here with its reason code and
its raw payload, so nothing is silently dropped and an operator can inspect or replay it.
One SQL table over any SQLAlchemy URL (a SQLite file by default, PostgreSQL in production)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from oracle.reading import SignedReading
from oracle.sources import RawRejected
from oracle.validate import Reason, Verdict

DEFAULT_URL = "sqlite:///oracle-quarantine.sqlite"


class QuarantinedReading(SQLModel, table=True):
    __tablename__ = "oracle_quarantine"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(index=True)
    device: str | None = Field(default=None, index=True, max_length=42)
    station_id: int | None = Field(default=None, index=True)
    seq: int | None = None
    reason: str = Field(index=True, max_length=40)
    detail: str
    raw: str  # the payload as received (JSON text for parsed readings)


class Quarantine:
    """Stores rejected readings. `put` commits each row: a crash never loses a reject."""

    def __init__(self, engine_or_url: Engine | str = DEFAULT_URL) -> None:
        if isinstance(engine_or_url, str):
            engine_or_url = create_engine(engine_or_url)
        self.engine = engine_or_url
        table: Any = QuarantinedReading.__table__  # type: ignore[attr-defined]
        # Only our table: other packages share SQLModel's metadata.
        SQLModel.metadata.create_all(self.engine, tables=[table])

    def put(
        self,
        *,
        reason: Reason,
        detail: str,
        raw: str,
        device: str | None = None,
        station_id: int | None = None,
        seq: int | None = None,
        received_at: datetime | None = None,
    ) -> int:
        row = QuarantinedReading(
            received_at=received_at or datetime.now(UTC),
            device=device,
            station_id=station_id,
            seq=seq,
            reason=reason.value,
            detail=detail,
            raw=raw,
        )
        with Session(self.engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            assert row.id is not None
            return row.id

    def reject(
        self, signed: SignedReading, verdict: Verdict, received_at: datetime | None = None
    ) -> int:
        """Quarantine a parsed reading that `Validator.validate` rejected."""
        if verdict.reason is None:
            raise ValueError("only rejected readings go to quarantine")
        r = signed.reading
        return self.put(
            reason=verdict.reason,
            detail=verdict.detail,
            raw=signed.to_json(),
            device=r.device,
            station_id=r.station_id,
            seq=r.seq,
            received_at=received_at,
        )

    def reject_raw(self, item: RawRejected, received_at: datetime | None = None) -> int:
        """Quarantine a payload that could not even be parsed (MALFORMED)."""
        return self.put(
            reason=item.reason,
            detail=item.detail,
            raw=item.raw,
            device=item.device,
            received_at=received_at,
        )

    def list(
        self, station_id: int | None = None, reason: Reason | str | None = None, limit: int = 100
    ) -> Sequence[QuarantinedReading]:
        query = select(QuarantinedReading)
        if station_id is not None:
            query = query.where(QuarantinedReading.station_id == station_id)
        if reason is not None:
            query = query.where(QuarantinedReading.reason == str(reason))
        query = query.order_by(col(QuarantinedReading.id).desc()).limit(limit)
        with Session(self.engine) as session:
            return session.exec(query).all()

    def count_by_reason(self) -> dict[str, int]:
        query = select(QuarantinedReading.reason, func.count()).group_by(QuarantinedReading.reason)
        with Session(self.engine) as session:
            return {reason: int(n) for reason, n in session.exec(query).all()}
