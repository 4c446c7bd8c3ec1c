"""The one vocabulary of device kinds: `DeviceKind` is the Registry's on-chain code (uint8),
`DeviceKindName` the word station files, oracle configs and readings use. Each converts to the
other, so no module keeps a table of its own."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class DeviceKindName(StrEnum):
    METER = "meter"
    BMS = "bms"
    GATEWAY = "gateway"

    @property
    def code(self) -> DeviceKind:
        return DeviceKind[_CODE_OF[self]]


class DeviceKind(IntEnum):
    """The Registry's device kind code (contracts/Registry.sol, up to `MAX_DEVICE_KIND`)."""

    REVENUE_METER = 0
    BMS = 1
    GATEWAY = 2

    @property
    def label(self) -> DeviceKindName:
        return _NAME_OF[self.name]


_CODE_OF = {"meter": "REVENUE_METER", "bms": "BMS", "gateway": "GATEWAY"}
_NAME_OF = {code: DeviceKindName(name) for name, code in _CODE_OF.items()}
