"""The Battery Pass v1.2.0 export: attribute names and units from the chain, the predecessor
and the original GB/T code, and the Annex XIII access levels (public leaves out the dynamic
detail and the status)."""

from __future__ import annotations

from devnet.world import demo_world
from ledger.client import Ledger
from ledger.passport_export import DATA_MODEL, export_passport
from ledger.passports import Category, created_key
from tests.passport_helpers import (
    DAY0,
    config_digest,
    create,
    make_actors,
    oracle_sigs,
    params,
    snapshot,
)


def test_export_uses_battery_pass_names_and_respects_access_levels(ledger: Ledger) -> None:
    pa = make_actors(ledger, demo_world(), packs=1)
    rep, operator = pa.address(pa.repurposer), pa.address(pa.operator)
    ev = create(pa.oem, params(1, pa.address(pa.oem)))
    pa.oem.transfer(ev, rep)
    second = params(2, rep, category=Category.INDUSTRIAL, rated_capacity_wh=61_500)
    new = created_key(pa.repurposer, pa.repurposer.repurpose(ev, second))
    pa.repurposer.transfer(new, operator)
    pa.operator.install(new, pa.station, pa.bms[0])
    digest = config_digest(ledger)
    for day in (DAY0, DAY0 + 1):
        s = snapshot(new, day, pa.bms[0], digest, soh_bps=8_200 - (day - DAY0), over_temp_events=1)
        pa.admin.submit_snapshot(s, oracle_sigs(pa.admin, pa.world, s))

    full = export_passport(pa.admin, new)
    assert full["dataModel"] == DATA_MODEL
    general = full["GeneralProductInformation"]
    assert general["batteryPassportIdentifier"] == second.passport_id
    assert general["productIdentifier"] == second.gbt_code
    assert general["batteryCategory"] == "industrial"
    assert general["batteryStatus"] == "Repurposed"
    assert full["essl"]["originalProductIdentifier"] == params(1, rep).gbt_code
    assert full["essl"]["predecessors"] == [params(1, rep).passport_id]
    technical = full["PerformanceAndDurability"]["batteryTechicalProperties"]
    assert technical["ratedEnergy"] == 61.5
    condition = full["PerformanceAndDurability"]["batteryCondition"]
    assert condition["capacityFade"]["capacityFadeValue"] == 18.01
    assert condition["remainingCapacity"]["remainingCapacityValue"] == round(61.5 * 0.8199, 3)
    assert condition["numberOfFullCycles"]["numberOfFullCyclesValue"] == 1_001
    assert len(condition["negativeEvents"]) == 2
    assert full["CarbonFootprintForBatteries"]["batteryCarbonFootprint"] == 75.0
    assert full["essl"]["assessment"]["model_version"] == 1

    public = export_passport(pa.admin, new, public_only=True)
    assert public["accessLevel"] == "public"
    assert public["GeneralProductInformation"]["batteryStatus"] == "Repurposed"  # public
    assert "batteryCondition" not in public["PerformanceAndDurability"]
    assert "assessment" not in public["essl"]
    assert public["essl"]["authorityDocumentsHash"] == "0x" + second.attributes_hash.hex()
