"""The signed device reading (shared by the oracle, which signs and validates readings, and the
verifier, which re-checks them): its fields (which are also its EIP-712 struct), the EIP-712
digest, signing and signer recovery with coincurve, its Merkle leaf, and its JSON form (used by
the archive, the replay files and the MQTT source).

The per-reading path (digest, recovery, leaf) runs ~20,000 times a second in the oracle, so the
ABI encoding of the 18 static fields is done once per reading with `int.to_bytes` and shared by the
struct hash and the leaf; the type hash and domain separator are computed once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from functools import cached_property, lru_cache
from typing import Any, Final, TypedDict

from coincurve import PrivateKey, PublicKey
from eth_hash.auto import keccak as _eth_keccak
from eth_utils import is_checksum_address, to_checksum_address

from ledger.errors import MalformedReading, SignatureInvalid
from ledger.merkle import abi_encode_static

try:  # safe-pysha3 hashes ~3x faster than eth_hash's pycryptodome backend (hot path)
    from sha3 import keccak_256 as _keccak_256

    def keccak(data: bytes) -> bytes:
        return bytes(_keccak_256(data).digest())

except ImportError:  # pragma: no cover - the dependency is declared; this keeps tools working

    def keccak(data: bytes) -> bytes:
        return bytes(_eth_keccak(data))


class Eip712Domain(TypedDict):
    """An EIP-712 domain as eth_account's `encode_typed_data` / `sign_typed_data` take it."""

    name: str
    version: str
    chainId: int
    verifyingContract: str


ZERO_ADDRESS: Final = "0x0000000000000000000000000000000000000000"

# SunSpec model 802 `Evt1` bit positions (pysunspec2 models/json/model_802.json).
COMMUNICATION_ERROR: Final = 1 << 0
OVER_TEMP_ALARM: Final = 1 << 1
OVER_TEMP_WARNING: Final = 1 << 2
UNDER_TEMP_ALARM: Final = 1 << 3
OVER_CHARGE_CURRENT_ALARM: Final = 1 << 5
OVER_CHARGE_CURRENT_WARNING: Final = 1 << 6
OVER_DISCHARGE_CURRENT_ALARM: Final = 1 << 7
OVER_DISCHARGE_CURRENT_WARNING: Final = 1 << 8
OVER_VOLT_ALARM: Final = 1 << 9
OVER_VOLT_WARNING: Final = 1 << 10
UNDER_VOLT_ALARM: Final = 1 << 11
UNDER_SOC_MIN_ALARM: Final = 1 << 13
OVER_SOC_MAX_ALARM: Final = 1 << 15
OVER_SOC_MAX_WARNING: Final = 1 << 16

# The OVER_* alarms (not warnings) that a report must flag.
OVER_ALARMS: Final[dict[str, int]] = {
    "OVER_TEMP_ALARM": OVER_TEMP_ALARM,
    "OVER_CHARGE_CURRENT_ALARM": OVER_CHARGE_CURRENT_ALARM,
    "OVER_DISCHARGE_CURRENT_ALARM": OVER_DISCHARGE_CURRENT_ALARM,
    "OVER_VOLT_ALARM": OVER_VOLT_ALARM,
    "OVER_SOC_MAX_ALARM": OVER_SOC_MAX_ALARM,
}
OVER_ALARM_MASK: Final = sum(OVER_ALARMS.values())

# (name, Solidity type) in struct order.
READING_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("device", "address"),
    ("stationId", "uint32"),
    ("participant", "address"),
    ("seq", "uint64"),
    ("timestamp", "uint64"),
    ("chargedWh", "uint64"),
    ("dischargedWh", "uint64"),
    ("powerW", "int64"),
    ("socBps", "uint16"),
    ("sohBps", "uint16"),
    ("cycleCount", "uint32"),
    ("packMilliVolts", "uint32"),
    ("packMilliAmps", "int32"),
    ("cellMinMilliVolts", "uint16"),
    ("cellMaxMilliVolts", "uint16"),
    ("tempMinDeciC", "int16"),
    ("tempMaxDeciC", "int16"),
    ("alarmBits", "uint32"),
)
READING_TYPES: Final = tuple(t for _, t in READING_FIELDS)
LEAF_TYPES: Final = (*READING_TYPES, "bytes32", "bytes32", "uint8")
READING_TYPE: Final = "Reading(" + ",".join(f"{t} {n}" for n, t in READING_FIELDS) + ")"
READING_TYPEHASH: Final = bytes(keccak(READING_TYPE.encode()))
_DOMAIN_TYPEHASH: Final = bytes(
    keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
)
# secp256k1 group order; signatures with s above n/2 are refused, as OpenZeppelin's ECDSA does.
_SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N: Final = _SECP256K1_N // 2


