"""Assemble and run the oracle from its configuration: registry facts from the chain, the
nodes, the source, the outbox and the relay; process intervals as they fall due on the
(possibly accelerated) clock."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.baselines import Baseline
from ledger.client import Ledger, open_ledger
from ledger.keys import guard_chain
from ledger.registry import RegistryClient
from ledger.settings import LedgerSettings
from ledger.storage import StorageLedgerClient
from oracle.chain_state import bind_state
from oracle.config import (
    ModbusSourceConfig,
    MqttSourceConfig,
    OracleConfig,
    ReplaySourceConfig,
    SimulatorSourceConfig,
)
from oracle.errors import GaveUp, OracleError, RelayGaveUp, ReportsStillPending
from oracle.feed import Inbox, IntervalSource, LiveFeed, StreamFeed
from oracle.outbox import Outbox, OutboxReport, OutboxState
from oracle.passport_days import (
    DayOutcome,
    OutboxSnapshot,
    PassportDays,
    SnapshotRelay,
    passport_days,
)
from oracle.quarantine import Quarantine
from oracle.quorum import Agreement, OracleNode, agree
from oracle.reading import ZERO_ADDRESS, DeviceDomain
from oracle.relay import Relay
from oracle.source_state import DurableInbox
from oracle.station import ChainContext, IntervalOutcome, StationRuntime
from oracle.validate import DeviceInfo, StationInfo, Validator

log = logging.getLogger("essl.oracle")
FAILOVER_S = 5.0  # how long the other nodes give an interval's designated submitter


# `essl oracle run` exit codes (1 is any error at start, such as a bad configuration).
EXIT_OK = 0
EXIT_REFUSED = 3  # some reports were refused on-chain (outbox rows in state failed)
EXIT_GAVE_UP = 4  # the same failure came back max_failures times in a row


class Clock:
    """Simulated time: `start` at the first call, advancing `speed` simulated s per wall s.
    Speed 0 means unthrottled for the simulator and files (every interval is due at once:
    `now()` is far ahead) and, with `realtime` (live devices), the wall clock: an interval is
    due when it has ended, and `time()` stamps readings in real UTC."""

    def __init__(self, start: int, speed: float, *, realtime: bool = False) -> None:
        self.start = start
        self.speed = speed
        self.realtime = realtime and speed == 0
        self.wall0 = time.monotonic()

    def now(self) -> int:
        if self.realtime:
            return int(time.time())
        if self.speed == 0:
            return 2**62
        return self.start + int((time.monotonic() - self.wall0) * self.speed)

    def time(self) -> float:
        """The time a live source stamps its readings with (unix seconds)."""
        if self.speed == 0:
            return time.time()
        return self.start + (time.monotonic() - self.wall0) * self.speed


@dataclass
class Oracle:
    config: OracleConfig
    ledger: Ledger
    runtime: StationRuntime
    relay: Relay
    outbox: Outbox
    quarantine: Quarantine
    clock: Clock
    # [[passports]]: the daily pack snapshots and their relay (None without passports)
    passport_days: PassportDays | None = None
    snapshot_relay: SnapshotRelay | None = None

    def close(self) -> None:
        """Stop the live source's threads (polling, subscription)."""
        close = getattr(self.runtime.feed, "close", None)
        if close is not None:
            close()


@dataclass(frozen=True)
class ModbusChannel:
    """A device the Modbus source polls, as the registry and validator need to know it."""

    address: str
    participant: str | None
    period_s: int
    key: bytes


def modbus_channels(config: OracleConfig, chain_id: int) -> list[ModbusChannel]:
    src = config.source
    if not isinstance(src, ModbusSourceConfig):
        return []
    out = []
    for d in src.devices:
        key = d.load_key(f"source device {d.name}", chain_id)
        address = str(Account.from_key(key).address)
        out.append(ModbusChannel(address, d.participant, d.period_s or src.period_s, key))
    return out


