"""The settlement period key: the local (UTC+8, China Standard Time) calendar day as a uint32
yyyymmdd, which is the `period` SettlementAnchor stores statements under. The day runs
[local midnight, local midnight + 86,400 s) in UTC unix seconds, e.g. 20261123 is
[1_795_363_200, 1_795_449_600) = 2026-11-22T16:00Z .. 2026-11-23T16:00Z."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

LOCAL_OFFSET_S = 8 * 3600  # China Standard Time, no daylight saving
DAY_S = 86_400


def essl_period(day_start: int) -> int:
    """yyyymmdd of the local day that starts at `day_start` (unix s of a local midnight)."""
    if (day_start + LOCAL_OFFSET_S) % DAY_S:
        raise ValueError(f"{day_start} is not a local (UTC+8) midnight")
    local = datetime.fromtimestamp(day_start + LOCAL_OFFSET_S, UTC).date()
    return local.year * 10_000 + local.month * 100 + local.day


def period_day(period: int) -> date:
    """The local calendar date of a yyyymmdd period key (ValueError if it is not a date)."""
    return date(period // 10_000, period // 100 % 100, period % 100)


def period_bounds(period: int) -> tuple[int, int]:
    """[start, end) unix seconds of the local day `period` (yyyymmdd)."""
    day = period_day(period)
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) - LOCAL_OFFSET_S
    return start, start + DAY_S


def previous_period(now: int) -> int:
    """The local day before the one containing unix time `now` (what a daily job settles)."""
    local_today = datetime.fromtimestamp(now + LOCAL_OFFSET_S, UTC).date()
    yesterday = local_today - timedelta(days=1)
    return yesterday.year * 10_000 + yesterday.month * 100 + yesterday.day
