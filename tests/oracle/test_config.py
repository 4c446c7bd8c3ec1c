"""The oracle's TOML file: the demo's round-trips, and a `[[curtailment]]` table left from
before curtailment moved to the grid operator is refused with directions."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from devnet.oracle_config import demo_oracle_config, to_toml
from devnet.world import demo_world
from oracle.config import OracleConfig, load_config
from oracle.errors import ConfigError
from tests.devnet.test_anvil_cli import ESSL

OLD_TABLE = """
[[curtailment]]
start = "10:00"
end = "16:00"
participants = ["0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"]
"""


@pytest.fixture
def config(tmp_path: Path) -> OracleConfig:
    return demo_oracle_config(
        demo_world(),
        station_id=1,
        rpc_url="http://127.0.0.1:8545",
        deployments_dir=tmp_path / "deployments",
        state_dir=tmp_path / "state",
    )


def test_the_demo_config_round_trips(config: OracleConfig, tmp_path: Path) -> None:
    path = tmp_path / "oracle.toml"
    path.write_text(to_toml(config))
    assert "curtailment" not in path.read_text()
    assert load_config(path) == config


def test_a_curtailment_table_is_refused_and_points_to_the_grid_operator(
    config: OracleConfig, tmp_path: Path
) -> None:
    path = tmp_path / "oracle.toml"
    path.write_text(to_toml(config) + OLD_TABLE)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "[[curtailment]]" in message
    assert "attested on-chain by the grid operator" in message
    assert "essl curtailment dispatch" in message

    env = {k: v for k, v in os.environ.items() if not k.startswith("ESSL_")}
    cli = subprocess.run(
        [ESSL, "oracle", "run", "--config", str(path), "--once"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert cli.returncode == 1
    assert "[[curtailment]] is no longer an oracle setting" in " ".join(cli.stderr.split())


DOCS = Path(__file__).parents[2] / "docs" / "oracle.md"


def docs_modbus_example() -> str:
    text = DOCS.read_text()
    start = text.index("```toml", text.index("A Modbus station"))
    return text[start + len("```toml") : text.index("```", start + 7)]


def test_the_documented_modbus_station_loads(tmp_path: Path) -> None:
    from oracle.config import ModbusSourceConfig

    path = tmp_path / "modbus.toml"
    path.write_text(docs_modbus_example())
    config = load_config(path)
    assert isinstance(config.source, ModbusSourceConfig)
    bms, meter_1, meter_2 = config.source.devices
    assert (bms.port, bms.unit_id, bms.participant, bms.period_s) == (502, 1, None, None)
    assert (meter_1.port, meter_1.unit_id, meter_1.period_s) == (502, 3, 60)
    assert meter_2.participant == "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
    assert config.max_failures == 5 and config.source.timeout_s == 2.0


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('host = "10.0.0.21"', 'hots = "10.0.0.21"',
         "unknown key 'hots' in [source.devices] (entry 2)"),
        ("grace_s = 60", "grace = 60", "unknown key 'grace' in [source]"),
        ("speed = 0 ", "sped = 0 ", "unknown key 'sped' in [top level]"),
        ('name = "oracle-2"', 'name = "oracle-2"\nkey_file = "k"',
         "unknown key 'key_file' in [nodes] (entry 2)"),
        ('kind = "modbus"', 'kind = "modbus"\npath = "x.jsonl"', "unknown key 'path' in [source]"),
        ('key_env = "ESSL_BMS_GATEWAY_KEY"', "", "give exactly one of key_env or key"),
    ],
)  # fmt: skip
def test_unknown_keys_are_refused_by_name_and_table(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    text = docs_modbus_example()
    assert old in text
    path = tmp_path / "modbus.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert problem in str(caught.value)


def test_an_inline_gateway_key_is_refused_off_the_devnet() -> None:
    from oracle.config import ModbusDeviceConfig
    from oracle.errors import OracleError

    device = ModbusDeviceConfig(host="10.0.0.5", key="0x" + "22" * 32)  # type: ignore[arg-type]
    assert len(device.load_key("gateway", 31337)) == 32
    with pytest.raises(OracleError, match="inline key is for the devnet"):
        device.load_key("gateway", 11155111)
