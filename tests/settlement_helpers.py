"""A settled-ready demo day for API and CLI tests: the world registered, 96 interval reports of
two participants on-chain and indexed, and the demo terms registered and stored."""

from __future__ import annotations

from sqlalchemy import Engine

from devnet.settlement_demo import demo_terms
from devnet.world import DAY_START, World, register_world
from ledger.client import Ledger
from ledger.index.indexer import Indexer
from ledger.settlement.period import essl_period
from ledger.settlement.runs import ensure_terms
from ledger.storage import StorageLedgerClient
from tests.helpers import report, signatures

PERIOD = essl_period(DAY_START)  # 20261123
MWH = 1_000_000


def counters(index: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Cumulative (charged, discharged) Wh of the generator and the consumer after `index`:
    the generator charges 10:00-14:00 local and discharges 18:00-20:00; the consumer charges
    in the 12:30-14:00 peak-shaving call and discharges 18:00-19:00."""
    gen_c = MWH * max(0, min(index, 55) - 39)
    gen_d = 800_000 * max(0, min(index, 79) - 71)
    con_c = 500_000 * max(0, min(index, 55) - 49)
    con_d = 600_000 * max(0, min(index, 75) - 71)
    return (gen_c, gen_d), (con_c, con_d)


def book_day(ledger: Ledger, world: World, engine: Engine) -> int:
    """Register the world, put the whole local day on-chain, index it, and register the demo
    terms as the station operator. Returns the station id."""
    station = register_world(ledger, world)
    gen, con = world.participants[0].address, world.participants[3].address
    storage = StorageLedgerClient(ledger)
    for first in range(0, 96, 24):
        batch = []
        for i in range(first, first + 24):
            g, c = counters(i)
            batch.append(report(ledger, station, i, {gen: g, con: c}))
        storage.submit_many(batch, [signatures(ledger, world, r) for r in batch])
    Indexer(ledger, engine).run_once()
    ensure_terms(ledger.as_account(world.station_operator), engine, station, demo_terms(DAY_START))
    return station
