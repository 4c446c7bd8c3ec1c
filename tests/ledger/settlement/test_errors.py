"""Every kind of bad input is refused with a typed error naming the field."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest

from ledger.errors import LedgerError
from ledger.settlement import (
    CallWindow,
    ConservationViolated,
    DailyWindow,
    IntervalRecord,
    InvalidInterval,
    InvalidLease,
    InvalidLosses,
    InvalidPeriod,
    InvalidTerms,
    Lease,
    SettlementError,
    Terms,
    TermsNotInForce,
    UnknownParticipant,
    apportion,
    engine,
    settle,
)
from tests.ledger.settlement.example import (
    DAY,
    FACTORY,
    INTERVALS,
    LEASES,
    PERIOD,
    STATION,
    TERMS,
    TRADER,
    WIND,
    at,
)

STRANGER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"


def _settle_with(
    intervals: Sequence[IntervalRecord] = INTERVALS,
    leases: Sequence[Lease] = LEASES,
    *,
    period: tuple[int, int] = PERIOD,
    terms: Terms = TERMS,
    measured_losses_wh: Any = None,
    interval_s: int = 900,
) -> None:
    settle(
        STATION,
        *period,
        intervals,
        leases,
        terms,
        measured_losses_wh=measured_losses_wh,
        interval_s=interval_s,
    )


def _with_record(record: IntervalRecord) -> list[IntervalRecord]:
    return [*INTERVALS, record]


def test_errors_belong_to_the_ledger_tree() -> None:
    assert issubclass(SettlementError, LedgerError)
    err = InvalidInterval("intervals[3].charged_wh", "must not be negative, got -1")
    assert str(err) == "intervals[3].charged_wh: must not be negative, got -1"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"interval_s": 7}, "interval_s"),
        ({"period": (DAY + 1, DAY + 86_400)}, "period_start"),
        ({"period": (DAY, DAY + 86_401)}, "period_end"),
        ({"period": (DAY, DAY)}, "period_end"),
    ],
)
def test_bad_period_is_rejected(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidPeriod) as err:
        _settle_with(**kwargs)
    assert err.value.field == field


def test_terms_not_yet_in_force_are_rejected() -> None:
    with pytest.raises(TermsNotInForce, match="version 1"):
        _settle_with(terms=dataclasses.replace(TERMS, valid_from=DAY + 1))


def test_terms_expiring_inside_the_period_are_rejected() -> None:
    with pytest.raises(TermsNotInForce):
        _settle_with(terms=dataclasses.replace(TERMS, valid_until=DAY + 3600))


@pytest.mark.parametrize(
    "terms",
    [
        dataclasses.replace(TERMS, daily_windows=(DailyWindow(100, 1000, 1),)),
        dataclasses.replace(TERMS, call_windows=(CallWindow(DAY, DAY + 60, 1),)),
    ],
)
def test_windows_off_the_interval_grid_are_rejected(terms: Terms) -> None:
    with pytest.raises(InvalidTerms, match="grid"):
        _settle_with(terms=terms)


@pytest.mark.parametrize(
    ("lease", "field"),
    [
        (Lease(WIND.lower(), 1, DAY, DAY + 1), "leases[4].participant"),
        (Lease(STRANGER, -1, DAY, DAY + 1), "leases[4].capacity_wh"),
        (Lease(STRANGER, 1, DAY, DAY), "leases[4].valid_to"),
        (Lease(WIND, 5, DAY + 3600, DAY + 7200), "leases[4]"),
    ],
)
def test_bad_leases_are_rejected(lease: Lease, field: str) -> None:
    with pytest.raises(InvalidLease) as err:
        _settle_with(leases=[*LEASES, lease])
    assert err.value.field == field


def test_no_lease_in_force_is_rejected() -> None:
    with pytest.raises(InvalidLease, match="no lease"):
        _settle_with(intervals=[], leases=[Lease(WIND, 1, DAY - 10, DAY)])


def test_participant_without_a_lease_is_unknown() -> None:
    with pytest.raises(UnknownParticipant) as err:
        _settle_with(_with_record(IntervalRecord(STATION, STRANGER, at(1), 10, 0)))
    assert err.value.field == f"intervals[{len(INTERVALS)}].participant"


@pytest.mark.parametrize(
    ("record", "suffix", "reason"),
    [
        (IntervalRecord(STATION + 1, WIND, at(1), 1, 0), "station_id", "is not station 7"),
        (IntervalRecord(STATION, WIND.lower(), at(1), 1, 0), "participant", "checksummed"),
        (IntervalRecord(STATION, WIND, at(1), -1, 0), "charged_wh", "negative"),
        (IntervalRecord(STATION, WIND, at(1), 0, -1), "discharged_wh", "negative"),
        (IntervalRecord(STATION, WIND, at(1), 1.5, 0), "charged_wh", "int"),  # type: ignore[arg-type]
        (IntervalRecord(STATION, WIND, DAY - 900, 1, 0), "start", "outside the period"),
        (IntervalRecord(STATION, WIND, DAY + 86_400, 1, 0), "start", "outside the period"),
        (IntervalRecord(STATION, WIND, at(1) + 60, 1, 0), "start", "grid"),
        (IntervalRecord(STATION, WIND, at(1) + 0.0, 1, 0), "start", "int"),  # type: ignore[arg-type]
    ],
)
def test_bad_interval_records_are_rejected(
    record: IntervalRecord, suffix: str, reason: str
) -> None:
    with pytest.raises(InvalidInterval, match=reason) as err:
        _settle_with(_with_record(record))
    assert err.value.field == f"intervals[{len(INTERVALS)}].{suffix}"


def test_duplicate_interval_is_rejected() -> None:
    with pytest.raises(InvalidInterval, match="second record"):
        _settle_with(_with_record(INTERVALS[0]))


def test_energy_outside_the_lease_is_rejected() -> None:
    # TRADER's lease starts at 12:10, so the 12:00 interval is not covered; FACTORY's ends.
    with pytest.raises(InvalidInterval, match="outside its lease"):
        _settle_with(_with_record(IntervalRecord(STATION, TRADER, at(12), 5, 0)))
    factory = [Lease(FACTORY, 1, DAY, at(6)) if x.participant == FACTORY else x for x in LEASES]
    with pytest.raises(InvalidInterval, match="outside its lease"):
        _settle_with(leases=factory)


def test_zero_record_outside_the_lease_is_accepted() -> None:
    _settle_with(_with_record(IntervalRecord(STATION, TRADER, at(12), 0, 0)))


@pytest.mark.parametrize("losses", [-1, 2.5])
def test_bad_measured_losses_are_rejected(losses: object) -> None:
    with pytest.raises(InvalidLosses):
        _settle_with(measured_losses_wh=losses)


def test_losses_without_charged_energy_are_rejected() -> None:
    discharge_only = [r for r in INTERVALS if r.charged_wh == 0]
    with pytest.raises(InvalidLosses, match="nothing was charged"):
        _settle_with(discharge_only, measured_losses_wh=10)


def test_engine_refuses_a_statement_that_does_not_add_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = apportion.largest_remainder

    def off_by_one(
        total: int, numerators: Sequence[int], denominator: int, keys: Sequence[int]
    ) -> list[int]:
        shares = real(total, numerators, denominator, keys)
        shares[0] += 1
        return shares

    monkeypatch.setattr(engine, "largest_remainder", off_by_one)
    with pytest.raises(ConservationViolated):
        _settle_with()
