"""What the canonical chain holds, read straight from the node, beside what the indexer put
in SQL: the two must be equal after any reorg."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from ledger.client import Ledger
from ledger.index.tables import ParticipantIntervalRow, ReportRow

Booked = tuple[str, str, str, int]  # digest, readings root, tx hash, block


def chain_reports(ledger: Ledger, station: int) -> dict[int, Booked]:
    """Every ReportAccepted of `station` on the canonical chain, checked against reportOf."""
    contract = ledger.contract("StorageLedger")
    booked: dict[int, Booked] = {}
    for e in contract.events.ReportAccepted().get_logs(
        from_block=0, argument_filters={"stationId": station}
    ):
        start = int(e["args"]["intervalStart"])
        assert start not in booked, f"interval {start} booked twice"
        digest = "0x" + bytes(e["args"]["digest"]).hex()
        accepted, prefix = contract.functions.reportOf(station, start).call()
        assert accepted, f"reportOf({start}) does not know the accepted report"
        # reportOf carries the digest of the window's latest report only (zero for the others)
        prefix = bytes(prefix)
        assert not any(prefix) or digest[2:].startswith(prefix.hex()), f"reportOf({start})"
        booked[start] = (
            digest,
            "0x" + bytes(e["args"]["readingsRoot"]).hex(),
            "0x" + bytes(e["transactionHash"]).hex(),
            int(e["blockNumber"]),
        )
    return booked


def sql_reports(engine: Engine, station: int) -> dict[int, Booked]:
    with Session(engine) as s:
        rows = s.exec(select(ReportRow).where(ReportRow.station_id == station)).all()
    return {r.interval_start: (r.digest, r.readings_root, r.tx_hash, r.block_number) for r in rows}


def sql_charged(engine: Engine, station: int) -> dict[str, int]:
    """Each participant's charged Wh summed over the indexed intervals."""
    totals: dict[str, int] = {}
    with Session(engine) as s:
        for row in s.exec(
            select(ParticipantIntervalRow).where(ParticipantIntervalRow.station_id == station)
        ).all():
            totals[row.participant] = totals.get(row.participant, 0) + row.charged_wh
    return totals
