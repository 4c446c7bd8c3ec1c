"""The demo's credit story: one generator turns its avoided emissions of the day into credits
(request -> verifier approval), sells part to a consumer, and the consumer retires part."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from devnet.world import World
from ledger.client import Ledger
from ledger.credits import CreditsClient, RetireInfo
from ledger.deploy import GRAMS_PER_CREDIT
from ledger.index.tables import ReportRow
from ledger.merkle import MerkleTree
from ledger.storage import StorageLedgerClient


def reports_root(engine: Engine, station_id: int) -> tuple[bytes, int, int]:
    """Merkle root over the (station, interval start) keys of the indexed reports backing a
    request, with the period they span."""
    with Session(engine) as s:
        starts = [
            r.interval_start
            for r in s.exec(
                select(ReportRow)
                .where(ReportRow.station_id == station_id)
                .order_by(col(ReportRow.interval_start))
            ).all()
        ]
    tree = MerkleTree.of(["uint32", "uint64"], [(station_id, t) for t in starts])
    return tree.root, starts[0], starts[-1] + 900


def credit_demo_day(
    ledger: Ledger, world: World, station_id: int, engine: Engine
) -> dict[str, Any]:
    generator = max(
        world.participants,
        key=lambda p: StorageLedgerClient(ledger).avoided_of(station_id, p.address).unissued_grams,
    )
    buyer = next(p for p in world.participants if p.role == "consumer")
    account = StorageLedgerClient(ledger).avoided_of(station_id, generator.address)
    units = account.unissued_grams // GRAMS_PER_CREDIT
    if units == 0:
        return {"credits_issued_kg": 0, "credits_retired_kg": 0, "sample_credit_id": None}
    root, period_start, period_end = reports_root(engine, station_id)
    as_generator = CreditsClient(ledger.as_account(generator.account))
    request = as_generator.request_issuance(
        station_id,
        generator.address,
        units * GRAMS_PER_CREDIT,
        period_start=period_start,
        period_end=period_end,
        factor_version=account.factor_version,
        reports_root=root,
    )
    issued = CreditsClient(ledger.as_account(world.verifier)).approve(request.request_id)
    token = request.request_id
    sold = issued.units * 3 // 10
    as_generator.transfer(buyer.address, token, sold)
    retired = sold // 2
    CreditsClient(ledger.as_account(buyer.account)).retire(
        token,
        retired,
        RetireInfo(
            beneficiary=buyer.name,
            beneficiary_address=buyer.address,
            period_start=period_start,
            period_end=period_end,
            country="CN",
            purpose="2026 Scope 2 claim (in-house credits, not CCER)",
        ),
    )
    return {
        "credits_issued_kg": issued.units * GRAMS_PER_CREDIT // 1000,
        "credits_retired_kg": retired * GRAMS_PER_CREDIT // 1000,
        "sample_credit_id": token,
        "credit_holder": generator.name,
        "credit_buyer": buyer.name,
    }
