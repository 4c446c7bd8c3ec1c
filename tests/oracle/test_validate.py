from __future__ import annotations

from dataclasses import replace

import pytest

from oracle.quarantine import Quarantine
from oracle.reading import (
    OVER_TEMP_ALARM,
    OVER_VOLT_ALARM,
    OVER_VOLT_WARNING,
    ZERO_ADDRESS,
    DeviceDomain,
    Reading,
    SignedReading,
    address_of,
    sign_reading,
)
from oracle.sources import RawRejected, parse_payload
from oracle.sources.simulator import Corruption, StationSimulator, corrupt, derived_key
from oracle.validate import (
    DeviceInfo,
    Reason,
    StationInfo,
    Validator,
    check_energy_balance,
    check_meter_bms,
)
from tests.oracle.conftest import DAY_START, new_sim

STATION = StationInfo(1, 2_000_000, 4_000_000, 900, 1_000, 9_500, 8_800)
METER_KEY = derived_key(5, "meter")
METER = address_of(METER_KEY)
PARTICIPANT = address_of(derived_key(5, "participant"))


def meter_info(**changes: object) -> DeviceInfo:
    info = DeviceInfo(METER, 1, "meter", 500_000, 50, PARTICIPANT)
    return replace(info, **changes)  # type: ignore[arg-type]


def meter_reading(seq: int, t: int, charged: int, discharged: int = 0, **kw: int | str) -> Reading:
    base = Reading(METER, 1, PARTICIPANT, seq, t, charged, discharged, 0, *(0,) * 10)
    return replace(base, **kw)  # type: ignore[arg-type]


def signed(reading: Reading, domain: DeviceDomain, key: bytes = METER_KEY) -> SignedReading:
    return sign_reading(reading, key, domain)


T0 = DAY_START


def test_sample_on_grid_is_accepted_with_deltas(domain: DeviceDomain) -> None:
    v = Validator(STATION, [meter_info()], domain)
    assert v.validate(signed(meter_reading(1, T0, 1_000), domain), T0).ok
    verdict = v.validate(signed(meter_reading(2, T0 + 60, 9_000, 5), domain), T0 + 60)
    assert verdict.ok and (verdict.charged_delta_wh, verdict.discharged_delta_wh) == (8_000, 5)


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        (meter_reading(1, T0 + 60, 2_000), Reason.REPLAYED_SEQUENCE),
        (meter_reading(2, T0, 2_000), Reason.TIMESTAMP_NOT_INCREASING),
        (meter_reading(2, T0 + 3_600, 2_000), Reason.TIMESTAMP_IN_FUTURE),
        (meter_reading(2, T0 + 61, 2_000), Reason.OFF_GRID_TIMESTAMP),
        (meter_reading(2, T0 + 60, 999), Reason.COUNTER_DECREASED),
        (meter_reading(2, T0 + 60, 1_000, power_w=600_000), Reason.POWER_OUT_OF_RANGE),
        (meter_reading(2, T0 + 60, 1_000 + 8_500), Reason.ENERGY_OUT_OF_RANGE),
        (meter_reading(2, T0 + 60, 2_000, station_id=9), Reason.BAD_SIGNATURE),
        (meter_reading(2, T0 + 60, 2_000, participant=ZERO_ADDRESS), Reason.BAD_SIGNATURE),
    ],
)
def test_rule_rejects_with_reason_and_keeps_state(
    domain: DeviceDomain, second: Reading, reason: Reason
) -> None:
    v = Validator(STATION, [meter_info()], domain)
    assert v.validate(signed(meter_reading(1, T0, 1_000), domain), T0).ok
    before = replace(v.state(METER))  # type: ignore[type-var]
    verdict = v.validate(signed(second, domain), T0 + 60)
    assert verdict.reason is reason, verdict.detail
    assert v.state(METER) == before
    # The device's next honest reading is still accepted: the reject changed nothing.
    assert v.validate(signed(meter_reading(2, T0 + 60, 1_100), domain), T0 + 60).ok


def test_energy_bound_allows_class_and_rounding(domain: DeviceDomain) -> None:
    v = Validator(STATION, [meter_info()], domain)
    v.validate(signed(meter_reading(1, T0, 0), domain), T0)
    # 500 kW for 60 s = 8,333.3 Wh; class 0.5 -> 8,375 Wh; +1 Wh counter rounding.
    assert v.validate(signed(meter_reading(2, T0 + 60, 8_376), domain), T0 + 60).ok
    verdict = v.validate(signed(meter_reading(3, T0 + 120, 8_376 + 8_377), domain), T0 + 120)
    assert verdict.reason is Reason.ENERGY_OUT_OF_RANGE


