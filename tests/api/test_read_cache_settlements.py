"""The settlement statement read path's caches: parsed documents per (station, period, version,
root), and rendered answers per view in the read cache. A cached answer is never served to a
caller who may not see it: a participant gets its own line whoever was answered before it, and
naming another participant's line stays 403 once that line is cached. New indexed responses
and a rewritten document are read, not the cached answer."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from devnet.world import World
from ledger.client import Ledger
from ledger.index.indexer import Indexer
from ledger.settlement.anchor import Response
from ledger.settlement.runs import PARSED_STATEMENTS, store_statement, stored_statement
from ledger.settlement.statement import Totals
from tests.api.test_settlements import _response_body, run, sign_in
from tests.settlement_helpers import PERIOD


def _counting(engine: Engine) -> list[int]:
    count = [0]

    def seen(*_: object) -> None:
        count[0] += 1

    event.listen(engine, "before_cursor_execute", seen)
    return count


def test_a_cached_answer_is_served_only_to_callers_allowed_that_view(
    api: TestClient, world: World, station: int, engine: Engine
) -> None:
    run(api, sign_in(api, world.grid_operator), station)
    url = f"/v1/settlements/{station}/{PERIOD}"
    regulator = sign_in(api, world.regulator)
    gen, con = world.participants[0], world.participants[3]
    gen_headers, con_headers = sign_in(api, gen.account), sign_in(api, con.account)
    queries = _counting(engine)

    full = api.get(url, headers=regulator)
    assert full.status_code == 200 and len(full.json()["lines"]) == 5
    first = queries[0]
    assert api.get(url, headers=regulator).content == full.content
    assert queries[0] - first < first  # answered from the cache: fewer round trips

    # every line and the participant's own line are cached now; each caller gets its own view
    con_own = api.get(url, headers=con_headers)
    assert con_own.status_code == 200
    for _ in range(2):
        mine = api.get(url, headers=gen_headers)
        assert mine.status_code == 200, mine.text
        body = mine.json()
        assert "lines" not in body and body["line"]["participant"] == gen.address
        assert con.address not in mine.text and con.address.lower() not in mine.text.lower()
        named = api.get(url, params={"participant": con.address}, headers=gen_headers)
        assert named.status_code == 403 and set(named.json()) == {"error"}
    assert api.get(url, headers=con_headers).json()["line"]["participant"] == con.address

    # the same participant view asked for by an operator is the same answer
    for_con = api.get(url, params={"participant": con.address}, headers=regulator)
    assert for_con.json() == con_own.json()

    # no line at all, every view cached: still refused
    assert api.get(url, headers=sign_in(api, world.verifier)).status_code == 403
    assert api.get(url, params={"participant": gen.address}, headers=con_headers).status_code == 403


def test_new_responses_are_read_once_indexed(
    api: TestClient, world: World, station: int, server: Ledger, engine: Engine
) -> None:
    run(api, sign_in(api, world.grid_operator), station)
    url = f"/v1/settlements/{station}/{PERIOD}"
    regulator = sign_in(api, world.regulator)
    gen = world.participants[0]
    gen_headers = sign_in(api, gen.account)
    before = api.get(url, headers=regulator).json()["lines"]
    assert {ln["response"] for ln in before} == {"none"}
    assert api.get(url, headers=gen_headers).json()["line"]["response"] == "none"

    ack = _response_body(server, engine, station, gen.account, Response.ACKNOWLEDGED)
    assert api.post(f"{url}/acknowledge", json=ack, headers=gen_headers).status_code == 200
    Indexer(server, engine).run_once()
    after = {
        ln["participant"]: ln["response"] for ln in api.get(url, headers=regulator).json()["lines"]
    }
    assert after[gen.address] == "acknowledged"
    assert api.get(url, headers=gen_headers).json()["line"]["response"] == "acknowledged"


def test_a_document_is_parsed_once_per_version_and_root(
    api: TestClient, world: World, station: int, engine: Engine
) -> None:
    run(api, sign_in(api, world.grid_operator), station)
    PARSED_STATEMENTS.clear()
    with Session(engine) as session:
        number, first = stored_statement(session, station, PERIOD)
        assert stored_statement(session, station, PERIOD)[1] is first
        assert stored_statement(session, station, PERIOD, number)[1] is first
        # the same version rewritten with other lines (not something a run does): a new root,
        # so the new document is read and parsed, never the cached one
        lines = (
            replace(first.lines[0], charged_wh=first.lines[0].charged_wh + 1),
            *first.lines[1:],
        )
        other = replace(first, lines=lines, totals=Totals.of(lines))
        assert other.root != first.root
        store_statement(session, other, PERIOD, number, "0x" + "00" * 32)
        again = stored_statement(session, station, PERIOD)[1]
    assert again is not first and again.root == other.root and again.lines == lines
