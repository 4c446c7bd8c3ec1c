"""The engine's inputs: per-interval energy records and capacity leases, plus the address
check both of them share."""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import to_checksum_address


@dataclass(frozen=True, slots=True)
class IntervalRecord:
    """What one participant charged and discharged at one station in one interval."""

    station_id: int
    participant: str  # EIP-55 checksummed hex address
    start: int  # unix s; the interval is [start, start + interval_s)
    charged_wh: int
    discharged_wh: int


@dataclass(frozen=True, slots=True)
class Lease:
    """Capacity a participant leases at the station during [valid_from, valid_to) unix s."""

    participant: str
    capacity_wh: int
    valid_from: int
    valid_to: int


def is_checksummed(address: object) -> bool:
    if not (isinstance(address, str) and len(address) == 42 and address.startswith("0x")):
        return False
    try:
        return bool(to_checksum_address(address) == address)
    except ValueError:
        return False
