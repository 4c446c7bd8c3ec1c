"""The demo's battery story on a deployed suite: the EV pack's passport closed and linked as the
predecessor of the second-life one, three packs with daily snapshots, the second-life pack near
82 % SOH and verified from the chain and the archive; a second run reuses the chain's state."""

from __future__ import annotations

from pathlib import Path

from devnet.passport_demo import EV_ID, SECOND_LIFE_ID, run_passport_story
from devnet.world import demo_world, register_world
from ledger.client import Ledger


def test_battery_story_links_the_second_life_passport_to_the_ev_one(
    ledger: Ledger, tmp_path: Path
) -> None:
    world = demo_world()
    station = register_world(ledger, world)
    passports = run_passport_story(ledger, world, station, tmp_path / "archive", days=4)
    assert [p["snapshots"] for p in passports] == [4, 4, 4]
    second = passports[2]
    assert second["passport_id"] == SECOND_LIFE_ID and second["status"] == "repurposed"
    assert second["predecessor"]["passport_id"] == EV_ID
    assert second["predecessor"]["closed"] and second["predecessor"]["status"] == "original"
    assert 8_000 <= second["soh_bps"] <= 8_250
    assert second["verified"] is True
    assert all(p["predecessor"] is None for p in passports[:2])
    assert passports[0]["soh_bps"] > passports[1]["soh_bps"] > second["soh_bps"]
    again = run_passport_story(ledger, world, station, tmp_path / "archive", days=4)
    assert [p["key"] for p in again] == [p["key"] for p in passports]
