"""Published reading batches in the archive, content-addressed by their Merkle root."""

from __future__ import annotations

from pathlib import Path

from api.errors import NotFound


def batch_path(*, archive: Path, root: str) -> Path:
    path = archive / f"{root}.json"
    if not path.is_file():
        raise NotFound(f"no batch file with root {root} in the archive")
    return path
