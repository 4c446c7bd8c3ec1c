"""Chain fixtures for the credit tests: the demo world registered, avoided emissions booked for
two generators, and one CreditsClient per actor (each signing with its own key)."""

from __future__ import annotations

import pytest

from devnet.world import World, demo_world, register_world
from ledger.client import Ledger
from tests.credit_helpers import Actors, book_avoided, make_actors, request


@pytest.fixture
def world() -> World:
    return demo_world()


@pytest.fixture
def station(ledger: Ledger, world: World) -> int:
    return register_world(ledger, world)


@pytest.fixture
def actors(ledger: Ledger, world: World, station: int) -> Actors:
    return make_actors(ledger, world)


@pytest.fixture
def avoided(ledger: Ledger, world: World, station: int) -> int:
    """Each generator holds 1,253,600 g un-issued; returns the factor version."""
    return book_avoided(ledger, world, station)


@pytest.fixture
def issued(actors: Actors, station: int, avoided: int) -> int:
    """Token id of 1,000 units issued to participant 0 (1,000,000 g consumed)."""
    token = request(actors, station, 1_000_000, avoided)
    actors.verifier.approve(token)
    return token
