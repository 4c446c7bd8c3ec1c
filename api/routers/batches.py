"""Published reading batches (all signed readings of an interval), content-addressed by their
Merkle root, for anyone to recompute the root and check the device signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse

from api.deps import SettingsDep
from api.errors import documented
from api.queries import batches

router = APIRouter(prefix="/v1/batches", tags=["batches"])

Root = Annotated[
    str, Path(pattern=r"^0x[0-9a-f]{64}$", description="Readings Merkle root (lower-case hex).")
]


@router.get("/{root}", response_class=FileResponse, responses=documented(404))
def get_batch(root: Root, settings: SettingsDep) -> FileResponse:
    path = batches.batch_path(archive=settings.archive_dir, root=root)
    return FileResponse(path, media_type="application/json")
