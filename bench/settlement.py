"""Settlement engine throughput: 1,000 participants x 96 intervals x 30 days at one station
(2.88 M interval records, synthetic and deterministic), settled by the one-pass engine; a naive
variant (exact fractions, per-record window scan, tuple-keyed duplicate set) settles a 100-
participant slice of the same data so the two can be compared on identical input."""

from __future__ import annotations

import time
from collections import defaultdict
from fractions import Fraction
from typing import Any

from eth_utils import to_checksum_address

from ledger.settlement import DailyWindow, IntervalRecord, Lease, Terms, settle

STATION = 1
START = 1_748_736_000  # 2025-06-01T00:00:00Z
DAYS = 30
PER_DAY = 96
STEP = 900
PARTICIPANTS = 1_000
SLICE = 100

TERMS = Terms(
    version=1,
    valid_from=0,
    valid_until=None,
    currency="CNY",
    minor_exponent=2,
    lease_price_per_kwh_day=41_096,
    throughput_price_per_kwh=2_750,
    peak_cap_per_kwh=30_000,
    daily_windows=(DailyWindow(10_800, 18_000, 35_000), DailyWindow(36_000, 39_600, 28_000)),
    call_windows=(),
    efficiency_ppm=820_000,
    loss_price_per_kwh=26_000,
    dispute_window_s=604_800,
)


def synthetic(participants: int) -> tuple[list[Lease], list[IntervalRecord]]:
    """Charge in the small hours and at midday, discharge in the evening, values from a cheap
    deterministic mix of participant and interval numbers."""
    addresses = [to_checksum_address(f"0x{0xE55 * (i + 1):040x}") for i in range(participants)]
    end = START + DAYS * 86_400
    leases = [Lease(a, 500_000 + 1_000 * i, START, end) for i, a in enumerate(addresses)]
    records: list[IntervalRecord] = []
    append = records.append
    for k in range(DAYS * PER_DAY):
        start = START + k * STEP
        slot = k % PER_DAY
        charging = slot < 24 or 40 <= slot < 56
        for i, a in enumerate(addresses):
            mix = (i * 7919 + k * 104_729) % 1_000
            if charging:
                append(IntervalRecord(STATION, a, start, 100 * mix + i, 0))
            else:
                append(IntervalRecord(STATION, a, start, 0, 80 * mix))
    return leases, records


def naive_nets(leases: list[Lease], records: list[IntervalRecord]) -> dict[str, int]:
    """Straightforward reference: Fractions per record and a window scan per record. Returns
    each participant's net rounded half up on its own (no largest-remainder pass)."""
    seen: set[tuple[str, int]] = set()
    money: dict[str, Fraction] = defaultdict(Fraction)
    charged: dict[str, int] = defaultdict(int)
    for rec in records:
        key = (rec.participant, rec.start)
        if key in seen:
            raise ValueError(f"duplicate {key}")
        seen.add(key)
        charged[rec.participant] += rec.charged_wh
        fee = Fraction(rec.discharged_wh * TERMS.throughput_price_per_kwh, 10**6)
        money[rec.participant] -= fee
        for w in TERMS.daily_windows:
            if w.start_s <= rec.start % 86_400 < w.end_s:
                price = min(w.price_per_kwh, TERMS.peak_cap_per_kwh)
                money[rec.participant] += Fraction(rec.charged_wh * price, 10**6)
    total_charged = sum(charged.values())
    loss = Fraction(total_charged * (10**6 - TERMS.efficiency_ppm), 10**6)
    for lease in leases:
        days = Fraction(lease.valid_to - lease.valid_from, 86_400)
        money[lease.participant] -= lease.capacity_wh * days * TERMS.lease_price_per_kwh_day / 10**6
    for p, c in charged.items():
        money[p] -= loss * c / total_charged * TERMS.loss_price_per_kwh / 10**6
    return {p: int((m + Fraction(1, 2)) // 1) for p, m in money.items()}


def run(progress: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    leases, records = synthetic(PARTICIPANTS)
    generated = time.perf_counter() - t0
    if progress:
        print(f"generated {len(records):,} records in {generated:.1f} s")

    t0 = time.perf_counter()
    statement = settle(STATION, START, START + DAYS * 86_400, records, leases, TERMS)
    root = statement.root
    seconds = time.perf_counter() - t0
    if progress:
        print(f"settled {len(statement.lines)} lines in {seconds:.2f} s, root 0x{root.hex()}")

    # Same data, first SLICE participants, both ways.
    chosen = {lease.participant for lease in leases[:SLICE]}
    slice_leases = leases[:SLICE]
    slice_records = [r for r in records if r.participant in chosen]
    t0 = time.perf_counter()
    sliced = settle(STATION, START, START + DAYS * 86_400, slice_records, slice_leases, TERMS)
    fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    reference = naive_nets(slice_leases, slice_records)
    slow = time.perf_counter() - t0
    # Largest remainder moves each column by < 1 unit, so nets agree within 4 fen.
    worst = max(abs(line.net - reference[line.participant]) for line in sliced.lines)
    if worst > 4:
        raise AssertionError(f"naive and optimised nets differ by {worst} fen")
    if progress:
        print(f"{SLICE}-participant slice: optimised {fast:.2f} s, naive {slow:.2f} s")
    return {
        "seconds": round(seconds, 3),
        "participants": PARTICIPANTS,
        "intervals": PER_DAY * DAYS,
        "records": len(records),
        "lines": len(statement.lines),
        "records_per_second": round(len(records) / seconds),
        "generate_seconds": round(generated, 3),
        "slice_participants": SLICE,
        "slice_optimised_seconds": round(fast, 3),
        "slice_naive_seconds": round(slow, 3),
        "slice_speedup": round(slow / fast, 1),
        "slice_max_net_difference_fen": worst,
    }
