"""The oracle's TOML file: the demo's round-trips, and a `[[curtailment]]` table left from
before curtailment moved to the grid operator is refused with directions."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from devnet.oracle_config import demo_oracle_config, to_toml
from devnet.world import demo_world
from oracle.config import ConfigError, OracleConfig, load_config
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
