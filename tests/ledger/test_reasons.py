"""Reason texts by keccak256: recorded idempotently, read back only while the text still
hashes to its key, and the old import path of `reason_hash` still works."""

from __future__ import annotations

from sqlmodel import Session, select
from web3 import Web3

from ledger.db import make_engine
from ledger.index.tables import ReasonText
from ledger.reasons import reason_hash, reason_texts, record_reason
from ledger.settlement.anchor import reason_hash as old_path_reason_hash

TEXT = "峰段充电 13:45–14:00 缺失"


def test_record_reason_is_idempotent_and_keys_by_keccak256_of_utf8() -> None:
    engine = make_engine("sqlite://")
    digest = record_reason(engine, TEXT)
    assert digest == bytes(Web3.keccak(TEXT.encode("utf-8"))) == old_path_reason_hash(TEXT)
    with Session(engine) as session:
        assert record_reason(session, TEXT) == digest
        rows = session.exec(select(ReasonText)).all()
    assert [(r.reason_hash, r.text) for r in rows] == [("0x" + digest.hex(), TEXT)]


def test_reason_texts_returns_only_texts_that_hash_to_their_key() -> None:
    engine = make_engine("sqlite://")
    good, bad = record_reason(engine, TEXT), record_reason(engine, "second reason")
    unknown = reason_hash("never recorded")
    with Session(engine) as session:
        altered = session.get(ReasonText, "0x" + bad.hex())
        assert altered is not None
        altered.text = "second reason, edited"
        session.add(altered)
        session.commit()
        upper = "0x" + good.hex().upper()
        found = reason_texts(session, [upper, bad, "0x" + unknown.hex(), "0x" + "00" * 32])
    assert found == {upper: TEXT}
    record_reason(engine, "second reason")  # the true text repairs the row
    with Session(engine) as session:
        assert reason_texts(session, [bad]) == {"0x" + bad.hex(): "second reason"}
