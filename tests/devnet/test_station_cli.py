"""`essl station plan|apply|show` through the real executable against the test anvil: a station
file brought onto the chain, applied again (nothing sent), changed (one lease: one write; one
device removed: deactivated) and read back."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from devnet.world import DEMO_STATION_FILE, demo_world, world_station_file
from ledger.client import Ledger
from ledger.errors import StationDrift, StationFileError
from ledger.onboarding import find_station, plan
from ledger.registry import RegistryClient
from ledger.settings import LedgerSettings
from ledger.station_file import load_station_file, parse_station_file
from tests.devnet.cli import Essl, essl_group


@pytest.fixture
def run(ledger: Ledger, anvil_url: str, session_settings: LedgerSettings, tmp_path: Path) -> Essl:
    return essl_group("station", anvil_url, session_settings, tmp_path)


def nonce(ledger: Ledger, account: str) -> int:
    return int(ledger.w3.eth.get_transaction_count(account))


def test_the_committed_demo_station_file_is_the_demo_world() -> None:
    assert load_station_file(DEMO_STATION_FILE) == world_station_file(demo_world())


def test_apply_registers_then_plans_nothing_then_one_write_per_change(
    ledger: Ledger, run: Essl, tmp_path: Path
) -> None:
    world = demo_world()
    first = run("apply", str(DEMO_STATION_FILE))
    assert first.returncode == 0, first.stderr
    assert "Plan: 16 to add, 0 to change, 0 to remove." in first.stdout
    station_id = find_station(ledger, world.station.external_code)
    assert station_id > 0
    registry = RegistryClient(ledger)
    assert (
        int(ledger.tx.call(registry.contract.functions.participantsOf(station_id)).__len__()) == 5
    )

    senders = [world.admin.address, world.station_operator.address, world.grid_operator.address]
    before = [nonce(ledger, a) for a in senders]
    again = run("apply", str(DEMO_STATION_FILE))
    assert again.returncode == 0, again.stderr
    assert "No changes: the chain matches the file." in again.stdout
    assert [nonce(ledger, a) for a in senders] == before

    text = DEMO_STATION_FILE.read_text()
    changed = tmp_path / "changed.toml"
    # The first lease (Qinghai Wind 1) grows; the last meter is gone from the file.
    head, leases = text.split("[[leases]]", 1)
    changed.write_text(
        head.split('[[devices]]\nname = "meter 5"')[0]
        + "[[leases]]"
        + leases.replace("leased_wh = 30000000", "leased_wh = 32000000", 1)
    )
    planned = run("plan", str(changed))
    assert planned.returncode == 0, planned.stderr
    assert "Plan: 0 to add, 1 to change, 1 to remove." in planned.stdout
    assert "~ lease Qinghai Wind 1" in planned.stdout
    assert "- deactivate device" in planned.stdout
    assert [nonce(ledger, a) for a in senders] == before  # plan sends nothing

    applied = run("apply", str(changed))
    assert applied.returncode == 0, applied.stderr
    after = [nonce(ledger, a) for a in senders]
    # one lease write by the grid operator, one deactivation by the station operator
    assert [b - a for a, b in zip(before, after, strict=True)] == [0, 1, 1]
    gen = world.participants[0].address
    leased, _, _ = ledger.tx.call(registry.contract.functions.leaseOf(station_id, gen))
    assert leased == 32_000_000
    meter5 = registry.device_of(world.devices[-1].address)
    assert registry.device(meter5).active is False
    assert "No changes" in run("plan", str(changed)).stdout

    shown = run("show", str(station_id))
    assert shown.returncode == 0, shown.stderr
    back = tomllib.loads(shown.stdout)
    assert back["station"] == tomllib.loads(text)["station"]
    assert len(back["devices"]) == len(world.devices) - 1
    assert {d["external_code"] for d in back["devices"]} == {
        d.external_code for d in world.devices[:-1]
    }
    assert {(le["participant"], le["leased_wh"]) for le in back["leases"]} == {
        (p.address, 32_000_000 if p.address == gen else p.leased_wh) for p in world.participants
    }


def test_a_changed_station_parameter_is_refused_naming_it(ledger: Ledger, run: Essl) -> None:
    assert run("apply", str(DEMO_STATION_FILE)).returncode == 0
    data = tomllib.loads(DEMO_STATION_FILE.read_text())
    data["station"]["capacity_wh"] = 1
    with pytest.raises(StationDrift, match="capacity_wh is 200000000 on-chain, 1 in the file"):
        plan(ledger, parse_station_file(data))


def test_unknown_keys_and_bad_values_are_named() -> None:
    data = tomllib.loads(DEMO_STATION_FILE.read_text())
    data["station"]["colour"] = "blue"
    data["devices"][1]["rated_power_w"] = -5
    with pytest.raises(StationFileError) as caught:
        parse_station_file(data, "s.toml")
    message = str(caught.value)
    assert "station.colour: unknown key" in message
    assert "devices.1.rated_power_w" in message
