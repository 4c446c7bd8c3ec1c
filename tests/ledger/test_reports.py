import pytest

from devnet.world import World, demo_world, register_world
from ledger.client import Ledger
from ledger.errors import revert_class
from ledger.reports import report_digest
from ledger.storage import StorageLedgerClient
from tests.helpers import report, signatures, submit

MWH = 1_000_000


@pytest.fixture
def world() -> World:
    return demo_world()


@pytest.fixture
def station(ledger: Ledger, world: World) -> int:
    return register_world(ledger, world)


def test_python_digest_equals_the_contracts(ledger: Ledger, world: World, station: int) -> None:
    gen = world.participants[0].address
    r = report(ledger, station, 0, {gen: (2 * MWH, 0)})
    client = StorageLedgerClient(ledger)
    assert report_digest(r, ledger.chain_id, client.address) == client.hash_report(r)


def test_a_report_signed_in_python_is_accepted(ledger: Ledger, world: World, station: int) -> None:
    gen, con = world.participants[0].address, world.participants[3].address
    submit(ledger, world, report(ledger, station, 0, {gen: (10 * MWH, 0), con: (20 * MWH, 0)}))
    submit(
        ledger, world, report(ledger, station, 1, {gen: (10 * MWH, 0), con: (20 * MWH, 5 * MWH)})
    )
    client = StorageLedgerClient(ledger)
    account = client.account_of(station, con)
    assert account.charged_wh == 20 * MWH and account.discharged_wh == 5 * MWH
    stored = 20 * MWH * 8800 // 10_000
    assert account.balance_wh == stored - 5 * MWH
    assert account.losses_wh == 20 * MWH - stored


def test_a_single_signature_is_below_the_threshold(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    r = report(ledger, station, 0, {gen: (MWH, 0)})
    with pytest.raises(revert_class("StorageLedgerQuorumNotReached")) as caught:
        StorageLedgerClient(ledger).submit(r, signatures(ledger, world, r, count=1))
    assert caught.value.arguments == {"signatures": 1, "threshold": 2}
