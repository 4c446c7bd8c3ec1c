"""Reason texts, content-addressed. A dispute, a rejection or a revocation carries only
keccak256(UTF-8 reason) on-chain; whoever sends one keeps the text in `reason_texts` under
that hash (`record_reason`), and readers get back only texts that still hash to the key
(`reason_texts`), so a row altered in the database is never shown as the reason."""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from web3 import Web3

from ledger.index.tables import ReasonText

MAX_REASON_CHARS = 2000  # the longest reason text the API keeps (disputes, rejections, revocations)
NO_REASON = bytes(32)  # a rejection or revocation without a reason carries the zero hash


def reason_hash(reason: str) -> bytes:
    """keccak256 of the UTF-8 reason text: what goes on-chain with a dispute."""
    return bytes(Web3.keccak(text=reason))


def optional_reason_hash(reason: str) -> bytes:
    """A rejection's or revocation's on-chain hash: the zero hash for no reason (""), else
    keccak256 of the text (what `essl credits` and the console's review page send)."""
    return reason_hash(reason) if reason else NO_REASON


def _key(value: str | bytes) -> str:
    """ "0x" + lower-case hex of a 32-byte hash given as bytes or hex (with or without 0x)."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return "0x" + value.lower().removeprefix("0x")


def _store(session: Session, key: str, text: str, now: int) -> None:
    row = session.get(ReasonText, key)
    if row is not None and row.text == text:
        return
    if row is None:
        session.add(ReasonText(reason_hash=key, text=text, recorded_at=now))
    else:  # an altered row: the text given hashes to the key, so it is the true one
        row.text = text
        session.add(row)
    try:
        session.commit()
    except IntegrityError:  # another process stored the same text meanwhile
        session.rollback()


def record_reason(target: Session | Engine, text: str) -> bytes:
    """Keep `text` under keccak256(UTF-8 text) and return that hash (what goes on-chain).
    Idempotent: recording the same text again changes nothing. Commits (a Session is
    committed, an Engine gets its own session)."""
    digest = reason_hash(text)
    now = int(time.time())
    if isinstance(target, Session):
        _store(target, _key(digest), text, now)
    else:
        with Session(target) as session:
            _store(session, _key(digest), text, now)
    return digest


def reason_texts(session: Session, hashes: Iterable[str | bytes]) -> dict[str, str]:
    """The known texts of `hashes`, keyed by each hash as given (hex strings; bytes are keyed
    as "0x" + hex). Only texts whose keccak256 equals the hash are returned: the hash is
    recomputed on every read. Unknown hashes (and the zero hash) are absent."""
    wanted: dict[str, list[str]] = {}
    for h in hashes:
        given = _key(h) if isinstance(h, bytes) else h
        wanted.setdefault(_key(h), []).append(given)
    if not wanted:
        return {}
    rows = session.exec(
        select(ReasonText).where(col(ReasonText.reason_hash).in_(list(wanted)))
    ).all()
    out: dict[str, str] = {}
    for row in rows:
        if _key(reason_hash(row.text)) != row.reason_hash:
            continue  # altered in the database: not the text the hash commits to
        for given in wanted.get(row.reason_hash, []):
            out[given] = row.text
    return out