def _bounds(kind: str) -> tuple[int, int]:
    bits = int(kind.removeprefix("u").removeprefix("int"))
    if kind.startswith("u"):
        return 0, (1 << bits) - 1
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


_INT_FIELDS: Final[dict[str, tuple[bool, int, int]]] = {
    name: (kind.startswith("int"), *_bounds(kind))
    for name, kind in READING_FIELDS
    if kind != "address"
}
# Attribute names in struct order, Python spelling.
_ATTRS: Final = (
    "device",
    "station_id",
    "participant",
    "seq",
    "timestamp",
    "charged_wh",
    "discharged_wh",
    "power_w",
    "soc_bps",
    "soh_bps",
    "cycle_count",
    "pack_milli_volts",
    "pack_milli_amps",
    "cell_min_milli_volts",
    "cell_max_milli_volts",
    "temp_min_deci_c",
    "temp_max_deci_c",
    "alarm_bits",
)


@dataclass(frozen=True)
class Reading:
    """One device sample. Field order is the EIP-712 struct's; see `READING_FIELDS` for types."""

    device: str
    station_id: int
    participant: str
    seq: int
    timestamp: int
    charged_wh: int
    discharged_wh: int
    power_w: int
    soc_bps: int
    soh_bps: int
    cycle_count: int
    pack_milli_volts: int
    pack_milli_amps: int
    cell_min_milli_volts: int
    cell_max_milli_volts: int
    temp_min_deci_c: int
    temp_max_deci_c: int
    alarm_bits: int

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, a) for a in _ATTRS)

    def check(self) -> None:
        """Raise `MalformedReading` naming the first field outside its Solidity type."""
        for (name, kind), attr in zip(READING_FIELDS, _ATTRS, strict=True):
            value = getattr(self, attr)
            if kind == "address":
                _check_hex_address(name, value)
            else:
                _check_int(name, value)

    @cached_property
    def encoded(self) -> bytes:
        """abi.encode of the 18 fields (all static, 32 bytes each); computed once."""
        return _encode_fields(self)


def _encode_fields(r: Reading) -> bytes:
    # Unrolled on purpose: this is the hot path (see the module docstring).
    return b"".join(
        (
            bytes.fromhex(r.device[2:]).rjust(32, b"\0"),
            r.station_id.to_bytes(32, "big"),
            bytes.fromhex(r.participant[2:]).rjust(32, b"\0"),
            r.seq.to_bytes(32, "big"),
            r.timestamp.to_bytes(32, "big"),
            r.charged_wh.to_bytes(32, "big"),
            r.discharged_wh.to_bytes(32, "big"),
            r.power_w.to_bytes(32, "big", signed=True),
            r.soc_bps.to_bytes(32, "big"),
            r.soh_bps.to_bytes(32, "big"),
            r.cycle_count.to_bytes(32, "big"),
            r.pack_milli_volts.to_bytes(32, "big"),
            r.pack_milli_amps.to_bytes(32, "big", signed=True),
            r.cell_min_milli_volts.to_bytes(32, "big"),
            r.cell_max_milli_volts.to_bytes(32, "big"),
            r.temp_min_deci_c.to_bytes(32, "big", signed=True),
            r.temp_max_deci_c.to_bytes(32, "big", signed=True),
            r.alarm_bits.to_bytes(32, "big"),
        )
    )


# (field, kind: 0 address / 1 unsigned / 2 signed, low, high) in struct order.
_MODES: Final = tuple(
    (name, 0, 0, 0)
    if kind == "address"
    else (name, 2 if kind.startswith("int") else 1, *_bounds(kind))
    for name, kind in READING_FIELDS
)


