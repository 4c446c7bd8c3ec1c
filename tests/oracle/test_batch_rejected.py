"""Each batch file carries the interval's rejected readings by reason code (metadata beside the
readings): what the oracle put in its quarantine for that interval, while the root, the report
and the verifier's view of the readings stay exactly the accepted ones. The indexer keeps the
counts when it indexes the batch."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
from sqlmodel import Session

from ledger.client import Ledger
from ledger.db import make_engine
from ledger.index.batches import BatchRejectedRow, index_batch
from ledger.storage import StorageLedgerClient
from oracle.archive import batch_path, read_batch
from oracle.config import ReplaySourceConfig
from oracle.outbox import OutboxState
from oracle.reading import DeviceDomain, SignedReading, sign_reading
from oracle.service import Clock, build_oracle, drain, make_feed, run_due, station_facts
from oracle.sources.replay import write_jsonl
from oracle.sources.simulator import derived_key
from tests.oracle.chain import world_and_config

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "docs" / "schemas" / "batch.schema.json").read_text()
)


def test_the_batch_file_counts_the_intervals_rejects_by_reason_and_the_root_is_unchanged(
    ledger: Ledger, tmp_path: Path
) -> None:
    _, station, sim = world_and_config(ledger, tmp_path, intervals=2)
    facts, _ = station_facts(ledger, sim)
    domain = DeviceDomain(ledger.chain_id, ledger.deployment.address("Registry"))
    feed = make_feed(sim, facts, domain)
    first, second = (list(feed.readings_for_interval(sim.start + k * 900)) for k in range(2))
    signed = [r for r in first if isinstance(r, SignedReading)]
    forger = derived_key(0, "forger")
    forged = [sign_reading(replace(r.reading), forger, domain) for r in signed[:3]]
    replayed = signed[-2:]  # the same readings again: their sequence numbers are used
    day = tmp_path / "day.jsonl"
    write_jsonl(day, [*first, *forged, *replayed, *second])  # type: ignore[list-item]
    config = sim.model_copy(update={"source": ReplaySourceConfig(kind="replay", path=day)})
    oracle = build_oracle(config, ledger.settings)
    assert run_due(oracle, Clock(config.start, 0)) == 2
    drain(oracle)
    rows = oracle.outbox.rows(station)
    assert [r.state for r in rows] == [OutboxState.CONFIRMED] * 2
    quarantined = oracle.quarantine.count_by_reason()
    assert sum(quarantined.values()) == len(forged) + len(replayed) == rows[0].rejected
    assert "BAD_SIGNATURE" in quarantined

    documents = []
    for row in rows:
        path = batch_path(config.archive_dir, bytes.fromhex(row.readings_root[2:]))
        document, readings = read_batch(path)  # the root is its readings' (accepted only)
        jsonschema.validate(document, SCHEMA)
        assert len(readings) == row.accepted
        documents.append(document)
    assert documents[0]["rejected"] == quarantined
    assert documents[1]["rejected"] == {}
    accepted = {json.dumps(r.to_dict(), sort_keys=True) for r in signed}
    assert {json.dumps(r, sort_keys=True) for r in documents[0]["readings"]} <= accepted
    storage = StorageLedgerClient(ledger)
    assert storage.report_of(station, config.start).accepted  # booked

    # The indexer keeps the counts; a file without the field (older) gets no row.
    engine = make_engine("sqlite://")
    with Session(engine) as session:
        for row in rows:
            assert index_batch(session, config.archive_dir, row.readings_root) is not None
        kept = session.get(BatchRejectedRow, rows[0].readings_root)
        assert kept is not None and json.loads(kept.counts_json) == quarantined
        assert kept.total == rows[0].rejected
        empty = session.get(BatchRejectedRow, rows[1].readings_root)
        assert empty is not None and empty.total == 0
    old = tmp_path / "old"
    old.mkdir()
    document = dict(documents[0])
    del document["rejected"]
    (old / f"{rows[0].readings_root}.json").write_text(json.dumps(document))
    jsonschema.validate(document, SCHEMA)  # old files stay valid
    with Session(make_engine("sqlite://")) as session:
        indexed = index_batch(session, old, rows[0].readings_root)
        assert indexed is not None and indexed.valid
        assert session.get(BatchRejectedRow, rows[0].readings_root) is None
