from concurrent.futures import ThreadPoolExecutor

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from ledger.compile import Build, compile_suite
from ledger.errors import ContractRevert, revert_class
from ledger.reverts import RevertDecoder
from ledger.tx import TxManager
from tests.conftest import FIXTURE_CONTRACTS


@pytest.fixture(scope="module")
def probe_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return compile_suite(contracts_dir=FIXTURE_CONTRACTS, build_dir=tmp_path_factory.mktemp("b"))


@pytest.fixture
def manager(snapshot: Web3, probe_build: Build, accounts: list[LocalAccount]) -> TxManager:
    return TxManager(snapshot, accounts[3], RevertDecoder(probe_build.all_errors()))


@pytest.fixture
def probe(manager: TxManager, probe_build: Build) -> Contract:
    art = probe_build["Probe"]
    factory = manager.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    receipt = manager.transact(factory.constructor())
    return manager.w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)


def test_fifty_concurrent_sends_from_one_key_are_all_mined_without_nonce_gaps(
    manager: TxManager, probe: Contract
) -> None:
    start = manager.w3.eth.get_transaction_count(manager.account.address)

    def one(i: int) -> int:
        return int(manager.transact(probe.functions.bump(i))["status"])

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(one, range(50)))

    assert statuses == [1] * 50
    assert probe.functions.total().call() == sum(range(50))
    assert manager.w3.eth.get_transaction_count(manager.account.address) == start + 50


def test_reverting_call_raises_the_typed_custom_error_with_its_arguments(
    manager: TxManager, probe: Contract
) -> None:
    with pytest.raises(revert_class("ProbeTooLarge")) as caught:
        manager.transact(probe.functions.bump(5000))
    assert caught.value.arguments == {
        "limit": 1000,
        "given": 5000,
        "caller": manager.account.address,
    }
    assert isinstance(caught.value, ContractRevert)
    assert "ProbeTooLarge(limit=1000, given=5000" in str(caught.value)


def test_a_rejected_estimate_does_not_consume_a_nonce(manager: TxManager, probe: Contract) -> None:
    with pytest.raises(ContractRevert):
        manager.transact(probe.functions.bump(5000))
    receipt = manager.transact(probe.functions.bump(1))
    assert receipt["status"] == 1


def test_eip1559_fees_are_used_on_a_london_chain(manager: TxManager, probe: Contract) -> None:
    sent = manager.send(probe.functions.bump(1))
    assert "maxFeePerGas" in sent.params and "gasPrice" not in sent.params
    manager.wait(sent)


def test_a_stuck_transaction_is_replaced_with_higher_fees(
    manager: TxManager, probe: Contract
) -> None:
    w3 = manager.w3
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        sent = manager.send(probe.functions.bump(7))
        bumped = manager.bump(sent)
        assert bumped.nonce == sent.nonce
        assert bumped.params["maxFeePerGas"] > sent.params["maxFeePerGas"]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        receipt = manager.wait(bumped)
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    assert receipt["status"] == 1
    assert probe.functions.total().call() == 7


def test_decoder_names_unknown_selectors() -> None:
    err = RevertDecoder([]).decode("0xdeadbeef")
    assert err.error_name == "UnknownRevert"


def rpc(manager: TxManager, method: str, *params: object) -> object:
    return manager.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]


def test_a_transaction_the_node_lost_is_rebroadcast_as_is(
    manager: TxManager, probe: Contract
) -> None:
    rpc(manager, "evm_setAutomine", False)
    try:
        sent = manager.send(probe.functions.bump(3))
        rpc(manager, "anvil_dropAllTransactions")  # the pool is gone, as after a node restart
        assert not manager.node_has(sent.tx_hash)
        assert manager.rebroadcast(sent.raw) is True
        assert manager.rebroadcast(sent.raw) is True  # already known: still fine
        rpc(manager, "evm_mine")
        receipt = manager.wait(sent)
    finally:
        rpc(manager, "evm_setAutomine", True)
    assert receipt["status"] == 1 and "0x" + bytes(receipt["transactionHash"]).hex() == sent.tx_hash
    assert probe.functions.total().call() == 3


def test_rebroadcast_says_when_the_nonce_went_to_another_transaction(
    manager: TxManager, probe: Contract
) -> None:
    rpc(manager, "evm_setAutomine", False)
    try:
        lost = manager.send(probe.functions.bump(3))
        rpc(manager, "anvil_dropAllTransactions")
        manager.resync()
        taken = manager.send(probe.functions.bump(4))  # the node's nonce again: the same one
        assert taken.nonce == lost.nonce
        rpc(manager, "evm_mine")
        manager.wait(taken)
    finally:
        rpc(manager, "evm_setAutomine", True)
    assert manager.rebroadcast(lost.raw) is False
    assert probe.functions.total().call() == 4


def test_a_nonce_gap_is_filled_so_the_transaction_above_it_is_mined(
    manager: TxManager, probe: Contract
) -> None:
    rpc(manager, "evm_setAutomine", False)
    try:
        lost = manager.send(probe.functions.bump(3))
        rpc(manager, "anvil_dropAllTransactions")
        above = manager.send(probe.functions.bump(5))  # the local counter went on: a gap
        assert above.nonce == lost.nonce + 1
        rpc(manager, "evm_mine")
        assert manager.mined_nonce() == lost.nonce  # blocked behind the missing nonce
        manager.fill_nonce(lost.nonce)
        rpc(manager, "evm_mine")
        receipt = manager.wait(above)
    finally:
        rpc(manager, "evm_setAutomine", True)
    assert receipt["status"] == 1
    assert manager.mined_nonce() == above.nonce + 1
    assert probe.functions.total().call() == 5
