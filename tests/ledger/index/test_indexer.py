import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from devnet.world import World, demo_world, register_world
from ledger.client import Ledger
from ledger.index.indexer import Indexer
from ledger.index.tables import (
    CurtailmentRow,
    LeaseRow,
    ParticipantIntervalRow,
    ReportRow,
    StationRow,
)
from ledger.storage import CurtailedCharge, StorageLedgerClient
from tests.helpers import ROOT, report, submit, with_root
from tests.ledger.index import canonical

MWH = 1_000_000


@pytest.fixture
def world() -> World:
    return demo_world()


@pytest.fixture
def station(ledger: Ledger, world: World) -> int:
    return register_world(ledger, world)


def sql_reports(engine: Engine) -> dict[int, str]:
    with Session(engine) as s:
        return {r.interval_start: r.readings_root for r in s.exec(select(ReportRow)).all()}


def test_indexes_registry_and_reports_and_is_idempotent(
    ledger: Ledger, world: World, station: int, engine: Engine
) -> None:
    gen = world.participants[0].address
    submit(ledger, world, report(ledger, station, 0, {gen: (4 * MWH, 0)}))
    submit(ledger, world, report(ledger, station, 1, {gen: (6 * MWH, MWH)}))
    indexer = Indexer(ledger, engine)
    first = indexer.run_once()
    again = indexer.run_once()
    assert first.events > 0 and again.events == 0

    with Session(engine) as s:
        row = s.get(StationRow, station)
        assert row is not None and row.region == "CN-QH" and row.capacity_wh == 200 * MWH
        assert len(s.exec(select(LeaseRow)).all()) == len(world.participants)
        intervals = s.exec(
            select(ParticipantIntervalRow).where(ParticipantIntervalRow.participant == gen)
        ).all()
        assert sorted((i.charged_wh, i.discharged_wh) for i in intervals) == [
            (2 * MWH, MWH),
            (4 * MWH, 0),
        ]
        rep = s.exec(select(ReportRow)).first()
        assert rep is not None and len(json.loads(rep.signers_json)) == 2
    account = StorageLedgerClient(ledger).account_of(station, gen)
    assert sum(i.charged_wh for i in intervals) == account.charged_wh
    assert sum(i.losses_wh for i in intervals) == account.losses_wh


def attest(ledger: Ledger, world: World, station: int, start: int, gen: str, wh: int) -> str:
    grid = StorageLedgerClient(ledger.as_account(world.grid_operator))
    receipt = grid.attest_curtailment(station, start, [CurtailedCharge(gen, wh)])
    return "0x" + bytes(receipt["transactionHash"]).hex()


def test_a_curtailment_attestation_is_indexed_beside_the_report_it_amends(
    ledger: Ledger, world: World, station: int, engine: Engine
) -> None:
    gen = world.participants[0].address
    r = report(ledger, station, 0, {gen: (4 * MWH, 0)})
    submit(ledger, world, r)
    tx_hash = attest(ledger, world, station, r.interval_start, gen, 3 * MWH)
    Indexer(ledger, engine).run_once()

    with Session(engine) as s:
        row = s.get(CurtailmentRow, (station, r.interval_start, gen))
        booked = s.get(ParticipantIntervalRow, (station, r.interval_start, gen))
        rep = s.get(ReportRow, (station, r.interval_start))
    assert row is not None and booked is not None and rep is not None
    assert (row.grid_operator, row.curtailed_wh, row.tx_hash) == (
        world.grid_operator.address,
        3 * MWH,
        tx_hash,
    )
    assert row.block_number == ledger.w3.eth.get_transaction_receipt(tx_hash)["blockNumber"]
    assert (row.factor_version, row.grams_per_mwh) == (rep.factor_version, rep.grams_per_mwh)
    # The report keeps what it booked (4 MWh charged at the grid factor); the attestation gives
    # back the curtailed 3 MWh.
    assert booked.avoided_grams == -4 * rep.grams_per_mwh
    assert row.avoided_grams == 3 * rep.grams_per_mwh
    avoided = StorageLedgerClient(ledger).avoided_of(station, gen).avoided_grams
    assert booked.avoided_grams + row.avoided_grams == avoided


