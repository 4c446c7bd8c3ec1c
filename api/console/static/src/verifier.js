// Verify in the browser: trust only the chain (JSON-RPC) and the batch files. The API's JSON
// answers are never read here; the page gives the contract addresses and what to verify.
import { Contract, JsonRpcProvider, Signature, TypedDataEncoder, concat, getAddress, keccak256, recoverAddress } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

// The device reading, as ledger/readings.py defines it (EIP-712 struct and Merkle leaf).
export const READING_FIELDS = [
  ["device", "address"], ["stationId", "uint32"], ["participant", "address"], ["seq", "uint64"],
  ["timestamp", "uint64"], ["chargedWh", "uint64"], ["dischargedWh", "uint64"], ["powerW", "int64"],
  ["socBps", "uint16"], ["sohBps", "uint16"], ["cycleCount", "uint32"], ["packMilliVolts", "uint32"],
  ["packMilliAmps", "int32"], ["cellMinMilliVolts", "uint16"], ["cellMaxMilliVolts", "uint16"],
  ["tempMinDeciC", "int16"], ["tempMaxDeciC", "int16"], ["alarmBits", "uint32"],
];
export const LEAF_TYPES = [...READING_FIELDS.map(([, t]) => t), "bytes32", "bytes32", "uint8"];
const READING_TYPES = { Reading: READING_FIELDS.map(([name, type]) => ({ name, type })) };

const REGISTRY_ABI = [
  "event DeviceRegistered(uint32 indexed deviceId, uint32 indexed stationId, address indexed signer, uint8 kind, uint16 accuracyClassBps, uint64 ratedPowerW, string externalCode)",
  "event DeviceSignerChanged(uint32 indexed deviceId, address indexed previousSigner, address indexed newSigner)",
  "event DeviceDeactivated(uint32 indexed deviceId, address indexed signer)",
  "event OracleSetChanged(uint32 indexed configVersion, bytes32 indexed configDigest, address[] signers, uint8 threshold)",
  "function oracleSetAt(uint32 version) view returns (address[] signers, uint8 threshold, bytes32 configDigest)",
];
const LEDGER_ABI = [
  "event ReportAccepted(uint32 indexed stationId, uint64 indexed intervalStart, uint64 intervalEnd, bytes32 digest, bytes32 readingsRoot, uint32 readingCount, address[] signers, uint16 socBps, uint16 sohBps, uint32 cycleCount, uint32 alarmBits, uint32 factorVersion, uint32 gramsPerMWh, bytes participants)",
];
const CREDITS_ABI = [
  "event IssuanceRequested(uint256 indexed requestId, uint32 indexed stationId, address indexed participant, address requester, uint64 periodStart, uint64 periodEnd, uint96 grams, uint16 methodologyVersion, uint32 factorVersion, bytes32 reportsRoot)",
];

export class Verdict {
  constructor() { this.checks = []; this.failures = []; }
  ok(what) { this.checks.push(what); }
  fail(what) { this.failures.push(what); }
  get passed() { return this.failures.length === 0 && this.checks.length > 0; }
}

/** Every key a station's devices ever had, with the blocks it was valid in [from, to). */
async function deviceKeys(registry, stationId) {
  const registered = await registry.queryFilter(registry.filters.DeviceRegistered(null, stationId), 0);
  const ids = new Set(registered.map((e) => e.args.deviceId));
  const changes = [
    ...(await registry.queryFilter(registry.filters.DeviceSignerChanged(), 0)),
    ...(await registry.queryFilter(registry.filters.DeviceDeactivated(), 0)),
  ].filter((e) => ids.has(e.args.deviceId));
  const timeline = [...registered, ...changes].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  const keys = [];
  const current = new Map();
  for (const e of timeline) {
    const id = e.args.deviceId;
    if (e.fragment.name === "DeviceRegistered") {
      const key = { deviceId: Number(id), signer: e.args.signer.toLowerCase(), from: e.blockNumber, to: null };
      keys.push(key);
      current.set(id, key);
      continue;
    }
    const old = current.get(id);
    if (old) old.to = e.blockNumber;
    if (e.fragment.name === "DeviceSignerChanged") {
      const key = { deviceId: Number(id), signer: e.args.newSigner.toLowerCase(), from: e.blockNumber, to: null };
      keys.push(key);
      current.set(id, key);
    }
  }
  return keys;
}

