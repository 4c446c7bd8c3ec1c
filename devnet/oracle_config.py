"""The demo world's oracle configuration (simulated devices, three nodes, 2-of-3), as the
`OracleConfig` model and as the TOML file `essl oracle run --config` reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devnet.world import DAY_START, PARTICIPANT_POWER_W, World
from oracle.config import ModbusSourceConfig, OracleConfig, SimulatorSourceConfig


def demo_oracle_config(
    world: World,
    *,
    station_id: int,
    rpc_url: str,
    deployments_dir: Path,
    state_dir: Path,
    intervals: int = 96,
    seed: int = 7,
    node_keys_from_env: bool = False,
) -> OracleConfig:
    """With `node_keys_from_env` (any chain but the devnet, where inline keys are refused), each
    node's key is read from `node_key_env(i)`; the caller puts it there."""
    bms = next(d for d in world.devices if d.participant is None)
    meters = [d for d in world.devices if d.participant is not None]
    by_participant = {d.participant: d for d in meters}
    data: dict[str, Any] = {
        "rpc_url": rpc_url,
        "deployments_dir": str(deployments_dir),
        "data_dir": str(state_dir / "oracle"),
        "archive_dir": str(state_dir / "archive"),
        "station_id": station_id,
        "threshold": world.threshold,
        "start": DAY_START,
        "end": DAY_START + intervals * world.station.interval_seconds,
        "nodes": [
            {"name": f"oracle-{i + 1}", "key_env": node_key_env(i)}
            if node_keys_from_env
            else {"name": f"oracle-{i + 1}", "key": "0x" + o.key.hex()}
            for i, o in enumerate(world.oracles)
        ],
        "meters": [{"device": d.address, "participant": d.participant} for d in meters],
        "source": {
            "kind": "simulator",
            "seed": seed,
            "bms_key": "0x" + bms.account.key.hex(),
            "participants": [
                {
                    "address": p.address,
                    "role": p.role,
                    "lease_wh": p.leased_wh,
                    "rated_power_w": PARTICIPANT_POWER_W,
                    "meter_key": "0x" + by_participant[p.address].account.key.hex(),
                }
                for p in world.participants
            ],
        },
    }
    return OracleConfig.model_validate(data)


def node_key_env(index: int) -> str:
    return f"ESSL_DEMO_ORACLE_{index + 1}_KEY"


def to_toml(config: OracleConfig) -> str:
    """A TOML rendering of the config (secrets included: devnet keys only)."""
    data = config.model_dump(mode="json", exclude_none=True)
    _reveal(data, config)
    lines: list[str] = []
    tables: list[tuple[str, Any]] = []
    for key, value in data.items():
        if (
            isinstance(value, dict | list)
            and value
            and isinstance(value if isinstance(value, dict) else value[0], dict)
        ):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_value(value)}")
    for key, value in tables:
        if isinstance(value, dict):
            lines.append(f"\n[{key}]")
            nested = []
            for k, v in value.items():
                if isinstance(v, list) and v and isinstance(v[0], dict):
                    nested.append((k, v))
                else:
                    lines.append(f"{k} = {_value(v)}")
            for k, items in nested:
                for item in items:
                    lines.append(f"\n[[{key}.{k}]]")
                    lines += [f"{ik} = {_value(iv)}" for ik, iv in item.items()]
        else:
            for item in value:
                lines.append(f"\n[[{key}]]")
                lines += [f"{ik} = {_value(iv)}" for ik, iv in item.items()]
    return "\n".join(lines) + "\n"


def _reveal(data: dict[str, Any], config: OracleConfig) -> None:
    for node, raw in zip(data["nodes"], config.nodes, strict=True):
        if raw.key is not None:
            node["key"] = raw.key.get_secret_value()
    src = config.source
    if isinstance(src, SimulatorSourceConfig):
        data["source"]["bms_key"] = src.bms_key.get_secret_value()
        for item, raw_p in zip(data["source"]["participants"], src.participants, strict=True):
            item["meter_key"] = raw_p.meter_key.get_secret_value()
    if isinstance(src, ModbusSourceConfig):
        for item, raw_d in zip(data["source"]["devices"], src.devices, strict=True):
            if raw_d.key is not None:
                item["key"] = raw_d.key.get_secret_value()


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
