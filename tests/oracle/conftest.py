"""Oracle test fixtures: a device domain and one simulated day of a demo station."""

from __future__ import annotations

import pytest

from oracle.reading import DeviceDomain, SignedReading
from oracle.sources.simulator import StationSimulator, demo_station

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
# 2023-11-14 16:00 UTC = midnight in China, on every sampling grid.
DAY_START = 1_699_977_600


@pytest.fixture(scope="session")
def domain() -> DeviceDomain:
    return DeviceDomain(31337, REGISTRY)


def new_sim(domain: DeviceDomain, seed: int = 7) -> StationSimulator:
    return demo_station(seed, DAY_START, domain)


@pytest.fixture(scope="session")
def simulated_day(domain: DeviceDomain) -> tuple[StationSimulator, list[SignedReading]]:
    sim = new_sim(domain)
    return sim, sim.readings_between(DAY_START, DAY_START + 86_400)
