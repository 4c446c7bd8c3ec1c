"""Every EmissionFactors revert, by its exact custom error and arguments."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount

from ledger.client import Ledger
from ledger.errors import revert_class
from ledger.factors import load_dataset
from ledger.registry import region_bytes

QH = region_bytes("CN-QH")
NEW_HASH = b"\xee" * 32


def register(ledger: Ledger, *args: object) -> None:
    ledger.transact("EmissionFactors", "registerDataset", *args)


def test_only_the_admin_registers(ledger: Ledger, accounts: list[LocalAccount]) -> None:
    stranger = ledger.as_account(accounts[7])
    with pytest.raises(revert_class("AccessControlUnauthorizedAccount")) as caught:
        register(stranger, NEW_HASH, "uri", 1, 2, [QH], [1])
    assert caught.value.arguments == {"account": accounts[7].address, "neededRole": bytes(32)}


def test_dataset_shape_errors(ledger: Ledger) -> None:
    with pytest.raises(revert_class("EmissionFactorsZeroHash")) as zero_hash:
        register(ledger, bytes(32), "uri", 1, 2, [QH], [1])
    assert zero_hash.value.arguments == {}
    shipped = load_dataset().content_hash
    with pytest.raises(revert_class("EmissionFactorsDatasetExists")) as exists:
        register(ledger, shipped, "uri", 1, 2, [QH], [1])
    assert exists.value.arguments == {"datasetHash": shipped, "version": 1}
    with pytest.raises(revert_class("EmissionFactorsLengthMismatch")) as lengths:
        register(ledger, NEW_HASH, "uri", 1, 2, [QH], [1, 2])
    assert lengths.value.arguments == {"regions": 1, "factors": 2}
    with pytest.raises(revert_class("EmissionFactorsEmptyDataset")) as empty:
        register(ledger, NEW_HASH, "uri", 1, 2, [], [])
    assert empty.value.arguments == {}
    with pytest.raises(revert_class("EmissionFactorsInvalidPeriod")) as period:
        register(ledger, NEW_HASH, "uri", 5, 5, [QH], [1])
    assert period.value.arguments == {"validFrom": 5, "validTo": 5}
    with pytest.raises(revert_class("EmissionFactorsZeroRegion")) as zero_region:
        register(ledger, NEW_HASH, "uri", 1, 2, [QH, bytes(32)], [1, 2])
    assert zero_region.value.arguments == {"index": 1}
    with pytest.raises(revert_class("EmissionFactorsDuplicateRegion")) as duplicate:
        register(ledger, NEW_HASH, "uri", 1, 2, [QH, QH], [1, 2])
    assert duplicate.value.arguments == {"region": QH}


def test_lookup_errors(ledger: Ledger) -> None:
    mars = region_bytes("MARS")
    with pytest.raises(revert_class("EmissionFactorsUnknownRegion")) as region:
        ledger.view("EmissionFactors", "currentFactor", mars)
    assert region.value.arguments == {"region": mars}
    with pytest.raises(revert_class("EmissionFactorsUnknownVersion")) as version:
        ledger.view("EmissionFactors", "factorAt", 9, QH)
    assert version.value.arguments == {"version": 9}
    with pytest.raises(revert_class("EmissionFactorsUnknownVersion")) as dataset:
        ledger.view("EmissionFactors", "datasetOf", 0)
    assert dataset.value.arguments == {"version": 0}
    with pytest.raises(revert_class("EmissionFactorsRegionNotInVersion")) as missing:
        ledger.view("EmissionFactors", "factorAt", 1, mars)
    assert missing.value.arguments == {"version": 1, "region": mars}


def test_a_new_version_supersedes_only_the_regions_it_covers(ledger: Ledger) -> None:
    register(ledger, NEW_HASH, "essl://factors/test", 1, 2, [QH], [150_000])
    assert ledger.view("EmissionFactors", "currentFactor", QH) == [2, 150_000]
    assert ledger.view("EmissionFactors", "factorAt", 1, QH) == 156_700
    assert ledger.view("EmissionFactors", "currentFactor", region_bytes("CN"))[0] == 1
