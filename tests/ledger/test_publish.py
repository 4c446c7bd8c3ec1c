"""The published interfaces: committed ABIs equal the contracts, and a deployment's verification
record compiles on its own (no import callback) to exactly the code on the chain."""

from __future__ import annotations

import json
import subprocess

from web3 import Web3

from ledger.compile import Build
from ledger.deploy import Deployment
from ledger.paths import PROJECT_ROOT
from ledger.publish import abi_drift, verification_path
from ledger.settings import LedgerSettings

# solc-js with no import callback: every source must be in the input itself.
COMPILE_ALONE = """
const solc = require('solc');
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => process.stdout.write(solc.compile(input)));
"""


def test_committed_abis_match_the_contracts(build: Build) -> None:
    assert abi_drift(build) == [], "run `essl abi` and commit abi/"


def _masked(code: str, immutables: dict[str, list[dict[str, int]]]) -> str:
    """Runtime code with the immutable values (set by the constructor) zeroed."""
    raw = bytearray.fromhex(code.removeprefix("0x"))
    for refs in immutables.values():
        for ref in refs:
            raw[ref["start"] : ref["start"] + ref["length"]] = bytes(ref["length"])
    return raw.hex()


def test_the_verification_record_alone_rebuilds_the_deployed_code(
    w3: Web3, build: Build, deployment: Deployment, session_settings: LedgerSettings
) -> None:
    record = json.loads(
        verification_path(session_settings.deployments_dir, deployment.chain_id).read_text()
    )
    assert record["compiler"] == build.compiler
    standard = record["standard_json_input"]
    assert any(p.startswith("@openzeppelin/") for p in standard["sources"])
    standard["settings"]["outputSelection"] = {
        "*": {
            "*": [
                "metadata",
                "evm.deployedBytecode.object",
                "evm.deployedBytecode.immutableReferences",
            ]
        }
    }
    done = subprocess.run(
        ["node", "-e", COMPILE_ALONE],
        input=json.dumps(standard),
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=True,
    )
    output = json.loads(done.stdout)
    errors = [e for e in output.get("errors", []) if e["severity"] == "error"]
    assert errors == []
    for name, entry in record["contracts"].items():
        path, contract = entry["contract"].split(":")
        compiled = output["contracts"][path][contract]
        assert json.loads(compiled["metadata"]) == entry["metadata"]
        deployed = compiled["evm"]["deployedBytecode"]
        on_chain = bytes(w3.eth.get_code(Web3.to_checksum_address(entry["address"]))).hex()
        immutables = deployed.get("immutableReferences", {})
        assert _masked(on_chain, immutables) == _masked(deployed["object"], immutables), name
        assert entry["address"] == deployment.address(name)
    ctor = record["contracts"]["StorageLedger"]["constructor_arguments"]
    registry, factors = w3.codec.decode(["address", "address"], bytes.fromhex(ctor[2:]))
    assert (registry, factors) == (
        deployment.address("Registry").lower(),
        deployment.address("EmissionFactors").lower(),
    )
