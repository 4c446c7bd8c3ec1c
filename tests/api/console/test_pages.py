"""Each console page shows what the chain holds: the figures asserted here are read straight
from the contracts and their events (web3), never from the API."""

from __future__ import annotations

from typing import Any

from eth_hash.auto import keccak

from ledger.credits import CreditsClient
from ledger.registry import RegistryClient
from ledger.reports import participant_records
from ledger.storage import StorageLedgerClient
from tests.api.console.conftest import Demo, screenshot


def logs(demo: Demo, contract: str, event: str, **filters: Any) -> list[Any]:
    ev = getattr(demo.ledger.contract(contract).events, event)()
    return list(ev.get_logs(argument_filters=filters or None, from_block=0))


def station_id(demo: Demo) -> int:
    return int(demo.result["stations"][0])


def test_stations_page_lists_the_station_with_its_on_chain_interval_count(
    page: Any, demo: Demo
) -> None:
    sid = station_id(demo)
    on_chain = logs(demo, "StorageLedger", "ReportAccepted", stationId=sid)
    page.goto("/console/stations")
    row = page.locator(f"#stations tr[data-station='{sid}']")
    assert row.locator("[data-count]").inner_text() == str(len(on_chain))
    capacity = RegistryClient(demo.ledger).station(sid)["capacity_wh"]
    assert row.locator("[data-wh]").get_attribute("data-wh") == str(capacity)
    assert row.locator("[data-wh]").inner_text() == f"{capacity / 1e6:,.3f} MWh"
    screenshot(page, "stations")


def test_station_page_shows_registry_facts_and_draws_the_day_charts(page: Any, demo: Demo) -> None:
    sid = station_id(demo)
    page.goto(f"/console/stations/{sid}")
    (registered,) = logs(demo, "Registry", "StationRegistered", stationId=sid)
    assert page.locator("#external-code").inner_text() == registered["args"]["externalCode"]
    assert (
        keccak(registered["args"]["externalCode"].encode())
        == RegistryClient(demo.ledger).station(sid)["external_code_hash"]
    )
    leases = {
        e["args"]["participant"]: e["args"]["leasedWh"]
        for e in logs(demo, "Registry", "LeaseSet", stationId=sid)
    }
    for participant, leased in leases.items():
        cell = page.locator(f"#leases tr[data-participant='{participant}'] [data-wh]")
        assert cell.get_attribute("data-wh") == str(leased)
    for e in logs(demo, "Registry", "DeviceRegistered", stationId=sid):
        row = page.locator(f"#devices tr[data-device='{e['args']['deviceId']}']")
        assert row.locator(f"[data-key='{e['args']['signer']}']").count() == 1
        assert e["args"]["externalCode"] in row.inner_text()
    signers, threshold, _ = RegistryClient(demo.ledger).oracle_set_at(
        RegistryClient(demo.ledger).oracle_config().version
    )
    assert page.locator("#oracle-set").get_attribute("data-threshold") == str(threshold)
    assert sorted(
        page.locator("[data-oracle]").evaluate_all("els => els.map(e => e.dataset.oracle)")
    ) == sorted(signers)
    # The day view: the demo day's intervals, each linking to its report; the charts drawn.
    reports = logs(demo, "StorageLedger", "ReportAccepted", stationId=sid)
    assert page.locator("#intervals tbody tr").count() == len(reports)
    first = min(reports, key=lambda e: e["args"]["intervalStart"])
    row = page.locator(f"#intervals tr[data-start='{first['args']['intervalStart']}']")
    assert row.locator("[data-readings]").inner_text() == str(first["args"]["readingCount"])
    charged = sum(r.charged_wh for r in participant_records(bytes(first["args"]["participants"])))
    assert row.locator("[data-wh]").first.get_attribute("data-wh") == str(charged)
    page.wait_for_function("document.body.dataset.chartsDrawn", timeout=15_000)
    for chart in ("chart-soc", "chart-energy", "chart-curtailed"):
        assert page.locator(f"#{chart} svg path").count() > 3, chart
    page.evaluate("document.getElementById('day').scrollIntoView()")
    screenshot(page, "station")


def test_report_page_shows_the_report_as_the_chain_emitted_it(page: Any, demo: Demo) -> None:
    sid = station_id(demo)
    reports = logs(demo, "StorageLedger", "ReportAccepted", stationId=sid)
    event = sorted(reports, key=lambda e: e["args"]["intervalStart"])[40]
    a = event["args"]
    page.goto(f"/console/reports/{sid}/{a['intervalStart']}")
    field = lambda name: page.locator(f"#report-fields [data-field='{name}']").inner_text()  # noqa: E731
    assert field("readings_root") == "0x" + bytes(a["readingsRoot"]).hex()
    assert field("digest") == "0x" + bytes(a["digest"]).hex()
    assert field("reading_count") == str(a["readingCount"])
    assert field("block_number") == str(event["blockNumber"])
    shown = page.locator("#signers [data-signer]").evaluate_all(
        "els => els.map(e => e.dataset.signer)"
    )
    assert [s.lower() for s in shown] == [s.lower() for s in a["signers"]]
    for record in participant_records(bytes(a["participants"])):
        row = page.locator(f"#lines tr[data-participant='{record.participant}']")
        assert row.locator("[data-wh]").nth(0).get_attribute("data-wh") == str(record.charged_wh)
        assert row.locator("[data-wh]").nth(1).get_attribute("data-wh") == str(record.discharged_wh)
    # The batch, paged: 20 readings a page, each with its device and a Merkle proof.
    assert page.locator("#readings tbody tr").count() == min(20, a["readingCount"])
    assert page.locator("#readings tbody tr").first.locator("ol.proof li").count() > 0
    screenshot(page, "report")
    page.locator("#next-page").click()
    assert page.locator("#page").inner_text() == "2"
    assert page.locator("#readings tbody tr").first.get_attribute("data-index") == "20"
    page.locator("#up").click()
    page.wait_for_url(f"**/console/stations/{sid}?day=*")


