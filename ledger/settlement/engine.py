"""Settle one station for one period: aggregate the interval records per participant in one
pass, price leases, throughput and peak-shaving, allocate losses, round every column to whole
units with the largest remainder method, check conservation, and return the Statement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger.settlement.apportion import largest_remainder, round_half_up
from ledger.settlement.errors import (
    ConservationViolated,
    InvalidInterval,
    InvalidLease,
    InvalidLosses,
    InvalidPeriod,
    InvalidTerms,
    TermsNotInForce,
    UnknownParticipant,
)
from ledger.settlement.inputs import IntervalRecord, Lease, is_checksummed
from ledger.settlement.statement import Line, LossSource, Statement, Totals
from ledger.settlement.terms import DAY_S, MILLI, PPM, WH_PER_KWH, Terms

ENERGY_PRICE_DENOMINATOR = WH_PER_KWH * MILLI  # Wh x milli-minor/kWh -> minor units
LEASE_DENOMINATOR = WH_PER_KWH * MILLI * DAY_S  # Wh x s x milli-minor/(kWh day) -> minor units


class _Account:
    """Running sums for one participant while the records stream past."""

    __slots__ = ("charged", "discharged", "leases", "peak_charged", "peak_value", "seen")

    def __init__(self, intervals: int) -> None:
        self.leases: list[Lease] = []
        # seen[k]: 0 = no record for interval k, 1 = a zero-energy record, 2 = energy moved
        self.seen = bytearray(intervals)
        self.charged = 0
        self.discharged = 0
        self.peak_charged = 0
        self.peak_value = 0  # sum of charged Wh x capped price, milli-minor units x Wh/kWh


def settle(
    station_id: int,
    period_start: int,
    period_end: int,
    intervals: Iterable[IntervalRecord],
    leases: Iterable[Lease],
    terms: Terms,
    *,
    measured_losses_wh: int | None = None,
    interval_s: int = 900,
) -> Statement:
    """The statement of `station_id` for [period_start, period_end) under `terms`.

    Losses are `measured_losses_wh` when given, else charged x (1 - efficiency), rounded half
    up to whole Wh. Raises a SettlementError subclass naming the field for any bad input."""
    count = _check_period(period_start, period_end, interval_s)
    if not terms.in_force(period_start, period_end):
        until = "open" if terms.valid_until is None else str(terms.valid_until)
        raise TermsNotInForce(
            "terms",
            f"version {terms.version} is valid [{terms.valid_from}, {until}), which does not "
            f"cover the period [{period_start}, {period_end}); settle with the terms in force",
        )
    prices = _interval_prices(terms, period_start, count, interval_s)
    accounts = _open_accounts(leases, period_start, period_end, count)
    charged_total, discharged_total = _accumulate(
        station_id, period_start, interval_s, count, intervals, prices, accounts
    )
    _check_lease_cover(accounts, period_start, interval_s, count)

    participants = sorted(accounts, key=lambda p: int(p, 16))
    keys = [int(p, 16) for p in participants]
    accs = [accounts[p] for p in participants]
    losses, source = _station_losses(measured_losses_wh, charged_total, terms)
    loss_wh = (
        largest_remainder(losses, [losses * a.charged for a in accs], charged_total, keys)
        if charged_total
        else [0] * len(accs)
    )
    lease_ws = [_lease_wh_seconds(a.leases, period_start, period_end) for a in accs]

    def column(numerators: list[int], denominator: int) -> tuple[int, list[int]]:
        total = round_half_up(sum(numerators), denominator)
        return total, largest_remainder(total, numerators, denominator, keys)

    lease_total, lease_fee = column(
        [w * terms.lease_price_per_kwh_day for w in lease_ws], LEASE_DENOMINATOR
    )
    thr_total, thr_fee = column(
        [a.discharged * terms.throughput_price_per_kwh for a in accs], ENERGY_PRICE_DENOMINATOR
    )
    peak_total, peak_pay = column([a.peak_value for a in accs], ENERGY_PRICE_DENOMINATOR)
    loss_total, loss_charge = column(
        [w * terms.loss_price_per_kwh for w in loss_wh], ENERGY_PRICE_DENOMINATOR
    )

    terms_hash = terms.hash
    lines = tuple(
        Line(
            station_id=station_id,
            period_start=period_start,
            period_end=period_end,
            terms_hash=terms_hash,
            participant=p,
            leased_wh=max(lease.capacity_wh for lease in a.leases),
            lease_wh_seconds=lease_ws[i],
            charged_wh=a.charged,
            discharged_wh=a.discharged,
            peak_charged_wh=a.peak_charged,
            loss_wh=loss_wh[i],
            lease_fee=lease_fee[i],
            throughput_fee=thr_fee[i],
            peak_pay=peak_pay[i],
            loss_charge=loss_charge[i],
            net=peak_pay[i] - lease_fee[i] - thr_fee[i] - loss_charge[i],
        )
        for i, (p, a) in enumerate(zip(participants, accs, strict=True))
    )
    totals = Totals.of(lines)
    expected = {
        "charged_wh": charged_total,
        "discharged_wh": discharged_total,
        "loss_wh": losses,
        "lease_fee": lease_total,
        "throughput_fee": thr_total,
        "peak_pay": peak_total,
        "loss_charge": loss_total,
        "net": peak_total - lease_total - thr_total - loss_total,
    }
    for name, value in expected.items():
        if getattr(totals, name) != value:
            raise ConservationViolated(name, f"lines sum to {getattr(totals, name)}, not {value}")
    return Statement(
        station_id=station_id,
        period_start=period_start,
        period_end=period_end,
        interval_s=interval_s,
        terms_version=terms.version,
        terms_hash=terms_hash,
        currency=terms.currency,
        loss_source=source,
        lines=lines,
        totals=totals,
        loss_efficiency_ppm=terms.efficiency_ppm if source == "efficiency" else None,
    )


def _check_period(start: int, end: int, interval_s: int) -> int:
    if type(interval_s) is not int or interval_s <= 0 or DAY_S % interval_s:
        raise InvalidPeriod(
            "interval_s", f"must divide a day into whole intervals, got {interval_s}"
        )
    for name, value in (("period_start", start), ("period_end", end)):
        if type(value) is not int or value < 0 or value % interval_s:
            raise InvalidPeriod(
                name, f"must be a unix time on the {interval_s} s grid, got {value}"
            )
    if end <= start:
        raise InvalidPeriod("period_end", f"{end} is not after period_start {start}")
    return (end - start) // interval_s


def _interval_prices(
    terms: Terms, period_start: int, count: int, interval_s: int
) -> list[int | None]:
    """Capped price for each interval of the period; None outside every peak-shaving window.
    A call window takes precedence over a daily window; windows must sit on the grid."""
    for i, w in enumerate(terms.daily_windows):
        if w.start_s % interval_s or w.end_s % interval_s:
            raise InvalidTerms(f"daily_windows[{i}]", f"must sit on the {interval_s} s grid")
    for i, c in enumerate(terms.call_windows):
        if c.start % interval_s or c.end % interval_s:
            raise InvalidTerms(f"call_windows[{i}]", f"must sit on the {interval_s} s grid")
    cap = terms.peak_cap_per_kwh
    prices: list[int | None] = [None] * count
    for w in terms.daily_windows:
        for k in range(count):
            if w.start_s <= (period_start + k * interval_s) % DAY_S < w.end_s:
                prices[k] = min(w.price_per_kwh, cap)
    for c in terms.call_windows:
        first = max(0, (c.start - period_start) // interval_s)
        last = min(count, (c.end - period_start) // interval_s)
        for k in range(first, last):
            prices[k] = min(c.price_per_kwh, cap)
    return prices


def _open_accounts(
    leases: Iterable[Lease], period_start: int, period_end: int, count: int
) -> dict[str, _Account]:
    accounts: dict[str, _Account] = {}
    for i, lease in enumerate(leases):
        field = f"leases[{i}]"
        if not is_checksummed(lease.participant):
            raise InvalidLease(f"{field}.participant", f"{lease.participant!r} is not checksummed")
        for name in ("capacity_wh", "valid_from", "valid_to"):
            value = getattr(lease, name)
            if type(value) is not int or value < 0:
                raise InvalidLease(f"{field}.{name}", f"must be a non-negative int, got {value!r}")
        if lease.valid_to <= lease.valid_from:
            raise InvalidLease(f"{field}.valid_to", "must be after valid_from")
        if lease.valid_to <= period_start or lease.valid_from >= period_end:
            continue  # not in force during this period
        account = accounts.get(lease.participant)
        if account is None:
            account = accounts[lease.participant] = _Account(count)
        for other in account.leases:
            if lease.valid_from < other.valid_to and other.valid_from < lease.valid_to:
                raise InvalidLease(field, f"overlaps another lease of {lease.participant}")
        account.leases.append(lease)
    if not accounts:
        raise InvalidLease("leases", "no lease is in force during the period")
    return accounts


def _accumulate(
    station_id: int,
    period_start: int,
    interval_s: int,
    count: int,
    intervals: Iterable[IntervalRecord],
    prices: Sequence[int | None],
    accounts: dict[str, _Account],
) -> tuple[int, int]:
    """One pass over the records; the happy path is kept branch-light on purpose."""
    span = count * interval_s
    charged_total = discharged_total = 0
    get = accounts.get
    for i, rec in enumerate(intervals):
        acc = get(rec.participant)
        off = rec.start - period_start
        ch = rec.charged_wh
        dis = rec.discharged_wh
        if (
            acc is None
            or rec.station_id != station_id
            or type(ch) is not int
            or type(dis) is not int
            or type(off) is not int
            or ch < 0
            or dis < 0
            or not 0 <= off < span
            or off % interval_s
        ):
            _reject(i, rec, station_id, period_start, span, interval_s, acc)
            raise AssertionError("unreachable")  # pragma: no cover
        k = off // interval_s
        seen = acc.seen
        if seen[k]:
            raise InvalidInterval(
                f"intervals[{i}]", f"second record for {rec.participant} at {rec.start}"
            )
        seen[k] = 2 if ch or dis else 1
        acc.charged += ch
        acc.discharged += dis
        charged_total += ch
        discharged_total += dis
        price = prices[k]
        if price is not None:
            acc.peak_charged += ch
            acc.peak_value += ch * price
    return charged_total, discharged_total


def _reject(
    i: int,
    rec: IntervalRecord,
    station_id: int,
    period_start: int,
    span: int,
    interval_s: int,
    acc: _Account | None,
) -> None:
    field = f"intervals[{i}]"
    if rec.station_id != station_id:
        raise InvalidInterval(
            f"{field}.station_id", f"{rec.station_id} is not station {station_id}"
        )
    if acc is None:
        if not is_checksummed(rec.participant):
            raise InvalidInterval(f"{field}.participant", f"{rec.participant!r} is not checksummed")
        raise UnknownParticipant(
            f"{field}.participant",
            f"{rec.participant} holds no lease at station {station_id} in this period",
        )
    for name in ("charged_wh", "discharged_wh"):
        value = getattr(rec, name)
        if type(value) is not int:
            raise InvalidInterval(f"{field}.{name}", f"must be an int of Wh, got {value!r}")
        if value < 0:
            raise InvalidInterval(f"{field}.{name}", f"must not be negative, got {value}")
    if type(rec.start) is not int:
        raise InvalidInterval(f"{field}.start", f"must be an int of unix s, got {rec.start!r}")
    off = rec.start - period_start
    if not 0 <= off < span:
        raise InvalidInterval(
            f"{field}.start",
            f"{rec.start} is outside the period [{period_start}, {period_start + span})",
        )
    raise InvalidInterval(f"{field}.start", f"{rec.start} is not on the {interval_s} s grid")


def _check_lease_cover(
    accounts: dict[str, _Account], period_start: int, interval_s: int, count: int
) -> None:
    """Records that moved energy must fall inside one of the participant's leases."""
    for participant, acc in accounts.items():
        position = 0
        for lease in sorted(acc.leases, key=lambda x: x.valid_from):
            first = min(count, max(0, -(-(lease.valid_from - period_start) // interval_s)))
            gap = acc.seen.find(2, position, first)
            if gap >= 0:
                break
            position = max(position, min(count, -(-(lease.valid_to - period_start) // interval_s)))
        else:
            gap = acc.seen.find(2, position)
        if gap >= 0:
            raise InvalidInterval(
                "intervals",
                f"{participant} moved energy at {period_start + gap * interval_s}, "
                "outside its lease",
            )


def _station_losses(
    measured: int | None, charged_total: int, terms: Terms
) -> tuple[int, LossSource]:
    if measured is None:
        return round_half_up(charged_total * (PPM - terms.efficiency_ppm), PPM), "efficiency"
    if type(measured) is not int or measured < 0:
        raise InvalidLosses("measured_losses_wh", f"must be a non-negative int, got {measured!r}")
    if measured and not charged_total:
        raise InvalidLosses(
            "measured_losses_wh", f"{measured} Wh lost but nothing was charged to allocate it to"
        )
    return measured, "measured"


def _lease_wh_seconds(leases: Sequence[Lease], period_start: int, period_end: int) -> int:
    return sum(
        x.capacity_wh * (min(x.valid_to, period_end) - max(x.valid_from, period_start))
        for x in leases
    )
