"""A passport exported in the Battery Pass consortium's data-attribute names: the Battery Pass
data model v1.2.0 (SAMM aspects urn:samm:io.BatteryPass.GeneralProductInformation:1.2.0,
io.BatteryPass.Performance:1.2.0 "PerformanceAndDurability" and
io.BatteryPass.CarbonFootprint:1.2.0 "CarbonFootprintForBatteries"), the machine-readable form
of the consortium's Data Attribute Longlist v1.2. Values come from the chain only (the creation
event, the passport view and the snapshot series). Access levels follow EU 2023/1542 Annex XIII:
`public_only` leaves out what only persons with a legitimate interest may see; authority-only
documents (test reports) appear as their hash. The mapping table is in docs/passport.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from ledger.passport_model import assess
from ledger.passports import Category, PassportsClient, passport_key

DATA_MODEL: Final = "Battery Pass data model v1.2.0 (Data Attribute Longlist v1.2)"
_CATEGORY: Final = {
    Category.EV: "ev",
    Category.INDUSTRIAL: "industrial",
    Category.LMT: "lmt",
    # SLI batteries need no passport under 2023/1542 Art. 77 (LMT, EV, industrial > 2 kWh)
    Category.SLI: "sli",
}


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pct(bps: int) -> float:
    return round(bps / 100, 2)


def export_passport(
    client: PassportsClient, ref: str | bytes, *, public_only: bool = False
) -> dict[str, Any]:
    key = passport_key(ref)
    p = client.passport(key)
    created = client.created(key)
    params = created.params
    lineage = client.lineage(key)
    original = client.created(lineage[-1].key).params
    general: dict[str, Any] = {
        "batteryPassportIdentifier": params.passport_id,
        "productIdentifier": params.gbt_code,
        "batteryCategory": _CATEGORY[params.category],
        "manufacturerInformation": {"contactName": params.manufacturer},
        "manufacturingDate": _iso(params.manufactured_at),
        "operatorInformation": {"identifier": p.owner},
    }
    technical: dict[str, Any] = {
        "ratedEnergy": round(params.rated_capacity_wh / 1000, 3),
        "nominalVoltage": round(params.nominal_voltage_mv / 1000, 3),
        "expectedNumberOfCycles": params.expected_cycle_life,
        "capacityThresholdForExhaustion": 80.0,
    }
    out: dict[str, Any] = {
        "dataModel": DATA_MODEL,
        "accessLevel": "public" if public_only else "legitimate_interest",
        "GeneralProductInformation": general,
        "CarbonFootprintForBatteries": {
            "batteryCarbonFootprint": params.carbon_footprint_g_per_kwh / 1000,
        },
        "PerformanceAndDurability": {"batteryTechicalProperties": technical},
        "essl": {
            "passportKey": "0x" + key.hex(),
            "originalProductIdentifier": original.gbt_code,
            "predecessors": [client.created(x.key).params.passport_id for x in lineage[1:]],
            "successor": None if p.successor is None else "0x" + p.successor.hex(),
            "chemistry": params.chemistry,
            # Annex XIII (3): documents for authorities only; the chain holds their hash alone
            "authorityDocumentsHash": "0x" + params.attributes_hash.hex(),
        },
    }
    # Status is public here, as the API's passport view shows it: the chain's events are
    # public anyway, and a buyer of a second-life pack needs it (docs/passport.md).
    general["batteryStatus"] = p.status.name.capitalize()
    if public_only:
        return out
    series = [a.snapshot for a in client.snapshots(key)]
    if not series:
        return out
    last = series[-1]
    updated = _iso((last.day + 1) * 86_400)
    remaining_kwh = round(params.rated_capacity_wh * last.soh_bps / 10_000 / 1000, 3)
    events = []
    for s in series:
        for count, what in (
            (
                s.deep_discharge_events,
                "deep discharge (SunSpec 802 UNDER_SOC_MIN/UNDER_VOLT alarm)",
            ),
            (
                s.overcharge_events,
                "overcharge (SunSpec 802 OVER_VOLT/OVER_SOC_MAX/OVER_CHARGE_CURRENT alarm)",
            ),
            (s.over_temp_events, "over-temperature (SunSpec 802 OVER_TEMP alarm)"),
        ):
            if count:
                events.append(
                    {"negativeEvent": f"{count} x {what}", "lastUpdate": _iso((s.day + 1) * 86_400)}
                )
    out["PerformanceAndDurability"]["batteryCondition"] = {
        "energyThroughput": round(last.discharged_wh_total / 1000, 3),
        "numberOfFullCycles": {"numberOfFullCyclesValue": last.cycle_count, "lastUpdate": updated},
        "capacityFade": {"capacityFadeValue": _pct(10_000 - last.soh_bps), "lastUpdate": updated},
        "remainingCapacity": {"remainingCapacityValue": remaining_kwh, "lastUpdate": updated},
        "remainingRoundTripEnergyEfficiency": {
            "remainingRoundTripEnergyEfficiencyValue": _pct(last.efficiency_bps),
            "lastUpdate": updated,
        },
        "negativeEvents": events,
        "temperatureInformation": {
            # one combined figure: seconds with a cell above 45 °C or below 0 °C, in minutes
            "timeExtremeTemperature": round(sum(s.extreme_temp_seconds for s in series) / 60, 1),
            "lastUpdate": updated,
        },
    }
    out["essl"]["assessment"] = assess(params, series).to_json()
    out["essl"]["snapshots"] = len(series)
    return out
