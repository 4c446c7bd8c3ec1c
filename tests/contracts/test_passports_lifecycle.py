"""BatteryPassports: creation, roles, the status machine, the predecessor link, custody and
installation, each rule by its exact custom error and arguments."""

from __future__ import annotations

import pytest
from web3 import Web3

from devnet.world import World
from ledger.client import Ledger
from ledger.errors import ContractRevert, revert_class
from ledger.passports import Category, PassportsClient, Status, code_hash, created_key
from tests.passport_helpers import PassportActors, create, installed_pack, make_actors, params

ECONOMIC_OPERATOR_ROLE = bytes(Web3.keccak(text="ECONOMIC_OPERATOR_ROLE"))
RECYCLER_ROLE = bytes(Web3.keccak(text="RECYCLER_ROLE"))
ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def pa(ledger: Ledger, world: World) -> PassportActors:
    return make_actors(ledger, world)


def expect(error: str, call: object) -> dict[str, object]:
    with pytest.raises(revert_class(error)) as caught:
        call()  # type: ignore[operator]
    exc: ContractRevert = caught.value
    return exc.arguments


def test_create_stores_hashes_and_emits_the_attributes(pa: PassportActors) -> None:
    oem = pa.address(pa.oem)
    p = params(1, oem)
    receipt = pa.oem.create(p)
    key = created_key(pa.oem, receipt)
    assert key == bytes(Web3.keccak(text=p.passport_id))
    got = pa.oem.passport(key)
    assert (got.status, got.owner, got.holder, got.closed) == (Status.ORIGINAL, oem, oem, False)
    assert got.params_hash == p.params_hash()
    assert got.gbt_code_hash == code_hash(p.gbt_code)
    assert got.predecessor is None and got.successor is None
    assert pa.oem.passport_by_code(p.gbt_code) == key
    assert pa.oem.created(key).params == p


def test_create_needs_the_economic_operator_role(pa: PassportActors) -> None:
    stranger = pa.address(pa.stranger)
    args = expect(
        "AccessControlUnauthorizedAccount", lambda: pa.stranger.create(params(1, stranger))
    )
    assert args == {"account": stranger, "neededRole": ECONOMIC_OPERATOR_ROLE}


def test_create_rejects_bad_parameters(pa: PassportActors) -> None:
    oem = pa.address(pa.oem)
    expect("BatteryPassportsEmptyIdentifier", lambda: pa.oem.create(params(1, oem, passport_id="")))
    expect("BatteryPassportsEmptyIdentifier", lambda: pa.oem.create(params(1, oem, gbt_code="")))
    args = expect(
        "BatteryPassportsInvalidCategory",
        lambda: pa.oem.create(params(1, oem, category=4)),  # type: ignore[arg-type]
    )
    assert args == {"category": 4}
    expect(
        "BatteryPassportsZeroCapacity", lambda: pa.oem.create(params(1, oem, rated_capacity_wh=0))
    )
    expect("BatteryPassportsZeroAddress", lambda: pa.oem.create(params(1, ZERO)))


def test_passport_id_and_gbt_code_are_unique(pa: PassportActors) -> None:
    oem = pa.address(pa.oem)
    first = create(pa.oem, params(1, oem))
    args = expect("BatteryPassportsExists", lambda: pa.oem.create(params(1, oem, gbt_code="OTHER")))
    assert args == {"passport": first}
    same_code = params(2, oem, gbt_code=params(1, oem).gbt_code)
    args = expect("BatteryPassportsCodeInUse", lambda: pa.oem.create(same_code))
    assert args == {"gbtCodeHash": code_hash(same_code.gbt_code), "passport": first}


