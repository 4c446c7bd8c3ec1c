// Checking one batch file (runs in a Web Worker, or in the page when workers are unavailable):
// recompute the Merkle root of its readings with @openzeppelin/merkle-tree and recover every
// device signature (EIP-712). Inputs and outputs are plain data; no ethers here, so the worker
// bundle stays small (the page passes ethers' recovery when it checks batches itself).
//
// The hot path works on bytes, never on hex strings or BigInts: each reading is ABI-encoded once
// straight into one buffer (every field of the Reading struct is static, so abi.encode is one
// 32-byte word per value, written here with range checks as strict as ethers' AbiCoder), laid out
// as  typehash | 18 struct words | r | s | v.  The EIP-712 struct hash is keccak256 of the first
// 19 words and the Merkle leaf (StandardMerkleTree's keccak256(keccak256(abi.encode(values))))
// is keccak256(keccak256(the last 21 words)): one encoding, no copy. keccak256 is js-sha3's
// (about 3x faster than the one ethers bundles). The tree is @openzeppelin/merkle-tree's own
// (see batchRoot): the same root as StandardMerkleTree.of(values, LEAF_TYPES).
import { makeMerkleTree } from "@openzeppelin/merkle-tree/dist/core.js";
import { standardNodeHash } from "@openzeppelin/merkle-tree/dist/hashes.js";
import sha3 from "js-sha3";

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
// EIP-712 encodeType of a struct without nested structs: Name(type name,...).
export const READING_TYPE = `Reading(${READING_FIELDS.map(([name, type]) => `${type} ${name}`).join(",")})`;
const WORDS = READING_FIELDS.length; // 18
const BUFFER_BYTES = 32 * (1 + WORDS + 3); // typehash, the struct, r, s, v
const STRUCT_END = 32 * (1 + WORDS);
// secp256k1's n / 2: a larger s is the malleable twin of a valid signature (refused, as `essl verify` does).
const HALF_N = "0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0";

/** keccak256 of bytes, as bytes. */
export function keccak(bytes) {
  return new Uint8Array(sha3.keccak256.arrayBuffer(bytes));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  NIBBLE["0123456789abcdef".charCodeAt(i)] = i;
  NIBBLE["0123456789ABCDEF".charCodeAt(i)] = i;
}

export function toHex(bytes) {
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

/** Write the 0x-hex string `hex` (exactly `length` bytes) into `out` at `offset`. */
function writeHex(hex, length, out, offset) {
  if (typeof hex !== "string" || hex.length !== 2 + 2 * length || hex[0] !== "0" || hex[1] !== "x") {
    throw new Error(`expected 0x-hex of ${length} bytes`);
  }
  for (let i = 0; i < length; i++) {
    const hi = NIBBLE[hex.charCodeAt(2 + 2 * i)];
    const lo = NIBBLE[hex.charCodeAt(3 + 2 * i)];
    if (hi === undefined || lo === undefined || hi < 0 || lo < 0) throw new Error("not hex");
    out[offset + i] = (hi << 4) | lo;
  }
}

const TYPEHASH = keccak(new TextEncoder().encode(READING_TYPE));
const HALF_N_BYTES = new Uint8Array(32);
writeHex(HALF_N, 32, HALF_N_BYTES, 0);

// Per field: its name, and for integers the bit width and whether it is signed.
const LAYOUT = READING_FIELDS.map(([name, type]) => {
  if (type === "address") return { name, address: true };
  const signed = type.startsWith("int");
  const bits = Number(type.slice(signed ? 3 : 4));
  return {
    name, signed, bits,
    min: signed ? -(2n ** BigInt(bits - 1)) : 0n,
    max: signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n,
  };
});

/** One integer ABI word (two's complement for a negative one) at `offset`; range-checked. */
function writeInt(field, value, out, view, offset) {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`${value} is not an exact integer`);
    const min = Number(field.min);
    const max = Number(field.max); // above 2^53 for 64 bits: every safe integer >= 0 fits
    if (value < min || value > max) throw new Error(`${value} is outside [${field.min}, ${field.max}]`);
    const hi = Math.floor(value / 4294967296);
    if (value < 0) out.fill(0xff, offset, offset + 24);
    view.setInt32(offset + 24, hi);
    view.setUint32(offset + 28, value - hi * 4294967296);
    return;
  }
  if (typeof value !== "bigint") throw new Error(`expected an integer, got ${typeof value}`);
  if (value < field.min || value > field.max) throw new Error(`${value} is outside [${field.min}, ${field.max}]`);
  let word = value < 0n ? value + (1n << 256n) : value;
  for (let i = 31; i >= 0 && word > 0n; i--) {
    out[offset + i] = Number(word & 0xffn);
    word >>= 8n;
  }
}

/**
 * The ABI encoding of a reading (a batch file's JSON object) into a fresh buffer:
 * typehash | the 18 Reading words | r | s | v. Throws an Error naming the field.
 */
export function encodeReading(r) {
  const out = new Uint8Array(BUFFER_BYTES);
  const view = new DataView(out.buffer);
  out.set(TYPEHASH);
  let offset = 32;
  for (const field of LAYOUT) {
    if (!(field.name in r)) throw new Error(`${field.name}: missing`);
    const value = r[field.name];
    try {
      if (field.address) writeHex(value, 20, out, offset + 12);
      else writeInt(field, value, out, view, offset);
    } catch (err) {
      throw new Error(`${field.name}: ${err.message}`);
    }
    offset += 32;
  }
  try {
    writeHex(r.signature, 65, out, offset); // r, s, then v in the first byte of the last word
  } catch (err) {
    throw new Error(`signature: ${err.message}`);
  }
  const v = out[offset + 64];
  out[offset + 64] = 0;
  out[offset + 95] = v;
  return out;
}

