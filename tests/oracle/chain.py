"""Shared setup for oracle tests against the session anvil: the demo world registered and
an oracle config for a few intervals of its simulated day."""

from __future__ import annotations

from pathlib import Path

from devnet.oracle_config import demo_oracle_config
from devnet.world import DAY_START, World, demo_world, register_world
from ledger.client import Ledger
from oracle.config import OracleConfig
from oracle.reading import ZERO_ADDRESS, DeviceDomain
from oracle.service import make_feed, station_facts


def world_and_config(
    ledger: Ledger, state_dir: Path, intervals: int
) -> tuple[World, int, OracleConfig]:
    world = demo_world()
    station = register_world(ledger, world)
    config = demo_oracle_config(
        world,
        station_id=station,
        rpc_url=ledger.settings.rpc_url,
        deployments_dir=ledger.settings.deployments_dir,
        state_dir=state_dir,
        intervals=intervals,
    )
    return world, station, config


def expected_counters(ledger: Ledger, config: OracleConfig) -> dict[str, tuple[int, int]]:
    """Each participant's meter counters at the last reading before `config.end`: what the
    chain must hold after every interval is relayed, whatever happened on the way."""
    station, _ = station_facts(ledger, config)
    domain = DeviceDomain(ledger.chain_id, ledger.deployment.address("Registry"))
    feed = make_feed(config, station, domain)
    last: dict[str, tuple[int, int, int]] = {}
    assert config.end is not None
    t = config.start
    while t < config.end:
        for item in feed.readings_for_interval(t):
            r = item.reading  # type: ignore[union-attr]
            if r.participant != ZERO_ADDRESS and r.timestamp >= last.get(r.participant, (-1,))[0]:
                last[r.participant] = (r.timestamp, r.charged_wh, r.discharged_wh)
        t += station.interval_s
    return {p: (c, d) for p, (_, c, d) in last.items()}


__all__ = ["DAY_START", "expected_counters", "world_and_config"]
