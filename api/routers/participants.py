"""What a generator or consumer holds: energy accounts per station (and credits)."""

from __future__ import annotations

from fastapi import APIRouter
from web3 import Web3

from api import queries
from api.deps import Address, SessionDep
from api.models import EnergyBalance, ParticipantBalances

router = APIRouter(prefix="/v1/participants", tags=["participants"])


@router.get("/{address}/balances", response_model=ParticipantBalances)
def balances(address: Address, session: SessionDep) -> ParticipantBalances:
    participant = Web3.to_checksum_address(address)
    totals = {row[0]: row for row in queries.participant_totals(session, participant)}
    stations = {s.station_id for s in queries.stations(session)}
    lines: list[EnergyBalance] = []
    for station_id in sorted(stations):
        lease = queries.latest_leases(session, station_id).get(participant)
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
    return ParticipantBalances(participant=participant, stations=lines)
