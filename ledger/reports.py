"""Interval reports: the EIP-712 types the StorageLedger verifies, their digest, the oracle
signatures over them, and the per-participant records of the ReportAccepted event."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3

from ledger.readings import Eip712Domain

DOMAIN_NAME = "ESSLedger"
DOMAIN_VERSION = "1"

REPORT_TYPES: dict[str, list[dict[str, str]]] = {
    "Report": [
        {"name": "stationId", "type": "uint32"},
        {"name": "intervalStart", "type": "uint64"},
        {"name": "intervalEnd", "type": "uint64"},
        {"name": "readingsRoot", "type": "bytes32"},
        {"name": "readingCount", "type": "uint32"},
        {"name": "configDigest", "type": "bytes32"},
        {"name": "socBps", "type": "uint16"},
        {"name": "sohBps", "type": "uint16"},
        {"name": "cycleCount", "type": "uint32"},
        {"name": "alarmBits", "type": "uint32"},
        {"name": "participants", "type": "ParticipantDelta[]"},
    ],
    "ParticipantDelta": [
        {"name": "participant", "type": "address"},
        {"name": "chargedWhTotal", "type": "uint64"},
        {"name": "dischargedWhTotal", "type": "uint64"},
    ],
}


@dataclass(frozen=True)
class ParticipantDelta:
    participant: str
    charged_wh_total: int
    discharged_wh_total: int

    def as_abi(self) -> tuple[str, int, int]:
        return (self.participant, self.charged_wh_total, self.discharged_wh_total)

    def as_typed(self) -> dict[str, Any]:
        return {
            "participant": self.participant,
            "chargedWhTotal": self.charged_wh_total,
            "dischargedWhTotal": self.discharged_wh_total,
        }


@dataclass(frozen=True)
class IntervalReport:
    station_id: int
    interval_start: int
    interval_end: int
    readings_root: bytes
    reading_count: int
    config_digest: bytes
    soc_bps: int
    soh_bps: int
    cycle_count: int
    alarm_bits: int
    participants: tuple[ParticipantDelta, ...] = field(default_factory=tuple)

    @property
    def key(self) -> tuple[int, int]:
        return (self.station_id, self.interval_start)

    def sorted(self) -> IntervalReport:
        """The contract wants participants in strictly ascending address order."""
        ordered = tuple(sorted(self.participants, key=lambda p: int(p.participant, 16)))
        return IntervalReport(**{**self.__dict__, "participants": ordered})

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.station_id,
            self.interval_start,
            self.interval_end,
            self.readings_root,
            self.reading_count,
            self.config_digest,
            self.soc_bps,
            self.soh_bps,
            self.cycle_count,
            self.alarm_bits,
            [p.as_abi() for p in self.participants],
        )

    def as_typed(self) -> dict[str, Any]:
        return {
            "stationId": self.station_id,
            "intervalStart": self.interval_start,
            "intervalEnd": self.interval_end,
            "readingsRoot": self.readings_root,
            "readingCount": self.reading_count,
            "configDigest": self.config_digest,
            "socBps": self.soc_bps,
            "sohBps": self.soh_bps,
            "cycleCount": self.cycle_count,
            "alarmBits": self.alarm_bits,
            "participants": [p.as_typed() for p in self.participants],
        }

    def to_json(self) -> dict[str, Any]:
        data = self.as_typed()
        data["readingsRoot"] = "0x" + self.readings_root.hex()
        data["configDigest"] = "0x" + self.config_digest.hex()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IntervalReport:
        return cls(
            station_id=int(data["stationId"]),
            interval_start=int(data["intervalStart"]),
            interval_end=int(data["intervalEnd"]),
            readings_root=bytes.fromhex(str(data["readingsRoot"]).removeprefix("0x")),
            reading_count=int(data["readingCount"]),
            config_digest=bytes.fromhex(str(data["configDigest"]).removeprefix("0x")),
            soc_bps=int(data["socBps"]),
            soh_bps=int(data["sohBps"]),
            cycle_count=int(data["cycleCount"]),
            alarm_bits=int(data["alarmBits"]),
            participants=tuple(
                ParticipantDelta(
                    p["participant"],
                    int(p["chargedWhTotal"]),
                    int(p["dischargedWhTotal"]),
                )
                for p in data["participants"]
            ),
        )


def domain(chain_id: int, ledger_address: str) -> Eip712Domain:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": ledger_address,
    }


def report_digest(report: IntervalReport, chain_id: int, ledger_address: str) -> bytes:
    message = encode_typed_data(domain(chain_id, ledger_address), REPORT_TYPES, report.as_typed())
    from eth_account.messages import _hash_eip191_message

    return bytes(_hash_eip191_message(message))


def sign_report(
    report: IntervalReport, key: bytes | str, chain_id: int, ledger_address: str
) -> bytes:
    signed = Account.sign_typed_data(
        key, domain(chain_id, ledger_address), REPORT_TYPES, report.as_typed()
    )
    return bytes(signed.signature)


def recover_report_signer(
    report: IntervalReport, signature: bytes, chain_id: int, ledger_address: str
) -> str:
    message = encode_typed_data(domain(chain_id, ledger_address), REPORT_TYPES, report.as_typed())
    return str(Account.recover_message(message, signature=signature))


def ordered_signatures(signed: Iterable[tuple[str, bytes]]) -> list[bytes]:
    """Signatures sorted by signer address ascending, as the contract requires."""
    return [sig for _, sig in sorted(signed, key=lambda pair: int(pair[0], 16))]


RECORD_BYTES = 48  # ReportAccepted.participants: address | u64 | u64 | int96, big-endian


@dataclass(frozen=True)
class ParticipantRecord:
    """One participant of a ReportAccepted event: the interval's deltas as booked."""

    participant: str
    charged_wh: int
    discharged_wh: int
    avoided_grams: int


def participant_records(packed: bytes) -> list[ParticipantRecord]:
    """Decode ReportAccepted.participants (layout in IStorageLedger.ReportAccepted)."""
    if len(packed) % RECORD_BYTES:
        raise ValueError(
            f"participant records: {len(packed)} bytes is not a multiple of {RECORD_BYTES}"
        )
    out = []
    for at in range(0, len(packed), RECORD_BYTES):
        rec = packed[at : at + RECORD_BYTES]
        out.append(
            ParticipantRecord(
                participant=Web3.to_checksum_address(rec[:20]),
                charged_wh=int.from_bytes(rec[20:28], "big"),
                discharged_wh=int.from_bytes(rec[28:36], "big"),
                avoided_grams=int.from_bytes(rec[36:48], "big", signed=True),
            )
        )
    return out