/** Oracle sets in order of their change, each read back with oracleSetAt(version). */
async function oracleSets(registry) {
  const changes = await registry.queryFilter(registry.filters.OracleSetChanged(), 0);
  const sets = [];
  for (const e of changes) {
    const [signers, threshold] = await registry.oracleSetAt(e.args.configVersion);
    sets.push({
      version: Number(e.args.configVersion), block: e.blockNumber,
      signers: signers.map((s) => s.toLowerCase()), threshold: Number(threshold),
    });
  }
  return sets.sort((a, b) => a.block - b.block);
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

/** Check one interval's batch file against its ReportAccepted event. */
export async function checkBatch(report, ctx, verdict) {
  const root = report.args.readingsRoot;
  const start = Number(report.args.intervalStart);
  const label = `interval ${start} (batch ${root})`;
  let doc;
  try {
    const reply = await ctx.fetch(`${ctx.archive}/${root}`);
    if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
    doc = await reply.json();
  } catch (err) {
    verdict.fail(`${label}: batch file cannot be read (${err.message})`);
    return;
  }
  const readings = Array.isArray(doc.readings) ? doc.readings : [];
  if (readings.length !== Number(report.args.readingCount)) {
    verdict.fail(`${label}: ${readings.length} readings in the file, the chain says ${report.args.readingCount}`);
  }
  let values;
  try {
    values = readings.map(leafValues);
  } catch (err) {
    verdict.fail(`${label}: malformed reading (${err.message})`);
    return;
  }
  const tree = StandardMerkleTree.of(values, LEAF_TYPES);
  if (tree.root.toLowerCase() !== root.toLowerCase()) {
    verdict.fail(`${label}: Merkle root recomputed from the file is ${tree.root}, the chain holds ${root}`);
  } else {
    verdict.ok(`${label}: root recomputed`);
  }
  const block = report.blockNumber;
  const valid = new Set(ctx.keys.filter((k) => k.from <= block && (k.to === null || block < k.to)).map((k) => k.signer));
  let bad = 0;
  for (const [i, r] of readings.entries()) {
    let signer;
    try {
      // EIP-712: keccak256(0x1901 || domainSeparator || hashStruct(reading)), ethers' encoder.
      const digest = keccak256(concat(["0x1901", ctx.separator, ctx.encoder.hashStruct("Reading", r)]));
      signer = recoverAddress(digest, Signature.from(r.signature)).toLowerCase();
    } catch (err) {
      signer = null;
    }
    if (signer === null || signer !== String(r.device).toLowerCase() || !valid.has(signer)) {
      bad += 1;
      if (bad <= 3) {
        const why = signer === null ? "signature does not parse"
          : signer !== String(r.device).toLowerCase() ? `signature recovers to ${signer}, not to the named device`
          : "the key was not a registered device key of the station at the report's block";
        verdict.fail(`${label}: reading ${i} (device ${r.device}, seq ${r.seq}): ${why}`);
      }
    }
  }
  if (bad > 3) verdict.fail(`${label}: ${bad} readings failed the signature check in all`);
  if (bad === 0) verdict.ok(`${label}: ${readings.length} device signatures`);
  const set = [...ctx.sets].reverse().find((s) => s.block <= block);
  const signers = report.args.signers.map((s) => s.toLowerCase());
  const known = new Set(signers.filter((s) => set && set.signers.includes(s)));
  if (!set || known.size < set.threshold || known.size !== signers.length) {
    verdict.fail(`${label}: oracle signers ${signers.join(", ")} are not ${set ? set.threshold : "?"} of the on-chain oracle set`);
  } else {
    verdict.ok(`${label}: ${known.size} of ${set.signers.length} oracles (threshold ${set.threshold})`);
  }
}

/**
 * Verify a credit ({credit: id}) or one report ({station, intervalStart}).
 * config: {rpcUrl, archive, contracts: {Registry, StorageLedger, CarbonCredits}}.
 * progress(done, total, message) is called as batches are checked.
 */
export async function verify(target, config, progress = () => {}, fetchFn = globalThis.fetch.bind(globalThis)) {
  const verdict = new Verdict();
  const provider = new JsonRpcProvider(config.rpcUrl, undefined, { staticNetwork: true, batchMaxCount: 1 });
  const network = await provider._detectNetwork();
  const chainId = Number(network.chainId);
  const registry = new Contract(config.contracts.Registry, REGISTRY_ABI, provider);
  const ledger = new Contract(config.contracts.StorageLedger, LEDGER_ABI, provider);
  let stationId;
  let reports;
  if (target.credit !== undefined) {
    const credits = new Contract(config.contracts.CarbonCredits, CREDITS_ABI, provider);
    const [request] = await credits.queryFilter(credits.filters.IssuanceRequested(BigInt(target.credit)), 0);
    if (!request) {
      verdict.fail(`credit ${target.credit}: no IssuanceRequested event on chain ${chainId}`);
      return verdict;
    }
    stationId = Number(request.args.stationId);
    const from = Number(request.args.periodStart);
    const to = Number(request.args.periodEnd);
    reports = (await ledger.queryFilter(ledger.filters.ReportAccepted(stationId), 0))
      .filter((e) => Number(e.args.intervalStart) >= from && Number(e.args.intervalStart) < to)
      .sort((a, b) => Number(a.args.intervalStart) - Number(b.args.intervalStart));
    const keys = reports.map((e) => [stationId, e.args.intervalStart]);
    const reportsRoot = keys.length ? StandardMerkleTree.of(keys, ["uint32", "uint64"]).root : null;
    if (reportsRoot && reportsRoot.toLowerCase() === request.args.reportsRoot.toLowerCase()) {
      verdict.ok(`credit ${target.credit}: reports root over ${keys.length} report keys recomputed`);
    } else {
      verdict.fail(`credit ${target.credit}: the reports in its period do not hash to its reportsRoot ${request.args.reportsRoot}`);
    }
  } else {
    stationId = Number(target.station);
    reports = await ledger.queryFilter(ledger.filters.ReportAccepted(stationId, BigInt(target.intervalStart)), 0);
    if (!reports.length) {
      verdict.fail(`station ${stationId} interval ${target.intervalStart}: no ReportAccepted event on chain ${chainId}`);
      return verdict;
    }
  }
  const ctx = {
    fetch: fetchFn,
    archive: config.archive.replace(/\/$/, ""),
    keys: await deviceKeys(registry, stationId),
    sets: await oracleSets(registry),
    encoder: TypedDataEncoder.from(READING_TYPES),
    separator: TypedDataEncoder.hashDomain({
      name: "ESSLedger Device", version: "1", chainId, verifyingContract: getAddress(config.contracts.Registry),
    }),
  };
  progress(0, reports.length, `chain ${chainId}: ${reports.length} reports, ${ctx.keys.length} device keys, ${ctx.sets.length} oracle sets`);
  for (const [i, report] of reports.entries()) {
    await checkBatch(report, ctx, verdict);
    progress(i + 1, reports.length, `interval ${report.args.intervalStart}`);
    if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 0)); // let the page paint
  }
  provider.destroy();
  return verdict;
}
