"""Sign-in and the settlement routes over a real anvil and the `engine` fixture (SQLite, and
PostgreSQL when ESSL_TEST_POSTGRES_URL is set): challenge -> token -> run, read, CSV,
acknowledge and dispute relayed on-chain; 401 without a token, 403 for the wrong role and for
a participant asking for another participant's line."""

from __future__ import annotations

import csv
import io

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.jobs import settle_yesterday
from devnet.world import DAY_START, World
from ledger.client import Ledger
from ledger.index.indexer import Indexer
from ledger.reasons import reason_texts
from ledger.settlement import verify_line
from ledger.settlement.anchor import (
    Response,
    SettlementAnchorClient,
    StatementState,
    line_response,
    reason_hash,
)
from ledger.settlement.runs import stored_statement
from ledger.settlement.statement import Line
from tests.settlement_helpers import PERIOD

Headers = dict[str, str]


def sign_in(api: TestClient, who: LocalAccount) -> Headers:
    message = api.post("/v1/auth/challenge", json={"address": who.address}).json()["message"]
    signature = Account.sign_message(encode_defunct(text=message), who.key).signature.hex()
    reply = api.post("/v1/auth/token", json={"message": message, "signature": signature})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}


def run(api: TestClient, headers: Headers, station: int) -> dict[str, object]:
    reply = api.post(
        "/v1/settlements", json={"station_id": station, "period": PERIOD}, headers=headers
    )
    assert reply.status_code == 200, reply.text
    body: dict[str, object] = reply.json()
    return body


# -- sign-in -----------------------------------------------------------------------------------


def test_sign_in_returns_a_token_with_the_on_chain_roles(api: TestClient, world: World) -> None:
    message = api.post("/v1/auth/challenge", json={"address": world.grid_operator.address}).json()[
        "message"
    ]
    assert message.startswith("localhost:8000 wants you to sign in with your Ethereum account:\n")
    for field in ("URI: ", "Version: 1", "Chain ID: 31337", "Nonce: ", "Issued At: ", "Expiration"):
        assert field in message
    signed = Account.sign_message(encode_defunct(text=message), world.grid_operator.key)
    body = {"message": message, "signature": signed.signature.hex()}
    reply = api.post("/v1/auth/token", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["roles"] == ["grid_operator"]
    assert reply.json()["address"] == world.grid_operator.address

    again = api.post("/v1/auth/token", json=body)  # the nonce is single use
    assert again.status_code == 401 and again.json()["error"]["code"] == "unauthorized"

    participant = world.participants[0].account
    roles = api.post("/v1/auth/token", json=_signed_by(api, participant, participant)).json()
    assert roles["roles"] == ["participant"]


def _signed_by(api: TestClient, claimed: LocalAccount, signer: LocalAccount) -> dict[str, str]:
    message = api.post("/v1/auth/challenge", json={"address": claimed.address}).json()["message"]
    signature = Account.sign_message(encode_defunct(text=message), signer.key).signature.hex()
    return {"message": message, "signature": signature}


def test_a_challenge_signed_by_another_key_is_refused(api: TestClient, world: World) -> None:
    body = _signed_by(api, world.grid_operator, world.participants[0].account)
    reply = api.post("/v1/auth/token", json=body)
    assert reply.status_code == 401
    assert world.participants[0].address in reply.json()["error"]["message"]


def test_routes_need_a_valid_token(api: TestClient, station: int) -> None:
    assert api.get(f"/v1/settlements/{station}/{PERIOD}").status_code == 401
    bad = {"Authorization": "Bearer eyJzdWIiOiIweDAwIn0.forged"}
    assert api.get(f"/v1/settlements/{station}/{PERIOD}", headers=bad).status_code == 401
    reply = api.post("/v1/settlements", json={"station_id": station, "period": PERIOD})
    assert reply.status_code == 401


# -- run and read ------------------------------------------------------------------------------


def test_operator_runs_and_everyone_reads_what_they_may(
    api: TestClient, world: World, station: int, server: Ledger
) -> None:
    grid = sign_in(api, world.grid_operator)
    first = run(api, grid, station)
    assert (first["version"], first["lines"], first["supersedes"], first["reused"]) == (
        1,
        5,
        0,
        False,
    )
    assert run(api, grid, station)["reused"] is True  # same root: nothing sent again

    station_op = sign_in(api, world.station_operator)
    regulator = sign_in(api, world.regulator)
    for headers in (grid, station_op, regulator):
        full = api.get(f"/v1/settlements/{station}/{PERIOD}", headers=headers)
        assert full.status_code == 200, full.text
        body = full.json()
        assert body["state"] == "pending" and body["root"] == first["root"]
        assert len(body["lines"]) == 5
        assert body["totals"]["net"] == sum(ln["net"] for ln in body["lines"]) == first["net_total"]

    table = api.get(f"/v1/settlements/{station}/{PERIOD}/statement.csv", headers=regulator)
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(table.text)))
    assert rows[0][0] == "participant" and rows[-1][0] == "TOTAL" and len(rows) == 7
    # Losses at the terms' measured round trip; the registry's efficiency is the ledger's
    # bound, shown beside it so the two numbers are not mistaken for each other.
    assert (body["loss_source"], body["registry_efficiency_bps"]) == (
        "efficiency",
        world.station.round_trip_efficiency_bps,
    )
    assert {r[-1] for r in rows[1:]} == {f"efficiency {body['loss_efficiency_ppm']}"}

    gen = world.participants[0]
    mine = api.get(f"/v1/settlements/{station}/{PERIOD}", headers=sign_in(api, gen.account))
    assert mine.status_code == 200, mine.text
    own = mine.json()
    assert "lines" not in own and own["line"]["participant"] == gen.address
    # 6 MWh charged in the 12:30-14:00 call at min(0.3247, cap 0.30) CNY/kWh = 1,800 CNY
    assert own["line"]["peak_pay"] == 180_000 and own["line"]["peak_charged_wh"] == 6_000_000

    # the proof holds against the root anchored on-chain
    anchored = SettlementAnchorClient(server).statement_of(station, PERIOD, 1)
    assert own["root"] == "0x" + anchored.lines_root.hex()
    fields = {k: v for k, v in own["line"].items() if k not in ("line_hash", "response")}
    line = Line(
        station_id=station,
        period_start=own["period_start"],
        period_end=own["period_end"],
        terms_hash=bytes.fromhex(own["terms_hash"][2:]),
        **fields,
    )
    assert "0x" + line.leaf.hex() == own["leaf"]
    assert verify_line(anchored.lines_root, line, [bytes.fromhex(p[2:]) for p in own["proof"]])


