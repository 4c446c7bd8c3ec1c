"""Bring the chain to a station file, idempotently: read what the registry holds, plan the
writes that differ (like `terraform plan`), then send each with the key of the party that owns
it. A second apply of the same file plans nothing; a changed lease plans one write; a device
missing from the file is deactivated.

Identity: the station is found by its external code, a device by its external code (so a new
signer for the same physical device is a key rotation), a lease by its participant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ledger.client import Ledger
from ledger.errors import StationDrift
from ledger.kinds import DeviceKind
from ledger.logs import event_logs
from ledger.registry import RegistryClient, StationParams, StationRecord, region_bytes
from ledger.station_file import DeviceSpec, Party, StationFile
from ledger.storage import StorageLedgerClient

ADD, CHANGE, REMOVE = "+", "~", "-"


@dataclass(frozen=True)
class OnChainDevice:
    device_id: int
    signer: str
    kind: DeviceKind
    active: bool
    accuracy_class_bps: int
    rated_power_w: int
    external_code_hash: bytes


@dataclass(frozen=True)
class OnChainLease:
    leased_wh: int
    valid_from: int
    valid_to: int


@dataclass
class StationState:
    """What the chain holds for one station (station_id 0: not registered)."""

    station_id: int
    params: StationRecord | None
    devices: list[OnChainDevice] = field(default_factory=list)
    leases: dict[str, OnChainLease] = field(default_factory=dict)
    oracle_signers: list[str] = field(default_factory=list)
    oracle_threshold: int = 0


@dataclass
class Change:
    op: str  # ADD, CHANGE or REMOVE
    party: Party
    what: str
    send: Callable[[Ledger, int], object]  # (ledger signing as the party, station id)
    registers_station: bool = False  # send returns the new station id

    def line(self) -> str:
        return f"  {self.op} {self.what}  [{self.party.replace('_', ' ')}]"


@dataclass
class Plan:
    station_code: str
    station_id: int
    changes: list[Change]

    def summary(self) -> str:
        n = {op: sum(c.op == op for c in self.changes) for op in (ADD, CHANGE, REMOVE)}
        if not self.changes:
            return "No changes: the chain matches the file."
        return f"Plan: {n[ADD]} to add, {n[CHANGE]} to change, {n[REMOVE]} to remove."

    def render(self) -> str:
        head = (
            f"station {self.station_code} (id {self.station_id})"
            if self.station_id
            else f"station {self.station_code} (not registered yet)"
        )
        return "\n".join([head, *(c.line() for c in self.changes), self.summary()])


def code_hash(code: str) -> bytes:
    return bytes(keccak(code.encode()))


def find_station(ledger: Ledger, external_code: str) -> int:
    """The id of the station registered with `external_code`, or 0."""
    registry = RegistryClient(ledger)
    wanted = code_hash(external_code)
    count = int(ledger.tx.call(registry.contract.functions.stationCount()))
    for station_id in range(1, count + 1):
        if registry.station(station_id).external_code_hash == wanted:
            return station_id
    return 0


def read_state(ledger: Ledger, external_code: str) -> StationState:
    registry = RegistryClient(ledger)
    fns = registry.contract.functions
    _digest, threshold, version = ledger.tx.call(fns.oracleConfig())
    signers = list(registry.oracle_set_at(int(version))[0]) if int(version) else []
    station_id = find_station(ledger, external_code)
    state = StationState(station_id, None, oracle_signers=signers, oracle_threshold=int(threshold))
    if not station_id:
        return state
    state.params = registry.station(station_id)
    count = int(ledger.tx.call(fns.deviceCount()))
    for device_id in range(1, count + 1):
        d = registry.device(device_id)
        if d.station_id != station_id:
            continue
        state.devices.append(
            OnChainDevice(
                device_id,
                to_checksum_address(d.signer),
                d.kind,
                d.active,
                d.accuracy_class_bps,
                d.rated_power_w,
                d.external_code_hash,
            )
        )
    for participant in ledger.tx.call(fns.participantsOf(station_id)):
        leased, valid_from, valid_to = ledger.tx.call(fns.leaseOf(station_id, participant))
        state.leases[to_checksum_address(participant)] = OnChainLease(
            int(leased), int(valid_from), int(valid_to)
        )
    return state


def _station_drift(spec: StationFile, params: StationRecord) -> list[str]:
    want = spec.station
    pairs = [
        ("operator", to_checksum_address(want.operator), to_checksum_address(params.operator)),
        ("rated_power_w", want.rated_power_w, params.rated_power_w),
        ("capacity_wh", want.capacity_wh, params.capacity_wh),
        (
            "round_trip_efficiency_bps",
            want.round_trip_efficiency_bps,
            params.round_trip_efficiency_bps,
        ),
        ("region", region_bytes(want.region).rstrip(b"\0").decode(), params.region),
        ("interval_seconds", want.interval_seconds, params.interval_seconds),
        ("grid_start", want.grid_start, params.grid_start),
    ]
    return [f"{k} is {have} on-chain, {w} in the file" for k, w, have in pairs if w != have]


def plan(ledger: Ledger, spec: StationFile) -> Plan:
    """The writes that bring the chain to `spec`. Raises StationDrift for what cannot be
    changed in place (station parameters, a device's kind or rating)."""
    state = read_state(ledger, spec.station.external_code)
    code = spec.station.external_code
    changes: list[Change] = []

    if state.params is None:
        params = spec.station.params()
        changes.append(
            Change(
                ADD,
                "admin",
                f"register station {code} ({spec.station.capacity_wh:,} Wh, "
                f"{spec.station.rated_power_w:,} W, region {spec.station.region}, "
                f"operator {spec.station.operator})",
                _RegisterStation(params),
                registers_station=True,
            )
        )
    else:
        drift = _station_drift(spec, state.params)
        if drift:
            raise StationDrift(
                f"station {code} (id {state.station_id})",
                "; ".join(drift) + ". Station parameters are fixed at registration: "
                "register a new station with another external_code",
            )

    for role, account in spec.roles.grants():
        if not RegistryClient(ledger).has_role(role, account):
            changes.append(
                Change(
                    ADD,
                    "admin",
                    f"grant {role} to {account}",
                    _GrantRole(role, account),
                )
            )

    changes += _device_changes(spec, state)
    changes += _lease_changes(spec, state)

    if spec.oracle is not None:
        want_signers = [to_checksum_address(s) for s in spec.oracle.ordered()]
        have = [to_checksum_address(s) for s in state.oracle_signers]
        if (want_signers, spec.oracle.threshold) != (have, state.oracle_threshold):
            threshold = spec.oracle.threshold
            changes.append(
                Change(
                    ADD if not have else CHANGE,
                    "admin",
                    f"oracle set {threshold}-of-{len(want_signers)}: {', '.join(want_signers)}"
                    + (f" (was {state.oracle_threshold}-of-{len(have)})" if have else ""),
                    Write("Registry", "setOracleSet", (want_signers, threshold)),
                )
            )
    changes += _baseline_changes(ledger, spec, state)
    return Plan(code, state.station_id, changes)


def _device_changes(spec: StationFile, state: StationState) -> list[Change]:
    changes: list[Change] = []
    by_code = {d.external_code_hash: d for d in state.devices if d.active}
    wanted_codes = set()
    for d in spec.devices:
        h = code_hash(d.external_code)
        wanted_codes.add(h)
        have = by_code.get(h)
        if have is None:
            changes.append(
                Change(
                    ADD,
                    "station_operator",
                    f"register {d.kind} {d.name} ({d.signer}, {d.external_code})",
                    Write(
                        "Registry",
                        "registerDevice",
                        (
                            STATION,
                            int(d.device_kind),
                            d.signer,
                            d.accuracy_class_bps,
                            d.rated_power_w,
                            d.external_code,
                        ),
                    ),
                )
            )
            continue
        _device_drift(d, have)
        if to_checksum_address(d.signer) != have.signer:
            changes.append(
                Change(
                    CHANGE,
                    "station_operator",
                    f"rotate the key of {d.name} (device {have.device_id}): "
                    f"{have.signer} -> {to_checksum_address(d.signer)}",
                    Write("Registry", "setDeviceSigner", (have.device_id, d.signer)),
                )
            )
    for have in state.devices:
        if have.active and have.external_code_hash not in wanted_codes:
            changes.append(
                Change(
                    REMOVE,
                    "station_operator",
                    f"deactivate device {have.device_id} ({have.kind.label}, {have.signer})",
                    Write("Registry", "deactivateDevice", (have.device_id,)),
                )
            )
    return changes


def _device_drift(d: DeviceSpec, have: OnChainDevice) -> None:
    drift = [
        f"{k} is {h} on-chain, {w} in the file"
        for k, w, h in (
            ("kind", d.kind, have.kind.label),
            ("rated_power_w", d.rated_power_w, have.rated_power_w),
            ("accuracy_class_bps", d.accuracy_class_bps, have.accuracy_class_bps),
        )
        if w != h
    ]
    if drift:
        raise StationDrift(
            f"device {d.name} (id {have.device_id})",
            "; ".join(drift) + ". A device's attributes are fixed at registration: give the "
            "replacement its own external_code (the old one is then deactivated)",
        )


def _lease_changes(spec: StationFile, state: StationState) -> list[Change]:
    changes: list[Change] = []
    wanted = {to_checksum_address(lease.participant): lease for lease in spec.leases}
    for participant, lease in wanted.items():
        have = state.leases.get(participant)
        want = OnChainLease(lease.leased_wh, lease.valid_from, lease.valid_to)
        if have == want:
            continue
        label = f"{lease.name} ({participant})" if lease.name else participant
        was = (
            f" (was {have.leased_wh:,} Wh, {have.valid_from}..{have.valid_to})"
            if have and have.leased_wh
            else ""
        )
        changes.append(
            Change(
                CHANGE if was else ADD,
                "grid_operator",
                f"lease {label}: {want.leased_wh:,} Wh, {want.valid_from}..{want.valid_to}{was}",
                Write(
                    "Registry",
                    "setLease",
                    (STATION, participant, want.leased_wh, want.valid_from, want.valid_to),
                ),
            )
        )
    for participant, have in state.leases.items():
        if participant not in wanted and have.leased_wh > 0:
            changes.append(
                Change(
                    REMOVE,
                    "grid_operator",
                    f"end the lease of {participant} ({have.leased_wh:,} Wh)",
                    Write(
                        "Registry",
                        "setLease",
                        (STATION, participant, 0, have.valid_from, have.valid_to),
                    ),
                )
            )
    return changes


def _baseline_changes(ledger: Ledger, spec: StationFile, state: StationState) -> list[Change]:
    """Meter baselines: recorded when the chain has none for the channel, or one for another
    meter or other counters."""
    storage = StorageLedgerClient(ledger)
    changes: list[Change] = []
    for d in spec.devices:
        if d.baseline is None or d.participant is None:
            continue
        b = d.baseline
        if state.station_id:
            have = storage.baseline_of(state.station_id, d.participant)
            if have.epoch and (
                to_checksum_address(have.device),
                have.raw_charged_wh,
                have.raw_discharged_wh,
            ) == (to_checksum_address(d.signer), b.charged_wh, b.discharged_wh):
                continue
        changes.append(
            Change(
                ADD,
                "station_operator",
                f"baseline of {d.name} for {d.participant}: charged {b.charged_wh:,} Wh, "
                f"discharged {b.discharged_wh:,} Wh",
                Write(
                    "StorageLedger",
                    "setBaseline",
                    (STATION, d.participant, d.signer, b.charged_wh, b.discharged_wh),
                ),
            )
        )
    return changes


STATION = "<station id>"  # stands for the station's id in Write.args (known once registered)


@dataclass(frozen=True)
class Write:
    """One contract call of the plan, sent by the party's ledger."""

    contract: str
    function: str
    args: tuple[Any, ...]

    def __call__(self, ledger: Ledger, station_id: int) -> object:
        args = [station_id if a is STATION else a for a in self.args]
        return ledger.transact(self.contract, self.function, *args)


@dataclass(frozen=True)
class _RegisterStation:
    params: StationParams

    def __call__(self, ledger: Ledger, _station_id: int) -> int:
        return RegistryClient(ledger).register_station(self.params)


@dataclass(frozen=True)
class _GrantRole:
    role: str
    account: str

    def __call__(self, ledger: Ledger, _station_id: int) -> None:
        RegistryClient(ledger).grant(self.role, self.account)


def signing_ledgers(ledger: Ledger, spec: StationFile) -> dict[Party, Ledger]:
    """Each party's ledger: its key from the file's [signers], else `ledger`'s own key (the
    admin may do every write the registry allows its parties)."""
    out: dict[Party, Ledger] = {}
    parties: tuple[Party, ...] = ("admin", "station_operator", "grid_operator")
    for party in parties:
        key = getattr(spec.signers, party)
        out[party] = (
            ledger if key is None else ledger.as_account(key.account(party, ledger.chain_id))
        )
    return out


def apply(
    plan_: Plan,
    signers: dict[Party, Ledger],
    *,
    on_change: Callable[[Change], None] | None = None,
) -> int:
    """Send the plan's writes in order, each signed by its party's ledger. Returns the
    station id (registered by the first change when it was new)."""
    station_id = plan_.station_id
    for change in plan_.changes:
        result = change.send(signers[change.party], station_id)
        if change.registers_station:
            assert isinstance(result, int)
            station_id = result
        if on_change:
            on_change(change)
    return station_id


def describe(ledger: Ledger, station_id: int) -> dict[str, Any]:
    """The station as a station file (without signers), read back from the chain: parameters
    and codes from the registry's events, devices, leases and the oracle set from its views."""
    registry = RegistryClient(ledger)
    events = registry.contract.events
    first = ledger.deployment.deploy_block
    registered = event_logs(
        events.StationRegistered(), argument_filters={"stationId": station_id}, from_block=first
    )
    if not registered:
        raise StationDrift(f"station {station_id}", "not registered on this chain")
    code = str(registered[0]["args"]["externalCode"])
    state = read_state(ledger, code)
    assert state.params is not None
    codes = {
        int(e["args"]["deviceId"]): str(e["args"]["externalCode"])
        for e in event_logs(
            events.DeviceRegistered(), argument_filters={"stationId": station_id}, from_block=first
        )
    }
    p = state.params
    data: dict[str, Any] = {
        "station": {
            "external_code": code,
            "operator": to_checksum_address(p.operator),
            "rated_power_w": p.rated_power_w,
            "capacity_wh": p.capacity_wh,
            "round_trip_efficiency_bps": p.round_trip_efficiency_bps,
            "region": p.region,
            "interval_seconds": p.interval_seconds,
            "grid_start": p.grid_start,
        },
        "oracle": {"threshold": state.oracle_threshold, "signers": state.oracle_signers},
        "devices": [
            {
                "name": f"device {d.device_id}",
                "kind": d.kind.label.value,
                "signer": d.signer,
                "external_code": codes.get(d.device_id, ""),
                "rated_power_w": d.rated_power_w,
                "accuracy_class_bps": d.accuracy_class_bps,
            }
            for d in state.devices
            if d.active
        ],
        "leases": [
            {
                "participant": participant,
                "leased_wh": lease.leased_wh,
                "valid_from": lease.valid_from,
                "valid_to": lease.valid_to,
            }
            for participant, lease in state.leases.items()
            if lease.leased_wh > 0
        ],
    }
    return data
