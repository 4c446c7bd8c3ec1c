"""The oracle's configuration file (TOML): the chain, the station, the nodes and their keys,
meter channels and the device source. Curtailment is not the oracle's to designate: the grid
operator attests it on-chain (`essl curtailment ...`)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from oracle.errors import OracleError

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]


class ConfigError(OracleError):
    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))


class NodeConfig(BaseModel):
    name: str
    key_env: str | None = None
    key: SecretStr | None = None  # inline keys are for the devnet only (chain 31337)

    @model_validator(mode="after")
    def _one_key(self) -> NodeConfig:
        if (self.key_env is None) == (self.key is None):
            raise ValueError(f"node {self.name}: give exactly one of key_env or key")
        return self

    def private_key(self) -> bytes:
        if self.key is not None:
            return bytes.fromhex(self.key.get_secret_value().removeprefix("0x"))
        assert self.key_env is not None
        value = os.environ.get(self.key_env)
        if not value:
            raise OracleError(f"node {self.name}: set {self.key_env} to its private key")
        return bytes.fromhex(value.removeprefix("0x"))


class MeterChannel(BaseModel):
    device: Address
    participant: Address
    acc32: bool = False


class SimParticipantConfig(BaseModel):
    address: Address
    role: Literal["generator", "consumer"]
    lease_wh: int = Field(gt=0)
    rated_power_w: int = Field(gt=0)
    meter_key: SecretStr


class SourceConfig(BaseModel):
    kind: Literal["simulator", "replay", "mqtt", "modbus"]
    seed: int = 1
    bms_key: SecretStr | None = None
    participants: list[SimParticipantConfig] = []
    path: Path | None = None
    url: str | None = None
    topic: str = "essl/readings"

    @model_validator(mode="after")
    def _needs(self) -> SourceConfig:
        if self.kind == "simulator" and (self.bms_key is None or not self.participants):
            raise ValueError("source.kind = simulator needs bms_key and participants")
        if self.kind == "replay" and self.path is None:
            raise ValueError("source.kind = replay needs path")
        if self.kind in ("mqtt", "modbus") and self.url is None:
            raise ValueError(f"source.kind = {self.kind} needs url")
        return self


class OracleConfig(BaseModel):
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
    nodes: list[NodeConfig] = Field(min_length=1)
    meters: list[MeterChannel] = []
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
                raise ValueError("with exchange_url, list only this host's node in nodes")
        elif self.threshold > len(self.nodes):
            raise ValueError(f"threshold {self.threshold} > {len(self.nodes)} nodes")
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
        problems = [
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
            for e in exc.errors()
        ]
        raise ConfigError(path, problems) from exc