/** The reading's EIP-712 struct hash and its Merkle leaf hash, from its one encoding. */
export function readingHashes(encoded) {
  return {
    structHash: keccak(encoded.subarray(0, STRUCT_END)),
    leaf: keccak(keccak(encoded.subarray(32))),
  };
}

/** The 65-byte signature r || s || v of an encoded reading. */
function signatureOf(encoded) {
  const sig = new Uint8Array(65);
  sig.set(encoded.subarray(STRUCT_END, STRUCT_END + 64));
  sig[64] = encoded[BUFFER_BYTES - 1];
  return sig;
}

function lowS(sig) {
  for (let i = 0; i < 32; i++) {
    if (sig[32 + i] !== HALF_N_BYTES[i]) return sig[32 + i] < HALF_N_BYTES[i];
  }
  return true;
}

/**
 * The root of a batch's tree over its leaf hashes (0x-hex): what SimpleMerkleTree.of(leaves)
 * computes (@openzeppelin/merkle-tree's own makeMerkleTree and standardNodeHash over the leaves
 * sorted by value), without its per-leaf ABI re-encoding and index of values, which a root
 * does not need.
 */
export function batchRoot(leaves) {
  if (!leaves.length) throw new Error("no leaves");
  const sorted = leaves.map((l) => l.toLowerCase()).sort(); // equal-length hex: the order of the values
  return makeMerkleTree(sorted, standardNodeHash)[0];
}

// JSON numbers above 2^53 lose digits in JSON.parse. Such integers are read again exactly, as
// BigInts: from the source text a reviver gets where the engine gives it (Chromium 114+, Firefox
// 135+, Safari 18.4+), else by quoting the long integer literals before parsing.
const SOURCE_TEXT = (() => {
  try {
    return JSON.parse("1", (k, v, context) => context?.source === "1");
  } catch {
    return false;
  }
})();
const LONG_INTEGER = /^-?\d{16,}$/;
const LONG_LITERAL = /([:,[]\s*)(-?\d{16,})(?=\s*[,}\]])/g;

function inexact(doc) {
  const readings = Array.isArray(doc?.readings) ? doc.readings : [];
  return readings.some((r) => r && LAYOUT.some((f) => typeof r[f.name] === "number" && !Number.isSafeInteger(r[f.name])));
}

/** A batch file's JSON (bytes or text), every integer exact. */
export function parseBatch(data) {
  const text = typeof data === "string" ? data : new TextDecoder().decode(data);
  const doc = JSON.parse(text);
  if (!inexact(doc)) return doc;
  if (SOURCE_TEXT) {
    return JSON.parse(text, (k, v, context) =>
      typeof v === "number" && LONG_INTEGER.test(context?.source ?? "") ? BigInt(context.source) : v);
  }
  return JSON.parse(text.replace(LONG_LITERAL, '$1"$2"'), (k, v) =>
    typeof v === "string" && LONG_INTEGER.test(v) ? BigInt(v) : v);
}

/**
 * Check a parsed batch file.
 * job: {root, label, readingCount, validKeys: [lower-case address], separator (0x-hex)}
 * signerOf(digest, signature) -> lower-case address (both Uint8Array; throws on a bad signature)
 * returns {checks: [string], failures: [string]}
 */
export function checkBatch(job, doc, signerOf) {
  const checks = [];
  const failures = [];
  const { label, root } = job;
  const readings = Array.isArray(doc?.readings) ? doc.readings : [];
  if (readings.length !== job.readingCount) {
    failures.push(`${label}: ${readings.length} readings in the file, the chain says ${job.readingCount}`);
  }
  if (!readings.length) {
    failures.push(`${label}: the batch file has no readings`);
    return { checks, failures };
  }
  const encoded = [];
  const hashes = [];
  try {
    for (const r of readings) {
      if (r === null || typeof r !== "object") throw new Error("not a JSON object");
      const e = encodeReading(r);
      encoded.push(e);
      hashes.push(readingHashes(e));
    }
  } catch (err) {
    failures.push(`${label}: malformed reading ${encoded.length} (${err.message})`);
    return { checks, failures };
  }
  const recomputed = batchRoot(hashes.map((h) => toHex(h.leaf)));
  if (recomputed !== root.toLowerCase()) {
    failures.push(`${label}: Merkle root recomputed from the file is ${recomputed}, the chain holds ${root}`);
  } else {
    checks.push(`${label}: root recomputed`);
  }
  // EIP-712: keccak256(0x1901 || domainSeparator || hashStruct(reading)).
  const prefix = new Uint8Array(66);
  prefix[0] = 0x19;
  prefix[1] = 0x01;
  writeHex(job.separator, 32, prefix, 2);
  const valid = new Set(job.validKeys);
  let bad = 0;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i];
    const sig = signatureOf(encoded[i]);
    let signer = null;
    if ((sig[64] === 27 || sig[64] === 28) && lowS(sig)) {
      prefix.set(hashes[i].structHash, 34);
      try {
        signer = signerOf(keccak(prefix), sig);
      } catch {
        signer = null;
      }
    }
    const named = String(r.device).toLowerCase();
    if (signer === null || signer !== named || !valid.has(signer)) {
      bad += 1;
      if (bad <= 3) {
        const why = signer === null ? "signature does not parse or recover"
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
