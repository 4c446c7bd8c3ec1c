"""Everything the verifier knows about the chain, read through logs and views only, pinned to
one head block: the credit's issuance, moves and retirements (CarbonCredits), the accepted
reports, the calldata they were submitted with and the curtailment attestations (StorageLedger),
the station, device keys over time, oracle sets by version and role grants (Registry), and the
factor datasets (EmissionFactors). The
entry point is the CarbonCredits address; the other contracts come from its own views."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_abi import encode
from eth_hash.auto import keccak
from web3 import Web3
from web3.contract import Contract

from ledger.baselines import Baseline
from ledger.compile import Build
from ledger.kinds import DeviceKind
from ledger.reports import IntervalReport, ParticipantDelta, ParticipantRecord, participant_records


@dataclass(frozen=True)
class Event:
    args: dict[str, Any]
    block: int
    log_index: int
    tx_hash: str


@dataclass(frozen=True)
class StationFacts:
    station_id: int
    region: str
    interval_seconds: int
    round_trip_efficiency_bps: int
    external_code: str
    operator: str


@dataclass
class DeviceKey:
    """One signing key of one device, valid for reports accepted in [from_block, to_block)."""

    device_id: int
    station_id: int
    signer: str
    kind: DeviceKind
    external_code: str
    from_block: int
    to_block: int | None = None  # None: still the device's key

    def valid_at(self, block: int) -> bool:
        return self.from_block <= block and (self.to_block is None or block < self.to_block)


@dataclass(frozen=True)
class OracleSet:
    version: int
    digest: bytes
    signers: tuple[str, ...]
    threshold: int
    block: int


@dataclass(frozen=True)
class AcceptedReport:
    station_id: int
    interval_start: int
    interval_end: int
    digest: bytes
    readings_root: bytes
    reading_count: int
    signers: tuple[str, ...]
    factor_version: int
    grams_per_mwh: int
    records: tuple[ParticipantRecord, ...]
    block: int
    log_index: int
    tx_hash: str

    @property
    def root_hex(self) -> str:
        return "0x" + self.readings_root.hex()

    def record_of(self, participant: str) -> ParticipantRecord | None:
        who = participant.lower()
        return next((r for r in self.records if r.participant.lower() == who), None)


@dataclass(frozen=True)
class BaselineFact:
    """One BaselineSet event: the baseline in force for its participant from this log on."""

    participant: str
    baseline: Baseline
    block: int
    log_index: int


@dataclass(frozen=True)
class Attestation:
    """One participant's part of a grid operator's curtailment attestation (CurtailmentAttested)."""

    station_id: int
    interval_start: int
    participant: str
    grid_operator: str
    curtailed_wh: int
    factor_version: int
    grams_per_mwh: int
    avoided_grams: int
    block: int
    log_index: int
    tx_hash: str


@dataclass
class CreditFacts:
    token_id: int
    request: Event | None
    decision: Event | None  # IssuanceApproved or IssuanceRejected
    approved: bool
    revocation: Event | None
    moves: list[Event] = field(default_factory=list)  # TransferSingle, one per (id) movement
    retirements: list[Event] = field(default_factory=list)
    amounts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)  # state, issued, live, retired, rev
    grams_per_unit: int = 0


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex()


class ChainFacts:
    def __init__(self, w3: Web3, build: Build, credits_address: str, *, from_block: int = 0):
        self.w3 = w3
        self.build = build
        self.chain_id = int(w3.eth.chain_id)
        self.head = int(w3.eth.block_number)
        self.from_block = from_block
        address = Web3.to_checksum_address(credits_address)
        if not w3.eth.get_code(address):
            raise LookupError(f"no contract at {address} on chain {self.chain_id}")
        self.credits = self._contract("CarbonCredits", address)
        self.ledger = self._contract("StorageLedger", self._view(self.credits, "ledger"))
        self.registry = self._contract("Registry", self._view(self.credits, "registry"))
        self.factors = self._contract("EmissionFactors", self._view(self.credits, "factors"))
        self._tx_cache: dict[str, tuple[str, dict[str, Any]]] = {}
        self._roles: dict[tuple[str, str], list[tuple[int, int, bool]]] = {}

    def _contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=self.build[name].abi
        )

    def _view(self, contract: Contract, fn: str, *args: Any) -> Any:
        return getattr(contract.functions, fn)(*args).call(block_identifier=self.head)

    def view(self, contract: Contract, fn: str, *args: Any) -> Any:
        return self._view(contract, fn, *args)

    def events(self, contract: Contract, name: str, **filters: Any) -> list[Event]:
        logs = getattr(contract.events, name)().get_logs(
            argument_filters=filters or None, from_block=self.from_block, to_block=self.head
        )
        out = [
            Event(
                dict(log["args"]),
                int(log["blockNumber"]),
                int(log["logIndex"]),
                _hex(log["transactionHash"]),
            )
            for log in logs
        ]
        return sorted(out, key=lambda e: (e.block, e.log_index))

    # -- CarbonCredits -------------------------------------------------------------------------

    def credit(self, token_id: int) -> CreditFacts:
        requests = self.events(self.credits, "IssuanceRequested", requestId=token_id)
        approvals = self.events(self.credits, "IssuanceApproved", requestId=token_id)
        rejections = self.events(self.credits, "IssuanceRejected", requestId=token_id)
        revocations = self.events(self.credits, "Revoked", id=token_id)
        moves = [
            e for e in self.events(self.credits, "TransferSingle") if int(e.args["id"]) == token_id
        ]
        for e in self.events(self.credits, "TransferBatch"):
            for tid, value in zip(e.args["ids"], e.args["values"], strict=True):
                if int(tid) == token_id:
                    args = {**e.args, "id": tid, "value": value}
                    moves.append(Event(args, e.block, e.log_index, e.tx_hash))
        moves.sort(key=lambda e: (e.block, e.log_index))
        decision = approvals[0] if approvals else (rejections[0] if rejections else None)
        amounts = tuple(int(v) for v in self._view(self.credits, "amountsOf", token_id))
        return CreditFacts(
            token_id=token_id,
            request=requests[0] if requests else None,
            decision=decision,
            approved=bool(approvals),
            revocation=revocations[0] if revocations else None,
            moves=moves,
            retirements=self.events(self.credits, "Retired", id=token_id),
            amounts=amounts,  # type: ignore[arg-type]
            grams_per_unit=int(self._view(self.credits, "gramsPerUnit")),
        )

    # -- Registry ------------------------------------------------------------------------------

    def station(self, station_id: int) -> StationFacts | None:
        found = self.events(self.registry, "StationRegistered", stationId=station_id)
        if not found:
            return None
        a = found[0].args
        return StationFacts(
            station_id=station_id,
            region=bytes(a["region"]).rstrip(b"\0").decode("ascii", "replace"),
            interval_seconds=int(a["intervalSeconds"]),
            round_trip_efficiency_bps=int(a["roundTripEfficiencyBps"]),
            external_code=str(a["externalCode"]),
            operator=str(a["operator"]),
        )

    def device_keys(self, station_id: int) -> list[DeviceKey]:
        """Every key of every device of the station, with the blocks it was valid in."""
        keys: list[DeviceKey] = []
        current: dict[int, DeviceKey] = {}
        registered = self.events(self.registry, "DeviceRegistered", stationId=station_id)
        ids = {int(e.args["deviceId"]) for e in registered}
        changes = [
            e
            for name in ("DeviceSignerChanged", "DeviceDeactivated")
            for e in self.events(self.registry, name)
            if int(e.args["deviceId"]) in ids
        ]
        timeline = sorted([*registered, *changes], key=lambda e: (e.block, e.log_index))
        for e in timeline:
            device_id = int(e.args["deviceId"])
            if "kind" in e.args:  # DeviceRegistered
                key = DeviceKey(
                    device_id,
                    station_id,
                    str(e.args["signer"]),
                    DeviceKind(int(e.args["kind"])),
                    str(e.args["externalCode"]),
                    e.block,
                )
                keys.append(key)
                current[device_id] = key
                continue
            old = current.get(device_id)
            if old is not None:
                old.to_block = e.block
            if "newSigner" in e.args:
                key = DeviceKey(
                    device_id,
                    station_id,
                    str(e.args["newSigner"]),
                    old.kind if old else DeviceKind.REVENUE_METER,
                    old.external_code if old else "",
                    e.block,
                )
                keys.append(key)
                current[device_id] = key
        return keys

    def oracle_sets(self) -> dict[bytes, OracleSet]:
        """Oracle sets by config digest, each cross-checked with `oracleSetAt(version)` and with
        the digest recomputed from (chain id, registry, version, signers, threshold)."""
        out: dict[bytes, OracleSet] = {}
        for e in self.events(self.registry, "OracleSetChanged"):
            version = int(e.args["configVersion"])
            signers, threshold, digest = self._view(self.registry, "oracleSetAt", version)
            out[bytes(digest)] = OracleSet(
                version, bytes(digest), tuple(str(s) for s in signers), int(threshold), e.block
            )
        return out

    def expected_config_digest(
        self, version: int, signers: tuple[str, ...], threshold: int
    ) -> bytes:
        encoded = encode(
            ["uint256", "address", "uint32", "address[]", "uint8"],
            [self.chain_id, self.registry.address, version, list(signers), threshold],
        )
        return bytes(keccak(encoded))

    def had_role(self, role: str, account: str, block: int, log_index: int) -> bool:
        """Whether `account` held the Registry role named `role` (e.g. "GRID_OPERATOR_ROLE") at
        log position (block, log_index), replayed from RoleGranted/RoleRevoked."""
        key = (role, account.lower())
        if key not in self._roles:
            role_id = self._view(self.registry, role)
            self._roles[key] = sorted(
                (e.block, e.log_index, name == "RoleGranted")
                for name in ("RoleGranted", "RoleRevoked")
                for e in self.events(self.registry, name, role=role_id, account=account)
            )
        held = False
        for b, li, granted in self._roles[key]:
            if (b, li) >= (block, log_index):
                break
            held = granted
        return held

    # -- EmissionFactors -----------------------------------------------------------------------

    def factor_datasets(self) -> dict[int, dict[str, int]]:
        out: dict[int, dict[str, int]] = {}
        for e in self.events(self.factors, "DatasetRegistered"):
            regions = [bytes(r).rstrip(b"\0").decode("ascii", "replace") for r in e.args["regions"]]
            out[int(e.args["version"])] = dict(
                zip(regions, (int(g) for g in e.args["gramsPerMWh"]), strict=True)
            )
        return out

    # -- StorageLedger -------------------------------------------------------------------------

    def reports(self, station_id: int) -> list[AcceptedReport]:
        out = []
        for e in self.events(self.ledger, "ReportAccepted", stationId=station_id):
            a = e.args
            out.append(
                AcceptedReport(
                    station_id=int(a["stationId"]),
                    interval_start=int(a["intervalStart"]),
                    interval_end=int(a["intervalEnd"]),
                    digest=bytes(a["digest"]),
                    readings_root=bytes(a["readingsRoot"]),
                    reading_count=int(a["readingCount"]),
                    signers=tuple(str(s) for s in a["signers"]),
                    factor_version=int(a["factorVersion"]),
                    grams_per_mwh=int(a["gramsPerMWh"]),
                    records=tuple(participant_records(bytes(a["participants"]))),
                    block=e.block,
                    log_index=e.log_index,
                    tx_hash=e.tx_hash,
                )
            )
        return sorted(out, key=lambda r: r.interval_start)

    def submitted(self, report: AcceptedReport) -> tuple[IntervalReport, list[bytes]]:
        """The report and oracle signatures as the submitting transaction carried them (decoded
        from its calldata); raises LookupError when they cannot be found there."""
        if report.tx_hash not in self._tx_cache:
            tx = self.w3.eth.get_transaction(report.tx_hash)  # type: ignore[arg-type]
            to = str(tx.get("to") or "")
            if to.lower() != self.ledger.address.lower():
                raise LookupError(
                    f"transaction {report.tx_hash} was sent to {to}, not to the StorageLedger: "
                    "its calldata cannot be decoded here"
                )
            fn, params = self.ledger.decode_function_input(tx["input"])
            self._tx_cache[report.tx_hash] = (str(fn.fn_name), params)
        name, params = self._tx_cache[report.tx_hash]
        if name == "submitReport":
            pairs = [(params["r"], params["signatures"])]
        elif name == "submitReports":
            pairs = list(zip(params["reports"], params["signatures"], strict=True))
        else:
            raise LookupError(f"transaction {report.tx_hash} calls {name}, not a report submission")
        for raw, sigs in pairs:
            decoded = _report_from_abi(raw)
            if decoded.key == (report.station_id, report.interval_start):
                return decoded, [bytes(s) for s in sigs]
        raise LookupError(f"transaction {report.tx_hash} does not carry this report")

    def baselines(self, station_id: int) -> list[BaselineFact]:
        """The station's counter baselines in chain order (BaselineSet events)."""
        return [
            BaselineFact(
                participant=str(e.args["participant"]),
                baseline=Baseline(
                    device=str(e.args["device"]),
                    epoch=int(e.args["epoch"]),
                    raw_charged_wh=int(e.args["rawChargedWh"]),
                    raw_discharged_wh=int(e.args["rawDischargedWh"]),
                    booked_charged_wh=int(e.args["bookedChargedWh"]),
                    booked_discharged_wh=int(e.args["bookedDischargedWh"]),
                ),
                block=e.block,
                log_index=e.log_index,
            )
            for e in self.events(self.ledger, "BaselineSet", stationId=station_id)
        ]

    def attestations(self, station_id: int, participant: str) -> list[Attestation]:
        found = self.events(
            self.ledger, "CurtailmentAttested", stationId=station_id, participant=participant
        )
        return [
            Attestation(
                station_id=int(e.args["stationId"]),
                interval_start=int(e.args["intervalStart"]),
                participant=str(e.args["participant"]),
                grid_operator=str(e.args["gridOperator"]),
                curtailed_wh=int(e.args["curtailedWh"]),
                factor_version=int(e.args["factorVersion"]),
                grams_per_mwh=int(e.args["gramsPerMWh"]),
                avoided_grams=int(e.args["avoidedGrams"]),
                block=e.block,
                log_index=e.log_index,
                tx_hash=e.tx_hash,
            )
            for e in found
        ]

    def consumptions(self, station_id: int, participant: str) -> list[Event]:
        return self.events(
            self.ledger, "AvoidedConsumed", stationId=station_id, participant=participant
        )

    def curtailed_of(self, station_id: int, participant: str) -> int:
        return int(self._view(self.ledger, "curtailedOf", station_id, participant))

    def avoided_of(self, station_id: int, participant: str) -> tuple[int, int, int, int]:
        raw = self._view(self.ledger, "avoidedOf", station_id, participant)
        return int(raw[0]), int(raw[1]), int(raw[2]), int(raw[3])


def _field(raw: Any, name: str, index: int) -> Any:
    return raw[name] if isinstance(raw, dict) else raw[index]


def _report_from_abi(raw: Any) -> IntervalReport:
    names = (
        "stationId",
        "intervalStart",
        "intervalEnd",
        "readingsRoot",
        "readingCount",
        "configDigest",
        "socBps",
        "sohBps",
        "cycleCount",
        "alarmBits",
        "participants",
    )
    v = [_field(raw, n, i) for i, n in enumerate(names)]
    participants = tuple(
        ParticipantDelta(
            Web3.to_checksum_address(_field(p, "participant", 0)),
            int(_field(p, "chargedWhTotal", 1)),
            int(_field(p, "dischargedWhTotal", 2)),
        )
        for p in v[10]
    )
    return IntervalReport(
        station_id=int(v[0]),
        interval_start=int(v[1]),
        interval_end=int(v[2]),
        readings_root=bytes(v[3]),
        reading_count=int(v[4]),
        config_digest=bytes(v[5]),
        soc_bps=int(v[6]),
        soh_bps=int(v[7]),
        cycle_count=int(v[8]),
        alarm_bits=int(v[9]),
        participants=participants,
    )
