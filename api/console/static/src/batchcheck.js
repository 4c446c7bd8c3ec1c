// Checking one batch file (runs in a Web Worker, or in the page when workers are unavailable):
// recompute the Merkle root of its readings with @openzeppelin/merkle-tree and recover every
// device signature (EIP-712) with ethers. Inputs and outputs are plain data.
//
// Each reading is ABI-encoded once (ethers' AbiCoder, the 21 leaf values): its first 18 words
// are also the EIP-712 encodeData of the Reading struct (every field is static), so the struct
// hash and the leaf hash (StandardMerkleTree's keccak256(keccak256(abi.encode(values)))) share
// one encoding, and the tree is built by @openzeppelin/merkle-tree's SimpleMerkleTree over those
// leaf hashes (same sorted leaves and node hash as StandardMerkleTree.of, so the same root).
import { AbiCoder, ParamType, Signature, TypedDataEncoder, concat, dataSlice, id, keccak256, recoverAddress } from "ethers";
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";

// The device reading, as ledger/readings.py defines it (EIP-712 struct and Merkle leaf).
export const READING_FIELDS = [
  ["device", "address"], ["stationId", "uint32"], ["participant", "address"], ["seq", "uint64"],
  ["timestamp", "uint64"], ["chargedWh", "uint64"], ["dischargedWh", "uint64"], ["powerW", "int64"],
  ["socBps", "uint16"], ["sohBps", "uint16"], ["cycleCount", "uint32"], ["packMilliVolts", "uint32"],
  ["packMilliAmps", "int32"], ["cellMinMilliVolts", "uint16"], ["cellMaxMilliVolts", "uint16"],
  ["tempMinDeciC", "int16"], ["tempMaxDeciC", "int16"], ["alarmBits", "uint32"],
];
export const LEAF_TYPES = [...READING_FIELDS.map(([, t]) => t), "bytes32", "bytes32", "uint8"];
export const READING_TYPES = { Reading: READING_FIELDS.map(([name, type]) => ({ name, type })) };
const READING_TYPEHASH = id(TypedDataEncoder.from(READING_TYPES).encodeType("Reading"));
const STRUCT_BYTES = READING_FIELDS.length * 32;
const abi = AbiCoder.defaultAbiCoder();
const LEAF_PARAMS = LEAF_TYPES.map((t) => ParamType.from(t)); // parsed once, not per reading

/** The reading's EIP-712 struct hash and its Merkle leaf hash, from one ABI encoding. */
export function readingHashes(values) {
  const encoded = abi.encode(LEAF_PARAMS, values);
  return {
    structHash: keccak256(concat([READING_TYPEHASH, dataSlice(encoded, 0, STRUCT_BYTES)])),
    leaf: keccak256(keccak256(encoded)),
  };
}

function leafValues(r) {
  const sig = r.signature;
  if (typeof sig !== "string" || sig.length !== 132) throw new Error("signature: expected 0x-hex of 65 bytes");
  const values = READING_FIELDS.map(([name, type]) => {
    if (!(name in r)) throw new Error(`${name}: missing`);
    return type === "address" ? r[name] : BigInt(r[name]);
  });
  return [...values, sig.slice(0, 66), "0x" + sig.slice(66, 130), parseInt(sig.slice(130, 132), 16)];
}

/** The signer of an EIP-712 digest, with ethers (pure JavaScript; used in the page). */
export function ethersSigner(digest, signature) {
  return recoverAddress(digest, Signature.from(signature)).toLowerCase();
}

/**
 * job: {url, root, label, readingCount, validKeys: [lower-case address], separator}
 * signerOf(digest, signature) -> lower-case address (throws on a bad signature)
 * returns {checks: [string], failures: [string]}
 */
export async function checkBatchFile(job, fetchFn = globalThis.fetch.bind(globalThis), signerOf = ethersSigner) {
  const checks = [];
  const failures = [];
  const { label, root } = job;
  let doc;
  try {
    const reply = await fetchFn(job.url);
    if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
    doc = await reply.json();
  } catch (err) {
    failures.push(`${label}: batch file cannot be read (${err.message})`);
    return { checks, failures };
  }
  const readings = Array.isArray(doc.readings) ? doc.readings : [];
  if (readings.length !== job.readingCount) {
    failures.push(`${label}: ${readings.length} readings in the file, the chain says ${job.readingCount}`);
  }
  let hashes;
  try {
    hashes = readings.map((r) => readingHashes(leafValues(r)));
  } catch (err) {
    failures.push(`${label}: malformed reading (${err.shortMessage || err.message})`);
    return { checks, failures };
  }
  if (!hashes.length) {
    failures.push(`${label}: the batch file has no readings`);
    return { checks, failures };
  }
  const tree = SimpleMerkleTree.of(hashes.map((h) => h.leaf));
  if (tree.root.toLowerCase() !== root.toLowerCase()) {
    failures.push(`${label}: Merkle root recomputed from the file is ${tree.root}, the chain holds ${root}`);
  } else {
    checks.push(`${label}: root recomputed`);
  }
  const valid = new Set(job.validKeys);
  let bad = 0;
  for (const [i, r] of readings.entries()) {
    let signer = null;
    try {
      // EIP-712: keccak256(0x1901 || domainSeparator || hashStruct(reading)), one ABI encoding (above).
      const digest = keccak256(concat(["0x1901", job.separator, hashes[i].structHash]));
      signer = signerOf(digest, r.signature);
    } catch (err) {
      signer = null;
    }
    const named = String(r.device).toLowerCase();
    if (signer === null || signer !== named || !valid.has(signer)) {
      bad += 1;
      if (bad <= 3) {
        const why = signer === null ? "signature does not parse"
          : signer !== named ? `signature recovers to ${signer}, not to the named device`
          : "the key was not a registered device key of the station at the report's block";
        failures.push(`${label}: reading ${i} (device ${r.device}, seq ${r.seq}): ${why}`);
      }
    }
  }
  if (bad > 3) failures.push(`${label}: ${bad} readings failed the signature check in all`);
  if (bad === 0) checks.push(`${label}: ${readings.length} device signatures`);
  return { checks, failures };
}