def test_a_participant_never_sees_another_participants_line(
    api: TestClient, world: World, station: int
) -> None:
    run(api, sign_in(api, world.grid_operator), station)
    gen, con = world.participants[0], world.participants[3]
    headers = sign_in(api, gen.account)
    other = api.get(
        f"/v1/settlements/{station}/{PERIOD}", params={"participant": con.address}, headers=headers
    )
    assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden"
    self_named = api.get(
        f"/v1/settlements/{station}/{PERIOD}", params={"participant": gen.address}, headers=headers
    )
    assert self_named.status_code == 200 and self_named.json()["line"]["participant"] == gen.address
    csv_reply = api.get(f"/v1/settlements/{station}/{PERIOD}/statement.csv", headers=headers)
    assert csv_reply.status_code == 403
    refused = api.post(
        "/v1/settlements", json={"station_id": station, "period": PERIOD}, headers=headers
    )
    assert refused.status_code == 403

    # an operator may ask for one line
    grid = sign_in(api, world.grid_operator)
    one = api.get(
        f"/v1/settlements/{station}/{PERIOD}", params={"participant": con.address}, headers=grid
    )
    assert one.status_code == 200 and one.json()["line"]["participant"] == con.address

    # someone with no line at all (the verifier) sees nothing
    verifier = sign_in(api, world.verifier)
    assert api.get(f"/v1/settlements/{station}/{PERIOD}", headers=verifier).status_code == 403


def test_signatures_that_do_not_recover_are_refused_by_the_response_routes(
    api: TestClient, world: World, station: int
) -> None:
    from tests.api.test_bad_input import UNRECOVERABLE

    run(api, sign_in(api, world.grid_operator), station)
    headers = sign_in(api, world.participants[0].account)
    for kind, signature in UNRECOVERABLE.items():
        for route in ("acknowledge", "dispute"):
            reply = api.post(
                f"/v1/settlements/{station}/{PERIOD}/{route}",
                json={
                    "version": 1,
                    "signature_deadline": 2**40,
                    "signature": signature,
                    "reason": "x",
                },
                headers=headers,
            )
            assert reply.status_code == 403, (kind, reply.text)
            assert "signature" in reply.json()["error"]["message"]


def test_unknown_statement_and_bad_parameters(api: TestClient, world: World, station: int) -> None:
    grid = sign_in(api, world.grid_operator)
    missing = api.get(f"/v1/settlements/{station}/{PERIOD + 1}", headers=grid)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    for path in (f"/v1/settlements/{station}/20261340", "/v1/settlements/0/20261123"):
        reply = api.get(path, headers=grid)
        assert reply.status_code == 422, path
        assert reply.json()["error"]["code"] == "invalid_parameter"
    bad_version = api.get(f"/v1/settlements/{station}/{PERIOD}?version=0", headers=grid)
    assert bad_version.status_code == 422
    no_terms = api.post(
        "/v1/settlements", json={"station_id": station, "period": 20261101}, headers=grid
    )
    assert no_terms.status_code == 409 and "terms" in no_terms.json()["error"]["message"]


# -- acknowledge and dispute through the API ---------------------------------------------------


