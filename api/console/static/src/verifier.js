// Verify in the browser: trust only the chain (JSON-RPC) and the batch files. The API's JSON
// answers are never read here; the page gives the contract addresses and what to verify.
import { Contract, JsonRpcProvider, TypedDataEncoder, getAddress } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { checkBatchFile } from "./batchcheck.js";

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

/** Runs batch checks in a pool of Web Workers (one per core, at most 8), or in the page. */
class Pool {
  constructor(workerUrl) {
    const cores = Math.min(Math.max(globalThis.navigator?.hardwareConcurrency || 1, 1), 8);
    this.workers = [];
    this.waiting = new Map();
    this.next = 0;
    if (workerUrl && typeof Worker !== "undefined") {
      for (let i = 0; i < cores; i++) {
        const w = new Worker(workerUrl, { type: "module" });
        w.onmessage = (e) => { this.waiting.get(e.data.id)(e.data); this.waiting.delete(e.data.id); };
        this.workers.push(w);
      }
    }
  }
  run(job, fetchFn) {
    if (!this.workers.length) return checkBatchFile(job, fetchFn);
    const id = this.next++;
    const worker = this.workers[id % this.workers.length];
    return new Promise((resolve) => { this.waiting.set(id, resolve); worker.postMessage({ id, job }); });
  }
  close() { this.workers.forEach((w) => w.terminate()); }
}

function oracleCheck(report, sets, verdict, label) {
  const block = report.blockNumber;
  const set = [...sets].reverse().find((s) => s.block <= block);
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
 * config: {rpcUrl, archive, contracts: {Registry, StorageLedger, CarbonCredits}, workerUrl?}.
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
    const reportKeys = reports.map((e) => [stationId, e.args.intervalStart]);
    const reportsRoot = reportKeys.length ? StandardMerkleTree.of(reportKeys, ["uint32", "uint64"]).root : null;
    if (reportsRoot && reportsRoot.toLowerCase() === request.args.reportsRoot.toLowerCase()) {
      verdict.ok(`credit ${target.credit}: reports root over ${reportKeys.length} report keys recomputed`);
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
  const keys = await deviceKeys(registry, stationId);
  const sets = await oracleSets(registry);
  const separator = TypedDataEncoder.hashDomain({
    name: "ESSLedger Device", version: "1", chainId, verifyingContract: getAddress(config.contracts.Registry),
  });
  const archive = config.archive.replace(/\/$/, "");
  progress(0, reports.length, `chain ${chainId}: ${reports.length} reports, ${keys.length} device keys, ${sets.length} oracle sets`);
  const pool = new Pool(config.workerUrl);
  let done = 0;
  const results = await Promise.all(reports.map(async (report) => {
    const root = report.args.readingsRoot;
    const label = `interval ${Number(report.args.intervalStart)} (batch ${root})`;
    const block = report.blockNumber;
    const job = {
      url: `${archive}/${root}`, root, label, separator,
      readingCount: Number(report.args.readingCount),
      validKeys: keys.filter((k) => k.from <= block && (k.to === null || block < k.to)).map((k) => k.signer),
    };
    const result = await pool.run(job, fetchFn);
    done += 1;
    progress(done, reports.length, label);
    return { report, label, result };
  }));
  pool.close();
  for (const { report, label, result } of results) {
    result.checks.forEach((c) => verdict.ok(c));
    result.failures.forEach((f) => verdict.fail(f));
    oracleCheck(report, sets, verdict, label);
  }
  provider.destroy();
  return verdict;
}
