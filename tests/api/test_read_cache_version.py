"""The rendered-answer cache: an answer is kept while no event or batch file is indexed (the
checkpoint moving on with empty blocks does not expire it), any new event or rewind does,
and a route with large answers gives up its own answers before the small ones of others."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, col, delete

from api.cache import ReadCache, data_version
from ledger.db import make_engine
from ledger.index.batches import BatchFileRow
from ledger.index.tables import ChainEvent, Checkpoint, SeenBlock


class Answer(BaseModel):
    n: int


def _event(session: Session, block: int, log_index: int, block_hash: str) -> None:
    session.add(
        ChainEvent(
            block_number=block,
            log_index=log_index,
            tx_hash="0x" + "ab" * 32,
            contract="StorageLedger",
            event="IntervalReported",
            args_json="{}",
        )
    )
    session.merge(SeenBlock(block_number=block, block_hash=block_hash))
    session.commit()


def test_the_version_moves_with_events_and_batch_files_not_with_empty_blocks() -> None:
    engine = make_engine("sqlite://")
    with Session(engine) as session:
        empty = data_version(session)
        _event(session, 10, 0, "0x10")
        first = data_version(session)
        assert first != empty
        session.merge(Checkpoint(name="main", chain_id=1, block_number=50, block_hash="0x50"))
        session.commit()
        assert data_version(session) == first  # blocks without events of the suite
        _event(session, 51, 2, "0x51")
        second = data_version(session)
        assert second != first
        # a reorg that keeps the latest event's position but replaces its block
        session.merge(SeenBlock(block_number=51, block_hash="0x51bis"))
        session.commit()
        assert data_version(session) not in (first, second)
        session.exec(delete(ChainEvent).where(col(ChainEvent.block_number) > 10))
        session.exec(delete(SeenBlock).where(col(SeenBlock.block_number) > 10))
        session.commit()
        assert data_version(session) == first  # rewound
        session.add(BatchFileRow(root="0x01", reading_count=1, valid=True, indexed_at=0))
        session.commit()
        assert data_version(session) != first


def test_answers_are_kept_until_the_data_moves() -> None:
    engine = make_engine("sqlite://")
    cache = ReadCache()
    builds: list[int] = []

    def build() -> Answer:
        builds.append(1)
        return Answer(n=len(builds))

    with Session(engine) as session:
        assert cache.json(session, ("r", 1), build).body == b'{"n":1}'
        assert cache.json(session, ("r", 1), build).body == b'{"n":1}'
        _event(session, 3, 0, "0x03")
        assert cache.json(session, ("r", 1), build).body == b'{"n":2}'
        assert cache.json(session, ("r", 2), lambda: b'{"raw":true}').body == b'{"raw":true}'
    assert len(builds) == 2


def test_the_route_holding_the_most_bytes_gives_way() -> None:
    engine = make_engine("sqlite://")
    cache = ReadCache(max_entries=100, max_bytes=10_000)
    small = b'{"small":1}'
    with Session(engine) as session:
        cache.json(session, ("small", 1), lambda: small)
        for page in range(1, 6):
            cache.json(session, ("trace", page), lambda: b"[" + b"0," * 1500 + b"0]")
        rebuilt: list[int] = []

        def again() -> bytes:
            rebuilt.append(1)
            return small

        cache.json(session, ("small", 1), again)
        assert not rebuilt  # the large route evicted its own oldest pages, not this
        kept = [p for p in range(1, 6) if cache._get(("trace", p), data_version(session))]
    assert kept == [p for p in range(6 - len(kept), 6)] and 0 < len(kept) < 5
