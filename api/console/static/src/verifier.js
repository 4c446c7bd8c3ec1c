// Verify in the browser: trust only the chain (JSON-RPC) and the batch files. The API's JSON
// answers are never read here; the page gives the contract addresses and what to verify.
import { Contract, JsonRpcProvider, TypedDataEncoder, getAddress, hexlify, recoverAddress } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { checkBatch, parseBatch } from "./batchcheck.js";

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
  constructor() { this.checks = []; this.failures = []; this.failedIn = []; this.shares = []; this.timings = {}; }
  ok(what) { this.checks.push(what); }
  /** A failure; `worker`: the index of the worker that found it (null: the page). */
  fail(what, worker = null) { this.failures.push(what); this.failedIn.push(worker); }
  get passed() { return this.failures.length === 0 && this.checks.length > 0; }
}

/** Every key a station's devices ever had, with the blocks it was valid in [from, to). */
async function deviceKeys(registry, stationId) {
  const [registered, changed, deactivated] = await Promise.all([
    registry.queryFilter(registry.filters.DeviceRegistered(null, stationId), 0),
    registry.queryFilter(registry.filters.DeviceSignerChanged(), 0),
    registry.queryFilter(registry.filters.DeviceDeactivated(), 0),
  ]);
  const ids = new Set(registered.map((e) => e.args.deviceId));
  const changes = [...changed, ...deactivated].filter((e) => ids.has(e.args.deviceId));
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
  const sets = await Promise.all(changes.map(async (e) => {
    const [signers, threshold] = await registry.oracleSetAt(e.args.configVersion);
    return {
      version: Number(e.args.configVersion), block: e.blockNumber,
      signers: signers.map((s) => s.toLowerCase()), threshold: Number(threshold),
    };
  }));
  return sets.sort((a, b) => a.block - b.block);
}

/** How many Web Workers check batches: one per core, at most 8 (config.workers overrides). */
export function workerCount(config) {
  const wanted = Number(config.workers) || globalThis.navigator?.hardwareConcurrency || 1;
  return Math.min(Math.max(Math.floor(wanted), 1), 8);
}

/**
 * Checks batch files in a pool of Web Workers, or in the page when there are none. Each batch
 * goes to the least busy worker as soon as its file is fetched (at most two queued per worker,
 * so none waits for a message round trip); the file's bytes are transferred, not copied.
 * `shares[i]` counts the batches worker i checked.
 */
export class Pool {
  constructor(workerUrl, size) {
    this.slots = [];
    this.queue = [];
    this.next = 0;
    if (workerUrl && typeof Worker !== "undefined") {
      for (let i = 0; i < size; i++) this.#start(workerUrl, i);
    }
    this.shares = this.slots.map(() => 0);
  }
  #start(workerUrl, index) {
    const slot = { index, worker: new Worker(workerUrl, { type: "module" }), tasks: new Map() };
    slot.worker.onmessage = (e) => {
      const task = slot.tasks.get(e.data.id);
      slot.tasks.delete(e.data.id);
      this.shares[index] += 1;
      task.resolve({ checks: e.data.checks, failures: e.data.failures, worker: index });
      this.#pump();
    };
    slot.worker.onerror = (e) => { // a broken worker fails its batches by name, the others go on
      e.preventDefault?.();
      slot.dead = true;
      for (const task of slot.tasks.values()) {
        task.resolve({ checks: [], failures: [`${task.job.label}: the checking worker failed (${e.message || "error"})`] });
      }
      slot.tasks.clear();
      this.#pump();
    };
    this.slots.push(slot);
  }
  get size() { return this.slots.length; }
  /** Check a fetched batch file (its bytes, an ArrayBuffer). */
  check(job, bytes) {
    const live = this.slots.filter((s) => !s.dead);
    if (!live.length) {
      return new Promise((resolve) => setTimeout(resolve, 0)).then(() => inPage(job, bytes)); // let the page paint
    }
    return new Promise((resolve) => { this.queue.push({ id: this.next++, job, bytes, resolve }); this.#pump(); });
  }
  #pump() {
    while (this.queue.length) {
      const live = this.slots.filter((s) => !s.dead);
      if (!live.length) {
        for (const task of this.queue.splice(0)) task.resolve(inPage(task.job, task.bytes));
        return;
      }
      const slot = live.reduce((a, b) => (b.tasks.size < a.tasks.size ? b : a));
      if (slot.tasks.size >= 2) return;
      const task = this.queue.shift();
      slot.tasks.set(task.id, task);
      slot.worker.postMessage({ id: task.id, job: task.job, bytes: task.bytes }, [task.bytes]);
    }
  }
  close() { this.slots.forEach((s) => s.worker.terminate()); }
}

