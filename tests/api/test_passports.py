"""The passport routes over the demo's battery story on anvil (an EV pack repurposed into the
station, three packs with daily snapshots), indexed into SQL; every figure is compared with
what the chain says through the typed client, not with the index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.app import create_app
from api.settings import ApiSettings
from devnet.passport_demo import EV_ID, SECOND_LIFE_ID, run_passport_story, story_actors
from devnet.world import World, register_world
from ledger.client import Ledger
from ledger.index.indexer import Indexer
from ledger.index.passport_tables import PASSPORT_TABLES, PassportRow, PassportSnapshotRow
from ledger.passport_model import assess
from ledger.passports import PassportsClient

DAYS = 3


@pytest.fixture
def story(ledger: Ledger, world: World, engine: Engine, tmp_path: Path) -> TestClient:
    station = register_world(ledger, world)
    run_passport_story(ledger, world, station, tmp_path / "archive", days=DAYS, period_s=1800)
    Indexer(ledger, engine).run_once()
    settings = ApiSettings(archive_dir=tmp_path / "archive", run_indexer=False)
    return TestClient(create_app(settings, engine=engine, ledger=ledger))


def _token(client: TestClient, who: LocalAccount) -> dict[str, str]:
    message = client.post("/v1/auth/challenge", json={"address": who.address}).json()["message"]
    signature = Account.sign_message(encode_defunct(text=message), who.key).signature.hex()
    reply = client.post("/v1/auth/token", json={"message": message, "signature": signature})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}


def test_passport_shows_status_lineage_custody_and_installation_as_the_chain_has_them(
    story: TestClient, ledger: Ledger, world: World
) -> None:
    chain = PassportsClient(ledger)
    on_chain = chain.passport(SECOND_LIFE_ID)
    body = story.get(f"/v1/passports/{SECOND_LIFE_ID}").json()
    assert body["passport"] == "0x" + on_chain.key.hex()
    assert body["status"] == on_chain.status.name.lower() == "repurposed"
    assert body["owner"] == on_chain.owner == world.station_operator.address
    assert body["station_id"] == on_chain.station_id
    assert body["bms_device"] == on_chain.bms_device
    ev = chain.passport(EV_ID)
    assert body["predecessor"] == "0x" + ev.key.hex()
    assert [p["passport_id"] for p in body["predecessors"]] == [EV_ID]
    assert body["predecessors"][0]["closed"] is True
    assert body["original_gbt_code"] == chain.created(EV_ID).params.gbt_code
    assert body["attributes"]["params_hash"] == "0x" + on_chain.params_hash.hex()
    history = chain.history(SECOND_LIFE_ID)
    custody = [h for h in history if h.event == "CustodyChanged"]
    assert [c["owner"] for c in body["custody"]] == [c.detail["owner"] for c in custody]
    installs = [h for h in history if h.event in ("PackInstalled", "PackRemoved")]
    assert [(i["station_id"], i["tx_hash"]) for i in body["installations"]] == [
        (h.detail["stationId"], h.tx_hash) for h in installs
    ]
    old = story.get(f"/v1/passports/0x{ev.key.hex()}").json()
    assert old["successor"] == "0x" + on_chain.key.hex() and old["closed"] is True
    listed = story.get("/v1/passports", params={"station_id": on_chain.station_id}).json()
    assert SECOND_LIFE_ID in [p["passport_id"] for p in listed] and len(listed) == 3
    page = story.get("/v1/passports", params={"station_id": on_chain.station_id, "offset": 2})
    assert [p["passport_id"] for p in page.json()] == [listed[2]["passport_id"]]
    everything = story.get("/v1/passports").json()
    assert {p["passport_id"] for p in everything} == {p["passport_id"] for p in listed} | {EV_ID}
    assert story.get("/v1/passports/urn:iso15459:NOPE").status_code == 404


def test_health_is_for_legitimate_interest_only_and_matches_the_anchored_snapshots(
    story: TestClient, ledger: Ledger, world: World
) -> None:
    url = f"/v1/passports/{SECOND_LIFE_ID}/health"
    assert story.get(url).status_code == 401
    stranger = story.get(url, headers=_token(story, world.participants[0].account))
    assert stranger.status_code == 403, stranger.text
    assert story.get(f"{url[:-7]}/assessment").status_code == 401
    operator = _token(story, world.station_operator)
    body = story.get(url, headers=operator).json()
    series = [a.snapshot for a in PassportsClient(ledger).snapshots(SECOND_LIFE_ID)]
    assert len(series) == DAYS
    fields = ("day", "soh_bps", "cycle_count", "discharged_wh_total", "temp_max_deci_c")
    assert [[s[f] for f in fields] for s in body["snapshots"]] == [
        [getattr(s, f) for f in fields] for s in series
    ]
    recycler = _token(story, story_actors().recycler)
    assert story.get(url, headers=recycler).status_code == 200
    model = story.get(f"/v1/passports/{SECOND_LIFE_ID}/assessment", headers=operator).json()
    expected = assess(PassportsClient(ledger).created(SECOND_LIFE_ID).params, series).to_json()
    for name in ("remaining_cycles", "eligibility", "safety", "residual_capacity_wh"):
        assert model[name] == expected[name], name


def test_export_gives_the_public_set_to_anyone_and_the_dynamic_set_to_the_owner(
    story: TestClient, ledger: Ledger, world: World
) -> None:
    url = f"/v1/passports/{SECOND_LIFE_ID}/export"
    public: dict[str, Any] = story.get(url).json()
    assert public["accessLevel"] == "public"
    assert "batteryCondition" not in public["PerformanceAndDurability"]
    assert public["GeneralProductInformation"]["batteryStatus"] == "Repurposed"  # public
    stranger = story.get(url, headers=_token(story, world.participants[0].account)).json()
    assert stranger["accessLevel"] == "public"
    full = story.get(url, headers=_token(story, world.station_operator)).json()
    assert full["accessLevel"] == "legitimate_interest"
    last = PassportsClient(ledger).snapshots(SECOND_LIFE_ID)[-1].snapshot
    condition = full["PerformanceAndDurability"]["batteryCondition"]
    assert condition["numberOfFullCycles"]["numberOfFullCyclesValue"] == last.cycle_count
    assert story.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_reorg_that_drops_the_story_removes_its_passport_rows(
    ledger: Ledger, world: World, engine: Engine, tmp_path: Path
) -> None:
    station = register_world(ledger, world)
    indexer = Indexer(ledger, engine)
    indexer.run_once()
    before = ledger.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    run_passport_story(ledger, world, station, tmp_path / "archive", days=1, period_s=3600)
    indexer.run_once()
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(PassportRow)).one() == 4
        assert s.exec(select(func.count()).select_from(PassportSnapshotRow)).one() == 3
    mined = ledger.w3.eth.block_number
    ledger.w3.provider.make_request("evm_revert", [before])  # type: ignore[arg-type]
    ledger.w3.provider.make_request("anvil_mine", [hex(mined - ledger.w3.eth.block_number + 1)])  # type: ignore[arg-type]
    assert indexer.run_once().rewound_to is not None
    with Session(engine) as s:
        for table in PASSPORT_TABLES:
            assert s.exec(select(func.count()).select_from(table)).one() == 0, table.__tablename__
