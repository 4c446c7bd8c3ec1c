"""The StorageLedger's packed-word types and libraries, through a harness contract compiled with
a copy of contracts/ and deployed on the tests' anvil: every field round-trips at its bounds,
setters keep the other fields, calldata ECDSA agrees with eth-account and OpenZeppelin's codes,
and the report struct hash is the EIP-712 one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract

from ledger.compile import CONTRACTS_DIR, compile_suite
from ledger.reports import REPORT_TYPES, IntervalReport, ParticipantDelta

KEY = "0x" + "42" * 32
# Kept apart from tests/fixtures/contracts (the toolchain tests compile that folder on its own).
HARNESS = Path(__file__).parents[1] / "fixtures" / "harness" / "LibraryHarness.sol"


@pytest.fixture(scope="module")
def harness(w3: Web3, tmp_path_factory: pytest.TempPathFactory) -> Contract:
    root = tmp_path_factory.mktemp("harness")
    shutil.copytree(CONTRACTS_DIR, root / "contracts")
    shutil.copy(HARNESS, root / "contracts")
    art = compile_suite(contracts_dir=root / "contracts", build_dir=root / "build")[
        "LibraryHarness"
    ]
    factory = w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    tx = factory.constructor().transact({"from": w3.eth.accounts[0]})
    address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    return w3.eth.contract(address=address, abi=art.abi)


def test_station_word_fields_round_trip_at_their_bounds(harness: Contract) -> None:
    f: Any = harness.functions
    word = f.stationParams(2**32 - 1, 2**32 - 2, 2**16 - 1, 2**64 - 1).call()
    word = f.stationWithState(word, 2**40 - 1, 10_000, 9_900, 2**32 - 1).call()
    assert f.stationFields(word).call() == [
        2**40 - 1,
        10_000,
        9_900,
        2**32 - 1,
        2**32 - 1,
        2**32 - 2,
        2**16 - 1,
        2**64 - 1,
    ]
    # withState replaces only the state part
    again = f.stationWithState(word, 7, 1, 2, 3).call()
    assert f.stationFields(again).call()[4:] == f.stationFields(word).call()[4:]
    assert f.stationFields(again).call()[:4] == [7, 1, 2, 3]


def test_station_word_grid(harness: Contract) -> None:
    f: Any = harness.functions
    word = f.stationParams(900, 300, 8800, 1).call()
    assert f.stationOnGrid(word, 900 * 5 + 300).call() is True
    assert f.stationOnGrid(word, 900 * 5).call() is False
    assert f.stationOnGrid(0, 0).call() is False  # not cached


def test_account_word_setters_keep_the_other_fields(harness: Contract) -> None:
    f: Any = harness.functions
    counters = (2**48 - 1) | (12345 << 48)
    word = f.accountWithAvoided(counters, -(2**55)).call()
    word = f.accountWithLease(word, 2**64 - 1, 2**64 - 1, 2**32 - 1).call()
    charged, discharged, avoided, leased, before, epoch = f.accountFields(word).call()
    assert (charged, discharged, avoided) == (2**48 - 1, 12345, -(2**55))
    # leasedWh and validTo are clamped (2^48 - 1, 2^40 - 1 rounded down to 2^16 s)
    assert (leased, before, epoch) == (2**48 - 1, (2**40 - 1) >> 16 << 16, 2**32 - 1)
    word = f.accountWithLease(word, 5, 2**16 * 3 + 7, 9).call()
    assert f.accountFields(word).call() == [2**48 - 1, 12345, -(2**55), 5, 2**16 * 3, 9]
    word = f.accountWithAvoided(word, 2**55 - 1).call()
    assert f.accountFields(word).call()[2:4] == [2**55 - 1, 5]


def test_calldata_ecdsa_recovers_like_eth_account_and_names_openzeppelin_codes(
    harness: Contract,
) -> None:
    f: Any = harness.functions
    digest = keccak(b"report")
    signed = Account.unsafe_sign_hash(digest, KEY)
    sig = bytes(signed.signature)
    assert f.tryRecover(digest, sig).call() == [Account.from_key(KEY).address, 0]
    assert f.tryRecover(digest, sig[:64]).call()[1] == 2  # InvalidSignatureLength
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    high_s = sig[:32] + (n - int.from_bytes(sig[32:64], "big")).to_bytes(32, "big") + sig[64:]
    assert f.tryRecover(digest, high_s).call()[1] == 3  # InvalidSignatureS
    assert f.tryRecover(digest, sig[:64] + bytes([30])).call()[1] == 1  # InvalidSignature


def test_report_struct_hash_is_the_eip712_hash_struct(harness: Contract) -> None:
    r = IntervalReport(
        7,
        900,
        1800,
        b"\x11" * 32,
        3,
        b"\x22" * 32,
        5000,
        9900,
        4,
        1,
        (
            ParticipantDelta(Web3.to_checksum_address("0x" + "aa" * 20), 10, 2),
            ParticipantDelta(Web3.to_checksum_address("0x" + "bb" * 20), 2**64 - 1, 0),
        ),
    )
    message = encode_typed_data(
        {"name": "x", "version": "1", "chainId": 1, "verifyingContract": "0x" + "00" * 20},
        REPORT_TYPES,
        r.as_typed(),
    )
    assert harness.functions.structHash(r.as_abi()).call() == bytes(message.body)
