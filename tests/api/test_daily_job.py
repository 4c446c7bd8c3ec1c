"""The daily settlement as the leader ticks it: the due day follows the local settle time, a
process settles each station's due day once, and a process that takes over (a fresh job)
settles it again without anchoring it twice. The booked day and the server key are the
package's fixtures (tests/api/conftest.py)."""

from __future__ import annotations

from sqlalchemy import Engine

from api.jobs import DailySettlement
from devnet.world import DAY_START
from ledger.client import Ledger
from ledger.settlement.anchor import SettlementAnchorClient
from tests.settlement_helpers import PERIOD

TODAY = DAY_START + 86_400  # local midnight after the booked day


def test_the_due_day_follows_the_settle_time(server: Ledger, engine: Engine) -> None:
    job = DailySettlement(server, engine, hour=0, minute=30)
    assert job.due(TODAY + 12 * 3600) == PERIOD
    assert job.due(TODAY + 30 * 60) == PERIOD
    assert job.due(TODAY + 29 * 60) == PERIOD - 1  # before 00:30 the day before is due
    late = DailySettlement(server, engine, hour=23, minute=0)
    assert late.due(TODAY + 22 * 3600) == PERIOD - 1
    assert late.due(TODAY + 23 * 3600) == PERIOD


def test_each_day_is_settled_once_and_a_new_leader_does_not_anchor_it_again(
    server: Ledger, engine: Engine, station: int
) -> None:
    noon = TODAY + 12 * 3600
    job = DailySettlement(server, engine, hour=0, minute=30, retry_s=60)
    runs = job.tick(now=noon)
    assert [(r.station_id, r.period, r.version, r.reused) for r in runs] == [
        (station, PERIOD, 1, False)
    ]
    assert job.tick(now=noon + 1) == []  # not due again
    assert job.tick(now=noon + 120) == []  # retried, but the station is settled
    successor = DailySettlement(server, engine, hour=0, minute=30)
    (again,) = successor.tick(now=noon + 5)
    assert (again.version, again.reused, again.root) == (1, True, runs[0].root)
    assert SettlementAnchorClient(server).latest_version(station, PERIOD) == 1
    assert job.tick(now=noon + 86_400) == []  # the next day: nothing booked, nothing sent
