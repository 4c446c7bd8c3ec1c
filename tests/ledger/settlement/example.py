"""The worked example of docs/settlement.md: station 7, 2025-06-01 (UTC), four participants."""

from __future__ import annotations

from ledger.settlement import DailyWindow, IntervalRecord, Lease, Terms

STATION = 7
DAY = 1_748_736_000  # 2025-06-01T00:00:00Z
PERIOD = (DAY, DAY + 86_400)

WIND = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
SOLAR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
FACTORY = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
TRADER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"

TERMS = Terms(
    version=1,
    valid_from=1_746_057_600,  # 2025-05-01T00:00:00Z
    valid_until=None,
    currency="CNY",
    minor_exponent=2,
    lease_price_per_kwh_day=41_096,  # 0.41096 CNY per kWh-day (~150 CNY per kWh-year)
    throughput_price_per_kwh=2_750,  # 0.0275 CNY per discharged kWh
    peak_cap_per_kwh=30_000,  # Henan cap, 0.30 CNY/kWh
    daily_windows=(DailyWindow(10_800, 18_000, 35_000),),  # 11:00-13:00 Beijing at 0.35 CNY/kWh
    call_windows=(),
    efficiency_ppm=820_000,  # Qinghai shared stations, ~82 % round trip
    loss_price_per_kwh=26_000,  # 0.26 CNY/kWh
    dispute_window_s=604_800,  # 7 days
)


def at(hour: int, minute: int = 0) -> int:
    return DAY + hour * 3600 + minute * 60


LEASES = [
    Lease(WIND, 2_000_000, DAY - 30 * 86_400, DAY + 365 * 86_400),
    Lease(SOLAR, 1_500_000, DAY - 30 * 86_400, DAY + 365 * 86_400),
    Lease(FACTORY, 1_000_250, DAY, DAY + 86_400),
    Lease(TRADER, 500_000, at(12, 10), DAY + 90 * 86_400),
]

INTERVALS = [
    IntervalRecord(STATION, WIND, at(2, 45), 400_000, 0),
    IntervalRecord(STATION, WIND, at(3), 500_000, 0),
    IntervalRecord(STATION, WIND, at(3, 15), 300_001, 0),
    IntervalRecord(STATION, WIND, at(18), 0, 900_000),
    IntervalRecord(STATION, SOLAR, at(3, 30), 250_000, 0),
    IntervalRecord(STATION, SOLAR, at(4, 45), 333_333, 0),
    IntervalRecord(STATION, SOLAR, at(5), 100_000, 0),
    IntervalRecord(STATION, SOLAR, at(19), 0, 540_000),
    IntervalRecord(STATION, FACTORY, at(4), 150_000, 0),
    IntervalRecord(STATION, FACTORY, at(20), 0, 120_000),
    IntervalRecord(STATION, TRADER, at(13), 77_777, 0),
    IntervalRecord(STATION, TRADER, at(21), 0, 50_000),
    IntervalRecord(STATION, TRADER, at(22), 0, 0),
]
