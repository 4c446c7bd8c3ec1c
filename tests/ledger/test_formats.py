"""docs/formats.md says what the code does: its type strings are the code's, its worked
example signs and hashes as stated, its ethers script verifies a real batch file's reading
(and refuses a tampered one), and the oracle's batch files pass the published JSON Schema."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest

from ledger.compile import BUILD_DIR
from ledger.paths import PROJECT_ROOT
from ledger.readings import (
    READING_TYPE,
    DeviceDomain,
    SignedReading,
    reading_digest,
    recover_signer,
)
from ledger.reports import REPORT_TYPES
from ledger.settlement.anchor import RESPONSE_TYPES
from oracle.aggregate import batch_of
from oracle.archive import write_batch
from oracle.sources.simulator import demo_station

DOC = (PROJECT_ROOT / "docs" / "formats.md").read_text()
SCHEMA = json.loads((PROJECT_ROOT / "docs" / "schemas" / "batch.schema.json").read_text())
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DAY_START = 1_795_363_200


def block_after(marker: str) -> str:
    """The fenced code block that follows `<!-- marker -->` in the document."""
    found = re.search(rf"<!-- {re.escape(marker)} -->\s*```\w*\n(.*?)```", DOC, re.S)
    assert found, f"docs/formats.md has no block after <!-- {marker} -->"
    return found.group(1).strip()


def type_string(primary: str, types: dict[str, list[dict[str, str]]]) -> str:
    def one(name: str) -> str:
        return name + "(" + ",".join(f"{f['type']} {f['name']}" for f in types[name]) + ")"

    return one(primary) + "".join(one(n) for n in sorted(types) if n != primary)


def test_the_documented_type_strings_are_the_codes() -> None:
    assert block_after("reading-type") == READING_TYPE
    assert block_after("report-type") == type_string("Report", REPORT_TYPES)
    assert block_after("response-type") == type_string("LineResponse", RESPONSE_TYPES)


def worked_example() -> SignedReading:
    text = DOC.split("### Worked example", 1)[1]
    raw = re.search(r"```json\n(.*?)```", text, re.S)
    assert raw
    return SignedReading.from_dict(json.loads(raw.group(1)))


def test_the_worked_example_signs_and_hashes_as_documented() -> None:
    signed = worked_example()
    domain = DeviceDomain(31337, REGISTRY)
    digest = "0x" + reading_digest(signed.reading, domain).hex()
    leaf = "0x" + signed.leaf().hex()
    assert f"EIP-712 digest: `{digest}`" in DOC
    assert f"leaf: `{leaf}`" in DOC
    assert recover_signer(signed, domain) == signed.reading.device


@pytest.fixture
def batch_file(tmp_path: Path) -> Path:
    domain = DeviceDomain(31337, REGISTRY)
    sim = demo_station(7, DAY_START, domain)
    readings = sim.readings_for_interval(DAY_START)
    batch = batch_of(
        1, DAY_START, DAY_START + 900, [r for r in readings if isinstance(r, SignedReading)]
    )
    return write_batch(tmp_path, batch, chain_id=31337, registry=REGISTRY)


def run_script(batch: Path, index: int) -> subprocess.CompletedProcess[str]:
    # ESM resolves `ethers` next to the script: keep it inside the project (build/ is ignored).
    BUILD_DIR.mkdir(exist_ok=True)
    script = BUILD_DIR / "verify-reading.mjs"
    script.write_text(block_after("verify-reading.mjs"))
    return subprocess.run(
        ["node", str(script), str(batch), str(index)], capture_output=True, text=True, timeout=60
    )


def test_the_ethers_script_verifies_a_real_reading_and_refuses_a_tampered_one(
    batch_file: Path,
) -> None:
    document = json.loads(batch_file.read_text())
    index = len(document["readings"]) - 1  # a meter's reading (counters set)
    done = run_script(batch_file, index)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    ours = SignedReading.from_dict(document["readings"][index])
    assert result == {
        "device": ours.reading.device,
        "signer": ours.reading.device,
        "valid": True,
        "leaf": "0x" + ours.leaf().hex(),
    }
    document["readings"][index]["chargedWh"] += 1
    batch_file.write_text(json.dumps(document))
    tampered = run_script(batch_file, index)
    assert tampered.returncode == 1
    assert json.loads(tampered.stdout)["valid"] is False


def test_batch_files_pass_the_published_schema_and_broken_ones_do_not(batch_file: Path) -> None:
    document = json.loads(batch_file.read_text())
    jsonschema.validate(document, SCHEMA)
    extra = dict(document, comment="not part of the format")
    with pytest.raises(jsonschema.ValidationError, match="comment"):
        jsonschema.validate(extra, SCHEMA)
    short = json.loads(batch_file.read_text())
    short["readings"][0]["signature"] = short["readings"][0]["signature"][:-2]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(short, SCHEMA)


def test_the_rejected_counts_are_optional_metadata_with_reason_codes_and_positive_counts(
    tmp_path: Path,
) -> None:
    domain = DeviceDomain(31337, REGISTRY)
    sim = demo_station(7, DAY_START, domain)
    signed = [r for r in sim.readings_for_interval(DAY_START) if isinstance(r, SignedReading)]
    batch = batch_of(1, DAY_START, DAY_START + 900, signed)
    counts = {"REPLAYED_SEQUENCE": 2, "BAD_SIGNATURE": 1, "SOC_OUT_OF_RANGE": 0}
    path = write_batch(tmp_path, batch, chain_id=31337, registry=REGISTRY, rejected=counts)
    document = json.loads(path.read_text())
    assert document["rejected"] == {"BAD_SIGNATURE": 1, "REPLAYED_SEQUENCE": 2}  # no zeros
    assert document["root"] == "0x" + batch.root.hex()  # the counts are not under the root
    jsonschema.validate(document, SCHEMA)
    old = {k: v for k, v in document.items() if k != "rejected"}
    jsonschema.validate(old, SCHEMA)  # files written before the field stay valid
    for bad in ({"bad_signature": 1}, {"BAD_SIGNATURE": 0}, {"BAD_SIGNATURE": "1"}, [1]):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(dict(document, rejected=bad), SCHEMA)
