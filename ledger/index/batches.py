"""Archived reading batches in SQL: each batch file's readings with their leaf, signer and
Merkle proof, so a provenance trace reads rows instead of parsing files per request, and the
file's counts of rejected readings by reason code.

Content-addressed and off-chain: a row is keyed by the readings root, which the file's own
leaves must reproduce (a file that does not is left out), so a reorg never changes a row and
the tables can always be rebuilt from the archive."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from ledger.errors import MalformedReading
from ledger.index.tables import ReportRow
from ledger.merkle import MerkleTree
from ledger.readings import SignedReading

log = logging.getLogger("essl.index.batches")


class BatchFileRow(SQLModel, table=True):
    """One archived batch whose leaves are in batch_leaves (valid: its leaves give its root)."""

    __tablename__ = "batch_files"
    root: str = Field(primary_key=True)
    reading_count: int
    valid: bool
    indexed_at: int


class BatchLeafRow(SQLModel, table=True):
    """One signed reading of a batch: position in the file, leaf hash, signer and proof."""

    __tablename__ = "batch_leaves"
    root: str = Field(primary_key=True)
    position: int = Field(primary_key=True)
    leaf: str
    signer: str
    reading_json: str  # the signed reading as archived (fields + signature)
    proof_json: str  # ["0x..", ...] sibling hashes up to the root


class BatchRejectedRow(SQLModel, table=True):
    """A batch file's `rejected` counts: readings the oracle quarantined in the interval, by
    reason code. Metadata beside the readings (the root does not cover it); no row for a file
    without the field (written before it existed)."""

    __tablename__ = "batch_rejected"
    root: str = Field(primary_key=True)
    total: int
    counts_json: str  # {"REASON_CODE": n, ...}


def _rejected(root: str, counts: object) -> BatchRejectedRow | None:
    if counts is None:
        return None
    if not isinstance(counts, dict) or not all(
        isinstance(k, str) and type(n) is int and n >= 0 for k, n in counts.items()
    ):
        log.warning("batch %s: `rejected` is not an object of counts, left out", root)
        return None
    text = json.dumps(dict(sorted(counts.items())), separators=(",", ":"))
    return BatchRejectedRow(root=root, total=sum(counts.values()), counts_json=text)


def _rows(root: str, raw: list[dict[str, object]]) -> tuple[bool, list[BatchLeafRow]]:
    signed = [SignedReading.from_dict(r) for r in raw]
    leaves = [s.leaf() for s in signed]
    tree = MerkleTree.from_leaf_hashes(leaves)
    if "0x" + tree.root.hex() != root:
        return False, []
    return True, [
        BatchLeafRow(
            root=root,
            position=i,
            leaf="0x" + leaf.hex(),
            signer=s.reading.device,
            reading_json=json.dumps(raw[i], separators=(",", ":")),
            proof_json=json.dumps(["0x" + h.hex() for h in tree.proof(leaf)]),
        )
        for i, (s, leaf) in enumerate(zip(signed, leaves, strict=True))
    ]


def index_batch(session: Session, archive: Path, root: str) -> BatchFileRow | None:
    """The batch's row, indexing its file first when needed; None when no file is archived."""
    known = session.get(BatchFileRow, root)
    if known is not None:
        return known
    path = archive / f"{root}.json"
    if not path.is_file():
        return None
    rejected = None
    try:
        document = json.loads(path.read_text())
        raw = document["readings"]
        valid, leaves = _rows(root, raw)
        rejected = _rejected(root, document.get("rejected")) if valid else None
    except (ValueError, KeyError, TypeError, MalformedReading) as exc:
        log.warning("batch %s is not a valid batch file: %s", root, exc)
        valid, leaves, raw = False, [], []
    row = BatchFileRow(root=root, reading_count=len(raw), valid=valid, indexed_at=int(time.time()))
    session.add(row)
    session.add_all(leaves)
    if rejected is not None:
        session.add(rejected)
    try:
        session.commit()
    except IntegrityError:  # another process indexed it meanwhile: theirs is the same
        session.rollback()
        return session.get(BatchFileRow, root)
    return row


def index_archived(engine: Engine, archive: Path, *, limit: int = 200) -> int:
    """Index up to `limit` archived batches of accepted reports not indexed yet."""
    with Session(engine) as session:
        roots = session.exec(
            select(ReportRow.readings_root)
            .where(
                col(ReportRow.readings_root).not_in(select(BatchFileRow.root)),
                col(ReportRow.interval_end) > 0,
            )
            .distinct()
            .limit(limit)
        ).all()
        done = 0
        for root in roots:
            if index_batch(session, archive, root) is not None:
                done += 1
        return done
