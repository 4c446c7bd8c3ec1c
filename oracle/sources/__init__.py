"""Device sources: one interface (`Source`), several implementations (simulator, Modbus TCP
SunSpec devices, replay files, MQTT). A source yields parsed signed readings, or `RawRejected`
for payloads that cannot even be parsed, so those reach the quarantine too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from oracle.errors import MalformedReading
from oracle.reading import SignedReading
from oracle.validate import Reason


@dataclass(frozen=True)
class RawRejected:
    """A payload that is not a well-formed signed reading. `origin` says where it came from
    (file and line, topic, device address); `device` is filled in when the payload names one."""

    raw: str
    detail: str
    origin: str = ""
    device: str | None = None
    reason: Reason = Reason.MALFORMED


class Source(Protocol):
    def readings(self) -> Iterator[SignedReading | RawRejected]: ...


@runtime_checkable
class Resumable(Protocol):
    """A source that can say where it is: `checkpoint()` is its state just after the last
    item it yielded (JSON-able), stored with that item; built again with that state it
    resumes right after it."""

    checkpoint_name: str

    def checkpoint(self) -> dict[str, Any]: ...


def parse_payload(raw: str | bytes, origin: str = "") -> SignedReading | RawRejected:
    """One JSON payload (SignedReading.to_json) -> a SignedReading, or RawRejected naming the
    field and the reason."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        return SignedReading.from_json(text)
    except MalformedReading as exc:
        where = f"{origin}: " if origin else ""
        return RawRejected(text, where + str(exc), origin, _device_hint(text))


def _device_hint(text: str) -> str | None:
    # Best effort, so an operator can tell which device keeps sending bad payloads.
    try:
        data = json.loads(text)
    except ValueError:
        return None
    device = data.get("device") if isinstance(data, dict) else None
    return device if isinstance(device, str) and len(device) <= 42 else None
