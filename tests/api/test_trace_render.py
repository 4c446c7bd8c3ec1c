"""The trace routes render depth-5 readings straight from their stored JSON: the bytes are
those of the models' own JSON for every level, page and page size, from one query for the
page's batch files and one for their leaves."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from api.queries import trace
from ledger.db import make_engine
from ledger.index.batches import index_archived
from ledger.index.indexer import Indexer
from tests.ledger.verify import conftest as verify_fixtures
from tests.ledger.verify.conftest import CreditWorld

credit_world = verify_fixtures.credit_world  # the verifier tests' module-scoped credit world


@pytest.mark.parametrize(
    ("depth", "summary", "page", "page_size"),
    [(5, False, 1, 4), (5, False, 2, 1), (5, False, 1, 25), (4, False, 1, 50), (3, True, 1, 4)],
)
def test_rendered_traces_are_the_models_json(
    credit_world: CreditWorld,
    tmp_path: Path,
    depth: int,
    summary: bool,
    page: int,
    page_size: int,
) -> None:
    engine = make_engine("sqlite://")
    Indexer(credit_world.ledger, engine).run_once()
    archive = tmp_path / "archive"
    shutil.copytree(credit_world.archive, archive)
    assert index_archived(engine, archive) > 0
    args: dict[str, Any] = {
        "depth": depth,
        "summary": summary,
        "page": page,
        "page_size": page_size,
    }
    with Session(engine) as session:
        models = trace.trace_credit(
            session=session, archive=archive, token_id=credit_world.token_id, **args
        )
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        rendered = trace.render(
            trace.trace_credit(
                session=session,
                archive=archive,
                token_id=credit_world.token_id,
                rendered=True,
                **args,
            )
        )
        r = models.intervals[0] if models.intervals else None
        account = trace.trace_account(
            session=session,
            archive=archive,
            address=credit_world.world.participants[0].address,
            station_id=credit_world.station,
            **args,
        )
        account_rendered = trace.render(
            trace.trace_account(
                session=session,
                archive=archive,
                address=credit_world.world.participants[0].address,
                station_id=credit_world.station,
                rendered=True,
                **args,
            )
        )
    assert rendered == models.model_dump_json().encode()
    assert account_rendered == account.model_dump_json().encode()
    if depth == 5:
        assert r is not None and r.batch is not None and r.batch.readings
        assert b'"proof":["0x' in rendered
    leaf_queries = [s for s in statements if "FROM batch_leaves" in s]
    file_queries = [s for s in statements if "FROM batch_files" in s and " IN (" in s]
    # three traces since listening, each with one query for the page's batch files and (depth
    # 5) one for their leaves (a root without an indexed file is also looked up by index_batch)
    assert len(file_queries) == (3 if depth >= 4 else 0)
    assert len(leaf_queries) == (3 if depth == 5 else 0)
