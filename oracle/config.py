"""The oracle's configuration file (TOML): the chain, the station, the nodes and their keys,
meter channels and the device source. Curtailment is not the oracle's to designate: the grid
operator attests it on-chain (`essl curtailment ...`).

Every table refuses keys it does not know, by name: a typo (`hots = ...`) is an error, never
a setting silently left at its default."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from oracle.errors import ConfigError, InlineKeyOffDevnet, KeyMalformed, KeyUnset

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
DEVNET_CHAIN_ID = 31337
SOURCE_KINDS = ("simulator", "replay", "mqtt", "modbus")


class Table(BaseModel):
    """A TOML table: unknown keys are refused by name."""

    model_config = ConfigDict(extra="forbid")


class KeyRef(Table):
    """A signing key: `key_env` names an environment variable holding it; an inline `key` is
    for the devnet only (chain 31337)."""

    key_env: str | None = None
    key: SecretStr | None = None

    def _check_one_key(self, who: str) -> None:
        if (self.key_env is None) == (self.key is None):
            raise ValueError(f"{who}: give exactly one of key_env or key")

    def load_key(self, who: str, chain_id: int | None = None) -> bytes:
        """The key's 32 bytes. With `chain_id`, an inline key off the devnet is refused."""
        if self.key is not None:
            if chain_id is not None and chain_id != DEVNET_CHAIN_ID:
                raise InlineKeyOffDevnet(who, chain_id, DEVNET_CHAIN_ID)
            return _hex_key(who, self.key.get_secret_value())
        assert self.key_env is not None
        value = os.environ.get(self.key_env)
        if not value:
            raise KeyUnset(who, self.key_env)
        return _hex_key(who, value)


def _hex_key(who: str, text: str) -> bytes:
    try:
        key = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        key = b""
    if len(key) != 32:
        raise KeyMalformed(who)
    return key


class NodeConfig(KeyRef):
    name: str

    @model_validator(mode="after")
    def _one_key(self) -> NodeConfig:
        self._check_one_key(f"node {self.name}")
        return self

    def private_key(self) -> bytes:
        return self.load_key(f"node {self.name}")


class MeterChannel(Table):
    """A meter device and the participant channel it measures. `acc32 = true` is for devices
    that sign their own 32-bit accumulators (the validator unwraps their rollovers); a device
    polled by the Modbus source must not set it (that source unwraps before signing)."""

    device: Address
    participant: Address
    acc32: bool = False


class PackPassportConfig(Table):
    """A pack's BMS device (SunSpec 802/803, one BMS per pack: its signer address, as in
    [[meters]]) and the battery passport installed on it. The oracle collects the pack's
    accepted readings through each UTC day of its clock and, once the day's last interval is
    recorded, anchors the day's signed health snapshot (docs/passport.md)."""

    device: Address
    passport: str = Field(min_length=1, description="the passport's ISO/IEC 15459 id")


class SimParticipantConfig(Table):
    address: Address
    role: Literal["generator", "consumer"]
    lease_wh: int = Field(gt=0)
    rated_power_w: int = Field(gt=0)
    meter_key: SecretStr


class SimulatorSourceConfig(Table):
    """The built-in station simulator (deterministic from `seed`)."""

    kind: Literal["simulator"]
    seed: int = 1
    bms_key: SecretStr
    participants: list[SimParticipantConfig] = Field(min_length=1)


class ReplaySourceConfig(Table):
    """A file of signed readings (.jsonl or .csv), read once; a restart resumes at the
    durable checkpoint (byte offset, checked against the file's first line)."""

    kind: Literal["replay"]
    path: Path


class LiveSourceConfig(Table):
    grace_s: int = Field(
        default=60,
        ge=0,
        description="an interval closes once a reading at or after its end arrived, or when "
        "the oracle clock passed its end by grace_s (then what is missing is missing)",
    )


class MqttSourceConfig(LiveSourceConfig):
    """A broker topic of signed JSON readings, subscribed when the oracle starts."""

    kind: Literal["mqtt"]
    url: str = Field(description="mqtt://[user:password@]host[:port]")
    topic: str = "essl/readings"


class ModbusDeviceConfig(KeyRef):
    """One SunSpec device (models 1, 802, optional 803, and 701 or 203) polled over Modbus
    TCP. Its readings are signed by the gateway key (`key_env`, or `key` on the devnet); the
    key's address is the device's signer registered on-chain."""

    host: str
    port: int = Field(default=502, ge=1, le=65_535)
    unit_id: int = Field(default=1, ge=0, le=255)
    participant: Address | None = Field(
        default=None, description="the participant channel this meter serves; omit for the BMS"
    )
    period_s: int | None = Field(default=None, gt=0, description="overrides source.period_s")
    timeout_s: float | None = Field(default=None, gt=0, description="overrides source.timeout_s")

    @model_validator(mode="after")
    def _one_key(self) -> ModbusDeviceConfig:
        self._check_one_key(f"modbus device {self.host}:{self.port} unit {self.unit_id}")
        return self

    @property
    def name(self) -> str:
        return f"modbus:{self.host}:{self.port}/{self.unit_id}"


