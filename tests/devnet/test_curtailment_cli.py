"""`essl curtailment ...` through the real executable against the test anvil, signing with the
grid operator's key taken from an environment variable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from devnet.world import DAY_START, INTERVAL_S, World, demo_world, register_world
from ledger.client import Ledger
from ledger.settings import LedgerSettings
from ledger.storage import StorageLedgerClient
from tests.credit_helpers import QH_GRAMS_PER_MWH
from tests.devnet.cli import Essl, essl_group, key_hex
from tests.helpers import report, submit

MWH = 1_000_000
CHINA = timezone(timedelta(hours=8))


def iso(index: int) -> str:
    """Interval `index` of the demo day as a local (UTC+8) ISO time."""
    return datetime.fromtimestamp(DAY_START + index * INTERVAL_S, CHINA).isoformat()


def flat(text: str) -> str:
    """Console output with the line wrapping undone."""
    return " ".join(text.split())


def grams(wh: int) -> int:
    return wh * QH_GRAMS_PER_MWH // 1_000_000


@pytest.fixture
def world() -> World:
    return demo_world()


@pytest.fixture
def run(
    ledger: Ledger, world: World, anvil_url: str, session_settings: LedgerSettings, tmp_path: Path
) -> Essl:
    return essl_group(
        "curtailment",
        anvil_url,
        session_settings,
        tmp_path,
        GRID_KEY=key_hex(world.grid_operator),
        GEN_KEY=key_hex(world.participants[0].account),
    )


@pytest.fixture
def booked(ledger: Ledger, world: World) -> int:
    """Three booked intervals (cumulative Wh): both generators charge in interval 0, only the
    first in interval 1, no generator in interval 2; a consumer charges throughout."""
    station = register_world(ledger, world)
    gen, gen2, con = (world.participants[i].address for i in (0, 1, 3))
    days = [
        {gen: (4 * MWH, 0), gen2: (2 * MWH, 0), con: (MWH, 0)},
        {gen: (7 * MWH, 0), gen2: (2 * MWH, 0), con: (2 * MWH, 0)},
        {gen: (7 * MWH, 0), gen2: (2 * MWH, 0), con: (3 * MWH, 0)},
    ]
    for i, counters in enumerate(days):
        submit(ledger, world, report(ledger, station, i, counters))
    return station


def test_attest_one_interval_and_show(ledger: Ledger, world: World, booked: int, run: Essl) -> None:
    gen, gen2 = world.participants[0].address, world.participants[1].address
    args = ["--station", str(booked), "--interval", iso(0)]
    pairs = ["--participant", gen, "--wh", "3000000", "--participant", gen2, "--wh", "2000000"]

    refused = run("attest", *args, *pairs, "--key-env", "GEN_KEY")
    assert refused.returncode == 1
    assert "AccessControlUnauthorizedAccount" in refused.stderr

    too_much = run(
        "attest", *args, "--participant", gen2, "--wh", "2000001", "--key-env", "GRID_KEY"
    )
    assert too_much.returncode == 1
    assert "2000001 Wh is more than the 2000000 Wh it charged" in flat(too_much.stderr)

    unpaired = run("attest", *args, *pairs, "--wh", "1", "--key-env", "GRID_KEY")
    assert unpaired.returncode == 2
    assert "one --wh per participant" in unpaired.stderr

    storage = StorageLedgerClient(ledger)
    assert not storage.curtailment_attested(booked, DAY_START)

    done = run("attest", *args, *pairs, "--json", "--key-env", "GRID_KEY")
    assert done.returncode == 0, done.stderr
    rows = {r["participant"]: r for r in json.loads(done.stdout)["charges"]}
    assert rows[gen]["curtailed_wh"] == 3 * MWH and rows[gen]["avoided_grams"] == grams(3 * MWH)
    assert rows[gen2]["avoided_grams"] == grams(2 * MWH)
    assert storage.curtailment_attested(booked, DAY_START)
    assert storage.curtailed_of(booked, gen) == 3 * MWH

    again = run("attest", *args, "--participant", gen, "--wh", "1", "--key-env", "GRID_KEY")
    assert again.returncode == 1
    assert "StorageLedgerCurtailmentAlreadyAttested" in again.stderr

    shown = run("show", "--station", str(booked), "--participant", gen.lower(), "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    # The reports booked -7 MWh at the grid factor; the attestation gave 3 MWh of it back.
    assert (data["charged_wh"], data["curtailed_wh"], data["avoided_grams"]) == (
        7 * MWH,
        3 * MWH,
        -grams(7 * MWH) + grams(3 * MWH),
    )
    assert data["avoided_grams"] == storage.avoided_of(booked, gen).avoided_grams


def test_dispatch_attests_the_generators_charging_in_booked_intervals(
    ledger: Ledger, world: World, booked: int, run: Essl
) -> None:
    gen, gen2, con = (world.participants[i].address for i in (0, 1, 3))
    dispatch = [
        "dispatch",
        "--station",
        str(booked),
        "--from",
        str(DAY_START),
        "--to",
        iso(4),  # interval 3 has no report: not part of the dispatch
        "--participant",
        gen,
        "--participant",
        gen2,
        "--key-env",
        "GRID_KEY",
    ]
    first = run(*dispatch, "--json")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert (doc["booked_intervals"], doc["attested_intervals"], doc["skipped_intervals"]) == (
        3,
        2,
        1,
    )
    assert [i["interval_start"] for i in doc["intervals"]] == [DAY_START, DAY_START + INTERVAL_S]
    assert doc["totals"] == {
        gen: {"curtailed_wh": 7 * MWH, "avoided_grams": grams(4 * MWH) + grams(3 * MWH)},
        gen2: {"curtailed_wh": 2 * MWH, "avoided_grams": grams(2 * MWH)},
    }
    assert "no charging by these participants" in first.stderr

    storage = StorageLedgerClient(ledger)
    assert storage.curtailed_of(booked, gen) == 7 * MWH
    assert storage.curtailed_of(booked, con) == 0
    # All of the generator's charging was curtailed: net zero avoided after the attestations.
    assert storage.avoided_of(booked, gen).avoided_grams == 0

    second = run(*dispatch)
    assert second.returncode == 0, second.stderr
    assert "0 attested, 3 skipped" in flat(second.stdout)
    assert second.stdout.count("already attested") == 2
    assert storage.curtailed_of(booked, gen) == 7 * MWH


def test_times_need_an_offset(run: Essl) -> None:
    result = run(
        "dispatch",
        "--station",
        "1",
        "--from",
        "2026-11-23T10:00",
        "--to",
        datetime.fromtimestamp(DAY_START, UTC).isoformat(),
        "--participant",
        "0x" + "11" * 20,
    )
    assert result.returncode == 2
    assert "has no UTC offset" in result.stderr
