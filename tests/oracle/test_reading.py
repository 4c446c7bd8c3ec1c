from __future__ import annotations

import json
from dataclasses import replace

import pytest
from eth_account import Account

from ledger.merkle import leaf_hash
from oracle.errors import MalformedReading
from oracle.reading import (
    LEAF_TYPES,
    ZERO_ADDRESS,
    DeviceDomain,
    Reading,
    SignedReading,
    address_of,
    eip712_message,
    reading_digest,
    recover_signer,
    sign_reading,
)
from oracle.sources.simulator import derived_key

KEY = derived_key(1, "device")


def sample(**changes: int | str) -> Reading:
    base = Reading(
        address_of(KEY), 3, ZERO_ADDRESS, 42, 1_700_000_000, 2**40 + 7, 123_456, -250_000,
        5_123, 9_876, 321, 768_000, -325_520, 3_195, 3_205, -15, 312, 1 << 9,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_digest_and_signature_match_eth_account(domain: DeviceDomain) -> None:
    reading = sample()
    types, message = eip712_message(reading)
    expected = Account.sign_typed_data(KEY, domain.eip712_domain(), types, message)
    signed = sign_reading(reading, KEY, domain)
    assert reading_digest(reading, domain) == bytes(expected.message_hash)
    assert signed.signature == bytes(expected.signature)
    assert recover_signer(signed, domain) == address_of(KEY) == Account.from_key(KEY).address


def test_digest_depends_on_every_field_and_the_domain(domain: DeviceDomain) -> None:
    reading = sample()
    digests = {reading_digest(reading, domain)}
    digests.add(reading_digest(reading, DeviceDomain(1, domain.verifying_contract)))
    digests.add(reading_digest(replace(reading, alarm_bits=0), domain))
    digests.add(reading_digest(replace(reading, power_w=-250_001), domain))
    assert len(digests) == 4


def test_recovered_signer_differs_for_another_key(domain: DeviceDomain) -> None:
    reading = sample()
    signed = sign_reading(reading, derived_key(2, "other"), domain)
    assert recover_signer(signed, domain) != reading.device


def test_leaf_equals_ledger_leaf_hash(domain: DeviceDomain) -> None:
    signed = sign_reading(sample(), KEY, domain)
    values = signed.leaf_values()
    assert len(values) == len(LEAF_TYPES) == 21
    assert signed.leaf() == leaf_hash(LEAF_TYPES, values)


def test_json_round_trip_keeps_ints_and_checksums(domain: DeviceDomain) -> None:
    signed = sign_reading(sample(), KEY, domain)
    text = signed.to_json()
    data = json.loads(text)
    assert data["chargedWh"] == 2**40 + 7 and data["device"] == address_of(KEY)
    assert data["signature"].startswith("0x") and len(data["signature"]) == 132
    assert SignedReading.from_json(text) == signed
    data["device"] = data["device"].lower()
    assert SignedReading.from_dict(data).reading.device == address_of(KEY)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("seq", None, "missing"),
        ("seq", "42", "expected an integer"),
        ("timestamp", 1.5, "expected an integer"),
        ("socBps", 70_000, "outside"),
        ("powerW", 2**63, "outside"),
        ("chargedWh", -1, "outside"),
        ("alarmBits", True, "expected an integer"),
        ("device", "0x1234", "20-byte"),
        ("participant", "0x" + "zz" * 20, "not hex"),
        ("signature", "0x" + "ab" * 64, "65 bytes"),
        ("signature", "0xzz", "not hex"),
    ],
)
def test_malformed_json_names_field_and_reason(
    domain: DeviceDomain, field: str, value: object, reason: str
) -> None:
    data = sign_reading(sample(), KEY, domain).to_dict()
    if value is None:
        del data[field]
    else:
        data[field] = value
    with pytest.raises(MalformedReading) as caught:
        SignedReading.from_json(json.dumps(data))
    assert caught.value.field == field
    assert reason in caught.value.reason


def test_wrong_checksum_and_non_json_are_malformed(domain: DeviceDomain) -> None:
    data = sign_reading(sample(), KEY, domain).to_dict()
    address = data["device"]
    data["device"] = address[:2] + address[2:].swapcase()
    with pytest.raises(MalformedReading, match="checksum"):
        SignedReading.from_dict(data)
    with pytest.raises(MalformedReading, match="not JSON"):
        SignedReading.from_json("{not json")


def test_sign_refuses_out_of_range_fields(domain: DeviceDomain) -> None:
    with pytest.raises(MalformedReading, match="socBps"):
        sign_reading(sample(soc_bps=-1), KEY, domain)