def test_unknown_passport_is_refused_everywhere(pa: PassportActors) -> None:
    ghost = bytes(Web3.keccak(text="ghost"))
    assert expect("BatteryPassportsUnknown", lambda: pa.oem.passport(ghost)) == {"passport": ghost}
    expect("BatteryPassportsUnknown", lambda: pa.oem.transfer(ghost, pa.address(pa.operator)))
    expect("BatteryPassportsUnknown", lambda: pa.oem.set_status(ghost, Status.REUSED))


def test_repurpose_makes_a_new_passport_linked_to_its_predecessor(pa: PassportActors) -> None:
    oem, rep = pa.address(pa.oem), pa.address(pa.repurposer)
    old = create(pa.oem, params(1, oem))
    pa.oem.transfer(old, rep)
    new_params = params(
        101, rep, category=Category.INDUSTRIAL, rated_capacity_wh=61_500, chemistry="LFP/graphite"
    )
    new = created_key(pa.repurposer, pa.repurposer.repurpose(old, new_params))
    old_view, new_view = pa.oem.passport(old), pa.oem.passport(new)
    assert old_view.closed and old_view.successor == new and old_view.status == Status.ORIGINAL
    assert new_view.status == Status.REPURPOSED and new_view.predecessor == old
    assert new_view.owner == rep
    assert [p.key for p in pa.oem.lineage(new)] == [new, old]
    # the original code stays with the old passport; the new one carries the new code
    assert pa.oem.passport_by_code(params(1, oem).gbt_code) == old
    assert pa.oem.passport_by_code(new_params.gbt_code) == new
    # a closed passport takes no more writes
    args = expect("BatteryPassportsClosed", lambda: pa.repurposer.transfer(old, oem))
    assert args == {"passport": old, "successor": new}
    expect("BatteryPassportsClosed", lambda: pa.repurposer.repurpose(old, params(102, rep)))


def test_remanufacture_links_with_its_own_status(pa: PassportActors) -> None:
    oem = pa.address(pa.oem)
    old = create(pa.oem, params(1, oem))
    new = created_key(pa.oem, pa.oem.remanufacture(old, params(2, oem)))
    assert pa.oem.passport(new).status == Status.REMANUFACTURED
    assert pa.oem.passport(new).predecessor == old


def test_repurpose_needs_owner_role_and_removed_pack(pa: PassportActors) -> None:
    oem, rep, operator = pa.address(pa.oem), pa.address(pa.repurposer), pa.address(pa.operator)
    old = create(pa.oem, params(1, oem))
    args = expect("BatteryPassportsNotOwner", lambda: pa.repurposer.repurpose(old, params(2, rep)))
    assert args == {"passport": old, "account": rep, "owner": oem}
    pa.oem.transfer(old, operator)
    args = expect(
        "AccessControlUnauthorizedAccount", lambda: pa.operator.repurpose(old, params(2, rep))
    )
    assert args == {"account": operator, "neededRole": ECONOMIC_OPERATOR_ROLE}
    installed = installed_pack(pa, 3)
    pa.operator.transfer(installed, rep)
    args = expect(
        "BatteryPassportsInstalled", lambda: pa.repurposer.repurpose(installed, params(4, rep))
    )
    assert args == {"passport": installed, "stationId": pa.station}


def test_status_machine_allows_only_reuse_on_the_same_passport(pa: PassportActors) -> None:
    oem = pa.address(pa.oem)
    key = create(pa.oem, params(1, oem))
    for target in (Status.ORIGINAL, Status.REPURPOSED, Status.REMANUFACTURED, Status.WASTE):
        args = expect(
            "BatteryPassportsInvalidTransition", lambda t=target: pa.oem.set_status(key, t)
        )
        assert args == {"passport": key, "from": Status.ORIGINAL, "to": target}
    pa.oem.set_status(key, Status.REUSED)
    assert pa.oem.passport(key).status == Status.REUSED
    args = expect(
        "BatteryPassportsInvalidTransition", lambda: pa.oem.set_status(key, Status.REUSED)
    )
    assert args == {"passport": key, "from": Status.REUSED, "to": Status.REUSED}
    # a repurposed passport can be re-used too
    new = created_key(pa.oem, pa.oem.repurpose(key, params(2, oem)))
    pa.oem.set_status(new, Status.REUSED)
    assert pa.oem.passport(new).status == Status.REUSED


