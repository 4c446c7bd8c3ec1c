// A Web Worker that checks batch files for the page (see batchcheck.js): it gets a file's bytes
// (fetched by the page) and the chain's facts about it, and answers with the checks and failures.
// Signatures are recovered with tiny-secp256k1 (libsecp256k1 in WebAssembly, about 5x faster
// here than pure JavaScript); the address is the last 20 bytes of keccak256 of the public key,
// kept per public key, since each device signs many readings.
import { recover } from "tiny-secp256k1";
import { checkBatch, keccak, parseBatch, toHex } from "./batchcheck.js";

const addresses = new Map();

function wasmSigner(digest, signature) {
  const pub = recover(digest, signature.subarray(0, 64), signature[64] - 27, false);
  if (!pub) throw new Error("signature does not recover");
  const key = String.fromCharCode.apply(null, pub);
  let address = addresses.get(key);
  if (address === undefined) {
    address = toHex(keccak(pub.subarray(1)).subarray(12));
    addresses.set(key, address);
  }
  return address;
}

self.onmessage = (event) => {
  const { id, job, bytes } = event.data;
  let doc;
  try {
    doc = parseBatch(bytes);
  } catch (err) {
    self.postMessage({ id, checks: [], failures: [`${job.label}: batch file cannot be read (${err.message})`] });
    return;
  }
  try {
    self.postMessage({ id, ...checkBatch(job, doc, wasmSigner) });
  } catch (err) {
    self.postMessage({ id, checks: [], failures: [`${job.label}: ${err.message}`] });
  }
};