def encode_reading_dict(data: dict[str, Any]) -> bytes:
    """abi.encode of a reading's 18 fields straight from its JSON object (as in a batch file),
    each integer range-checked, no EIP-55 checksum work: the verifier's hot path, several times
    cheaper than `SignedReading.from_dict`. Raises `MalformedReading` naming the field."""
    out: list[bytes] = []
    append = out.append
    name = ""
    try:
        for name, mode, low, high in _MODES:
            value = data[name]
            if mode == 0:
                if len(value) != 42 or value[:2] != "0x":
                    raise ValueError(f"{value!r} is not a 20-byte 0x-hex address")
                append(b"\0" * 12 + bytes.fromhex(value[2:]))
            elif type(value) is not int or not low <= value <= high:
                raise ValueError(f"{value!r} is not an integer in [{low}, {high}]")
            else:
                append(value.to_bytes(32, "big", signed=mode == 2))
    except KeyError:
        raise MalformedReading(name, "missing") from None
    except (TypeError, ValueError) as exc:
        raise MalformedReading(name, str(exc)) from exc
    return b"".join(out)


@dataclass(frozen=True)
class DeviceDomain:
    """The EIP-712 domain devices sign under: bound to the chain and the Registry contract."""

    chain_id: int
    verifying_contract: str
    name: str = "ESSLedger Device"
    version: str = "1"
    separator: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        encoded = abi_encode_static(
            ("bytes32", "bytes32", "bytes32", "uint256", "address"),
            (
                _DOMAIN_TYPEHASH,
                bytes(keccak(self.name.encode())),
                bytes(keccak(self.version.encode())),
                self.chain_id,
                self.verifying_contract,
            ),
        )
        object.__setattr__(self, "separator", bytes(keccak(encoded)))

    def eip712_domain(self) -> Eip712Domain:
        """The domain as eth_account's `sign_typed_data` takes it."""
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }


def reading_digest(reading: Reading, domain: DeviceDomain) -> bytes:
    """The EIP-712 digest: keccak256("\\x19\\x01" || domainSeparator || hashStruct(reading))."""
    struct_hash = keccak(READING_TYPEHASH + reading.encoded)
    return bytes(keccak(b"\x19\x01" + domain.separator + struct_hash))


@dataclass(frozen=True)
class SignedReading:
    """A reading with its device's 65-byte signature r || s || v (v = 27 or 28)."""

    reading: Reading
    signature: bytes

    @property
    def r(self) -> bytes:
        return self.signature[:32]

    @property
    def s(self) -> bytes:
        return self.signature[32:64]

    @property
    def v(self) -> int:
        return self.signature[64]

    def leaf_values(self) -> tuple[Any, ...]:
        return (*self.reading.values(), self.r, self.s, self.v)

    def leaf(self) -> bytes:
        """ledger.merkle.leaf_hash(LEAF_TYPES, leaf_values()), reusing the reading's encoding."""
        sig = self.signature
        encoded = self.reading.encoded + sig[:64] + sig[64].to_bytes(32, "big")
        return bytes(keccak(keccak(encoded)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self.reading, a) for (name, _), a in _PAIRS}
        out["signature"] = "0x" + self.signature.hex()
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any) -> SignedReading:
        """Parse and range-check; raise `MalformedReading` naming the field and the reason."""
        if not isinstance(data, dict):
            raise MalformedReading(
                "<payload>", f"expected a JSON object, got {type(data).__name__}"
            )
        values: dict[str, Any] = {}
        for (name, kind), attr in _PAIRS:
            if name not in data:
                raise MalformedReading(name, "missing")
            raw = data[name]
            if kind == "address":
                values[attr] = _check_address(name, raw)
            else:
                values[attr] = _check_int(name, raw)
        if "signature" not in data:
            raise MalformedReading("signature", "missing")
        return cls(Reading(**values), _parse_signature(data["signature"]))

    @classmethod
    def from_json(cls, text: str | bytes) -> SignedReading:
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedReading("<payload>", f"not JSON ({exc})") from exc
        return cls.from_dict(data)


_PAIRS: Final = tuple(zip(READING_FIELDS, _ATTRS, strict=True))


def _check_int(name: str, raw: Any) -> int:
    # bool is an int subclass in Python but never a valid counter.
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise MalformedReading(name, f"expected an integer, got {type(raw).__name__} {raw!r}")
    _, low, high = _INT_FIELDS[name]
    if not low <= raw <= high:
        raise MalformedReading(name, f"{raw} is outside [{low}, {high}]")
    return raw


