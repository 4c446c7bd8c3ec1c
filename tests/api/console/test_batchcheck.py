"""The browser verifier's batch check (api/console/static/src/batchcheck.js), run in Node over
batch files the oracle's own code writes: its one-buffer ABI encoding, hashes and tree give what
ethers' AbiCoder, @openzeppelin/merkle-tree's StandardMerkleTree and SimpleMerkleTree and the
Python side (ledger/readings.py, the batch root) give, for the demo's readings and for every
field at its type's limits (integers above 2^53 included); and each kind of bad reading is named."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from coincurve import PrivateKey

from ledger.compile import BUILD_DIR
from ledger.paths import PROJECT_ROOT
from ledger.readings import (
    READING_TYPEHASH,
    DeviceDomain,
    SignedReading,
    address_of,
    keccak,
    sign_reading,
)
from oracle.aggregate import batch_of
from oracle.archive import write_batch
from oracle.sources.simulator import demo_station

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DAY_START = 1_795_363_200
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
CHECKER = PROJECT_ROOT / "api" / "console" / "static" / "src" / "batchcheck.js"

# Reads {cases: [{doc, job}]} on stdin; for each: the hashes of every reading, the root, the
# cross-checks against ethers and @openzeppelin/merkle-tree, and checkBatch's verdict (signatures
# recovered with tiny-secp256k1, as the worker does).
PROBE = """
import { readFileSync } from "node:fs";
import { AbiCoder } from "ethers";
import { SimpleMerkleTree, StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { recover } from "tiny-secp256k1";
const bc = await import(process.argv[2]);
const signer = (digest, sig) => {
  const pub = recover(digest, sig.subarray(0, 64), sig[64] - 27, false);
  if (!pub) throw new Error("no");
  return bc.toHex(bc.keccak(pub.subarray(1)).subarray(12));
};
const { cases } = JSON.parse(readFileSync(0, "utf8"));
const out = [];
for (const { text, job } of cases) {
  const doc = bc.parseBatch(text);
  const one = { verdict: bc.checkBatch(job, doc, signer) };
  try {
    const encoded = doc.readings.map(bc.encodeReading);
    const hashes = encoded.map(bc.readingHashes);
    const leaves = hashes.map((h) => bc.toHex(h.leaf));
    const values = doc.readings.map((r) => [
      ...bc.READING_FIELDS.map(([name, type]) => (type === "address" ? r[name] : BigInt(r[name]))),
      r.signature.slice(0, 66), "0x" + r.signature.slice(66, 130),
      parseInt(r.signature.slice(130), 16),
    ]);
    Object.assign(one, {
      leaves,
      structHashes: hashes.map((h) => bc.toHex(h.structHash)),
      root: bc.batchRoot(leaves),
      simpleRoot: SimpleMerkleTree.of(leaves).root,
      standardRoot: StandardMerkleTree.of(values, bc.LEAF_TYPES).root,
      abiCoderAgrees: encoded.every((e, i) =>
        bc.toHex(e.subarray(32)) === AbiCoder.defaultAbiCoder().encode(bc.LEAF_TYPES, values[i])),
      seqs: doc.readings.map((r) => String(r.seq)),
    });
  } catch (err) {
    one.error = err.message;
  }
  out.push(one);
}
console.log(JSON.stringify(out));
"""


def run_probe(cases: list[dict[str, Any]], *flags: str) -> list[dict[str, Any]]:
    if shutil.which("node") is None:
        pytest.skip("needs Node.js (make setup)")
    BUILD_DIR.mkdir(exist_ok=True)  # inside the project, so `ethers` resolves from node_modules
    script = BUILD_DIR / "batchcheck-probe.mjs"
    script.write_text(PROBE)
    done = subprocess.run(
        ["node", *flags, str(script), CHECKER.as_uri()],
        input=json.dumps({"cases": cases}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


@dataclasses.dataclass
class Batch:
    readings: list[SignedReading]
    root: str
    text: str
    job: dict[str, Any]

    def case(self, document: dict[str, Any] | None = None, **job: Any) -> dict[str, Any]:
        text = self.text if document is None else json.dumps(document)
        return {"text": text, "job": {**self.job, **job}}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    domain = DeviceDomain(31337, REGISTRY)
    sim = demo_station(7, DAY_START, domain)
    readings = [r for r in sim.readings_for_interval(DAY_START) if isinstance(r, SignedReading)]
    # One more reading with every integer at a limit of its type (above 2^53 where it can be).
    key = PrivateKey(b"\x42" * 32)
    edge = dataclasses.replace(
        readings[0].reading,
        device=address_of(key.secret),
        seq=2**64 - 1,
        timestamp=2**53 + 1,
        charged_wh=2**64 - 2,
        discharged_wh=0,
        power_w=-(2**63),
        soc_bps=2**16 - 1,
        cycle_count=2**32 - 1,
        pack_milli_volts=0,
        pack_milli_amps=-(2**31),
        cell_min_milli_volts=0,
        cell_max_milli_volts=2**16 - 1,
        temp_min_deci_c=-(2**15),
        temp_max_deci_c=2**15 - 1,
        alarm_bits=2**32 - 1,
    )
    readings.append(sign_reading(edge, key.secret, domain))
    written = write_batch(
        tmp_path_factory.mktemp("batch"),
        batch_of(1, DAY_START, DAY_START + 900, readings),
        chain_id=31337,
        registry=REGISTRY,
    )
    text = Path(written).read_text()
    job = {
        "root": json.loads(text)["root"],
        "label": "the batch",
        "readingCount": len(readings),
        "validKeys": sorted({r.reading.device.lower() for r in readings}),
        "separator": "0x" + domain.separator.hex(),
    }
    return Batch(readings, job["root"], text, job)


# Integers above 2^53 are re-read from the source text where the engine gives it to a reviver
# (as Chromium does; Node 20 behind this flag), else by quoting them: both ways are checked.
@pytest.mark.parametrize(
    "flags", [(), ("--harmony-json-parse-with-source",)], ids=["quoted", "source"]
)
def test_hashes_and_root_are_the_oracles_and_the_libraries(
    batch: Batch, flags: tuple[str, ...]
) -> None:
    (result,) = run_probe([batch.case()], *flags)
    assert "error" not in result, result
    assert result["leaves"] == ["0x" + r.leaf().hex() for r in batch.readings]
    assert result["structHashes"] == [
        "0x" + keccak(READING_TYPEHASH + r.reading.encoded).hex() for r in batch.readings
    ]
    assert result["root"] == result["simpleRoot"] == result["standardRoot"] == batch.root
    assert result["abiCoderAgrees"] is True
    assert result["seqs"][-1] == str(2**64 - 1)  # read exactly, not as the nearest double
    assert result["verdict"]["failures"] == []
    assert result["verdict"]["checks"] == [
        "the batch: root recomputed",
        f"the batch: {len(batch.readings)} device signatures",
    ]


def test_each_kind_of_bad_reading_is_named(batch: Batch) -> None:
    document = json.loads(batch.text)
    changed = json.loads(batch.text)
    changed["readings"][3]["chargedWh"] += 1
    twin = json.loads(batch.text)  # the same signature's malleable twin: (r, n - s), v flipped
    sig = bytes.fromhex(twin["readings"][2]["signature"][2:])
    s = (SECP256K1_N - int.from_bytes(sig[32:64], "big")).to_bytes(32, "big")
    twin["readings"][2]["signature"] = "0x" + (sig[:32] + s + bytes([55 - sig[64]])).hex()
    out_of_range = json.loads(batch.text)
    out_of_range["readings"][5]["socBps"] = 65_536
    short = json.loads(batch.text)
    del short["readings"][-1]
    device = document["readings"][0]["device"].lower()
    results = run_probe(
        [
            batch.case(changed),
            batch.case(twin),
            batch.case(out_of_range),
            batch.case(validKeys=[k for k in batch.job["validKeys"] if k != device]),
            batch.case(short),
        ]
    )
    failures = [r["verdict"]["failures"] for r in results]
    assert any("Merkle root recomputed" in f for f in failures[0]), failures[0]
    assert any("reading 3 " in f and "recovers to" in f for f in failures[0]), failures[0]
    assert any("Merkle root" in f for f in failures[1]) and any(
        "reading 2 " in f and "does not parse or recover" in f for f in failures[1]
    ), failures[1]
    assert failures[2] == ["the batch: malformed reading 5 (socBps: 65536 is outside [0, 65535])"]
    assert any("not a registered device key" in f for f in failures[3]), failures[3]
    assert failures[4][0] == (
        f"the batch: {len(batch.readings) - 1} readings in the file, "
        f"the chain says {len(batch.readings)}"
    )
    assert results[3]["verdict"]["checks"] == ["the batch: root recomputed"]
