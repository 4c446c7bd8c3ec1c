from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest
from eth_abi import encode
from eth_hash.auto import keccak

from ledger.settlement import InvalidStatement, Statement, settle, verify_line
from ledger.settlement.statement import LINE_TYPES
from tests.ledger.settlement.example import INTERVALS, LEASES, PERIOD, STATION, TERMS, WIND


@pytest.fixture(scope="module")
def statement() -> Statement:
    return settle(STATION, *PERIOD, INTERVALS, LEASES, TERMS)


def test_leaf_matches_the_settlement_anchor_formula(statement: Statement) -> None:
    # SettlementAnchor._leaf: keccak256(bytes.concat(keccak256(abi.encode(participant,
    # netMinor, lineHash)))), with lineHash = keccak256(abi.encode(<all line fields>)).
    line = statement.line_for(WIND)
    detail = encode(LINE_TYPES, list(dataclasses.astuple(line)))
    line_hash = keccak(detail)
    inner = keccak(encode(["address", "int256", "bytes32"], [WIND, line.net, line_hash]))
    assert line.line_hash == line_hash
    assert statement.leaf_for(WIND) == keccak(inner)


def test_every_line_proves_against_the_root(statement: Statement) -> None:
    for line in statement.lines:
        assert verify_line(statement.root, line, statement.proof_for(line.participant))


def test_tampered_line_does_not_verify(statement: Statement) -> None:
    for line in statement.lines:
        proof = statement.proof_for(line.participant)
        forged = dataclasses.replace(line, lease_fee=line.lease_fee - 1)
        assert not verify_line(statement.root, forged, proof)
        shifted = dataclasses.replace(line, net=line.net + 1)
        assert not verify_line(statement.root, shifted, proof)


def test_lookup_ignores_address_case_and_rejects_strangers(statement: Statement) -> None:
    assert statement.leaf_for(WIND.lower()) == statement.leaf_for(WIND)
    with pytest.raises(KeyError):
        statement.proof_for("0x" + "11" * 20)


def test_csv_has_header_one_row_per_line_and_totals(statement: Statement) -> None:
    rows = list(csv.reader(io.StringIO(statement.to_csv())))
    assert rows[0][0] == "participant" and rows[0][-2:] == ["net", "loss_basis"]
    assert len(rows) == 1 + len(statement.lines) + 1
    assert {len(r) for r in rows} == {len(rows[0])}
    assert [r[0] for r in rows[1:-1]] == [line.participant for line in statement.lines]
    assert rows[-1][0] == "TOTAL"
    assert int(rows[-1][-2]) == statement.totals.net == sum(int(r[-2]) for r in rows[1:-1])
    assert statement.loss_source == "efficiency"
    assert {r[-1] for r in rows[1:]} == {f"efficiency {statement.loss_efficiency_ppm}"}


def test_json_round_trips_and_is_canonical(statement: Statement) -> None:
    text = statement.to_json()
    again = Statement.from_json(text)
    assert again == statement
    assert again.root == statement.root
    assert again.to_json() == text
    assert " " not in text


def test_from_json_rejects_tampered_totals_lines_and_root(statement: Statement) -> None:
    doc = json.loads(statement.to_json())
    doc["totals"]["net"] += 1
    with pytest.raises(InvalidStatement, match="totals"):
        Statement.from_json(json.dumps(doc))

    doc = json.loads(statement.to_json())
    doc["lines"][0]["lease_fee"] += 1
    doc["totals"]["lease_fee"] += 1
    with pytest.raises(InvalidStatement, match="net"):
        Statement.from_json(json.dumps(doc))

    doc = json.loads(statement.to_json())
    doc["root"] = "0x" + "00" * 32
    with pytest.raises(InvalidStatement, match="root"):
        Statement.from_json(json.dumps(doc))

    with pytest.raises(InvalidStatement, match="statement"):
        Statement.from_json("{}")