def _check_hex_address(name: str, raw: Any) -> None:
    if not isinstance(raw, str):
        raise MalformedReading(name, f"expected a 0x-hex address, got {type(raw).__name__}")
    if len(raw) != 42 or not raw.startswith("0x"):
        raise MalformedReading(name, f"{raw!r} is not a 20-byte 0x-hex address")
    try:
        bytes.fromhex(raw[2:])
    except ValueError as exc:
        raise MalformedReading(name, f"{raw!r} is not hex") from exc


def _check_address(name: str, raw: Any) -> str:
    """A well-formed address, EIP-55 checksummed; a mixed-case one must carry a valid checksum."""
    _check_hex_address(name, raw)
    body = raw[2:]
    mixed_case = body != body.lower() and body != body.upper()
    if mixed_case and not is_checksum_address(raw):
        raise MalformedReading(name, f"{raw!r} has a wrong EIP-55 checksum")
    return str(to_checksum_address(raw))


def _parse_signature(raw: Any) -> bytes:
    if not isinstance(raw, str) or not raw.startswith("0x"):
        raise MalformedReading("signature", "expected 0x-hex of 65 bytes")
    try:
        sig = bytes.fromhex(raw[2:])
    except ValueError as exc:
        raise MalformedReading("signature", "not hex") from exc
    if len(sig) != 65:
        raise MalformedReading("signature", f"expected 65 bytes, got {len(sig)}")
    if sig[64] not in (27, 28):
        raise MalformedReading("signature", f"v must be 27 or 28, got {sig[64]}")
    return sig


def sign_reading(reading: Reading, key: bytes, domain: DeviceDomain) -> SignedReading:
    """Sign as a device (RFC 6979 deterministic, low-s, like eth_account)."""
    reading.check()
    sig = _private_key(key).sign_recoverable(reading_digest(reading, domain), hasher=None)
    return SignedReading(reading, sig[:64] + bytes((sig[64] + 27,)))


@lru_cache(maxsize=1024)
def _private_key(key: bytes) -> PrivateKey:
    return PrivateKey(key)


def recover_address_bytes(signed: SignedReading, domain: DeviceDomain) -> bytes:
    """The 20-byte signer address; raises `SignatureInvalid`. No checksum (hot path)."""
    return recover_encoded(signed.reading.encoded, signed.signature, domain.separator)


def recover_encoded(encoded: bytes, sig: bytes, separator: bytes) -> bytes:
    """Recovery from the reading's ABI encoding and the domain separator alone: plain bytes,
    cheap to send to a worker process."""
    if len(sig) != 65 or sig[64] not in (27, 28):
        raise SignatureInvalid("expected 65 bytes with v = 27 or 28")
    if int.from_bytes(sig[32:64], "big") > _HALF_N:
        raise SignatureInvalid("s is in the upper half of the curve order (malleable)")
    digest = keccak(b"\x19\x01" + separator + keccak(READING_TYPEHASH + encoded))
    try:
        pub = PublicKey.from_signature_and_message(
            sig[:64] + bytes((sig[64] - 27,)), digest, hasher=None
        )
    except Exception as exc:  # coincurve raises plain Exception/ValueError on bad points
        raise SignatureInvalid(str(exc)) from exc
    return bytes(keccak(pub.format(compressed=False)[1:]))[12:]


def recover_signer(signed: SignedReading, domain: DeviceDomain) -> str:
    """The checksummed address that signed this reading."""
    return str(to_checksum_address(recover_address_bytes(signed, domain)))


def address_of(key: bytes) -> str:
    """The checksummed Ethereum address of a private key."""
    pub = PrivateKey(key).public_key.format(compressed=False)[1:]
    return str(to_checksum_address(bytes(keccak(pub))[12:]))


def eip712_message(reading: Reading) -> tuple[dict[str, Any], dict[str, Any]]:
    """(message_types, message_data) as eth_account's `sign_typed_data` takes them."""
    types = {"Reading": [{"name": n, "type": t} for n, t in READING_FIELDS]}
    return types, {n: getattr(reading, a) for (n, _), a in _PAIRS}


assert [f.name for f in fields(Reading)] == list(_ATTRS)
