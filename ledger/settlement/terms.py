"""Versioned tariff terms for one station: prices, peak-shaving windows, loss rule and dispute
window; their canonical JSON and its keccak-256 hash, which is registered on-chain.

Prices are integers in *milli-minor units* per kWh: thousandths of a fen for CNY, so
0.3247 CNY/kWh is 32_470 and a lease of 0.12 fen per kWh-day is 120. Efficiency is in parts
per million (82 % is 820_000). Times are UTC unix seconds; daily windows are UTC seconds of the
day (Beijing 11:00 is 03:00 UTC = 10_800)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak

from ledger.settlement.errors import InvalidTerms

MILLI = 1_000  # milli-minor units per minor unit (milli-fen per fen)
WH_PER_KWH = 1_000
PPM = 1_000_000
DAY_S = 86_400
HENAN_PEAK_CAP = 30_000  # 0.30 CNY/kWh in milli-fen (Henan peak-shaving price cap)
QINGHAI_2025_PEAK_PRICE = 32_470  # 0.3247 CNY/kWh in milli-fen (Qinghai 2025 draft)
MAX_DISPUTE_WINDOW_S = 90 * DAY_S  # SettlementAnchor accepts 1 s .. 90 days


@dataclass(frozen=True, slots=True)
class DailyWindow:
    """A peak-shaving window that recurs every UTC day: [start_s, end_s) seconds of the day."""

    start_s: int
    end_s: int
    price_per_kwh: int  # clearing price, milli-minor units per kWh (the cap still applies)


@dataclass(frozen=True, slots=True)
class CallWindow:
    """One explicit dispatch call: [start, end) unix s. Takes precedence over daily windows."""

    start: int
    end: int
    price_per_kwh: int


@dataclass(frozen=True, slots=True)
class Terms:
    version: int
    valid_from: int  # unix s, inclusive
    valid_until: int | None  # unix s, exclusive; None = open-ended
    currency: str  # ISO 4217, e.g. "CNY"
    minor_exponent: int  # 2 for fen/cent: 1 CNY = 10**2 fen
    lease_price_per_kwh_day: int  # per kWh of leased capacity per day
    throughput_price_per_kwh: int  # per discharged kWh
    peak_cap_per_kwh: int  # the clearing price is capped here (Henan: 30_000)
    daily_windows: tuple[DailyWindow, ...]
    call_windows: tuple[CallWindow, ...]
    efficiency_ppm: int  # measured station round-trip efficiency (Qinghai ~820_000)
    loss_price_per_kwh: int  # 0 = losses are an energy line only
    dispute_window_s: int

    def __post_init__(self) -> None:
        _validate(self)

    def in_force(self, start: int, end: int) -> bool:
        """True if these terms cover the whole of [start, end)."""
        return self.valid_from <= start and (self.valid_until is None or end <= self.valid_until)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "currency": self.currency,
            "minor_exponent": self.minor_exponent,
            "lease_price_per_kwh_day": self.lease_price_per_kwh_day,
            "throughput_price_per_kwh": self.throughput_price_per_kwh,
            "peak_cap_per_kwh": self.peak_cap_per_kwh,
            "daily_windows": [[w.start_s, w.end_s, w.price_per_kwh] for w in self.daily_windows],
            "call_windows": [[w.start, w.end, w.price_per_kwh] for w in self.call_windows],
            "efficiency_ppm": self.efficiency_ppm,
            "loss_price_per_kwh": self.loss_price_per_kwh,
            "dispute_window_s": self.dispute_window_s,
        }

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no whitespace, ASCII only, integers only."""
        return canonical_json(self.to_dict())

    @property
    def hash(self) -> bytes:
        """keccak-256 of the canonical JSON bytes: the value registered on-chain."""
        return bytes(keccak(self.to_json().encode("ascii")))

    @classmethod
    def from_json(cls, text: str) -> Terms:
        try:
            d = json.loads(text)
            return cls(
                version=d["version"],
                valid_from=d["valid_from"],
                valid_until=d["valid_until"],
                currency=d["currency"],
                minor_exponent=d["minor_exponent"],
                lease_price_per_kwh_day=d["lease_price_per_kwh_day"],
                throughput_price_per_kwh=d["throughput_price_per_kwh"],
                peak_cap_per_kwh=d["peak_cap_per_kwh"],
                daily_windows=tuple(DailyWindow(*w) for w in d["daily_windows"]),
                call_windows=tuple(CallWindow(*w) for w in d["call_windows"]),
                efficiency_ppm=d["efficiency_ppm"],
                loss_price_per_kwh=d["loss_price_per_kwh"],
                dispute_window_s=d["dispute_window_s"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidTerms("terms", f"not a terms document ({exc!r})") from exc


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate(t: Terms) -> None:
    ints = {
        "version": t.version,
        "valid_from": t.valid_from,
        "minor_exponent": t.minor_exponent,
        "lease_price_per_kwh_day": t.lease_price_per_kwh_day,
        "throughput_price_per_kwh": t.throughput_price_per_kwh,
        "peak_cap_per_kwh": t.peak_cap_per_kwh,
        "efficiency_ppm": t.efficiency_ppm,
        "loss_price_per_kwh": t.loss_price_per_kwh,
        "dispute_window_s": t.dispute_window_s,
    }
    for name, value in ints.items():
        if not _is_int(value):
            raise InvalidTerms(name, f"must be an integer, got {value!r}")
        if value < 0:
            raise InvalidTerms(name, f"must not be negative, got {value}")
    if t.valid_until is not None and (not _is_int(t.valid_until) or t.valid_until <= t.valid_from):
        raise InvalidTerms("valid_until", f"must be an int after valid_from, got {t.valid_until}")
    if not (isinstance(t.currency, str) and len(t.currency) == 3 and t.currency.isupper()):
        raise InvalidTerms("currency", f"must be an ISO 4217 code like 'CNY', got {t.currency!r}")
    if not 0 < t.dispute_window_s <= MAX_DISPUTE_WINDOW_S:
        raise InvalidTerms(
            "dispute_window_s", f"must be in [1, {MAX_DISPUTE_WINDOW_S}], got {t.dispute_window_s}"
        )
    if not 0 < t.efficiency_ppm <= PPM:
        raise InvalidTerms("efficiency_ppm", f"must be in (0, {PPM}], got {t.efficiency_ppm}")
    _validate_windows(
        "daily_windows", [(w.start_s, w.end_s, w.price_per_kwh) for w in t.daily_windows], DAY_S
    )
    _validate_windows(
        "call_windows", [(w.start, w.end, w.price_per_kwh) for w in t.call_windows], None
    )


def _validate_windows(name: str, windows: list[tuple[int, int, int]], limit: int | None) -> None:
    for i, (start, end, price) in enumerate(windows):
        if not all(_is_int(v) for v in (start, end, price)):
            raise InvalidTerms(f"{name}[{i}]", "start, end and price must be integers")
        if not (0 <= start < end and (limit is None or end <= limit)):
            bound = f" within [0, {limit}]" if limit else ""
            raise InvalidTerms(f"{name}[{i}]", f"need 0 <= start < end{bound}: [{start}, {end})")
        if price < 0:
            raise InvalidTerms(f"{name}[{i}].price_per_kwh", f"must not be negative, got {price}")
    ordered = sorted(windows)
    for i in range(1, len(ordered)):
        if ordered[i][0] < ordered[i - 1][1]:
            raise InvalidTerms(name, f"windows {ordered[i - 1][:2]} and {ordered[i][:2]} overlap")