def test_credit_page_shows_the_chains_amounts_and_its_lineage(page: Any, demo: Demo) -> None:
    token = int(demo.result["sample_credit_id"])
    amounts = CreditsClient(demo.ledger).amounts(token)
    page.goto("/console/credits")
    row = page.locator(f"#credits tr[data-credit='{token}']")
    assert row.locator("[data-units='issued']").inner_text() == f"{amounts.issued} kg"
    page.locator(f"#credits tr[data-credit='{token}'] a").first.click()
    page.wait_for_url(f"**/console/credits/{token}")
    for name in ("issued", "live", "retired", "revoked"):
        assert (
            page.locator(f"#amounts [data-units='{name}']").inner_text()
            == f"{getattr(amounts, name)} kg"
        )
    nodes = page.locator("#lineage [data-node]").evaluate_all("els => els.map(e => e.dataset.node)")
    assert nodes == [
        "retirements",
        "issuance",
        "avoided",
        "reports",
        "batches",
        "readings",
        "devices",
    ]
    (request,) = logs(demo, "CarbonCredits", "IssuanceRequested", requestId=token)
    period = (request["args"]["periodStart"], request["args"]["periodEnd"])
    holder = request["args"]["participant"]
    # Reports are sparse: the lineage holds the period's reports that booked the participant.
    in_period = [
        e
        for e in logs(
            demo, "StorageLedger", "ReportAccepted", stationId=request["args"]["stationId"]
        )
        if period[0] <= e["args"]["intervalStart"] < period[1]
        and any(
            r.participant == holder for r in participant_records(bytes(e["args"]["participants"]))
        )
    ]
    assert page.locator("#reports-table tbody tr").count() == len(in_period)
    readings = sum(e["args"]["readingCount"] for e in in_period)
    assert f"{readings:,}" in page.locator("#lineage [data-node='readings']").text_content()
    retired = sum(e["args"]["amount"] for e in logs(demo, "CarbonCredits", "Retired", id=token))
    assert retired == amounts.retired > 0
    assert page.locator("#retirements-table tbody tr").count() == len(
        logs(demo, "CarbonCredits", "Retired", id=token)
    )
    avoided = StorageLedgerClient(demo.ledger).avoided_of(
        request["args"]["stationId"], request["args"]["participant"]
    )
    assert page.locator("#avoided-total").get_attribute("data-grams") == str(avoided.avoided_grams)
    screenshot(page, "credit")


def test_factors_page_lists_every_registered_dataset_with_its_source(page: Any, demo: Demo) -> None:
    page.goto("/console/factors")
    datasets = logs(demo, "EmissionFactors", "DatasetRegistered")
    assert datasets
    for e in datasets:
        section = page.locator(f".dataset[data-version='{e['args']['version']}']")
        assert section.locator("a.source").inner_text() == e["args"]["sourceUri"]
        for region, grams in zip(e["args"]["regions"], e["args"]["gramsPerMWh"], strict=True):
            name = bytes(region).rstrip(b"\0").decode()
            assert section.locator(f"tr[data-region='{name}'] [data-grams]").get_attribute(
                "data-grams"
            ) == str(grams)


def test_pages_switch_to_english_and_fit_a_phone_screen(browser: Any, demo: Demo) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=demo.base)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/console/stations")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "储能电站"
    page.locator("#lang-switch").click()
    assert page.locator("h1").inner_text() == "Stations"
    page.goto(f"/console/credits/{demo.result['sample_credit_id']}")  # the cookie keeps English
    assert page.locator("html").get_attribute("lang") == "en"
    for path in (
        "/console/stations",
        f"/console/stations/{station_id(demo)}",
        "/console/factors",
        f"/console/credits/{demo.result['sample_credit_id']}",
    ):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    screenshot(page, "phone-credit")
    context.close()
    assert not errors, errors


def test_unknown_ids_get_a_404_page_not_a_stack_trace(page: Any, demo: Demo) -> None:
    page.allowed_errors = ("status of 404",)  # the browser logs the 404 itself
    reply = page.goto("/console/credits/999999")
    assert reply.status == 404
    assert "999999" in page.locator(".error").inner_text()