def test_unknown_device_and_wrong_station(domain: DeviceDomain) -> None:
    other = replace(STATION, station_id=2)
    v = Validator(other, [meter_info()], domain)
    verdict = v.validate(signed(meter_reading(1, T0, 0), domain), T0)
    assert verdict.reason is Reason.WRONG_STATION
    v = Validator(STATION, [], domain)
    assert v.validate(signed(meter_reading(1, T0, 0), domain), T0).reason is Reason.UNKNOWN_DEVICE


def test_forged_and_malleable_signatures_are_bad(domain: DeviceDomain) -> None:
    v = Validator(STATION, [meter_info()], domain)
    reading = meter_reading(1, T0, 0)
    forged = SignedReading(reading, signed(reading, domain, derived_key(9, "x")).signature)
    assert v.validate(forged, T0).reason is Reason.BAD_SIGNATURE
    good = signed(reading, domain)
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    high_s = (n - int.from_bytes(good.s, "big")).to_bytes(32, "big")
    flipped = SignedReading(reading, good.r + high_s + bytes((55 - good.v,)))
    verdict = v.validate(flipped, T0)
    assert verdict.reason is Reason.BAD_SIGNATURE and "upper half" in verdict.detail


def test_acc32_rollover_is_unwrapped_not_rejected(domain: DeviceDomain) -> None:
    v = Validator(STATION, [meter_info(acc32=True)], domain)
    top = (1 << 32) - 3_000
    assert v.validate(signed(meter_reading(1, T0, top), domain), T0).ok
    verdict = v.validate(signed(meter_reading(2, T0 + 60, 2_000), domain), T0 + 60)
    assert verdict.ok and verdict.charged_delta_wh == 5_000
    state = v.state(METER)
    assert state is not None and state.charged_total == top + 5_000
    # A big drop is not a rollover, and a 32-bit meter never sends 2^32 or more.
    verdict = v.validate(signed(meter_reading(3, T0 + 120, 1_000), domain), T0 + 120)
    assert verdict.reason is Reason.COUNTER_DECREASED
    verdict = v.validate(signed(meter_reading(3, T0 + 120, 1 << 32), domain), T0 + 120)
    assert verdict.reason is Reason.MALFORMED


def test_same_drop_without_acc32_is_rejected(domain: DeviceDomain) -> None:
    v = Validator(STATION, [meter_info()], domain)
    v.validate(signed(meter_reading(1, T0, (1 << 32) - 3_000), domain), T0)
    verdict = v.validate(signed(meter_reading(2, T0 + 60, 2_000), domain), T0 + 60)
    assert verdict.reason is Reason.COUNTER_DECREASED


def test_over_alarms_are_flagged_not_rejected(domain: DeviceDomain) -> None:
    v = Validator(STATION, [meter_info()], domain)
    bits = OVER_TEMP_ALARM | OVER_VOLT_ALARM | OVER_VOLT_WARNING
    verdict = v.validate(signed(meter_reading(1, T0, 0, alarm_bits=bits), domain), T0)
    assert verdict.ok
    assert verdict.flags == ("OVER_TEMP_ALARM", "OVER_VOLT_ALARM")
    quiet = v.validate(
        signed(meter_reading(2, T0 + 60, 0, alarm_bits=OVER_VOLT_WARNING), domain), T0 + 60
    )
    assert quiet.ok and quiet.flags == ()


