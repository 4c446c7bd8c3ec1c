from __future__ import annotations

import re
from pathlib import Path

import pytest

from oracle.reading import DeviceDomain
from oracle.sources import RawRejected
from oracle.sources.replay import ReplaySource, write_csv, write_jsonl
from tests.oracle.conftest import DAY_START, new_sim


def _readings(domain: DeviceDomain) -> list:  # type: ignore[type-arg]
    return new_sim(domain, seed=2).readings_between(DAY_START, DAY_START + 120)


def test_jsonl_round_trip_with_a_malformed_line(tmp_path: Path, domain: DeviceDomain) -> None:
    readings = _readings(domain)
    path = tmp_path / "day.jsonl"
    write_jsonl(path, readings)
    lines = path.read_text().splitlines()
    lines.insert(3, re.sub(r'"seq":\d+', '"seq":"7"', lines[3]))
    lines.insert(5, "not json at all")
    path.write_text("\n".join(lines) + "\n")
    items = list(ReplaySource(path).readings())
    bad = [i for i in items if isinstance(i, RawRejected)]
    assert [i for i in items if not isinstance(i, RawRejected)] == readings
    assert [b.origin for b in bad] == ["day.jsonl:4", "day.jsonl:6"]
    assert "seq" in bad[0].detail and bad[0].device == readings[3].reading.device
    assert "not JSON" in bad[1].detail


def test_csv_round_trip_with_a_malformed_line(tmp_path: Path, domain: DeviceDomain) -> None:
    readings = _readings(domain)
    path = tmp_path / "day.csv"
    write_csv(path, readings)
    lines = path.read_text().splitlines()
    cells = lines[2].split(",")
    cells[8] = "99999"  # socBps beyond uint16
    lines[2] = ",".join(cells)
    lines.append("1,2,3")
    path.write_text("\n".join(lines) + "\n")
    items = list(ReplaySource(path).readings())
    bad = [i for i in items if isinstance(i, RawRejected)]
    good = [i for i in items if not isinstance(i, RawRejected)]
    assert good == readings[:1] + readings[2:]
    assert [b.origin for b in bad] == ["day.csv:3", f"day.csv:{len(lines)}"]
    assert "socBps" in bad[0].detail and "cells" in bad[1].detail


def test_a_resumed_replay_continues_after_its_checkpoint(
    tmp_path: Path, domain: DeviceDomain
) -> None:
    readings = _readings(domain)
    for name, write in (("day.jsonl", write_jsonl), ("day.csv", write_csv)):
        path = tmp_path / name
        write(path, readings)
        first = ReplaySource(path)
        items = first.readings()
        taken = [next(items) for _ in range(5)]
        state = first.checkpoint()
        resumed = ReplaySource(path, resume=state)
        rest = list(resumed.readings())
        assert resumed.resumed_at == state["line"]
        assert taken + rest == readings, name
        assert list(ReplaySource(path, resume=resumed.checkpoint()).readings()) == []


def test_a_different_file_at_the_checkpointed_path_is_read_from_the_top(
    tmp_path: Path, domain: DeviceDomain, caplog: pytest.LogCaptureFixture
) -> None:
    readings = _readings(domain)
    path = tmp_path / "day.jsonl"
    write_jsonl(path, readings)
    source = ReplaySource(path)
    items = source.readings()
    for _ in range(5):
        next(items)
    state = source.checkpoint()
    write_jsonl(path, readings[1:])  # replaced: same name, other content
    with caplog.at_level("WARNING"):
        replaced = ReplaySource(path, resume=state)
    assert replaced.resumed_at is None and "reading it from the top" in caplog.text
    assert list(replaced.readings()) == readings[1:]
    write_jsonl(path, readings[:2])  # shortened below the checkpoint
    assert ReplaySource(path, resume=state).resumed_at is None
