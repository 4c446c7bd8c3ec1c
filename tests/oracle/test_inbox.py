"""Live sources keep what they receive in the outbox until the interval is recorded: a crash
mid-interval loses nothing, even if the device never sends it again."""

from __future__ import annotations

from pathlib import Path

from oracle.feed import StreamFeed
from oracle.outbox import Outbox, OutboxReport, OutboxState
from oracle.reading import DeviceDomain, SignedReading
from oracle.source_state import DurableInbox
from oracle.sources.replay import ReplaySource, write_jsonl
from tests.oracle.conftest import DAY_START, new_sim

INTERVAL = 900


def jsons(items: list[object]) -> list[str]:
    return [i.to_json() for i in items if isinstance(i, SignedReading)]


def test_a_crash_mid_interval_loses_no_received_reading(
    domain: DeviceDomain, tmp_path: Path
) -> None:
    readings = new_sim(domain).readings_between(DAY_START, DAY_START + 2 * INTERVAL)
    first_interval = [r for r in readings if r.reading.timestamp < DAY_START + INTERVAL]
    source_file = tmp_path / "live.jsonl"
    write_jsonl(source_file, readings)
    outbox = Outbox(tmp_path / "outbox.sqlite")
    inbox = DurableInbox(outbox)

    feed = StreamFeed(ReplaySource(source_file), INTERVAL, inbox, station_id=1)
    got = feed.readings_for_interval(DAY_START)
    assert jsons(got) == jsons(first_interval)
    assert jsons(outbox.received(1, DAY_START)) == jsons(first_interval)
    # the first reading of the next interval was pulled (to close this one) and kept too
    assert len(outbox.received(1, DAY_START + INTERVAL)) == 1

    # The process dies before recording the interval; the device does not resend.
    gone = tmp_path / "nothing.jsonl"
    gone.write_text("")
    restarted = StreamFeed(ReplaySource(gone), INTERVAL, inbox, station_id=1)
    assert jsons(restarted.readings_for_interval(DAY_START)) == jsons(first_interval)

    outbox.record_interval(
        OutboxReport(
            station_id=1,
            interval_start=DAY_START,
            state=OutboxState.SIGNED,
            report_json="{}",
            signatures_json="[]",
            readings_root="0x",
            accepted=len(first_interval),
            rejected=0,
        ),
        [],
    )
    assert outbox.received(1, DAY_START) == []
    assert len(outbox.received(1, DAY_START + INTERVAL)) == 1