class ModbusSourceConfig(LiveSourceConfig):
    """SunSpec devices over Modbus TCP, polled every `period_s` seconds of the oracle's clock
    (simulated seconds when `speed` > 0, so tests run accelerated; real time when 0)."""

    kind: Literal["modbus"]
    period_s: int = Field(default=10, gt=0)
    timeout_s: float = Field(default=2.0, gt=0)
    devices: list[ModbusDeviceConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> ModbusSourceConfig:
        names = [d.name for d in self.devices]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"source.devices lists {', '.join(twice)} more than once")
        return self


SourceConfig = Annotated[
    SimulatorSourceConfig | ReplaySourceConfig | MqttSourceConfig | ModbusSourceConfig,
    Field(discriminator="kind"),
]


class OracleConfig(Table):
    rpc_url: str = "http://127.0.0.1:8545"
    deployments_dir: Path = Path("deployments")
    data_dir: Path = Path(".essl/oracle")
    archive_dir: Path = Path(".essl/archive")
    station_id: int = Field(ge=1)
    threshold: int = Field(ge=1)
    start: int = Field(ge=0, description="first interval start, unix seconds")
    end: int | None = Field(default=None, description="stop before this interval start")
    speed: float = Field(default=0, ge=0, description="simulated s per wall s; 0 = unthrottled")
    exchange_url: str | None = Field(
        default=None,
        description="SQL URL shared by nodes on separate hosts; then `nodes` is this host's node",
    )
    clock_skew_s: int = 5
    soc_min_bps: int = 1_000
    soc_max_bps: int = 9_500
    max_failures: int = Field(
        default=5,
        ge=1,
        description="stop (exit 4) after the same error this many times in a row",
    )
    nodes: list[NodeConfig] = Field(min_length=1)
    meters: list[MeterChannel] = []
    passports: list[PackPassportConfig] = []
    source: SourceConfig

    @model_validator(mode="before")
    @classmethod
    def _no_curtailment(cls, data: Any) -> Any:
        if isinstance(data, dict) and "curtailment" in data:
            raise PydanticCustomError(
                "curtailment_moved",
                "[[curtailment]] is no longer an oracle setting: curtailment is now attested "
                "on-chain by the grid operator with `essl curtailment attest` or "
                "`essl curtailment dispatch`; remove the curtailment table",
            )
        return data

    @model_validator(mode="after")
    def _threshold_fits(self) -> OracleConfig:
        if self.exchange_url is not None:
            if len(self.nodes) != 1:
                raise ValueError(
                    "with exchange_url, list only this host's node in nodes (its reports and "
                    "pack snapshots are co-signed with the other hosts' nodes through the "
                    "exchange)"
                )
        elif self.threshold > len(self.nodes):
            raise ValueError(f"threshold {self.threshold} > {len(self.nodes)} nodes")
        return self

    @model_validator(mode="after")
    def _one_pack_per_bms(self) -> OracleConfig:
        for what in ("device", "passport"):
            values = [str(getattr(p, what)).lower() for p in self.passports]
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ValueError(f"[[passports]] lists {what} {', '.join(twice)} more than once")
        meters = {m.device.lower() for m in self.meters}
        for p in self.passports:
            if p.device.lower() in meters:
                raise ValueError(
                    f"[[passports]] device {p.device} is a meter in [[meters]]: a passport's "
                    "device is the pack's BMS"
                )
        return self


def load_config(path: Path) -> OracleConfig:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(path, ["no such file"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"not TOML: {exc}"]) from exc
    try:
        return OracleConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(path, problems(exc)) from exc


def problems(exc: ValidationError) -> list[str]:
    """Each validation error as `where: what`, an unknown key as the key and its table."""
    out = []
    for e in exc.errors():
        loc = _table_path(e["loc"])
        if e["type"] == "extra_forbidden" and loc:
            *table, key = loc
            where = ".".join(str(p) for p in table if not isinstance(p, int)) or "top level"
            entry = [p for p in table if isinstance(p, int)]
            nth = f" (entry {entry[-1] + 1})" if entry else ""
            out.append(f"unknown key '{key}' in [{where}]{nth}")
        elif loc:
            out.append(f"{'.'.join(str(p) for p in loc)}: {e['msg']}")
        else:
            out.append(e["msg"])
    return out


def _table_path(loc: tuple[int | str, ...]) -> list[int | str]:
    # A tagged union puts its tag in the location (source.modbus.devices...): leave it out.
    return [
        p for i, p in enumerate(loc) if not (i > 0 and loc[i - 1] == "source" and p in SOURCE_KINDS)
    ]