def test_status_change_needs_owner_with_role(pa: PassportActors) -> None:
    oem, operator = pa.address(pa.oem), pa.address(pa.operator)
    key = create(pa.oem, params(1, oem))
    args = expect("BatteryPassportsNotOwner", lambda: pa.repurposer.set_status(key, Status.REUSED))
    assert args["owner"] == oem
    pa.oem.transfer(key, operator)
    args = expect(
        "AccessControlUnauthorizedAccount", lambda: pa.operator.set_status(key, Status.REUSED)
    )
    assert args == {"account": operator, "neededRole": ECONOMIC_OPERATOR_ROLE}


def test_waste_is_final_and_needs_a_recycler_holding_the_pack(pa: PassportActors) -> None:
    oem, recycler = pa.address(pa.oem), pa.address(pa.recycler)
    key = create(pa.oem, params(1, oem))
    args = expect("AccessControlUnauthorizedAccount", lambda: pa.oem.mark_waste(key))
    assert args == {"account": oem, "neededRole": RECYCLER_ROLE}
    args = expect("BatteryPassportsNotHolder", lambda: pa.recycler.mark_waste(key))
    assert args == {"passport": key, "account": recycler, "holder": oem}
    pa.oem.hand_over(key, recycler)  # the owner keeps ownership, the recycler holds it
    receipt = pa.recycler.mark_waste(key)
    got = pa.oem.passport(key)
    block = pa.oem.ledger.w3.eth.get_block(receipt["blockNumber"])
    assert got.status == Status.WASTE and got.recycler == recycler
    assert got.wasted_at == block["timestamp"]
    assert expect("BatteryPassportsIsWaste", lambda: pa.oem.set_status(key, Status.REUSED)) == {
        "passport": key
    }
    expect("BatteryPassportsIsWaste", lambda: pa.oem.transfer(key, recycler))
    expect("BatteryPassportsIsWaste", lambda: pa.recycler.mark_waste(key))
    expect("BatteryPassportsIsWaste", lambda: pa.oem.repurpose(key, params(2, oem)))


def test_installed_pack_cannot_be_wasted(pa: PassportActors) -> None:
    key = installed_pack(pa)
    pa.operator.hand_over(key, pa.address(pa.recycler))
    args = expect("BatteryPassportsInstalled", lambda: pa.recycler.mark_waste(key))
    assert args == {"passport": key, "stationId": pa.station}


def test_custody_follows_owner_and_holder(pa: PassportActors) -> None:
    oem, rep, operator = pa.address(pa.oem), pa.address(pa.repurposer), pa.address(pa.operator)
    key = create(pa.oem, params(1, oem))
    args = expect("BatteryPassportsNotOwner", lambda: pa.repurposer.transfer(key, rep))
    assert args == {"passport": key, "account": rep, "owner": oem}
    expect("BatteryPassportsZeroAddress", lambda: pa.oem.transfer(key, ZERO))
    pa.oem.transfer(key, rep, operator)  # sold to the repurposer, shipped to the operator
    got = pa.oem.passport(key)
    assert (got.owner, got.holder) == (rep, operator)
    args = expect("BatteryPassportsNotHolder", lambda: pa.oem.hand_over(key, oem))
    assert args == {"passport": key, "account": oem, "holder": operator}
    pa.operator.hand_over(key, rep)  # holder gives it back
    assert pa.oem.passport(key).holder == rep
    expect("BatteryPassportsZeroAddress", lambda: pa.repurposer.hand_over(key, ZERO))
    trail = [
        (e.detail["previousOwner"], e.detail["owner"], e.detail["holder"])
        for e in pa.oem.history(key)
        if e.event == "CustodyChanged"
    ]
    assert trail == [(oem, rep, operator), (rep, rep, rep)]


