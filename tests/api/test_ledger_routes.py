from fastapi.testclient import TestClient

from devnet.world import DAY_START, INTERVAL_S, World
from ledger.client import Ledger
from ledger.storage import StorageLedgerClient

MWH = 1_000_000


def test_health_reports_the_indexed_block(client: TestClient, indexed: tuple[Ledger, int]) -> None:
    body = client.get("/v1/health").json()
    assert body["status"] == "ok" and body["chain_id"] == 31337 and body["indexed_block"] > 0


def test_stations_list_and_detail(
    client: TestClient, indexed: tuple[Ledger, int], world: World
) -> None:
    _, station = indexed
    listed = client.get("/v1/stations").json()
    assert [s["station_id"] for s in listed] == [station]
    detail = client.get(f"/v1/stations/{station}").json()
    assert detail["capacity_wh"] == 200 * MWH and detail["region"] == "CN-QH"
    assert detail["intervals_on_chain"] == 2
    assert sorted(detail["participants"]) == sorted(p.address for p in world.participants)


def test_unknown_station_is_a_json_404(client: TestClient, indexed: tuple[Ledger, int]) -> None:
    reply = client.get("/v1/stations/999")
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"


def test_bad_parameters_are_422_naming_the_field(client: TestClient) -> None:
    reply = client.get("/v1/stations/abc")
    assert reply.status_code == 422
    assert "station_id" in reply.json()["error"]["message"]
    reply = client.get("/v1/participants/0x1234/balances")
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "invalid_parameter"
    reply = client.get("/v1/stations/1/intervals", params={"from": -5})
    assert reply.status_code == 422 and "from" in reply.json()["error"]["message"]


def test_intervals_filter_by_time(client: TestClient, indexed: tuple[Ledger, int]) -> None:
    _, station = indexed
    everything = client.get(f"/v1/stations/{station}/intervals").json()
    assert [i["interval_start"] for i in everything] == [DAY_START, DAY_START + INTERVAL_S]
    second = client.get(
        f"/v1/stations/{station}/intervals", params={"from": DAY_START + 1, "to": DAY_START + 7200}
    ).json()
    assert len(second) == 1 and second[0]["interval_start"] == DAY_START + INTERVAL_S
    assert {p["discharged_wh"] for p in second[0]["participants"]} == {MWH, 3 * MWH}
    backwards = client.get(f"/v1/stations/{station}/intervals", params={"from": 10, "to": 5})
    assert backwards.status_code == 400


def test_balances_equal_the_on_chain_accounts(
    client: TestClient, indexed: tuple[Ledger, int], world: World
) -> None:
    ledger, station = indexed
    con = world.participants[3].address
    body = client.get(f"/v1/participants/{con.lower()}/balances").json()
    (line,) = body["stations"]
    account = StorageLedgerClient(ledger).account_of(station, con)
    assert (line["charged_wh"], line["discharged_wh"], line["balance_wh"], line["losses_wh"]) == (
        account.charged_wh,
        account.discharged_wh,
        account.balance_wh,
        account.losses_wh,
    )
    assert line["leased_wh"] == world.participants[3].leased_wh


def test_report_by_key_and_its_404(client: TestClient, indexed: tuple[Ledger, int]) -> None:
    ledger, station = indexed
    body = client.get(f"/v1/reports/{station}/{DAY_START}").json()
    assert len(body["signers"]) == 2 and body["tx_hash"].startswith("0x")
    receipt = ledger.w3.eth.get_transaction_receipt(body["tx_hash"])
    assert receipt["blockNumber"] == body["block_number"]
    assert client.get(f"/v1/reports/{station}/{DAY_START + 1}").status_code == 404


def test_unknown_batch_is_404_and_bad_root_422(client: TestClient) -> None:
    assert client.get("/v1/batches/0x" + "ab" * 32).status_code == 404
    assert client.get("/v1/batches/nothex").status_code == 422