def station_facts(ledger: Ledger, config: OracleConfig) -> tuple[StationInfo, list[DeviceInfo]]:
    registry = RegistryClient(ledger)
    s = registry.station(config.station_id)
    station = StationInfo(
        station_id=config.station_id,
        rated_power_w=s.rated_power_w,
        capacity_wh=s.capacity_wh,
        interval_s=s.interval_seconds,
        soc_min_bps=config.soc_min_bps,
        soc_max_bps=config.soc_max_bps,
        round_trip_eff_bps=s.round_trip_efficiency_bps,
        grid_start=s.grid_start,
    )
    channels = {m.device.lower(): m for m in config.meters}
    polled = {c.address.lower(): c for c in modbus_channels(config, ledger.chain_id)}
    for address, c in polled.items():
        meter = channels.get(address)
        if meter is not None and meter.acc32:
            raise OracleError(
                f"[[meters]] device {meter.device}: acc32 = true, but the Modbus source polls "
                "it and already unwraps its acc32 counters (SunSpec model 203) before signing; "
                "remove acc32 = true (it is for devices that sign their own 32-bit counters)"
            )
        if meter is not None and (c.participant or "").lower() != meter.participant.lower():
            raise OracleError(
                f"device {c.address} serves participant {c.participant} in [[source.devices]] "
                f"but {meter.participant} in [[meters]]: make them agree"
            )
    registered: set[str] = set()
    devices = []
    count = int(ledger.tx.call(registry.contract.functions.deviceCount()))
    for device_id in range(1, count + 1):
        d = registry.device(device_id)
        if d.station_id != config.station_id or not d.active:
            continue
        signer = str(d.signer).lower()
        registered.add(signer)
        channel = channels.get(signer)
        poll = polled.get(signer)
        participant = channel.participant if channel else None
        if poll is not None:
            participant = poll.participant
        devices.append(
            DeviceInfo(
                address=d.signer,
                station_id=config.station_id,
                kind=d.kind.label,
                rated_power_w=d.rated_power_w,
                accuracy_class_bps=d.accuracy_class_bps,
                participant=participant,
                sampling_period_s=poll.period_s if poll else None,
                acc32=channel.acc32 if channel else False,
            )
        )
    strangers = [c.address for a, c in polled.items() if a not in registered]
    if strangers:
        raise OracleError(
            f"the Modbus source signs as {', '.join(strangers)}, not an active registered "
            f"device of station {config.station_id}: register the gateway key's address, or "
            "fix the device's key"
        )
    return station, devices


def meter_baselines(
    ledger: Ledger, station_id: int, devices: list[DeviceInfo]
) -> tuple[list[DeviceInfo], dict[str, Baseline]]:
    """Each meter channel's on-chain counter baseline: the devices with their baseline raw
    counters (for the validator), and participant -> baseline (for the reports). A baseline
    recorded for another meter than the one the config maps is refused."""
    storage = StorageLedgerClient(ledger)
    baselines: dict[str, Baseline] = {}
    out = []
    for d in devices:
        if d.participant is None:
            out.append(d)
            continue
        b = storage.baseline_of(station_id, d.participant)
        if b.epoch == 0:
            out.append(d)
            continue
        if b.device.lower() != d.address.lower():
            raise OracleError(
                f"participant {d.participant}'s counter baseline (epoch {b.epoch}) is for meter "
                f"{b.device}, but the config maps meter {d.address} to it: record a baseline "
                "for the new meter (`essl station apply` with its [devices.baseline]) or fix "
                "[[meters]]"
            )
        baselines[d.participant] = b
        out.append(
            replace(
                d, baseline_charged_wh=b.raw_charged_wh, baseline_discharged_wh=b.raw_discharged_wh
            )
        )
    return out, baselines


def make_feed(
    config: OracleConfig,
    station: StationInfo,
    domain: DeviceDomain,
    inbox: Inbox | None = None,
    *,
    clock: Clock | None = None,
    first_interval: int | None = None,
) -> IntervalSource:
    """The configured source, cut into intervals. File and live sources keep what they
    receive in `inbox` (the outbox) until the interval is recorded, with their checkpoint;
    live ones (MQTT, Modbus) start receiving here, not when the first interval falls due.
    The simulator is deterministic."""
    src = config.source
    clock = clock or Clock(config.start, config.speed, realtime=True)
    first = config.start if first_interval is None else first_interval
    if isinstance(src, SimulatorSourceConfig):
        return _simulator(config, src, station, domain)
    if isinstance(src, ReplaySourceConfig):
        from oracle.sources.replay import ReplaySource

        resume = None
        if isinstance(inbox, DurableInbox):
            resume = inbox.checkpoint(station.station_id, ReplaySource.checkpoint_name)
        return StreamFeed(
            ReplaySource(src.path, resume), station.interval_s, inbox, station.station_id
        )
    if inbox is None:
        raise OracleError(f"source kind {src.kind} needs the durable inbox (the outbox)")
    source: Any
    stop: Callable[[], None]
    if isinstance(src, MqttSourceConfig):
        from oracle.sources.mqtt import MqttSource

        source = MqttSource(src.url, src.topic)
        source.start()
        stop = source.stop
    else:
        source = _modbus(config, src, station, domain, inbox, clock)
        stop = source.stop
    return LiveFeed(
        source,
        station.interval_s,
        inbox,
        station.station_id,
        first_interval=first,
        clock=clock.time,
        grace_s=src.grace_s,
        stop=stop,
    ).start()


