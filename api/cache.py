"""Rendered JSON of the public read routes, per process, keyed by the route's arguments and the
version of the indexed data (checkpoint block and hash, and the number of indexed batch
files). The read side only changes when the indexer or the batch projection writes, and either
moves that version, so a cached answer is never staler than the database. Errors are never
cached."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence

from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select

from ledger.index.batches import BatchFileRow
from ledger.index.tables import Checkpoint

Version = tuple[int, str, int]


def data_version(session: Session) -> Version:
    cp = session.exec(select(Checkpoint)).first()
    files = session.exec(select(func.count()).select_from(BatchFileRow)).one()
    return (cp.block_number, cp.block_hash, int(files)) if cp else (-1, "", int(files))


class ReadCache:
    def __init__(self, *, max_entries: int = 256, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[Hashable, tuple[Version, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def _put(self, key: Hashable, version: Version, body: bytes) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old[1])
            self._entries[key] = (version, body)
            self._size += len(body)
            while self._entries and (
                len(self._entries) > self.max_entries or self._size > self.max_bytes
            ):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= len(dropped)

    def json(
        self, session: Session, key: Hashable, build: Callable[[], BaseModel | Sequence[BaseModel]]
    ) -> Response:
        """The rendered answer of `build()` for `key` at the current data version."""
        version = data_version(session)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] == version:
                self._entries.move_to_end(key)
                return Response(hit[1], media_type="application/json")
        value = build()
        if not isinstance(value, BaseModel):
            body = b"[" + b",".join(v.model_dump_json().encode() for v in value) + b"]"
        else:
            body = value.model_dump_json().encode()
        self._put(key, version, body)
        return Response(body, media_type="application/json")