def test_a_replaced_block_is_detected_and_the_tables_rewound(
    ledger: Ledger, world: World, station: int, engine: Engine
) -> None:
    gen = world.participants[0].address
    submit(ledger, world, report(ledger, station, 0, {gen: (4 * MWH, 0)}))
    indexer = Indexer(ledger, engine)
    indexer.run_once()

    snap = ledger.w3.provider.make_request("evm_snapshot", [])["result"]
    submit(ledger, world, report(ledger, station, 1, {gen: (6 * MWH, 0)}))
    submit(ledger, world, report(ledger, station, 2, {gen: (7 * MWH, 0)}))
    first = report(ledger, station, 0, {}).interval_start
    attest(ledger, world, station, first, gen, 2 * MWH)
    indexer.run_once()
    assert set(sql_reports(engine)) == {
        report(ledger, station, i, {}).interval_start for i in range(3)
    }
    with Session(engine) as s:
        assert s.get(CurtailmentRow, (station, first, gen)) is not None

    # The chain replaces the last three blocks with a different history of the same height,
    # without the attestation.
    ledger.w3.provider.make_request("evm_revert", [snap])
    ledger.tx.resync()  # the node forgot those transactions
    other_root = bytes.fromhex("22" * 32)
    submit(ledger, world, with_root(report(ledger, station, 1, {gen: (5 * MWH, 0)}), other_root))
    ledger.w3.provider.make_request("anvil_mine", ["0x2"])

    run = indexer.run_once()
    assert run.rewound_to is not None
    on_sql = sql_reports(engine)
    starts = sorted(on_sql)
    assert len(starts) == 2
    assert on_sql[starts[0]] == "0x" + ROOT.hex()
    assert on_sql[starts[1]] == "0x" + other_root.hex()
    with Session(engine) as s:
        charged = sum(i.charged_wh for i in s.exec(select(ParticipantIntervalRow)).all())
        assert s.exec(select(CurtailmentRow)).all() == []
    assert charged == StorageLedgerClient(ledger).account_of(station, gen).charged_wh == 5 * MWH
    assert not StorageLedgerClient(ledger).curtailment_attested(station, first)


def test_a_reorg_to_a_shorter_chain_rewinds_to_the_ancestor_and_carries_on(
    ledger: Ledger, world: World, station: int, engine: Engine
) -> None:
    gen = world.participants[0].address
    submit(ledger, world, report(ledger, station, 0, {gen: (4 * MWH, 0)}))
    indexer = Indexer(ledger, engine)
    indexer.run_once()
    fork = ledger.w3.eth.block_number

    snap = ledger.w3.provider.make_request("evm_snapshot", [])["result"]
    for i in range(1, 4):
        submit(ledger, world, report(ledger, station, i, {gen: ((4 + i) * MWH, 0)}))
    ledger.w3.provider.make_request("anvil_mine", ["0x14"])  # the old chain runs 20 blocks on
    indexer.run_once()
    assert len(sql_reports(engine)) == 4
    old_head = ledger.w3.eth.block_number

    # Back to a chain 23 blocks shorter than the indexed checkpoint: its blocks are gone.
    ledger.w3.provider.make_request("evm_revert", [snap])
    ledger.tx.resync()
    assert ledger.w3.eth.block_number == fork < old_head
    run = indexer.run_once()
    assert run.rewound_to is not None and run.rewound_to <= fork
    assert canonical.sql_reports(engine, station) == canonical.chain_reports(ledger, station)
    assert len(sql_reports(engine)) == 1

    # The new chain grows with a different history, still below the old height, and on past it.
    other_root = bytes.fromhex("33" * 32)
    submit(ledger, world, with_root(report(ledger, station, 1, {gen: (9 * MWH, 0)}), other_root))
    indexer.run_once()
    assert canonical.sql_reports(engine, station) == canonical.chain_reports(ledger, station)
    ledger.w3.provider.make_request("anvil_mine", ["0x20"])
    again = indexer.run_once()
    assert again.rewound_to is None
    on_sql = canonical.sql_reports(engine, station)
    assert on_sql == canonical.chain_reports(ledger, station) and len(on_sql) == 2
    assert on_sql[report(ledger, station, 1, {}).interval_start][1] == "0x" + other_root.hex()
    account = StorageLedgerClient(ledger).account_of(station, gen)
    assert canonical.sql_charged(engine, station)[gen] == account.charged_wh == 9 * MWH


def test_a_restart_after_the_chain_shrank_below_the_checkpoint_does_not_crash(
    ledger: Ledger, world: World, station: int, engine: Engine
) -> None:
    gen = world.participants[0].address
    snap = ledger.w3.provider.make_request("evm_snapshot", [])["result"]
    submit(ledger, world, report(ledger, station, 0, {gen: (4 * MWH, 0)}))
    ledger.w3.provider.make_request("anvil_mine", ["0x5"])
    Indexer(ledger, engine).run_once()
    ledger.w3.provider.make_request("evm_revert", [snap])
    ledger.tx.resync()

    # A fresh indexer (a restarted `essl index`) over the same database, twice.
    for _ in range(2):
        run = Indexer(ledger, engine).run_once()
        assert canonical.sql_reports(engine, station) == {}
    assert run.rewound_to is None  # the first pass rewound; the second has nothing to undo