def _simulator(
    config: OracleConfig, src: SimulatorSourceConfig, station: StationInfo, domain: DeviceDomain
) -> IntervalSource:
    from oracle.sources.simulator import SimParticipant, SimStation, StationSimulator

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


def _modbus(
    config: OracleConfig,
    src: ModbusSourceConfig,
    station: StationInfo,
    domain: DeviceDomain,
    inbox: Inbox,
    clock: Clock,
) -> Any:
    from oracle.sources.modbus import ModbusPoller, SunSpecModbusSource

    devices = []
    periods = []
    for d, c in zip(src.devices, modbus_channels(config, domain.chain_id), strict=True):
        devices.append(
            SunSpecModbusSource(
                d.host,
                d.port,
                key=c.key,
                device_address=c.address,
                domain=domain,
                station_id=station.station_id,
                participant=c.participant or ZERO_ADDRESS,
                unit_id=d.unit_id,
                period_s=c.period_s,
                timeout_s=d.timeout_s or src.timeout_s,
            )
        )
        periods.append(c.period_s)
    resume = None
    if isinstance(inbox, DurableInbox):
        resume = inbox.checkpoint(station.station_id, ModbusPoller.checkpoint_name)
    return ModbusPoller(
        devices,
        periods,
        clock=clock.time,
        speed=clock.speed,
        grid_start=config.start,
        resume=resume,
        max_failures=config.max_failures,
    )


def node_account(key: bytes, chain_id: int) -> LocalAccount:
    return guard_chain(Account.from_key(key), chain_id)


def next_interval(outbox: Outbox, config: OracleConfig, interval_s: int) -> int:
    last = outbox.last_interval(config.station_id)
    return config.start if last is None else last + interval_s


def build_oracle(
    config: OracleConfig, settings: LedgerSettings | None = None, *, clock: Clock | None = None
) -> Oracle:
    """Everything `essl oracle run` needs, ready to run. A live source is already receiving
    when this returns; `Oracle.close()` stops it. `clock` defaults to the configured speed
    from the next interval to process."""
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
    devices, baselines = meter_baselines(ledger, config.station_id, devices)
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
                baselines=baselines,
            )
        )
    config.data_dir.mkdir(parents=True, exist_ok=True)
    outbox = Outbox(
        bind_state(config.data_dir / f"outbox-{ledger.chain_id}-{config.station_id}.sqlite", ledger)
    )
    quarantine = Quarantine(outbox.engine)
    inbox = DurableInbox(outbox)
    first = next_interval(outbox, config, station.interval_s)
    live = isinstance(config.source, MqttSourceConfig | ModbusSourceConfig)
    clock = clock or Clock(first, config.speed, realtime=live)
    chain = ChainContext(
        chain_id=ledger.chain_id,
        ledger_address=ledger.deployment.address("StorageLedger"),
        registry_address=registry_address,
        config_digest=RegistryClient(ledger).oracle_config().digest,
    )
    agreement: Agreement = agree
    submitters: list[str] = []
    cosigner = None
    if config.exchange_url is not None:
        from oracle.exchange import Exchange, ExchangeAgreement
        from oracle.passport_cosign import SnapshotCosigner

        registry = RegistryClient(ledger)
        signers, _, _ = registry.oracle_set_at(registry.oracle_config().version)
        exchange = Exchange(config.exchange_url)
        agreement = ExchangeAgreement(exchange, set(signers))
        submitters = sorted(signers, key=lambda a: int(a, 16))
        if config.passports:
            cosigner = SnapshotCosigner(
                exchange,
                set(signers),
                node_name=nodes[0].name,
                node_address=nodes[0].address,
                station_id=config.station_id,
                threshold=config.threshold,
                chain_id=ledger.chain_id,
                passports_address=str(ledger.contract("BatteryPassports").address),
            )
    runtime = StationRuntime(
        station=station,
        nodes=nodes,
        threshold=config.threshold,
        feed=make_feed(config, station, domain, inbox, clock=clock, first_interval=first),
        outbox=outbox,
        quarantine=quarantine,
        archive_dir=config.archive_dir,
        chain=chain,
        first_interval=config.start,
        agreement=agreement,
    )
    relay = Relay(StorageLedgerClient(ledger), outbox, failover_s=FAILOVER_S, submitters=submitters)
    packs = passport_days(
        ledger,
        config,
        outbox,
        interval_s=station.interval_s,
        node_keys=keys,
        config_digest=chain.config_digest,
        cosigner=cosigner,
        submitters=submitters,
        failover_s=FAILOVER_S,
    )
    days, snapshots = packs if packs else (None, None)
    return Oracle(config, ledger, runtime, relay, outbox, quarantine, clock, days, snapshots)


