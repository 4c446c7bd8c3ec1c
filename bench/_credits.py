"""Gas of the credit lifecycle on the real suite (used by `bench gas`): approval with the mint
of a new id, a transfer and a retirement, each in its worst (fresh-slot) case and in the
steady case next to it."""

from __future__ import annotations

from typing import Any

from devnet.world import DAY_START, INTERVAL_S, World, oracle_signatures
from ledger.client import Ledger
from ledger.credits import CreditsClient, RetireInfo
from ledger.registry import RegistryClient
from ledger.reports import IntervalReport, ParticipantDelta
from ledger.storage import CurtailedCharge, StorageLedgerClient

MWH = 1_000_000
CLAIM_PERIOD = (DAY_START, DAY_START + 86_400)


def _gas(client: CreditsClient, tx_hash: str) -> int:
    return int(client.ledger.w3.eth.get_transaction_receipt(tx_hash)["gasUsed"])


def _book_avoided(ledger: Ledger, world: World, station: int, first_index: int) -> tuple[int, int]:
    """Participant 0 stores 10 MWh of wind, which the grid operator attests as curtailed, and
    discharges 8 MWh (after the report benchmark's intervals). Returns the factor version and
    the attestation's gas."""
    storage = StorageLedgerClient(ledger)
    digest = RegistryClient(ledger).oracle_config().digest
    who = world.participants[0].address
    account = storage.account_of(station, who)
    steps = [
        (account.charged_wh + 10 * MWH, account.discharged_wh, 10 * MWH),
        (account.charged_wh + 10 * MWH, account.discharged_wh + 8 * MWH, 0),
    ]
    grid = StorageLedgerClient(ledger.as_account(world.grid_operator))
    attest_gas = 0
    for offset, (charged, discharged, curtailed) in enumerate(steps):
        start = DAY_START + (first_index + offset) * INTERVAL_S
        report = IntervalReport(
            station_id=station,
            interval_start=start,
            interval_end=start + INTERVAL_S,
            readings_root=b"\xcc" * 32,
            reading_count=5400,
            config_digest=digest,
            soc_bps=5000,
            soh_bps=9900,
            cycle_count=first_index + offset,
            alarm_bits=0,
            participants=(ParticipantDelta(who, charged, discharged),),
        )
        storage.submit(report, oracle_signatures(ledger, world, report))
        if curtailed:
            charge = CurtailedCharge(who, curtailed)
            attest_gas = int(grid.attest_curtailment(station, start, [charge])["gasUsed"])
    return storage.avoided_of(station, who).factor_version, attest_gas


def measure(ledger: Ledger, world: World, station: int, first_index: int) -> dict[str, Any]:
    version, attest_gas = _book_avoided(ledger, world, station, first_index)
    owner = CreditsClient(ledger.as_account(world.participants[0].account))
    verifier = CreditsClient(ledger.as_account(world.verifier))
    buyer = CreditsClient(ledger.as_account(world.participants[3].account))

    def issue(grams: int) -> tuple[int, int]:
        token = owner.request_issuance(
            station,
            owner.ledger.tx.address,
            grams,
            period_start=CLAIM_PERIOD[0],
            period_end=CLAIM_PERIOD[1],
            factor_version=version,
        ).request_id
        return token, _gas(verifier, verifier.approve(token).tx_hash)

    token, first_issue = issue(100_000)
    _, next_issue = issue(100_000)
    fresh_transfer = _gas(owner, owner.transfer(buyer.ledger.tx.address, token, 10))
    warm_transfer = _gas(owner, owner.transfer(buyer.ledger.tx.address, token, 10))
    claim = RetireInfo(
        beneficiary="Xining Steel",
        beneficiary_address=buyer.ledger.tx.address,
        period_start=CLAIM_PERIOD[0],
        period_end=CLAIM_PERIOD[1],
        country="CN",
        purpose="2026 scope 2 offset",
    )
    first_retire = _gas(buyer, buyer.retire(token, 5, claim))
    next_retire = _gas(buyer, buyer.retire(token, 5, claim))
    return {
        "attest_curtailment_gas_1_participant": attest_gas,
        "issue_gas": first_issue,
        "issue_gas_next_for_same_participant": next_issue,
        "transfer_gas": fresh_transfer,
        "transfer_gas_existing_holder": warm_transfer,
        "retire_gas": first_retire,
        "retire_gas_next_by_same_holder": next_retire,
    }
