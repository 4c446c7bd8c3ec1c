"""The station file (TOML): one station as it should be on-chain — its parameters, devices,
leases, the suite's oracle set and role holders, and whose key signs each kind of write.
`essl station apply FILE` brings the chain to it (ledger/onboarding.py)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from ledger.errors import StationFileError
from ledger.keys import guard_chain, load_keystore
from ledger.kinds import DeviceKind, DeviceKindName
from ledger.registry import StationParams

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
Uint64 = Annotated[int, Field(ge=0, lt=2**64)]
Party = Literal["admin", "station_operator", "grid_operator"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SignerKey(_Strict):
    """Where a party's signing key comes from: an environment variable, an encrypted keystore
    (password from `password_env`), or, on the devnet only, the key itself."""

    key_env: str | None = None
    keystore: Path | None = None
    password_env: str = "ESSL_KEYSTORE_PASSWORD"
    key: SecretStr | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SignerKey:
        given = [x for x in (self.key_env, self.keystore, self.key) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of key_env, keystore or key")
        return self

    def account(self, party: str, chain_id: int) -> LocalAccount:
        if self.key is not None:
            if chain_id != 31337:
                raise StationFileError(
                    "signers", [f"{party}: inline keys are for the devnet only; use key_env"]
                )
            return Account.from_key(self.key.get_secret_value())
        if self.keystore is not None:
            password = os.environ.get(self.password_env)
            if password is None:
                raise StationFileError(
                    "signers", [f"{party}: set {self.password_env} to unlock {self.keystore}"]
                )
            return guard_chain(load_keystore(self.keystore, password), chain_id)
        assert self.key_env is not None
        value = os.environ.get(self.key_env)
        if not value:
            raise StationFileError("signers", [f"{party}: set {self.key_env} to its private key"])
        return guard_chain(Account.from_key(value), chain_id)


class StationSpec(_Strict):
    external_code: str = Field(min_length=1, max_length=64)
    operator: Address
    rated_power_w: Uint64 = Field(gt=0)
    capacity_wh: Uint64 = Field(gt=0)
    round_trip_efficiency_bps: int = Field(gt=0, le=10_000)
    region: str = Field(min_length=1, max_length=32)
    interval_seconds: int = Field(default=900, gt=0)
    grid_start: Uint64 = 0

    def params(self) -> StationParams:
        return StationParams(
            operator=self.operator,
            rated_power_w=self.rated_power_w,
            capacity_wh=self.capacity_wh,
            round_trip_efficiency_bps=self.round_trip_efficiency_bps,
            region=self.region,
            interval_seconds=self.interval_seconds,
            grid_start=self.grid_start,
            external_code=self.external_code,
        )


class Baseline(_Strict):
    """A meter channel's counters when it was onboarded (or replaced): only energy since
    then is booked."""

    charged_wh: Uint64
    discharged_wh: Uint64


class DeviceSpec(_Strict):
    name: str
    kind: DeviceKindName
    signer: Address
    external_code: str = Field(min_length=1, max_length=64)
    rated_power_w: Uint64 = Field(gt=0)
    accuracy_class_bps: int = Field(ge=0, le=10_000)
    participant: Address | None = None  # the channel a meter measures
    baseline: Baseline | None = None

    @model_validator(mode="after")
    def _channel(self) -> DeviceSpec:
        if self.kind is DeviceKindName.METER and self.participant is None:
            raise ValueError(f"device {self.name}: a meter needs the participant it measures")
        if self.baseline is not None and self.participant is None:
            raise ValueError(f"device {self.name}: a baseline belongs to a meter channel")
        return self

    @property
    def device_kind(self) -> DeviceKind:
        return self.kind.code


class LeaseSpec(_Strict):
    participant: Address
    name: str = ""
    leased_wh: Uint64 = Field(gt=0)
    valid_from: Uint64
    valid_to: Uint64

    @model_validator(mode="after")
    def _window(self) -> LeaseSpec:
        if self.valid_to <= self.valid_from:
            raise ValueError(f"lease of {self.participant}: valid_to must be after valid_from")
        return self


class OracleSpec(_Strict):
    threshold: int = Field(ge=1, le=255)
    signers: list[Address] = Field(min_length=1)

    @model_validator(mode="after")
    def _fits(self) -> OracleSpec:
        if self.threshold > len(self.signers):
            raise ValueError(f"threshold {self.threshold} > {len(self.signers)} signers")
        if len({s.lower() for s in self.signers}) != len(self.signers):
            raise ValueError("an oracle signer is listed twice")
        return self

    def ordered(self) -> list[str]:
        return sorted(self.signers, key=lambda a: int(a, 16))


class RolesSpec(_Strict):
    """Role holders the admin grants (the station's operator is granted with the station)."""

    grid_operators: list[Address] = []
    verifiers: list[Address] = []
    regulators: list[Address] = []

    def grants(self) -> list[tuple[str, str]]:
        return (
            [("GRID_OPERATOR_ROLE", a) for a in self.grid_operators]
            + [("VERIFIER_ROLE", a) for a in self.verifiers]
            + [("REGULATOR_ROLE", a) for a in self.regulators]
        )


class SignersSpec(_Strict):
    admin: SignerKey | None = None
    station_operator: SignerKey | None = None
    grid_operator: SignerKey | None = None


class StationFile(_Strict):
    station: StationSpec
    roles: RolesSpec = RolesSpec()
    oracle: OracleSpec | None = None
    devices: list[DeviceSpec] = []
    leases: list[LeaseSpec] = []
    signers: SignersSpec = SignersSpec()

    @model_validator(mode="after")
    def _unique(self) -> StationFile:
        for what, keys in (
            ("device signer", [d.signer.lower() for d in self.devices]),
            ("device external_code", [d.external_code for d in self.devices]),
            ("lease participant", [lease.participant.lower() for lease in self.leases]),
        ):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"{what} listed twice: {', '.join(dupes)}")
        return self


def load_station_file(path: Path) -> StationFile:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise StationFileError(path, ["no such file"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise StationFileError(path, [f"not TOML: {exc}"]) from exc
    return parse_station_file(data, path)


def parse_station_file(data: dict[str, object], origin: Path | str = "station file") -> StationFile:
    try:
        return StationFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e["loc"])
            msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
            problems.append(f"{where}: {msg}" if where else msg)
        raise StationFileError(origin, problems) from exc
