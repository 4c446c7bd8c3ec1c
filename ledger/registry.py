"""Typed client for the Registry: stations, devices, leases, roles and the oracle set."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from web3.types import TxReceipt

from ledger.client import Ledger
from ledger.kinds import DeviceKind
from ledger.logs import receipt_events

__all__ = [
    "ROLES",
    "DeviceKind",
    "DeviceRecord",
    "RegistryClient",
    "StationParams",
    "StationRecord",
]

ROLES = (
    "GRID_OPERATOR_ROLE",
    "STATION_OPERATOR_ROLE",
    "PARTICIPANT_ROLE",
    "ORACLE_ROLE",
    "VERIFIER_ROLE",
    "REGULATOR_ROLE",
    "LEDGER_WRITER_ROLE",
    "ECONOMIC_OPERATOR_ROLE",
    "RECYCLER_ROLE",
)


def region_bytes(code: str) -> bytes:
    raw = code.encode("ascii")
    if len(raw) > 32:
        raise ValueError(f"region code {code!r} is longer than 32 bytes")
    return raw.ljust(32, b"\0")


@dataclass(frozen=True)
class StationParams:
    operator: str
    rated_power_w: int
    capacity_wh: int
    round_trip_efficiency_bps: int
    region: str
    interval_seconds: int = 900
    grid_start: int = 0
    external_code: str = ""

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.operator,
            self.rated_power_w,
            self.capacity_wh,
            self.round_trip_efficiency_bps,
            region_bytes(self.region),
            self.interval_seconds,
            self.grid_start,
            self.external_code,
        )


class _ByName:
    """Read a record's field as `record["field"]` too, for callers written against the dict
    these records replaced."""

    def __getitem__(self, name: str) -> Any:
        if name not in {f.name for f in fields(self)}:  # type: ignore[arg-type]
            raise KeyError(name)
        return getattr(self, name)


@dataclass(frozen=True)
class StationRecord(_ByName):
    """A station as the Registry stores it (`stationOf`)."""

    operator: str
    interval_seconds: int
    round_trip_efficiency_bps: int
    rated_power_w: int
    capacity_wh: int
    grid_start: int
    region: str
    external_code_hash: bytes


@dataclass(frozen=True)
class DeviceRecord(_ByName):
    """A device as the Registry stores it (`deviceById`)."""

    signer: str
    station_id: int
    kind: DeviceKind
    active: bool
    accuracy_class_bps: int
    rated_power_w: int
    external_code_hash: bytes


@dataclass(frozen=True)
class OracleConfig:
    digest: bytes
    threshold: int
    version: int


class RegistryClient:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.contract = ledger.contract("Registry")

    def _event(self, receipt: TxReceipt, name: str) -> dict[str, Any]:
        events = receipt_events(getattr(self.contract.events, name)(), receipt)
        return dict(events[0]["args"])

    def role(self, name: str) -> bytes:
        if name not in ROLES and name != "DEFAULT_ADMIN_ROLE":
            raise ValueError(f"unknown role {name!r}; one of {', '.join(ROLES)}")
        return bytes(self.ledger.tx.call(getattr(self.contract.functions, name)()))

    def grant(self, role_name: str, account: str) -> None:
        self.ledger.tx.transact(self.contract.functions.grantRole(self.role(role_name), account))

    def has_role(self, role_name: str, account: str) -> bool:
        return bool(
            self.ledger.tx.call(self.contract.functions.hasRole(self.role(role_name), account))
        )

    def register_station(self, params: StationParams) -> int:
        receipt = self.ledger.tx.transact(self.contract.functions.registerStation(params.as_abi()))
        return int(self._event(receipt, "StationRegistered")["stationId"])

    def register_device(
        self,
        station_id: int,
        kind: DeviceKind,
        signer: str,
        *,
        accuracy_class_bps: int,
        rated_power_w: int,
        external_code: str,
    ) -> int:
        receipt = self.ledger.tx.transact(
            self.contract.functions.registerDevice(
                station_id, int(kind), signer, accuracy_class_bps, rated_power_w, external_code
            )
        )
        return int(self._event(receipt, "DeviceRegistered")["deviceId"])

    def set_lease(
        self, station_id: int, participant: str, leased_wh: int, valid_from: int, valid_to: int
    ) -> None:
        self.ledger.tx.transact(
            self.contract.functions.setLease(
                station_id, participant, leased_wh, valid_from, valid_to
            )
        )

    def set_oracle_set(self, signers: list[str], threshold: int) -> OracleConfig:
        self.ledger.tx.transact(self.contract.functions.setOracleSet(signers, threshold))
        return self.oracle_config()

    def oracle_config(self) -> OracleConfig:
        digest, threshold, version = self.ledger.tx.call(self.contract.functions.oracleConfig())
        return OracleConfig(bytes(digest), int(threshold), int(version))

    def oracle_set_at(self, version: int) -> tuple[list[str], int, bytes]:
        signers, threshold, digest = self.ledger.tx.call(
            self.contract.functions.oracleSetAt(version)
        )
        return list(signers), int(threshold), bytes(digest)

    def station(self, station_id: int) -> StationRecord:
        (operator, interval_s, eff, rated, capacity, grid_start, region, code_hash) = (
            self.ledger.tx.call(self.contract.functions.stationOf(station_id))
        )
        return StationRecord(
            operator=str(operator),
            interval_seconds=int(interval_s),
            round_trip_efficiency_bps=int(eff),
            rated_power_w=int(rated),
            capacity_wh=int(capacity),
            grid_start=int(grid_start),
            region=bytes(region).rstrip(b"\0").decode(),
            external_code_hash=bytes(code_hash),
        )

    def device_of(self, signer: str) -> int:
        return int(self.ledger.tx.call(self.contract.functions.deviceOf(signer)))

    def device(self, device_id: int) -> DeviceRecord:
        signer, station_id, kind, active, acc, rated, code_hash = self.ledger.tx.call(
            self.contract.functions.deviceById(device_id)
        )
        return DeviceRecord(
            signer=str(signer),
            station_id=int(station_id),
            kind=DeviceKind(int(kind)),
            active=bool(active),
            accuracy_class_bps=int(acc),
            rated_power_w=int(rated),
            external_code_hash=bytes(code_hash),
        )
