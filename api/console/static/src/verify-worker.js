// A Web Worker that checks batch files for the page (see batchcheck.js). Signatures are
// recovered with tiny-secp256k1 (libsecp256k1 in WebAssembly, several times faster than pure
// JavaScript); the address is the last 20 bytes of keccak256 of the public key (ethers' keccak256).
import { recover } from "tiny-secp256k1";
import { Signature, dataSlice, getBytes, keccak256 } from "ethers";
import { checkBatchFile } from "./batchcheck.js";

function wasmSigner(digest, signature) {
  const sig = Signature.from(signature); // checks the shape, normalises v, rejects high s
  const compact = getBytes(sig.r + sig.s.slice(2));
  const pub = recover(getBytes(digest), compact, sig.yParity, false);
  if (!pub) throw new Error("signature does not recover");
  return dataSlice(keccak256(pub.subarray(1)), 12).toLowerCase();
}

self.onmessage = async (event) => {
  const { id, job } = event.data;
  try {
    self.postMessage({ id, ...(await checkBatchFile(job, undefined, wasmSigner)) });
  } catch (err) {
    self.postMessage({ id, checks: [], failures: [`${job.label}: ${err.message}`] });
  }
};