/** The signer of an EIP-712 digest with ethers (pure JavaScript): the page without workers. */
export function ethersSigner(digest, signature) {
  return recoverAddress(hexlify(digest), hexlify(signature)).toLowerCase();
}

function inPage(job, bytes) {
  let doc;
  try {
    doc = parseBatch(bytes);
  } catch (err) {
    return { checks: [], failures: [`${job.label}: batch file cannot be read (${err.message})`] };
  }
  return checkBatch(job, doc, ethersSigner);
}

/** Run fn over items with at most `limit` at a time; results in the order of the items. */
async function eachLimited(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  }));
  return results;
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
  const started = Date.now();
  // The workers start (and compile their WebAssembly) while the chain is read.
  const pool = new Pool(config.workerUrl, workerCount(config));
  // JSON-RPC calls made together go out as one batch request.
  const provider = new JsonRpcProvider(config.rpcUrl, undefined, { staticNetwork: true, batchMaxCount: 50 });
  try {
    return await run(target, config, progress, fetchFn, verdict, provider, pool, started);
  } finally {
    pool.close();
    provider.destroy();
  }
}

async function run(target, config, progress, fetchFn, verdict, provider, pool, started) {
  const network = await provider._detectNetwork();
  const chainId = Number(network.chainId);
  const registry = new Contract(config.contracts.Registry, REGISTRY_ABI, provider);
  const ledger = new Contract(config.contracts.StorageLedger, LEDGER_ABI, provider);
  const setsRead = oracleSets(registry);
  setsRead.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  let stationId;
  let reports;
  let keysRead;
  const readKeys = () => { // as soon as the station is known, beside its reports
    keysRead = deviceKeys(registry, stationId);
    keysRead.catch(() => {});
  };
  if (target.credit !== undefined) {
    const credits = new Contract(config.contracts.CarbonCredits, CREDITS_ABI, provider);
    const [request] = await credits.queryFilter(credits.filters.IssuanceRequested(BigInt(target.credit)), 0);
    if (!request) {
      verdict.fail(`credit ${target.credit}: no IssuanceRequested event on chain ${chainId}`);
      return verdict;
    }
    stationId = Number(request.args.stationId);
    readKeys();
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
    readKeys();
    reports = await ledger.queryFilter(ledger.filters.ReportAccepted(stationId, BigInt(target.intervalStart)), 0);
    if (!reports.length) {
      verdict.fail(`station ${stationId} interval ${target.intervalStart}: no ReportAccepted event on chain ${chainId}`);
      return verdict;
    }
  }
  // The batch files are fetched while the device keys and oracle sets are still being read.
  const separator = TypedDataEncoder.hashDomain({
    name: "ESSLedger Device", version: "1", chainId, verifyingContract: getAddress(config.contracts.Registry),
  });
  const archive = config.archive.replace(/\/$/, "");
  let done = 0;
  let announced = false;
  const results = await eachLimited(reports, 2 * pool.size + 4, async (report) => {
    const root = report.args.readingsRoot;
    const label = `interval ${Number(report.args.intervalStart)} (batch ${root})`;
    let bytes = null;
    let unreadable = null;
    try {
      const reply = await fetchFn(`${archive}/${root}`);
      if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
      bytes = await reply.arrayBuffer();
    } catch (err) {
      unreadable = `${label}: batch file cannot be read (${err.message})`;
    }
    const keys = await keysRead;
    if (!announced) {
      announced = true;
      verdict.timings.chainMs = Date.now() - started;
      progress(done, reports.length, `chain ${chainId}: ${reports.length} reports, ${keys.length} device keys`);
    }
    const block = report.blockNumber;
    const job = {
      root, label, separator,
      readingCount: Number(report.args.readingCount),
      validKeys: keys.filter((k) => k.from <= block && (k.to === null || block < k.to)).map((k) => k.signer),
    };
    const result = unreadable ? { checks: [], failures: [unreadable] } : await pool.check(job, bytes);
    done += 1;
    progress(done, reports.length, label);
    return { report, label, result };
  });
  const sets = await setsRead;
  for (const { report, label, result } of results) {
    result.checks.forEach((c) => verdict.ok(c));
    result.failures.forEach((f) => verdict.fail(f, result.worker ?? null));
    oracleCheck(report, sets, verdict, label);
  }
  verdict.shares = pool.shares;
  verdict.timings.totalMs = Date.now() - started;
  return verdict;
}
