"""Published reading batches (all signed readings of an interval), content-addressed by their
Merkle root, for anyone to recompute the root and check the device signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse

from api.deps import SettingsDep
from api.errors import NotFound

router = APIRouter(prefix="/v1/batches", tags=["batches"])

Root = Annotated[
    str, Path(pattern=r"^0x[0-9a-f]{64}$", description="Readings Merkle root (lower-case hex).")
]


@router.get("/{root}", response_class=FileResponse)
def get_batch(root: Root, settings: SettingsDep) -> FileResponse:
    path = settings.archive_dir / f"{root}.json"
    if not path.is_file():
        raise NotFound(f"no batch file with root {root} in the archive")
    return FileResponse(path, media_type="application/json")
