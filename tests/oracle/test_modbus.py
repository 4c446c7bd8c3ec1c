"""End to end: pymodbus SunSpec server -> pysunspec2 client -> signed Reading -> Validator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oracle.reading import OVER_TEMP_ALARM, DeviceDomain, address_of, recover_signer
from oracle.sources.modbus import SunSpecModbusSource
from oracle.sources.simulator import derived_key
from oracle.validate import DeviceInfo, StationInfo, Validator
from tests.oracle.conftest import DAY_START
from tests.oracle.sunspec_server import MeterModel, SunSpecBatteryServer

KEY = derived_key(8, "gateway")
PARTICIPANT = address_of(derived_key(8, "participant"))
STATION = StationInfo(1, 2_000_000, 4_000_000, 900, 1_000, 9_500, 8_800)


@pytest.fixture(params=[203, 701])
def server(request: pytest.FixtureRequest) -> Iterator[SunSpecBatteryServer]:
    model: MeterModel = request.param
    with SunSpecBatteryServer(meter_model=model) as s:
        yield s


def _source(server: SunSpecBatteryServer, domain: DeviceDomain) -> SunSpecModbusSource:
    return SunSpecModbusSource(
        "127.0.0.1", server.port, key=KEY, device_address=address_of(KEY), domain=domain,
        station_id=1, participant=PARTICIPANT, period_s=60,
    )  # fmt: skip


def test_reads_scaled_points_and_signs(server: SunSpecBatteryServer, domain: DeviceDomain) -> None:
    server.set_battery(soc_pct=61.25, soh_pct=97.5, cycles=412, volts=771.3, amps=-120.4,
                       watts=-92_800, alarms=OVER_TEMP_ALARM)  # fmt: skip
    server.set_cells(min_volts=3.187, max_volts=3.241, min_temp_c=22.5, max_temp_c=31.0)
    server.set_counters(charged_wh=1_234_567, discharged_wh=765_432)
    signed = _source(server, domain).read_once(DAY_START)
    r = signed.reading
    assert (r.soc_bps, r.soh_bps, r.cycle_count) == (6_125, 9_750, 412)
    assert (r.pack_milli_volts, r.pack_milli_amps, r.power_w) == (771_300, -120_400, -92_800)
    assert (r.cell_min_milli_volts, r.cell_max_milli_volts) == (3_187, 3_241)
    assert (r.temp_min_deci_c, r.temp_max_deci_c) == (225, 310)
    assert (r.charged_wh, r.discharged_wh) == (1_234_567, 765_432)
    assert r.alarm_bits == OVER_TEMP_ALARM and r.participant == PARTICIPANT
    assert recover_signer(signed, domain) == address_of(KEY)


def test_counter_rollover_end_to_end(server: SunSpecBatteryServer, domain: DeviceDomain) -> None:
    source = _source(server, domain)
    info = DeviceInfo(address_of(KEY), 1, "gateway", 2_000_000, 100, PARTICIPANT)
    validator = Validator(STATION, [info], domain)
    top = (1 << 32) - 10_000
    server.set_counters(charged_wh=top, discharged_wh=5)
    first = source.read_once(DAY_START)
    server.set_counters(charged_wh=top + 25_000, discharged_wh=6)  # wraps a 203's acc32
    second = source.read_once(DAY_START + 60)
    assert second.reading.charged_wh == top + 25_000  # unwrapped by the source
    assert validator.validate(first, DAY_START).ok
    verdict = validator.validate(second, DAY_START + 60)
    assert verdict.ok and verdict.charged_delta_wh == 25_000


def test_unreachable_device_raises(domain: DeviceDomain) -> None:
    from oracle.errors import SourceUnavailable
    from tests.oracle.sunspec_server import free_port

    source = SunSpecModbusSource(
        "127.0.0.1", free_port(), key=KEY, device_address=address_of(KEY), domain=domain,
        station_id=1, timeout_s=0.5,
    )  # fmt: skip
    with pytest.raises(SourceUnavailable):
        source.read_once(DAY_START)
