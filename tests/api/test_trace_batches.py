"""Traces read batch leaves from SQL: the first trace (or the leader's job) indexes each
archived batch once, later traces need no file, a batch whose file does not reproduce its root
is not available, and the readings page is capped at depth 5."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from api.app import create_app
from api.settings import ApiSettings
from ledger.db import make_engine
from ledger.index.batches import BatchFileRow, BatchLeafRow, index_archived
from ledger.index.indexer import Indexer
from ledger.merkle import verify as verify_proof
from tests.ledger.verify import conftest as verify_fixtures
from tests.ledger.verify.conftest import CreditWorld

credit_world = verify_fixtures.credit_world  # the verifier tests' module-scoped credit world


def test_traces_answer_from_indexed_leaves_without_the_files(
    credit_world: CreditWorld, tmp_path: Path
) -> None:
    engine = make_engine("sqlite://")
    Indexer(credit_world.ledger, engine).run_once()
    archive = tmp_path / "archive"
    shutil.copytree(credit_world.archive, archive)
    client = TestClient(
        create_app(ApiSettings(archive_dir=archive, run_indexer=False), engine=engine)
    )
    assert index_archived(engine, archive) > 0
    url = f"/v1/trace/credits/{credit_world.token_id}"
    first = client.get(url).json()
    shutil.rmtree(archive)  # from now on only SQL can answer
    again = client.get(url).json()
    assert again == first
    (interval, *_) = again["intervals"]
    batch = interval["batch"]
    assert batch["available"] and len(batch["readings"]) == interval["reading_count"]
    root = bytes.fromhex(interval["readings_root"][2:])
    for reading in batch["readings"]:
        proof = [bytes.fromhex(h[2:]) for h in reading["proof"]]
        assert verify_proof(root, bytes.fromhex(reading["leaf"][2:]), proof)
    with Session(engine) as session:
        leaves = session.exec(select(func.count()).select_from(BatchLeafRow)).one()
        files = session.exec(select(func.count()).select_from(BatchFileRow)).one()
    assert leaves >= files * 2 and files > 0
    capped = client.get(url, params={"page_size": 26})
    assert (
        capped.status_code == 422 and capped.json()["error"]["details"][0]["field"] == "page_size"
    )
    assert client.get(url, params={"page_size": 26, "depth": 4}).status_code == 200


def test_a_batch_file_that_does_not_give_its_root_is_not_available(
    credit_world: CreditWorld, tmp_path: Path
) -> None:
    engine = make_engine("sqlite://")
    Indexer(credit_world.ledger, engine).run_once()
    archive = tmp_path / "archive"
    shutil.copytree(credit_world.archive, archive)
    for path in archive.glob("0x*.json"):
        document = json.loads(path.read_text())
        document["readings"] = document["readings"][1:]  # one reading dropped
        path.write_text(json.dumps(document))
    client = TestClient(
        create_app(ApiSettings(archive_dir=archive, run_indexer=False), engine=engine)
    )
    trace = client.get(f"/v1/trace/credits/{credit_world.token_id}").json()
    batch = trace["intervals"][0]["batch"]
    assert batch["available"] is False and batch["readings"] is None
