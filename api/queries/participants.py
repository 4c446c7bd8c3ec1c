"""What a generator or consumer holds: energy accounts and un-issued avoided emissions per
station, and credits per token id (live, frozen by a revocation, retired)."""

from __future__ import annotations

from sqlmodel import Session
from web3 import Web3

from api.models import AvoidedBalance, CreditHoldingPublic, EnergyBalance, ParticipantBalances
from api.queries import credit_rows, rows
from ledger.index.tables import CreditDecisionRow, CreditRevocationRow


def get_balances(*, session: Session, address: str) -> ParticipantBalances:
    participant = Web3.to_checksum_address(address)
    totals = {row[0]: row for row in rows.participant_totals(session, participant)}
    stations = {s.station_id for s in rows.stations(session)}
    lines: list[EnergyBalance] = []
    for station_id in sorted(stations):
        lease = rows.latest_leases(session, station_id).get(participant)
        row = totals.get(station_id)
        if lease is None and row is None:
            continue
        _, charged, discharged, stored, losses, avoided, intervals = row or (
            station_id,
            0,
            0,
            0,
            0,
            0,
            0,
        )
        lines.append(
            EnergyBalance(
                station_id=station_id,
                leased_wh=lease.leased_wh if lease else 0,
                charged_wh=charged,
                discharged_wh=discharged,
                balance_wh=stored - discharged,
                losses_wh=losses,
                avoided_grams=avoided,
                intervals=intervals,
            )
        )
    return ParticipantBalances(
        participant=participant,
        stations=lines,
        avoided=_avoided(session, participant),
        credits=_credits(session, participant),
    )


def _avoided(session: Session, participant: str) -> list[AvoidedBalance]:
    return [
        AvoidedBalance(
            station_id=station_id,
            avoided_grams=booked,
            consumed_grams=consumed,
            unissued_grams=max(booked - consumed, 0),  # the ledger's own rule
        )
        for station_id, (booked, consumed) in credit_rows.avoided_totals(
            session, participant
        ).items()
    ]


def _credits(session: Session, participant: str) -> list[CreditHoldingPublic]:
    holdings = credit_rows.participant_holdings(session, participant)
    by_id = credit_rows.credits_by_id(session, list(holdings))
    lines = []
    for token_id, (held, retired) in holdings.items():
        state = credit_rows.credit_state(
            session.get(CreditDecisionRow, token_id), session.get(CreditRevocationRow, token_id)
        )
        row = by_id.get(token_id)
        lines.append(
            CreditHoldingPublic(
                token_id=token_id,
                station_id=row.station_id if row else 0,
                state=state,
                live=held if state == "live" else 0,
                frozen=held if state == "revoked" else 0,
                retired=retired,
            )
        )
    return lines
