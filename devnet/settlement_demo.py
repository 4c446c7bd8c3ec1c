"""The demo's settlement of its simulated day: Qinghai-like terms registered on-chain, the day
settled from the indexed reports and anchored by the station operator, then four participants
acknowledge and one disputes, each with its own key (the dispute's reason text kept in
`reason_texts`). `devnet.demo` calls `settle_demo_day`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from devnet.world import World
from ledger.client import Ledger
from ledger.index.indexer import Indexer
from ledger.reasons import record_reason
from ledger.settlement import CallWindow, Terms
from ledger.settlement.anchor import Response, SettlementAnchorClient
from ledger.settlement.period import essl_period
from ledger.settlement.runs import ensure_terms, settle_and_anchor
from ledger.settlement.terms import HENAN_PEAK_CAP, QINGHAI_2025_PEAK_PRICE

DISPUTE_WINDOW_S = 3_600
CALL_START_S, CALL_END_S = 12 * 3600 + 1800, 14 * 3600  # 12:30-14:00 local, as the simulator
DISPUTER = 4  # Haidong Data Center disputes; the other four acknowledge
DISPUTE_REASON = "call-window charging 13:45-14:00 missing from my meter's count"


def demo_terms(day_start: int) -> Terms:
    """Terms v1 for the demo station from `day_start` (a local midnight): lease 150 CNY per
    kWh-year (41,096 milli-fen per kWh-day), throughput 0.0275 CNY/kWh, the grid's 12:30-14:00
    peak-shaving call at the Qinghai 2025 draft price 0.3247 CNY/kWh capped at 0.30, losses at
    the measured ~82 % round trip priced 0.26 CNY/kWh, one hour to respond."""
    return Terms(
        version=1,
        valid_from=day_start,
        valid_until=None,
        currency="CNY",
        minor_exponent=2,
        lease_price_per_kwh_day=41_096,
        throughput_price_per_kwh=2_750,
        peak_cap_per_kwh=HENAN_PEAK_CAP,
        daily_windows=(),
        call_windows=(
            CallWindow(day_start + CALL_START_S, day_start + CALL_END_S, QINGHAI_2025_PEAK_PRICE),
        ),
        efficiency_ppm=820_000,
        loss_price_per_kwh=26_000,
        dispute_window_s=DISPUTE_WINDOW_S,
    )


def settle_demo_day(
    ledger: Ledger, world: World, station_id: int, engine: Engine, day_start: int
) -> dict[str, Any]:
    """Register the demo terms, settle and anchor the day (station operator's key), have four
    participants acknowledge and one dispute, and re-index. Safe to call again on the same
    chain: registered terms, an identical anchored root and given responses are reused."""
    period = essl_period(day_start)
    operator = ledger.as_account(world.station_operator)
    terms = demo_terms(day_start)
    ensure_terms(operator, engine, station_id, terms)
    # The simulated day may carry explicit gaps (rejected intervals): settle what is on-chain.
    run = settle_and_anchor(operator, engine, station_id, period, terms=terms, allow_partial=True)
    anchor = SettlementAnchorClient(ledger)
    for i, participant in enumerate(world.participants):
        if participant.address.lower() not in {
            ln.participant.lower() for ln in run.statement.lines
        }:
            continue
        if (
            anchor.response_of(station_id, period, run.version, participant.address)
            != Response.NONE
        ):
            continue
        own = SettlementAnchorClient(ledger.as_account(participant.account))
        if i == DISPUTER:
            digest = record_reason(engine, DISPUTE_REASON)  # the text beside its hash
            own.dispute(run.statement, period, run.version, digest)
        else:
            own.acknowledge(run.statement, period, run.version)
    Indexer(ledger, engine).run_once()
    onchain = anchor.statement_of(station_id, period, run.version)
    return {
        "period": period,
        "version": run.version,
        "root": run.root,
        "lines": len(run.statement.lines),
        "acknowledged": onchain.acknowledged_count,
        "disputed": onchain.disputed_count,
        "net_total": run.statement.totals.net,
        "currency": run.statement.currency,
        "deadline": onchain.deadline,
    }