def _response_body(
    server: Ledger,
    engine: Engine,
    station: int,
    who: LocalAccount,
    kind: Response,
    reason: str = "",
) -> dict[str, object]:
    """What a participant's wallet sends: its EIP-712 LineResponse signature."""
    anchor = SettlementAnchorClient(server)
    deadline = int(server.w3.eth.get_block("latest")["timestamp"]) + 600
    with Session(engine) as session:
        version, statement = stored_statement(session, station, PERIOD)
    response = line_response(
        statement,
        PERIOD,
        version,
        who.address,
        reason_hash=reason_hash(reason) if reason else bytes(32),
        signature_deadline=deadline,
    )
    signature = response.sign(bytes(who.key), kind, server.chain_id, anchor.address)
    body: dict[str, object] = {
        "version": version,
        "signature_deadline": deadline,
        "signature": "0x" + signature.hex(),
    }
    if reason:
        body["reason"] = reason
    return body


def test_acknowledge_and_dispute_are_relayed_on_chain(
    api: TestClient, world: World, station: int, server: Ledger, engine: Engine
) -> None:
    run(api, sign_in(api, world.grid_operator), station)
    gen, con = world.participants[0], world.participants[3]
    url = f"/v1/settlements/{station}/{PERIOD}"

    ack = _response_body(server, engine, station, gen.account, Response.ACKNOWLEDGED)
    reply = api.post(f"{url}/acknowledge", json=ack, headers=sign_in(api, gen.account))
    assert reply.status_code == 200, reply.text
    assert reply.json()["response"] == "acknowledged"

    # a signature that is not the caller's own
    con_headers = sign_in(api, con.account)
    forged = _response_body(server, engine, station, gen.account, Response.DISPUTED, "wrong")
    assert api.post(f"{url}/dispute", json=forged, headers=con_headers).status_code == 403

    reason = "call-window charging 13:45-14:00 is missing"
    dispute = _response_body(server, engine, station, con.account, Response.DISPUTED, reason)
    reply = api.post(f"{url}/dispute", json=dispute, headers=con_headers)
    assert reply.status_code == 200, reply.text
    assert reply.json()["reason_hash"] == "0x" + reason_hash(reason).hex()

    again = api.post(f"{url}/acknowledge", json=ack, headers=sign_in(api, gen.account))
    assert again.status_code == 409
    assert "SettlementAnchorAlreadyResponded" in again.json()["error"]["message"]

    # an account without a line cannot respond, whatever it signs
    stranger = api.post(f"{url}/acknowledge", json=ack, headers=sign_in(api, world.verifier))
    assert stranger.status_code == 403

    anchor = SettlementAnchorClient(server)
    assert anchor.response_of(station, PERIOD, 1, gen.address) is Response.ACKNOWLEDGED
    assert anchor.response_of(station, PERIOD, 1, con.address) is Response.DISPUTED
    Indexer(server, engine).run_once()
    lines = api.get(url, headers=sign_in(api, world.regulator)).json()["lines"]
    responses = {ln["participant"]: ln["response"] for ln in lines}
    assert responses[gen.address] == "acknowledged" and responses[con.address] == "disputed"
    # the regulator reads the dispute's reason in words; the forged one was never stored
    reasons = {ln["participant"]: ln["reason"] for ln in lines}
    assert reasons[con.address] == reason and reasons[gen.address] is None
    with Session(engine) as session:
        assert reason_texts(session, [reason_hash("wrong")]) == {}
    own = api.get(url, headers=con_headers).json()["line"]
    assert "reason" not in own  # a participant's own line keeps its fields


# -- the daily job -----------------------------------------------------------------------------


def test_daily_job_settles_yesterday_for_each_station(
    server: Ledger, engine: Engine, station: int
) -> None:
    today_noon = DAY_START + 86_400 + 12 * 3600
    runs = settle_yesterday(server, engine, now=today_noon)
    assert [(r.station_id, r.period, r.version) for r in runs] == [(station, PERIOD, 1)]
    assert SettlementAnchorClient(server).state(station, PERIOD, 1) is StatementState.PENDING
    assert settle_yesterday(server, engine, now=today_noon)[0].reused  # idempotent
    assert settle_yesterday(server, engine, now=today_noon + 86_400) == []  # nothing indexed


def test_a_settlement_line_is_traced_to_the_energy_it_settles(
    api: TestClient, world: World, station: int, engine: Engine, ledger: Ledger
) -> None:
    run(api, sign_in(api, world.grid_operator), station)
    Indexer(ledger, engine).run_once()  # the anchoring event
    gen, con = world.participants[0], world.participants[3]
    own = sign_in(api, gen.account)
    url = f"/v1/trace/settlements/{station}/{PERIOD}"
    reply = api.get(f"{url}/{gen.address}", params={"summary": True}, headers=own)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    line = body["line"]
    assert line["line"]["participant"] == gen.address
    assert body["anchor"]["lines_root"] == line["root"]
    with Session(engine) as s:
        _, statement = stored_statement(s, station, PERIOD, None)
    assert verify_line(
        bytes.fromhex(line["root"][2:]),
        statement.line_for(gen.address),
        [bytes.fromhex(p[2:]) for p in line["proof"]],
    )
    assert body["account"]["participant"] == gen.address
    assert body["account"]["paging"]["total_intervals"] > 0
    assert api.get(f"{url}/{con.address}", headers=own).status_code == 403
    regulator = sign_in(api, world.regulator)
    assert (
        api.get(f"{url}/{con.address}", params={"summary": True}, headers=regulator).status_code
        == 200
    )