@pytest.mark.parametrize("kind", list(Corruption))
def test_each_bad_input_is_rejected_and_quarantined(
    domain: DeviceDomain, kind: Corruption, tmp_path: object
) -> None:
    sim = new_sim(domain, seed=11)
    validator = Validator(sim.station_info(), sim.device_infos(), domain)
    quarantine = Quarantine(f"sqlite:///{tmp_path}/q.sqlite")
    t0 = DAY_START + 3 * 3600  # consumers are charging: counters above zero
    readings = sim.readings_between(t0, t0 + 120)
    for r in readings:
        assert validator.validate(r, r.reading.timestamp).ok
    bms = [r for r in readings if r.reading.participant == ZERO_ADDRESS][-1]
    now = bms.reading.timestamp + 10
    bad = corrupt(bms, kind, key=sim.station.bms_key, domain=domain, now=now)
    expected = {
        Corruption.FORGED_SIGNATURE: Reason.BAD_SIGNATURE,
        Corruption.REPLAYED_SEQUENCE: Reason.REPLAYED_SEQUENCE,
        Corruption.COUNTER_BACK: Reason.COUNTER_DECREASED,
        Corruption.IMPOSSIBLE_POWER: Reason.POWER_OUT_OF_RANGE,
        Corruption.SOC_OUT_OF_RANGE: Reason.SOC_OUT_OF_RANGE,
        Corruption.FUTURE_TIMESTAMP: Reason.TIMESTAMP_IN_FUTURE,
        Corruption.MALFORMED: Reason.MALFORMED,
        Corruption.UNKNOWN_DEVICE: Reason.UNKNOWN_DEVICE,
    }[kind]
    if isinstance(bad, str):
        item = parse_payload(bad, "test")
        assert isinstance(item, RawRejected) and item.reason is expected
        quarantine.reject_raw(item)
    else:
        verdict = validator.validate(bad, now)
        assert verdict.reason is expected, verdict.detail
        quarantine.reject(bad, verdict)
    [row] = quarantine.list(reason=expected)
    assert row.raw == (bad if isinstance(bad, str) else bad.to_json())
    assert quarantine.count_by_reason() == {expected.value: 1}


def test_interval_checks_hold_for_a_simulated_day(
    simulated_day: tuple[StationSimulator, list[SignedReading]],
) -> None:
    sim, readings = simulated_day
    station = sim.station_info()
    at = {(r.reading.device, r.reading.timestamp): r.reading for r in readings}
    bms = sim.device_infos()[0].address
    meters = [d.address for d in sim.device_infos()[1:]]
    checked = 0
    for start in range(DAY_START, DAY_START + 86_400 - 900, 900):
        a, b = at[bms, start], at[bms, start + 900]
        c, d = b.charged_wh - a.charged_wh, b.discharged_wh - a.discharged_wh
        balance = check_energy_balance(
            station, charged_wh=c, discharged_wh=d, soc_start_bps=a.soc_bps,
            soc_end_bps=b.soc_bps, soh_bps=b.soh_bps,
        )  # fmt: skip
        assert balance.ok, (start, balance.detail)
        mc = sum(at[m, start + 900].charged_wh - at[m, start].charged_wh for m in meters)
        md = sum(at[m, start + 900].discharged_wh - at[m, start].discharged_wh for m in meters)
        agree = check_meter_bms(
            meter_charged_wh=mc, meter_discharged_wh=md, bms_charged_wh=c,
            bms_discharged_wh=d, meter_class_bps=50, bms_class_bps=100, meter_count=len(meters),
        )  # fmt: skip
        assert agree.ok, agree.detail
        checked += 1
    assert checked == 95


def test_energy_balance_rejects_discharge_from_nowhere() -> None:
    verdict = check_energy_balance(
        STATION, charged_wh=0, discharged_wh=50_000, soc_start_bps=5_000, soc_end_bps=4_990,
        soh_bps=9_900,
    )  # fmt: skip
    # 10 bps of 3.96 MWh is 3,960 Wh released, plus tolerance; 50 kWh is not explained.
    assert verdict.reason is Reason.ENERGY_BALANCE
    ok = check_energy_balance(
        STATION, charged_wh=0, discharged_wh=3_900, soc_start_bps=5_000, soc_end_bps=4_990,
        soh_bps=9_900,
    )  # fmt: skip
    assert ok.ok


def test_meter_bms_mismatch_beyond_combined_accuracy() -> None:
    args = {"meter_discharged_wh": 0, "bms_discharged_wh": 0, "meter_class_bps": 50,
            "bms_class_bps": 100}  # fmt: skip
    # 100,000 Wh each side: allowed 0.5% + 1% = 1,500 Wh (+ 4 Wh rounding).
    assert check_meter_bms(meter_charged_wh=100_000, bms_charged_wh=101_400, **args).ok
    verdict = check_meter_bms(meter_charged_wh=100_000, bms_charged_wh=102_000, **args)
    assert verdict.reason is Reason.METER_BMS_MISMATCH