def close_days(
    oracle: Oracle, on_day: Callable[[DayOutcome], None] | None = None
) -> list[DayOutcome]:
    """With [[passports]]: close every day whose intervals are all recorded (one snapshot row
    per pack, or a gap with its reason) and relay the pending snapshots."""
    if oracle.passport_days is None or oracle.snapshot_relay is None:
        return []
    outcomes = oracle.passport_days.close_due(oracle.runtime.next_interval())
    for o in outcomes:
        if on_day:
            on_day(o)
    oracle.snapshot_relay.step()
    return outcomes


def run_due(
    oracle: Oracle,
    clock: Clock,
    *,
    on_interval: Callable[[IntervalOutcome, list[int]], None] | None = None,
    on_day: Callable[[DayOutcome], None] | None = None,
) -> int:
    """Process every interval that has closed by the clock, relaying as it goes; after a UTC
    day's last interval, that day's pack snapshots. Returns how many intervals were
    processed."""
    config, runtime = oracle.config, oracle.runtime
    interval_s = runtime.station.interval_s
    done = 0
    while True:
        close_days(oracle, on_day)
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
    close_days(oracle)
    while pending_work(oracle):
        oracle.relay.step(oracle.config.station_id)
        close_days(oracle)
        if time.monotonic() > deadline:
            raise ReportsStillPending(timeout_s)
        time.sleep(0.1)


def pending_work(oracle: Oracle) -> bool:
    """Reports or pack snapshots not final yet."""
    if oracle.outbox.pending(oracle.config.station_id):
        return True
    return oracle.passport_days is not None and bool(oracle.passport_days.pending())


class FailureGuard:
    """Counts the same failure in a row; `failed` raises `GaveUp` at the `limit`-th. A
    success (`ok`) or a different failure starts the count again."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.last: str | None = None

    def ok(self) -> None:
        self.count, self.last = 0, None

    def failed(self, exc: BaseException) -> None:
        what = f"{type(exc).__name__}: {exc}"
        self.count = self.count + 1 if what == self.last else 1
        self.last = what
        log.error("failure %d of %d in a row: %s", self.count, self.limit, what)
        if self.count >= self.limit:
            raise GaveUp(self.count, what) from exc


def run_guarded(
    oracle: Oracle,
    guard: FailureGuard,
    *,
    on_interval: Callable[[IntervalOutcome, list[int]], None] | None = None,
    on_day: Callable[[DayOutcome], None] | None = None,
) -> int:
    """`run_due` with failures counted: an error is logged and the next tick tries again;
    `GaveUp` when the same error came back `guard.limit` times in a row (the relay's own
    `RelayGaveUp` stops at once)."""
    try:
        done = run_due(oracle, oracle.clock, on_interval=on_interval, on_day=on_day)
    except (GaveUp, RelayGaveUp):
        raise
    except Exception as exc:
        guard.failed(exc)
        return 0
    guard.ok()
    return done


def refused(oracle: Oracle) -> list[OutboxReport]:
    """Reports the contract refused (state failed), oldest first."""
    return [
        r for r in oracle.outbox.rows(oracle.config.station_id) if r.state == OutboxState.FAILED
    ]


def refused_snapshots(oracle: Oracle) -> list[OutboxSnapshot]:
    """Pack snapshots the contract refused (state failed), oldest day first."""
    return [] if oracle.passport_days is None else oracle.passport_days.refused()
