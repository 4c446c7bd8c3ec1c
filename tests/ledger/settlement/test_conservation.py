"""Property tests: on random inputs the lines add up to the station totals exactly, each share
is within one unit of its exact value, and the statement does not depend on input order."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.settlement import DailyWindow, IntervalRecord, Lease, Statement, Terms, settle

DAY = 1_748_736_000
HOUR = 3_600
POOL = [to_checksum_address(f"0x{(i * 0x9E3779B97F4A7C15) % (1 << 160):040x}") for i in range(1, 9)]


@dataclass(frozen=True)
class Case:
    terms: Terms
    leases: list[Lease]
    intervals: list[IntervalRecord]
    measured: int | None


@st.composite
def cases(draw: st.DrawFn) -> Case:
    people = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=8, unique=True))
    window_start = draw(st.integers(0, 22)) * HOUR
    window_end = draw(st.integers(window_start // HOUR + 1, 24)) * HOUR
    price = st.integers(0, 100_000)
    terms = Terms(
        version=1,
        valid_from=0,
        valid_until=None,
        currency="CNY",
        minor_exponent=2,
        lease_price_per_kwh_day=draw(price),
        throughput_price_per_kwh=draw(price),
        peak_cap_per_kwh=draw(price),
        daily_windows=(DailyWindow(window_start, window_end, draw(price)),),
        call_windows=(),
        efficiency_ppm=draw(st.integers(1, 1_000_000)),
        loss_price_per_kwh=draw(price),
        dispute_window_s=86_400,
    )
    leases = []
    for p in people:
        split = draw(st.integers(1, 23)) * HOUR + draw(st.integers(0, 3599))
        cap = st.integers(0, 10_000_000)
        leases.append(Lease(p, draw(cap), DAY - 86_400, DAY + split))
        leases.append(Lease(p, draw(cap), DAY + split, DAY + 2 * 86_400))
    hours = draw(st.lists(st.tuples(st.sampled_from(people), st.integers(0, 23)), unique=True))
    energy = st.integers(0, 5_000_000)
    intervals = [IntervalRecord(1, p, DAY + h * HOUR, draw(energy), draw(energy)) for p, h in hours]
    measured = draw(st.none() | st.integers(0, 10_000_000))
    if not any(r.charged_wh for r in intervals):
        measured = None if measured is None else 0
    return Case(terms, leases, intervals, measured)


def _settle(case: Case) -> Statement:
    return settle(
        1,
        DAY,
        DAY + 86_400,
        case.intervals,
        case.leases,
        case.terms,
        measured_losses_wh=case.measured,
        interval_s=HOUR,
    )


@settings(max_examples=200, deadline=None)
@given(cases())
def test_lines_add_up_exactly_and_each_share_is_within_one_unit(case: Case) -> None:
    statement = _settle(case)
    t, lines = case.terms, statement.lines
    charged = sum(r.charged_wh for r in case.intervals)
    if case.measured is None:
        loss = (2 * charged * (1_000_000 - t.efficiency_ppm) + 1_000_000) // 2_000_000
    else:
        loss = case.measured
    assert statement.totals.loss_wh == sum(x.loss_wh for x in lines) == loss
    assert statement.totals.charged_wh == charged
    assert statement.totals.discharged_wh == sum(r.discharged_wh for r in case.intervals)

    exact: dict[str, list[Fraction]] = {"loss_wh": [], "lease_fee": [], "throughput_fee": []}
    for line in lines:
        exact["loss_wh"].append(
            Fraction(loss * line.charged_wh, charged) if charged else Fraction(0)
        )
        exact["lease_fee"].append(
            Fraction(line.lease_wh_seconds * t.lease_price_per_kwh_day, 1000 * 1000 * 86_400)
        )
        exact["throughput_fee"].append(
            Fraction(line.discharged_wh * t.throughput_price_per_kwh, 1000 * 1000)
        )
    for name, values in exact.items():
        shares = [getattr(line, name) for line in lines]
        assert all(abs(s - v) < 1 for s, v in zip(shares, values, strict=True)), name
        total = getattr(statement.totals, name)
        assert sum(shares) == total
        assert abs(total - sum(values)) <= Fraction(1, 2), name
    for name in ("peak_pay", "loss_charge", "lease_fee", "throughput_fee"):
        assert sum(getattr(line, name) for line in lines) == getattr(statement.totals, name)
    for line in lines:
        assert line.net == line.peak_pay - line.lease_fee - line.throughput_fee - line.loss_charge
    assert statement.totals.net == sum(line.net for line in lines)


@settings(max_examples=100, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_statement_does_not_depend_on_input_order(case: Case, rnd: object) -> None:
    first = _settle(case)
    intervals, leases = list(case.intervals), list(case.leases)
    rnd.shuffle(intervals)  # type: ignore[attr-defined]
    rnd.shuffle(leases)  # type: ignore[attr-defined]
    second = _settle(Case(case.terms, leases, intervals, case.measured))
    assert second == first
    assert second.root == first.root
