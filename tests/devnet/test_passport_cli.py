"""`essl passport ...` through the real executable, each party signing with its own key from an
environment variable: create, transfer, repurpose, install, show, export, status."""

from __future__ import annotations

import json
from pathlib import Path

from devnet.world import demo_world
from ledger.client import Ledger
from ledger.passports import PassportsClient, Status
from ledger.settings import LedgerSettings
from tests.devnet.cli import essl_group, key_hex
from tests.passport_helpers import key, make_actors


def test_passport_life_through_the_cli(
    ledger: Ledger, anvil_url: str, session_settings: LedgerSettings, tmp_path: Path
) -> None:
    world = demo_world()
    pa = make_actors(ledger, world, packs=1)
    run = essl_group(
        "passport",
        anvil_url,
        session_settings,
        tmp_path,
        OEM_KEY=key_hex(key(13)),
        REP_KEY=key_hex(key(14)),
        OPERATOR_KEY=key_hex(world.station_operator),
    )

    def ok(*args: str) -> str:
        done = run(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()

    ev = ok(
        "create",
        "urn:iso15459:CLI:EV:1",
        "--gbt-code",
        "036PBC5C000000CLI1",
        "--manufacturer",
        "Cells Co.",
        "--rated-capacity-wh",
        "75000",
        "--category",
        "ev",
        "--key-env",
        "OEM_KEY",
    )
    rep, operator = key(14).address, world.station_operator.address
    ok("transfer", ev, "--owner", rep, "--key-env", "OEM_KEY")
    new = ok(
        "create",
        "urn:iso15459:CLI:ESS:1",
        "--gbt-code",
        "036PBC5C000000CLI2",
        "--manufacturer",
        "Cells Co.",
        "--rated-capacity-wh",
        "61500",
        "--predecessor",
        ev,
        "--key-env",
        "REP_KEY",
    )
    ok("transfer", new, "--owner", operator, "--key-env", "REP_KEY")
    ok(
        "install",
        new,
        "--station",
        str(pa.station),
        "--bms",
        str(pa.bms[0]),
        "--key-env",
        "OPERATOR_KEY",
    )
    shown = json.loads(ok("show", new, "--json"))
    assert shown["status"] == "repurposed" and shown["predecessor"] == ev
    assert shown["station_id"] == pa.station and shown["lineage"] == [new, ev]
    assert [h["event"] for h in shown["history"]][-2:] == ["CustodyChanged", "PackInstalled"]
    exported = json.loads(ok("export", "urn:iso15459:CLI:ESS:1", "--public"))
    assert exported["essl"]["originalProductIdentifier"] == "036PBC5C000000CLI1"
    refused = run("status", new, "reused", "--key-env", "OPERATOR_KEY")
    assert refused.returncode == 1 and "AccessControlUnauthorizedAccount" in refused.stderr
    assert PassportsClient(ledger).passport(new).status == Status.REPURPOSED
