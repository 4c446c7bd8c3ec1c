"""Batch files: every signed reading of an interval, content-addressed by the Merkle root, so
anyone can recompute the root and check each device signature without trusting us."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ledger.merkle import MerkleTree
from oracle.aggregate import IntervalBatch
from oracle.errors import BatchCorrupt
from oracle.reading import LEAF_TYPES, SignedReading

FORMAT = "essl-batch/1"


def batch_path(archive: Path, root: bytes) -> Path:
    return archive / f"0x{root.hex()}.json"


def write_batch(
    archive: Path,
    batch: IntervalBatch,
    *,
    chain_id: int,
    registry: str,
    rejected: Mapping[str, int] | None = None,
) -> Path:
    """Write atomically (a reader never sees half a file); an existing file is left as is.
    `rejected` (reason code -> readings quarantined in the interval) is metadata beside the
    readings: the root covers the accepted readings only."""
    path = batch_path(archive, batch.root)
    if path.exists():
        return path
    archive.mkdir(parents=True, exist_ok=True)
    document = {
        "format": FORMAT,
        "root": "0x" + batch.root.hex(),
        "chain_id": chain_id,
        "registry": registry,
        "station_id": batch.station_id,
        "interval_start": batch.interval_start,
        "interval_end": batch.interval_end,
        "leaf_encoding": [t for t in LEAF_TYPES],
        "readings": [r.to_dict() for r in batch.readings],
    }
    if rejected is not None:
        document["rejected"] = {code: int(n) for code, n in sorted(rejected.items()) if n}
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(document, separators=(",", ":")))
    tmp.replace(path)
    return path


def read_batch(path: Path) -> tuple[dict[str, Any], list[SignedReading]]:
    """The document and its readings, after checking the file's root is its content's."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise BatchCorrupt(str(path), "missing") from None
    except ValueError as exc:
        raise BatchCorrupt(str(path), f"not JSON ({exc})") from exc
    readings = [SignedReading.from_dict(r) for r in document.get("readings", [])]
    if not readings:
        raise BatchCorrupt(str(path), "no readings")
    root = "0x" + MerkleTree.from_leaf_hashes([r.leaf() for r in readings]).root.hex()
    if root != document.get("root"):
        raise BatchCorrupt(str(path), f"readings hash to {root}, not {document.get('root')}")
    return document, readings
