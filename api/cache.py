"""Rendered JSON of the public read routes, per process, keyed by the route's arguments and the
version of the indexed data. Errors are never cached.

The version is the latest indexed event (block and log index), the hash of its block, and the
number of indexed batch files, read in one statement. The indexer writes rows only with events
and a rewind deletes the events above the common ancestor; a reorg at or below the latest
event's block changes that block's hash (each hash commits to its parents), one above it moves
the latest event or leaves the tables as they were; the batch projection adds files. So any
change to what a cached route reads moves the version and an answer is never staler than the
database, while blocks without events of the suite (the checkpoint moving on with every block)
leave it, and the cache, alone.

Entries are grouped by route (the key's first element). When the cache is over its bounds,
the route holding the most bytes gives up its least recently used answer, so a few large
trace pages never push out the small answers of the other routes, nor the other way round."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import Session

Version = tuple[int, int, str, int]

# One round trip: the newest event (primary-key order, so an index lookup) and the batch files.
_VERSION_SQL = text(
    "SELECT e.block_number, e.log_index, b.block_hash, (SELECT count(*) FROM batch_files) "
    "FROM (SELECT 1) AS one LEFT JOIN ("
    "  SELECT block_number, log_index FROM chain_events"
    "  ORDER BY block_number DESC, log_index DESC LIMIT 1"
    ") AS e ON TRUE LEFT JOIN index_blocks AS b ON b.block_number = e.block_number"
)


def data_version(session: Session) -> Version:
    block, log_index, block_hash, files = session.connection().execute(_VERSION_SQL).one()
    if block is None:
        return (-1, -1, "", int(files))
    return (int(block), int(log_index), str(block_hash or ""), int(files))


@dataclass
class _Entry:
    version: Version
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body)


def _route(key: Hashable) -> Hashable:
    return key[0] if isinstance(key, tuple) and key else key


class ReadCache:
    def __init__(self, *, max_entries: int = 512, max_bytes: int = 96 * 1024 * 1024) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._routes: dict[Hashable, OrderedDict[Hashable, _Entry]] = {}
        self._route_bytes: dict[Hashable, int] = {}
        self._count = 0
        self._size = 0
        self._lock = threading.Lock()

    # -- bookkeeping (under the lock) ----------------------------------------------------------

    def _remove(self, key: Hashable) -> None:
        route = _route(key)
        entries = self._routes.get(route)
        old = entries.pop(key, None) if entries is not None else None
        if old is not None:
            self._count -= 1
            self._size -= old.size
            self._route_bytes[route] -= old.size

    def _evict(self) -> None:
        while self._count and (self._count > self.max_entries or self._size > self.max_bytes):
            route = max(self._routes, key=lambda r: (self._route_bytes[r], len(self._routes[r])))
            oldest = next(iter(self._routes[route]))
            self._remove(oldest)

    def _put(self, key: Hashable, entry: _Entry) -> None:
        with self._lock:
            self._remove(key)
            route = _route(key)
            self._routes.setdefault(route, OrderedDict())[key] = entry
            self._route_bytes[route] = self._route_bytes.get(route, 0) + entry.size
            self._count += 1
            self._size += entry.size
            self._evict()

    def _get(self, key: Hashable, version: Version) -> _Entry | None:
        with self._lock:
            entries = self._routes.get(_route(key))
            hit = entries.get(key) if entries is not None else None
            if hit is None or hit.version != version:
                return None
            entries.move_to_end(key)  # type: ignore[union-attr]  # hit implies entries
            return hit

    # -- the one entry point -------------------------------------------------------------------

    def json(
        self,
        session: Session,
        key: Hashable,
        build: Callable[[], BaseModel | Sequence[BaseModel] | bytes],
    ) -> Response:
        """The rendered answer of `build()` for `key` at the current data version (`build`
        may return the rendered JSON itself)."""
        version = data_version(session)
        entry = self._get(key, version)
        if entry is None:
            value = build()
            if isinstance(value, bytes):
                body = value
            elif isinstance(value, BaseModel):
                body = value.model_dump_json().encode()
            else:
                body = b"[" + b",".join(v.model_dump_json().encode() for v in value) + b"]"
            entry = _Entry(version, body)
            self._put(key, entry)
        return Response(entry.body, media_type="application/json")
