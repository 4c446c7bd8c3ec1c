"""Assemble and run the oracle from its configuration: registry facts from the chain, the
nodes, the source, the outbox and the relay; process intervals as they fall due on the
(possibly accelerated) clock."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.client import Ledger, open_ledger
from ledger.keys import guard_chain
from ledger.registry import RegistryClient
from ledger.settings import LedgerSettings
from ledger.storage import StorageLedgerClient
from oracle.config import OracleConfig
from oracle.errors import OracleError
from oracle.feed import Inbox, IntervalSource, StreamFeed
from oracle.outbox import Outbox
from oracle.quarantine import Quarantine
from oracle.quorum import Agreement, OracleNode, agree
from oracle.reading import DeviceDomain
from oracle.relay import Relay
from oracle.station import ChainContext, IntervalOutcome, StationRuntime
from oracle.validate import DeviceInfo, StationInfo, Validator

log = logging.getLogger("essl.oracle")
KINDS = {0: "meter", 1: "bms", 2: "gateway"}
FAILOVER_S = 5.0  # how long the other nodes give an interval's designated submitter


@dataclass
class Oracle:
    config: OracleConfig
    ledger: Ledger
    runtime: StationRuntime
    relay: Relay
    outbox: Outbox
    quarantine: Quarantine


def station_facts(ledger: Ledger, config: OracleConfig) -> tuple[StationInfo, list[DeviceInfo]]:
    registry = RegistryClient(ledger)
    s = registry.station(config.station_id)
    station = StationInfo(
        station_id=config.station_id,
        rated_power_w=s["rated_power_w"],
        capacity_wh=s["capacity_wh"],
        interval_s=s["interval_seconds"],
        soc_min_bps=config.soc_min_bps,
        soc_max_bps=config.soc_max_bps,
        round_trip_eff_bps=s["round_trip_efficiency_bps"],
        grid_start=s["grid_start"],
    )
    channels = {m.device.lower(): m for m in config.meters}
    devices = []
    count = int(ledger.tx.call(registry.contract.functions.deviceCount()))
    for device_id in range(1, count + 1):
        d = registry.device(device_id)
        if d["station_id"] != config.station_id or not d["active"]:
            continue
        channel = channels.get(str(d["signer"]).lower())
        devices.append(
            DeviceInfo(
                address=d["signer"],
                station_id=config.station_id,
                kind=KINDS[d["kind"]],  # type: ignore[arg-type]
                rated_power_w=d["rated_power_w"],
                accuracy_class_bps=d["accuracy_class_bps"],
                participant=channel.participant if channel else None,
                acc32=channel.acc32 if channel else False,
            )
        )
    return station, devices


def make_feed(
    config: OracleConfig, station: StationInfo, domain: DeviceDomain, inbox: Inbox | None = None
) -> IntervalSource:
    """The configured source, cut into intervals. Live sources keep what they receive in
    `inbox` (the outbox) until the interval is recorded; the simulator is deterministic."""
    src = config.source
    if src.kind == "simulator":
        from oracle.sources.simulator import SimParticipant, SimStation, StationSimulator

        assert src.bms_key is not None
        sim_station = SimStation(
            station_id=station.station_id,
            capacity_wh=station.capacity_wh,
            rated_power_w=station.rated_power_w,
            bms_key=bytes.fromhex(src.bms_key.get_secret_value().removeprefix("0x")),
            round_trip_eff_bps=station.round_trip_eff_bps,
            soc_min_bps=station.soc_min_bps,
            soc_max_bps=station.soc_max_bps,
            interval_s=station.interval_s,
        )
        participants = [
            SimParticipant(
                p.address,
                p.role,
                p.lease_wh,
                p.rated_power_w,
                bytes.fromhex(p.meter_key.get_secret_value().removeprefix("0x")),
            )
            for p in src.participants
        ]
        return StationSimulator(src.seed, config.start, sim_station, participants, domain)
    if src.kind == "replay":
        from oracle.sources.replay import ReplaySource

        assert src.path is not None
        return StreamFeed(ReplaySource(src.path), station.interval_s, inbox, station.station_id)
    if src.kind == "mqtt":
        from oracle.sources.mqtt import MqttSource

        assert src.url is not None
        return StreamFeed(
            MqttSource(src.url, src.topic), station.interval_s, inbox, station.station_id
        )
    raise OracleError(f"source kind {src.kind} cannot run as a stream here yet")


def node_account(key: bytes, chain_id: int) -> LocalAccount:
    return guard_chain(Account.from_key(key), chain_id)


def build_oracle(config: OracleConfig, settings: LedgerSettings | None = None) -> Oracle:
    base = settings or LedgerSettings()
    settings = base.model_copy(
        update={
            "rpc_url": config.rpc_url,
            "deployments_dir": config.deployments_dir,
        }
    )
    keys = [n.private_key() for n in config.nodes]
    probe = open_ledger(settings)
    submitter = node_account(keys[0], probe.chain_id)
    ledger = probe.as_account(submitter)
    registry_address = ledger.deployment.address("Registry")
    domain = DeviceDomain(ledger.chain_id, registry_address)
    station, devices = station_facts(ledger, config)
    meters = {d.address: d.participant for d in devices if d.participant}
    nodes = []
    for node_cfg, key in zip(config.nodes, keys, strict=True):
        account = node_account(key, ledger.chain_id)
        nodes.append(
            OracleNode(
                name=node_cfg.name,
                key=key,
                address=account.address,
                validator=Validator(station, devices, domain, clock_skew_s=config.clock_skew_s),
                meters=meters,
            )
        )
    config.data_dir.mkdir(parents=True, exist_ok=True)
    outbox = Outbox(config.data_dir / f"outbox-{ledger.chain_id}-{config.station_id}.sqlite")
    quarantine = Quarantine(outbox.engine)
    chain = ChainContext(
        chain_id=ledger.chain_id,
        ledger_address=ledger.deployment.address("StorageLedger"),
        registry_address=registry_address,
        config_digest=RegistryClient(ledger).oracle_config().digest,
    )
    agreement: Agreement = agree
    submitters: list[str] = []
    if config.exchange_url is not None:
        from oracle.exchange import Exchange, ExchangeAgreement

        registry = RegistryClient(ledger)
        signers, _, _ = registry.oracle_set_at(registry.oracle_config().version)
        agreement = ExchangeAgreement(Exchange(config.exchange_url), set(signers))
        submitters = sorted(signers, key=lambda a: int(a, 16))
    runtime = StationRuntime(
        station=station,
        nodes=nodes,
        threshold=config.threshold,
        feed=make_feed(config, station, domain, outbox),
        outbox=outbox,
        quarantine=quarantine,
        archive_dir=config.archive_dir,
        chain=chain,
        first_interval=config.start,
        agreement=agreement,
    )
    relay = Relay(StorageLedgerClient(ledger), outbox, failover_s=FAILOVER_S, submitters=submitters)
    return Oracle(config, ledger, runtime, relay, outbox, quarantine)


class Clock:
    """Simulated time: `start` at the first call, advancing `speed` simulated s per wall s;
    speed 0 means unthrottled (every interval is due at once)."""

    def __init__(self, start: int, speed: float) -> None:
        self.start = start
        self.speed = speed
        self.wall0 = time.monotonic()

    def now(self) -> int:
        if self.speed == 0:
            return 2**62
        return self.start + int((time.monotonic() - self.wall0) * self.speed)


def run_due(
    oracle: Oracle,
    clock: Clock,
    *,
    on_interval: Callable[[IntervalOutcome, list[int]], None] | None = None,
) -> int:
    """Process every interval that has closed by the clock, relaying as it goes. Returns how
    many intervals were processed."""
    config, runtime = oracle.config, oracle.runtime
    interval_s = runtime.station.interval_s
    done = 0
    while True:
        start = runtime.next_interval()
        if config.end is not None and start >= config.end:
            break
        if start + interval_s > clock.now():
            break
        outcome = runtime.process(start, now=min(clock.now(), start + interval_s + 1))
        confirmed = oracle.relay.step(config.station_id)
        done += 1
        if on_interval:
            on_interval(outcome, confirmed)
    return done


def drain(oracle: Oracle, timeout_s: float = 120.0) -> None:
    """Relay until nothing is pending (or time runs out)."""
    deadline = time.monotonic() + timeout_s
    oracle.relay.step(oracle.config.station_id)  # also finds final reports a reorg removed
    while oracle.outbox.pending(oracle.config.station_id):
        oracle.relay.step(oracle.config.station_id)
        if time.monotonic() > deadline:
            raise OracleError("reports still pending after the drain timeout; see the outbox")
        time.sleep(0.1)
