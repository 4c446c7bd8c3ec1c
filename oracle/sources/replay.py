"""A source that replays files of signed readings, for back-filling and regulators' test data.

JSONL: one `SignedReading.to_json()` per line. CSV: a header row with the 18 reading fields
(EIP-712 names) and `signature`, one reading per row. A line that does not parse becomes a
`RawRejected` naming the file and line number, so it reaches the quarantine."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from oracle.errors import MalformedReading
from oracle.reading import READING_FIELDS, SignedReading
from oracle.sources import RawRejected, parse_payload

CSV_COLUMNS = (*(name for name, _ in READING_FIELDS), "signature")
_INT_COLUMNS = frozenset(name for name, kind in READING_FIELDS if kind != "address")


class ReplaySource:
    """Reads `path` (.jsonl or .csv, chosen by suffix) from the start each time it is iterated."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in (".jsonl", ".csv"):
            raise ValueError(f"{self.path}: expected a .jsonl or .csv file")

    def readings(self) -> Iterator[SignedReading | RawRejected]:
        if self.path.suffix.lower() == ".csv":
            yield from self._csv()
        else:
            yield from self._jsonl()

    def _jsonl(self) -> Iterator[SignedReading | RawRejected]:
        with self.path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    yield parse_payload(line.rstrip("\n"), f"{self.path.name}:{number}")

    def _csv(self) -> Iterator[SignedReading | RawRejected]:
        with self.path.open(encoding="utf-8", errors="replace", newline="") as handle:
            rows = csv.reader(handle)
            header = next(rows, None)
            if header is None:
                return
            missing = [c for c in CSV_COLUMNS if c not in header]
            for row in rows:
                number = rows.line_num
                origin = f"{self.path.name}:{number}"
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
