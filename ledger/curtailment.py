"""The grid operator's curtailment attestations: which part of a participant's charging in a
booked interval came from curtailed renewables (emission factor 0 in the methodology).

The ledger checks the role, that the interval's report was accepted, one attestation per
interval and a cumulative bound (attested <= charged). The per-interval bound (attested <= the
interval's charged delta in ReportAccepted) is checked here before anything is sent, and again
by `essl verify`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.errors import CurtailedAboveCharged, ReportNotBooked
from ledger.logs import event_logs
from ledger.reports import ParticipantRecord, participant_records
from ledger.storage import CurtailedCharge, StorageLedgerClient
from ledger.tx import receipt_hash


def booked_records(
    storage: StorageLedgerClient, station_id: int, interval_start: int
) -> dict[str, ParticipantRecord]:
    """The interval's per-participant deltas from its ReportAccepted event, by address."""
    logs = event_logs(
        storage.contract.events.ReportAccepted(),
        argument_filters={"stationId": station_id, "intervalStart": interval_start},
        from_block=storage.ledger.deployment.deploy_block,
    )
    if not logs:
        raise ReportNotBooked(station_id, interval_start)
    records = participant_records(bytes(logs[-1]["args"]["participants"]))
    return {r.participant.lower(): r for r in records}


def checked_charges(
    records: dict[str, ParticipantRecord], interval_start: int, charges: Iterable[CurtailedCharge]
) -> list[CurtailedCharge]:
    """`charges` with each amount checked against the participant's charged delta (a zero
    amount is the ledger's to refuse, with StorageLedgerCurtailmentEmpty)."""
    out = []
    for c in charges:
        record = records.get(c.participant.lower())
        charged = record.charged_wh if record else 0
        if c.curtailed_wh > charged:
            raise CurtailedAboveCharged(interval_start, c.participant, c.curtailed_wh, charged)
        out.append(c)
    return out


def attest(
    storage: StorageLedgerClient,
    station_id: int,
    interval_start: int,
    charges: Iterable[CurtailedCharge],
) -> str:
    """Attest one interval after checking it against the booked report; returns the tx hash."""
    records = booked_records(storage, station_id, interval_start)
    rows = checked_charges(records, interval_start, charges)
    return receipt_hash(storage.attest_curtailment(station_id, interval_start, rows))


@dataclass(frozen=True)
class AttestedInterval:
    interval_start: int
    charges: tuple[CurtailedCharge, ...]
    tx_hash: str


def attest_dispatch(
    storage: StorageLedgerClient,
    station_id: int,
    interval_starts: Sequence[int],
    participants: Iterable[str],
) -> list[AttestedInterval]:
    """A curtailment dispatch: all charging of `participants` (the curtailed renewable
    generators) in each interval is attested as curtailed. Intervals where none of them charged,
    and intervals already attested, are skipped."""
    who = {p.lower() for p in participants}
    done = []
    for start in interval_starts:
        if storage.curtailment_attested(station_id, start):
            continue
        records = booked_records(storage, station_id, start)
        charges = [
            CurtailedCharge(r.participant, r.charged_wh)
            for key, r in records.items()
            if key in who and r.charged_wh > 0
        ]
        if not charges:
            continue
        tx_hash = receipt_hash(storage.attest_curtailment(station_id, start, charges))
        done.append(AttestedInterval(start, tuple(charges), tx_hash))
    return done
