from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.pool import StaticPool
from sqlmodel import create_engine

from oracle.quarantine import Quarantine
from oracle.validate import Reason
from tests.conftest import postgres_url


def _fill(q: Quarantine) -> None:
    q.put(reason=Reason.MALFORMED, detail="line 3: not JSON", raw="{oops")
    for seq in (1, 2):
        q.put(
            reason=Reason.REPLAYED_SEQUENCE, detail="seq", raw="{}", device="0xabc",
            station_id=1, seq=seq,
        )  # fmt: skip
    q.put(reason=Reason.REPLAYED_SEQUENCE, detail="seq", raw="{}", station_id=2, seq=9)


def test_list_filters_and_counts(tmp_path: Path) -> None:
    q = Quarantine(f"sqlite:///{tmp_path / 'q.sqlite'}")
    _fill(q)
    assert q.count_by_reason() == {"MALFORMED": 1, "REPLAYED_SEQUENCE": 3}
    assert [r.seq for r in q.list(station_id=1)] == [2, 1]  # newest first
    assert [r.raw for r in q.list(reason=Reason.MALFORMED)] == ["{oops"]
    assert len(q.list(limit=2)) == 2
    # A second handle on the same file sees the rows: they were committed.
    assert len(Quarantine(f"sqlite:///{tmp_path / 'q.sqlite'}").list()) == 4


def test_in_memory_engine() -> None:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    q = Quarantine(engine)
    _fill(q)
    assert q.list(reason="REPLAYED_SEQUENCE", station_id=2)[0].seq == 9


@pytest.mark.postgres
def test_postgres() -> None:
    url = postgres_url()
    if url is None:
        pytest.skip("ESSL_TEST_POSTGRES_URL is not set")
    q = Quarantine(url)
    before = q.count_by_reason().get("MALFORMED", 0)
    q.put(reason=Reason.MALFORMED, detail="pg", raw="x")
    assert q.count_by_reason()["MALFORMED"] == before + 1
