"""Builders for credit tests: one CreditsClient per demo-world actor, and avoided emissions
booked for two generators."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from devnet.world import World
from ledger.client import Ledger
from ledger.credits import CreditsClient
from ledger.storage import CurtailedCharge, StorageLedgerClient
from tests.helpers import report, submit

MWH = 1_000_000
QH_GRAMS_PER_MWH = 156_700  # CN-QH in the shipped 2022 dataset
PERIOD = (1_795_363_200, 1_795_449_600)
UNISSUED = 8 * QH_GRAMS_PER_MWH  # per generator after book_avoided


@dataclass
class Actors:
    """CreditsClient per actor of the demo world."""

    admin: CreditsClient
    verifier: CreditsClient
    regulator: CreditsClient
    operator: CreditsClient
    grid: CreditsClient
    gen: CreditsClient  # participant 0, holds avoided emissions
    gen2: CreditsClient  # participant 1, holds avoided emissions
    consumer: CreditsClient  # participant 3, no avoided emissions


def make_actors(ledger: Ledger, world: World) -> Actors:
    def as_(account: LocalAccount) -> CreditsClient:
        return CreditsClient(ledger.as_account(account))

    p = world.participants
    return Actors(
        admin=CreditsClient(ledger),
        verifier=as_(world.verifier),
        regulator=as_(world.regulator),
        operator=as_(world.station_operator),
        grid=as_(world.grid_operator),
        gen=as_(p[0].account),
        gen2=as_(p[1].account),
        consumer=as_(p[3].account),
    )


def book_avoided(ledger: Ledger, world: World, station: int) -> int:
    """Two generators charge 10 MWh of curtailed wind, then discharge 8 MWh: each holds
    8 x 156,700 = 1,253,600 g of un-issued avoided emissions. Returns the factor version."""
    gen, gen2 = world.participants[0].address, world.participants[1].address
    charged = report(ledger, station, 0, {gen: (10 * MWH, 0), gen2: (10 * MWH, 0)})
    submit(ledger, world, charged)
    StorageLedgerClient(ledger.as_account(world.grid_operator)).attest_curtailment(
        station,
        charged.interval_start,
        [CurtailedCharge(gen, 10 * MWH), CurtailedCharge(gen2, 10 * MWH)],
    )
    discharged = {gen: (10 * MWH, 8 * MWH), gen2: (10 * MWH, 8 * MWH)}
    submit(ledger, world, report(ledger, station, 1, discharged))
    return StorageLedgerClient(ledger).avoided_of(station, gen).factor_version


def request(actors: Actors, station: int, grams: int, factor_version: int) -> int:
    """A request by participant 0 for `grams`; returns the request id."""
    return actors.gen.request_issuance(
        station,
        actors.gen.ledger.tx.address,
        grams,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        factor_version=factor_version,
    ).request_id
