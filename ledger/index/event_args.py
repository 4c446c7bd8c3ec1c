"""The shapes of the event arguments the projections read, as the indexer hands them over:
JSON-decoded ABI values (integers as int, addresses as checksummed text, bytes32 and bytes as
0x-hex text). One TypedDict per event, named after it (contracts/interfaces/IRegistry.sol,
contracts/interfaces/IStorageLedger.sol)."""

from __future__ import annotations

from typing import TypedDict


class StationRegisteredArgs(TypedDict):
    stationId: int
    operator: str
    region: str
    ratedPowerW: int
    capacityWh: int
    roundTripEfficiencyBps: int
    intervalSeconds: int
    gridStart: int
    externalCode: str


class DeviceRegisteredArgs(TypedDict):
    deviceId: int
    stationId: int
    signer: str
    kind: int
    accuracyClassBps: int
    ratedPowerW: int
    externalCode: str


class DeviceSignerChangedArgs(TypedDict):
    deviceId: int
    previousSigner: str
    newSigner: str


class DeviceDeactivatedArgs(TypedDict):
    deviceId: int
    signer: str


class LeaseSetArgs(TypedDict):
    stationId: int
    participant: str
    by: str
    leasedWh: int
    validFrom: int
    validTo: int


class OracleSetChangedArgs(TypedDict):
    configVersion: int
    configDigest: str
    signers: list[str]
    threshold: int


class ReportAcceptedArgs(TypedDict):
    stationId: int
    intervalStart: int
    intervalEnd: int
    digest: str
    readingsRoot: str
    readingCount: int
    signers: list[str]
    socBps: int
    sohBps: int
    cycleCount: int
    alarmBits: int
    factorVersion: int
    gramsPerMWh: int
    participants: str


class CurtailmentAttestedArgs(TypedDict):
    stationId: int
    intervalStart: int
    participant: str
    gridOperator: str
    curtailedWh: int
    factorVersion: int
    gramsPerMWh: int
    avoidedGrams: int
