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


def stored_statement(
    session: Session, station_id: int, period: int, version: int | None = None
) -> tuple[int, Statement]:
    """(version, statement) of the given or latest stored version."""
    query = (
        select(SettlementStatementDocument)
        .where(SettlementStatementDocument.station_id == station_id)
        .where(SettlementStatementDocument.period == period)
    )
    if version is not None:
        query = query.where(SettlementStatementDocument.version == version)
    row = session.exec(query.order_by(col(SettlementStatementDocument.version).desc())).first()
    if row is None:
        raise StatementNotFound(station_id, period, version)
    return row.version, Statement.from_json(row.statement_json)
