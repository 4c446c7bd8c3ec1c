"""The demo's curtailment dispatch: the grid operator curtails the renewable generators from
10:00 to 16:00 local time (UTC+8) and, once the oracle's reports of the day are booked,
attests that all their charging in those intervals came from curtailed energy."""

from __future__ import annotations

from typing import Any

from devnet.world import World
from ledger.client import Ledger
from ledger.curtailment import attest_dispatch
from ledger.storage import StorageLedgerClient

DISPATCH_LOCAL_S = (10 * 3600, 16 * 3600)  # seconds after local midnight


def dispatch_intervals(day_start: int, interval_s: int) -> list[int]:
    """The interval starts of the dispatch on the local day beginning at `day_start`."""
    first, end = day_start + DISPATCH_LOCAL_S[0], day_start + DISPATCH_LOCAL_S[1]
    return list(range(first, end, interval_s))


def attest_demo_dispatch(
    ledger: Ledger, world: World, station_id: int, day_start: int
) -> dict[str, Any]:
    """Attest the day's dispatch as the grid operator (intervals already attested are skipped,
    so a second run sends nothing) and return what the chain holds for it."""
    storage = StorageLedgerClient(ledger.as_account(world.grid_operator))
    generators = [p.address for p in world.participants if p.role == "generator"]
    starts = dispatch_intervals(day_start, world.station.interval_seconds)
    attest_dispatch(storage, station_id, starts, generators)
    return {
        "curtailment_attested_intervals": sum(
            storage.curtailment_attested(station_id, t) for t in starts
        ),
        "curtailment_attested_wh": sum(
            storage.curtailed_of(station_id, p.address) for p in world.participants
        ),
    }
