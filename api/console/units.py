"""Units as users read them; the chain and the tables stay in Wh, gCO2e and fen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ledger.settlement.period import LOCAL_OFFSET_S

CHINA = timezone(timedelta(seconds=LOCAL_OFFSET_S))  # station days are UTC+8 days


def energy(wh: int | None) -> str:
    """kWh below 1 MWh, MWh from there (Wh stays exact in the title attribute)."""
    if wh is None:
        return "-"
    if abs(wh) >= 1_000_000:
        return f"{wh / 1_000_000:,.3f} MWh"
    return f"{wh / 1_000:,.1f} kWh"


def mass(grams: int | None) -> str:
    """kg CO2e below 1 t, t CO2e from there."""
    if grams is None:
        return "-"
    if abs(grams) >= 1_000_000:
        return f"{grams / 1_000_000:,.3f} t CO2e"
    return f"{grams / 1_000:,.1f} kg CO2e"


def money(fen: int | None, currency: str = "CNY") -> str:
    """Integer fen shown as yuan with two decimals (exact: no float)."""
    if fen is None:
        return "-"
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d} {currency}"


def percent(bps: int | None) -> str:
    return "-" if bps is None else f"{bps / 100:.2f}%"


def factor(grams_per_mwh: int) -> str:
    """gCO2e/MWh as the published kgCO2/kWh figure (536,600 -> 0.5366)."""
    return f"{grams_per_mwh / 1_000_000:.4f} kgCO2e/kWh"


def local_time(ts: int | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Unix seconds as China time (UTC+8), the station's local day."""
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, CHINA).strftime(fmt)


def local_day_bounds(day: str) -> tuple[int, int]:
    """[start, end) unix seconds of a local (UTC+8) day given as YYYY-MM-DD."""
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=CHINA)
    begin = int(start.timestamp())
    return begin, begin + 86_400


def local_day(ts: int) -> str:
    return datetime.fromtimestamp(ts, CHINA).strftime("%Y-%m-%d")


def utc_iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def short(address: str | None, keep: int = 6) -> str:
    if not address:
        return "-"
    return f"{address[: keep + 2]}…{address[-4:]}" if len(address) > keep + 6 else address
