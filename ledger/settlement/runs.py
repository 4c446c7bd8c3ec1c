"""One settlement run: read the period's inputs from the indexed tables, settle under the
station's stored terms, anchor the root on-chain (a new version superseding a Pending or
Disputed one when the lines changed), and keep the full statement document in SQL.

Re-running is idempotent: when the latest anchored version already has the same root and is
Pending or Final, nothing is sent and that version is returned. A Final statement is never
replaced (StatementIsFinal)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ledger.client import Ledger
from ledger.index.tables import (
    SettlementAnchorRow,
    SettlementStatementDocument,
    SettlementTermsDocument,
)
from ledger.lru import Lru
from ledger.settlement.anchor import SettlementAnchorClient, StatementState
from ledger.settlement.engine import settle
from ledger.settlement.errors import IncompleteData, NoTermsInForce, StatementIsFinal

# Re-exported: the API imports these two from here.
from ledger.settlement.errors import SettlementRunError as SettlementRunError
from ledger.settlement.errors import StatementNotFound as StatementNotFound
from ledger.settlement.period import period_bounds
from ledger.settlement.source import period_inputs
from ledger.settlement.statement import Statement
from ledger.settlement.terms import Terms


@dataclass(frozen=True)
class AnchoredRun:
    station_id: int
    period: int
    version: int
    supersedes: int
    statement: Statement
    tx_hash: str
    reused: bool  # True when the latest anchored version already had this root

    @property
    def root(self) -> str:
        return "0x" + self.statement.root.hex()


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


# -- terms -------------------------------------------------------------------------------------


def store_terms(session: Session, station_id: int, terms: Terms) -> None:
    session.merge(
        SettlementTermsDocument(
            station_id=station_id,
            terms_hash=_hex(terms.hash),
            version=terms.version,
            valid_from=terms.valid_from,
            terms_json=terms.to_json(),
        )
    )
    session.commit()


def ensure_terms(ledger: Ledger, engine: Engine, station_id: int, terms: Terms) -> bool:
    """Register `terms` on-chain unless already registered, and store the document.
    Returns True when a registration was sent. Signed by the Ledger's account (station
    operator or admin)."""
    anchor = SettlementAnchorClient(ledger)
    sent = False
    if anchor.terms_version_of(station_id, terms.hash) == 0:
        anchor.register_terms(station_id, terms)
        sent = True
    with Session(engine) as session:
        store_terms(session, station_id, terms)
    return sent


def terms_in_force(session: Session, station_id: int, start: int, end: int) -> Terms | None:
    """The highest stored terms version covering [start, end)."""
    rows = session.exec(
        select(SettlementTermsDocument)
        .where(SettlementTermsDocument.station_id == station_id)
        .order_by(col(SettlementTermsDocument.version).desc())
    ).all()
    for row in rows:
        terms = Terms.from_json(row.terms_json)
        if terms.in_force(start, end):
            return terms
    return None


# -- settle and anchor -------------------------------------------------------------------------


def settle_period(
    session: Session,
    station_id: int,
    period: int,
    *,
    terms: Terms | None = None,
    allow_partial: bool = False,
) -> Statement:
    """The statement of `period` (yyyymmdd, local day) from the indexed tables."""
    start, end = period_bounds(period)
    terms = terms or terms_in_force(session, station_id, start, end)
    if terms is None:
        raise NoTermsInForce(station_id, period)
    inputs = period_inputs(session, station_id, start, end)
    if not allow_partial and not inputs.complete:
        raise IncompleteData(station_id, period, inputs.reports, inputs.expected_reports)
    return settle(
        station_id,
        start,
        end,
        inputs.intervals,
        inputs.leases,
        terms,
        interval_s=inputs.interval_s,
    )


def store_statement(
    session: Session, statement: Statement, period: int, version: int, tx_hash: str
) -> None:
    session.merge(
        SettlementStatementDocument(
            station_id=statement.station_id,
            period=period,
            version=version,
            root=_hex(statement.root),
            terms_hash=_hex(statement.terms_hash),
            net_total=statement.totals.net,
            lines=len(statement.lines),
            statement_json=statement.to_json(),
            anchor_tx=tx_hash,
            created_at=int(time.time()),
        )
    )
    session.commit()


def settle_and_anchor(
    ledger: Ledger,
    engine: Engine,
    station_id: int,
    period: int,
    *,
    terms: Terms | None = None,
    allow_partial: bool = False,
) -> AnchoredRun:
    """Settle `period` from the indexed tables and anchor it, signed by the Ledger's account
    (a grid operator or the station's operator)."""
    with Session(engine) as session:
        start, end = period_bounds(period)
        terms = terms or terms_in_force(session, station_id, start, end)
        if terms is None:
            raise NoTermsInForce(station_id, period)
        statement = settle_period(
            session, station_id, period, terms=terms, allow_partial=allow_partial
        )
        anchor = SettlementAnchorClient(ledger)
        latest = anchor.latest_version(station_id, period)
        supersedes = 0
        if latest:
            onchain = anchor.statement_of(station_id, period, latest)
            same = onchain.lines_root == statement.root
            if same and onchain.state in (StatementState.PENDING, StatementState.FINAL):
                existing = session.get(SettlementStatementDocument, (station_id, period, latest))
                if existing is None:  # anchored by a run that stopped before recording it
                    indexed = session.get(SettlementAnchorRow, (station_id, period, latest))
                    tx = indexed.tx_hash if indexed is not None else ""
                    store_statement(session, statement, period, latest, tx)
                else:
                    tx = existing.anchor_tx
                return AnchoredRun(station_id, period, latest, 0, statement, tx, reused=True)
            if onchain.state == StatementState.FINAL:
                raise StatementIsFinal(station_id, period, latest)
            supersedes = latest
        version = latest + 1
        tx_hash = anchor.anchor(statement, period, version, terms.dispute_window_s, supersedes)
        store_statement(session, statement, period, version, tx_hash)
        return AnchoredRun(station_id, period, version, supersedes, statement, tx_hash, False)


# -- reading back ------------------------------------------------------------------------------


# Parsed statement documents (with their Merkle trees, built on first use), per process, keyed
# by (station, period, version, root). A stored version is written once with the root it was
# anchored under and only ever rewritten with that same root, and the root commits to every
# line and to the terms the header comes from, so an entry never goes stale. It holds the whole
# statement: who may see which line is decided per request by the caller.
PARSED_STATEMENTS: Lru[tuple[int, int, int, str], Statement] = Lru(max_entries=256)


def stored_statement(
    session: Session, station_id: int, period: int, version: int | None = None
) -> tuple[int, Statement]:
    """(version, statement) of the given or latest stored version. One round trip (version
    and root) when the document was parsed before in this process; a second one reads and
    parses it otherwise."""
    doc = SettlementStatementDocument
    query = (
        select(doc.version, doc.root)
        .where(doc.station_id == station_id)
        .where(doc.period == period)
    )
    if version is not None:
        query = query.where(doc.version == version)
    found = session.exec(query.order_by(col(doc.version).desc()).limit(1)).first()
    if found is None:
        raise StatementNotFound(station_id, period, version)
    number, root = found
    statement = PARSED_STATEMENTS.get((station_id, period, number, root))
    if statement is None:
        text = session.exec(
            select(doc.statement_json)
            .where(doc.station_id == station_id)
            .where(doc.period == period)
            .where(doc.version == number)
        ).first()
        if text is None:
            raise StatementNotFound(station_id, period, version)
        statement = Statement.from_json(text)
        # under the root the document has (it is checked against its lines when parsed)
        PARSED_STATEMENTS.put((station_id, period, number, _hex(statement.root)), statement)
    return number, statement
