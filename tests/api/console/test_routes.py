"""Console routes and units without a browser: empty tables, bad input, and the unit rules
(the chain's integers shown as people read them, exactly)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.console import units


def test_pages_render_over_empty_tables_in_chinese_by_default(client: TestClient) -> None:
    for path in ("/console/stations", "/console/credits", "/console/factors", "/console/me"):
        reply = client.get(path)
        assert reply.status_code == 200, path
        assert '<html lang="zh-CN">' in reply.text
    english = client.get("/console/stations?lang=en")
    assert '<html lang="en">' in english.text and "essl_lang=en" in english.headers["set-cookie"]


def test_unknown_ids_and_bad_input_name_what_is_wrong(client: TestClient) -> None:
    missing = client.get("/console/stations/7")
    assert missing.status_code == 404 and "station 7" in missing.text
    assert client.get("/console/credits/5").status_code == 404
    bad = client.get("/console/credits/0")
    assert bad.status_code == 422 and "token_id" in bad.text
    assert client.get("/console/stations/1?day=23-11-2026").status_code == 422
    assert client.get("/console/reports/1/-5").status_code == 422
    # Without a chain connection the verifier has nothing to read: say so.
    assert client.get("/console/chain.json").status_code == 503


def test_a_session_needs_a_valid_api_token(client: TestClient) -> None:
    reply = client.post("/console/session", json={"token": "forged.token"})
    assert reply.status_code == 401 and "set-cookie" not in reply.headers


def test_units_show_the_chains_integers_as_people_read_them() -> None:
    assert units.energy(999_999) == "1,000.0 kWh"  # below 1 MWh: kWh
    assert units.energy(200_000_000) == "200.000 MWh"
    assert units.mass(4_700_000) == "4.700 t CO2e"
    assert units.mass(705_000) == "705.0 kg CO2e"
    assert units.money(-6_882_985) == "-68,829.85 CNY"  # fen, exact
    assert units.money(5) == "0.05 CNY"
    assert units.factor(536_600) == "0.5366 kgCO2e/kWh"
    assert units.local_time(1_795_363_200) == "2026-11-23 00:00"  # China time
    assert units.local_day_bounds("2026-11-23") == (1_795_363_200, 1_795_449_600)