def test_install_and_remove_rules(pa: PassportActors) -> None:
    oem, operator = pa.address(pa.oem), pa.address(pa.operator)
    key = create(pa.oem, params(1, oem))
    # the holder must be the station's operator
    args = expect(
        "BatteryPassportsNotStationOperator", lambda: pa.oem.install(key, pa.station, pa.bms[0])
    )
    assert args == {"account": oem, "stationId": pa.station}
    expect("BatteryPassportsNotStationOperator", lambda: pa.oem.install(key, 99, pa.bms[0]))
    pa.oem.transfer(key, operator)
    args = expect("BatteryPassportsNotHolder", lambda: pa.oem.install(key, pa.station, pa.bms[0]))
    assert args == {"passport": key, "account": oem, "holder": operator}
    meter = next(i for i, d in enumerate(pa.world.devices, start=1) if d.participant)
    for device in (meter, 0, 999):
        args = expect(
            "BatteryPassportsNotBms", lambda d=device: pa.operator.install(key, pa.station, d)
        )
        assert args == {"deviceId": device, "stationId": pa.station}
    pa.operator.install(key, pa.station, pa.bms[0])
    got = pa.oem.passport(key)
    assert (got.station_id, got.bms_device) == (pa.station, pa.bms[0])
    assert pa.oem.passport_of_device(pa.bms[0]) == key
    args = expect(
        "BatteryPassportsInstalled", lambda: pa.operator.install(key, pa.station, pa.bms[1])
    )
    assert args == {"passport": key, "stationId": pa.station}
    other = create(pa.oem, params(2, operator))
    args = expect(
        "BatteryPassportsDeviceInUse", lambda: pa.operator.install(other, pa.station, pa.bms[0])
    )
    assert args == {"deviceId": pa.bms[0], "passport": key}
    args = expect("BatteryPassportsNotHolder", lambda: pa.stranger.remove(key))
    assert args["holder"] == operator
    pa.operator.remove(key)
    got = pa.oem.passport(key)
    assert (got.station_id, got.bms_device) == (0, 0)
    assert pa.oem.passport_of_device(pa.bms[0]) is None
    assert expect("BatteryPassportsNotInstalled", lambda: pa.operator.remove(key)) == {
        "passport": key
    }
    pa.operator.install(other, pa.station, pa.bms[0])  # the device is free again
    events = [e.event for e in pa.oem.history(key)]
    assert events == ["PassportCreated", "CustodyChanged", "PackInstalled", "PackRemoved"]


def test_station_operator_may_remove_a_pack_it_no_longer_holds(pa: PassportActors) -> None:
    key = installed_pack(pa)
    rep = pa.address(pa.repurposer)
    pa.operator.hand_over(key, rep)
    pa.operator.remove(key)
    assert pa.oem.passport(key).station_id == 0


def test_repair_sets_the_flag_for_owner_or_holder(pa: PassportActors) -> None:
    key = create(pa.oem, params(1, pa.address(pa.oem)))
    expect("BatteryPassportsNotHolder", lambda: pa.stranger.record_repair(key, bytes(32)))
    pa.oem.record_repair(key, bytes(Web3.keccak(text="module 3 replaced")))
    assert pa.oem.passport(key).repair_pending


def test_registry_exposes_the_new_roles(ledger: Ledger) -> None:
    registry = ledger.contract("Registry")
    assert bytes(registry.functions.ECONOMIC_OPERATOR_ROLE().call()) == ECONOMIC_OPERATOR_ROLE
    assert bytes(registry.functions.RECYCLER_ROLE().call()) == RECYCLER_ROLE
    passports = PassportsClient(ledger)
    assert passports.contract.functions.registry().call() == ledger.deployment.address("Registry")
