"""A source that replays files of signed readings, for back-filling and regulators' test data.

JSONL: one `SignedReading.to_json()` per line. CSV: a header row with the 18 reading fields
(EIP-712 names) and `signature`, one reading per row. A line that does not parse becomes a
`RawRejected` naming the file and line number, so it reaches the quarantine."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from oracle.errors import MalformedReading
from oracle.reading import READING_FIELDS, SignedReading
from oracle.sources import RawRejected, parse_payload

log = logging.getLogger("essl.oracle.replay")

CSV_COLUMNS = (*(name for name, _ in READING_FIELDS), "signature")
_INT_COLUMNS = frozenset(name for name, kind in READING_FIELDS if kind != "address")


class ReplaySource:
    """Reads `path` (.jsonl or .csv, chosen by suffix) once. `checkpoint()` is where it is
    (byte offset and line after the last item yielded, and a SHA-256 of the file up to that
    offset); built with `resume=` that state it carries on from there, provided the file
    still starts with the same bytes (it may have grown). A different or shortened file is
    noticed and read from the top, with a warning."""

    checkpoint_name = "replay"

    def __init__(self, path: Path | str, resume: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in (".jsonl", ".csv"):
            raise ValueError(f"{self.path}: expected a .jsonl or .csv file")
        self._offset = 0
        self._line = 0
        self._digest = hashlib.sha256()
        self.resumed_at: int | None = None  # the line a resume continued after
        if resume is not None:
            self._resume(resume)

    def _resume(self, state: dict[str, Any]) -> None:
        offset, line = int(state.get("offset", 0)), int(state.get("line", 0))
        why = None
        if state.get("path") != str(self.path):
            why = f"the checkpoint is for {state.get('path')}"
        elif not self.path.exists() or self.path.stat().st_size < offset:
            why = f"it is shorter than the checkpointed {offset} bytes"
        else:
            digest = hashlib.sha256()
            with self.path.open("rb") as f:
                digest.update(f.read(offset))
            if digest.hexdigest() != state.get("sha256"):
                why = "its first bytes differ from the file checkpointed"
            else:
                self._offset, self._line, self._digest = offset, line, digest
                self.resumed_at = line
        if why is not None:
            log.warning("replay %s: %s; reading it from the top", self.path, why)

    def checkpoint(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "offset": self._offset,
            "line": self._line,
            "sha256": self._digest.hexdigest(),
        }

    def _lines(self, handle: BinaryIO) -> Iterator[tuple[int, str]]:
        """(line number, text) from the current offset, advancing the checkpoint."""
        handle.seek(self._offset)
        while True:
            raw = handle.readline()
            if not raw:
                return
            self._offset += len(raw)
            self._line += 1
            self._digest.update(raw)
            yield self._line, raw.decode("utf-8", "replace").rstrip("\r\n")

    def readings(self) -> Iterator[SignedReading | RawRejected]:
        with self.path.open("rb") as handle:
            if self.path.suffix.lower() == ".csv":
                yield from self._csv(handle)
            else:
                yield from self._jsonl(handle)

    def _jsonl(self, handle: BinaryIO) -> Iterator[SignedReading | RawRejected]:
        for number, line in self._lines(handle):
            if line.strip():
                yield parse_payload(line, f"{self.path.name}:{number}")

    def _csv(self, handle: BinaryIO) -> Iterator[SignedReading | RawRejected]:
        first = handle.readline()
        if not first:
            return
        header = next(csv.reader([first.decode("utf-8", "replace")]), [])
        if self._offset == 0:
            self._offset, self._line = len(first), 1
            self._digest.update(first)
        missing = [c for c in CSV_COLUMNS if c not in header]
        for number, line in self._lines(handle):
            origin = f"{self.path.name}:{number}"
            row = next(csv.reader([line]), [])
            if not row:
                continue
            raw = _row_text(row)
            if missing:
                yield RawRejected(raw, f"{origin}: columns missing: {missing}", origin)
                continue
            if len(row) != len(header):
                yield RawRejected(
                    raw, f"{origin}: {len(row)} cells, header has {len(header)}", origin
                )
                continue
            try:
                yield SignedReading.from_dict(_typed(dict(zip(header, row, strict=True))))
            except MalformedReading as exc:
                yield RawRejected(raw, f"{origin}: {exc}", origin, row[header.index("device")])


def _typed(cells: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(cells)
    for name in _INT_COLUMNS:
        text = cells[name].strip()
        try:
            out[name] = int(text)
        except ValueError as exc:
            raise MalformedReading(name, f"{text!r} is not an integer") from exc
    return out


def _row_text(row: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue().rstrip("\r\n")


def write_jsonl(path: Path | str, readings: Iterable[SignedReading]) -> None:
    with Path(path).open("w", encoding="utf-8") as out:
        for signed in readings:
            out.write(signed.to_json() + "\n")


def write_csv(path: Path | str, readings: Iterable[SignedReading]) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for signed in readings:
            d = signed.to_dict()
            writer.writerow([d[c] for c in CSV_COLUMNS])
