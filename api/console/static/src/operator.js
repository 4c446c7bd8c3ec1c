// The operators' page actions.
// - Run and anchor a local day: POST /v1/settlements (the same JSON route as any client, with
//   the signed-in operator's bearer token; the API settles and anchors with its own key), the
//   answer or the API's error (naming the field) shown under the form.
// - Finalize a statement after its dispute window: SettlementAnchor.finalize(stationId, period,
//   version) sent by the wallet (EIP-1193 eth_sendTransaction), then stateOf read back.
// - Attest an interval's curtailed charging: StorageLedger.attestCurtailment(stationId,
//   intervalStart, [(participant, curtailedWh)] in ascending address order), exactly what
//   `essl curtailment attest` sends, after the same check against the interval's booked charge
//   (its ReportAccepted event), then read back from the chain.
// Every transaction is first simulated with eth_call, so a revert shows its custom error name
// (decoded with the committed ABIs) before the wallet is asked to sign.
import { Interface, JsonRpcProvider, getAddress } from "ethers";
import anchorAbi from "../../../../abi/SettlementAnchor.json";
import ledgerAbi from "../../../../abi/StorageLedger.json";

const TOKEN = "essl_token";
const STATES = ["none", "pending", "final", "disputed", "superseded"];
const anchorIface = new Interface(anchorAbi);
const ledgerIface = new Interface(ledgerAbi);
const RECORD_BYTES = 48; // ReportAccepted.participants: address, charged u64, discharged u64, avoided i96

const root = document.getElementById("operator-actions");
const labels = JSON.parse(document.getElementById("operator-labels")?.textContent || "{}");

function revertData(err) {
  for (let e = err, depth = 0; e && depth < 6; depth += 1) {
    if (typeof e.data === "string" && /^0x[0-9a-f]{8}/i.test(e.data)) return e.data;
    if (e.data && typeof e.data.data === "string") return e.data.data;
    const text = typeof e.message === "string" ? e.message.match(/0x[0-9a-f]{8,}/i) : null;
    if (text && text[0].length % 2 === 0 && (text[0].length - 10) % 64 === 0) return text[0];
    e = e.error || e.info?.error || e.cause;
  }
  return null;
}

// "ErrorName(arg, ...)" from a revert, or null when it is not one of the contracts' errors.
function revertName(err) {
  const data = revertData(err);
  if (!data) return null;
  for (const iface of [anchorIface, ledgerIface]) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
    } catch { /* not this contract's */ }
  }
  return null;
}

function explain(err) {
  const name = revertName(err);
  return name ? `${labels.reverted}: ${name}` : (err.shortMessage || err.message || String(err));
}

function show(status, ok, text) {
  status.textContent = `${ok ? "✓" : "✗"} ${text}`;
  status.className = ok ? "status ok" : "status error";
}

// Simulate, have the wallet send, wait for the receipt; a mined revert is replayed for its name.
async function transact(provider, from, to, data) {
  await provider.call({ from, to, data });
  const hash = await window.ethereum.request({ method: "eth_sendTransaction", params: [{ from, to, data }] });
  const receipt = await provider.waitForTransaction(hash, 1, 60_000);
  if (!receipt) throw new Error(`transaction ${hash}: no receipt after 60 s`);
  if (receipt.status !== 1) {
    await provider.call({ from, to, data, blockTag: receipt.blockNumber });
    throw new Error(`transaction ${hash} reverted`);
  }
  return hash;
}

async function runDay(form) {
  const status = form.querySelector(".status");
  const token = sessionStorage.getItem(TOKEN);
  if (!token) { show(status, false, labels.signInAgain); return; }
  const day = form.elements.day.value; // YYYY-MM-DD from the date input
  const body = {
    station_id: Number(form.elements.station.value),
    period: Number(day.replaceAll("-", "")),
    allow_partial: form.elements.allow_partial.checked,
  };
  status.textContent = "…";
  const reply = await fetch("/v1/settlements", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const data = await reply.json();
  if (!reply.ok) {
    const e = data.error || {};
    const fields = (e.details || []).map((d) => `${d.field}: ${d.reason}`).join("; ");
    show(status, false, `HTTP ${reply.status} ${e.message || ""}${fields && !String(e.message).includes(fields) ? ` (${fields})` : ""}`);
    status.dataset.httpStatus = String(reply.status);
    return;
  }
  Object.assign(status.dataset, { version: String(data.version), root: data.root, tx: data.tx_hash || "", reused: String(data.reused) });
  show(status, true, `${data.station_id}/${data.period} ${labels.version} ${data.version}`
    + `${data.supersedes ? ` (${labels.supersedes} ${data.supersedes})` : ""} · ${data.lines} ${labels.lines}`
    + ` · root ${data.root.slice(0, 12)}… · ${data.reused ? labels.reused : `tx ${data.tx_hash.slice(0, 12)}…`}`);
}

async function statements(provider, anchor, account) {
  const view = async (fn, args) => anchorIface.decodeFunctionResult(fn, await provider.call({ to: anchor, data: anchorIface.encodeFunctionData(fn, args) }));
  for (const row of document.querySelectorAll("#operator-statements tr[data-statement]")) {
    const [station, period, version] = row.dataset.statement.split("/").map(Number);
    const stateCell = row.querySelector("[data-field='state']");
    const actions = row.querySelector("[data-field='finalize']");
    const readState = async () => {
      const [state] = await view("stateOf", [station, period, version]);
      stateCell.dataset.state = STATES[Number(state)] || String(state);
      stateCell.textContent = labels.states[stateCell.dataset.state] || stateCell.dataset.state;
      return Number(state);
    };
    if ((await readState()) !== 1 || !window.ethereum) continue; // only a Pending one can be finalized
    const button = document.createElement("button");
    button.type = "button";
    button.name = "finalize";
    button.textContent = labels.finalize;
    const status = document.createElement("span");
    status.className = "status";
    button.addEventListener("click", async () => {
      button.disabled = true;
      status.textContent = "…";
      try {
        const hash = await transact(provider, account, anchor, anchorIface.encodeFunctionData("finalize", [station, period, version]));
        const state = await readState();
        status.dataset.tx = hash;
        show(status, true, `${labels.states[STATES[state]] || state} · ${hash.slice(0, 12)}…`);
        if (state !== 1) button.remove();
      } catch (err) {
        show(status, false, explain(err));
      } finally {
        button.disabled = false;
      }
    });
    actions.append(button, " ", status);
  }
}

// "YYYY-MM-DDTHH:MM" read as China time (UTC+8), whatever the browser's zone.
function chinaTime(value) {
  const m = value.match(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/);
  if (!m) throw new Error(`${labels.interval}: ${value || "-"} ${labels.notATime}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]) / 1000 - 8 * 3600;
}

async function booked(provider, storage, station, start) {
  const event = ledgerIface.getEvent("ReportAccepted");
  const logs = await provider.getLogs({ address: storage, fromBlock: 0, topics: ledgerIface.encodeFilterTopics(event, [station, start]) });
  if (!logs.length) throw new Error(`${labels.notBooked} ${station}/${start}`);
  const packed = ledgerIface.parseLog(logs[logs.length - 1]).args.participants.slice(2);
  const charged = new Map();
  for (let at = 0; at < packed.length; at += RECORD_BYTES * 2) {
    const rec = packed.slice(at, at + RECORD_BYTES * 2);
    charged.set(getAddress("0x" + rec.slice(0, 40)).toLowerCase(), BigInt("0x" + rec.slice(40, 56)));
  }
  return charged;
}

async function attest(form, provider, storage, account) {
  const status = form.querySelector(".status");
  status.textContent = "…";
  delete status.dataset.tx;
  try {
    const station = Number(form.elements.station.value);
    const start = chinaTime(form.elements.interval.value);
    const charges = [];
    for (const line of form.querySelectorAll(".charge")) {
      const who = line.querySelector("[name='participant']").value.trim();
      const wh = line.querySelector("[name='wh']").value.trim();
      if (!who && !wh) continue;
      charges.push([getAddress(who), BigInt(wh)]);
    }
    if (!charges.length) throw new Error(labels.noCharges);
    const charged = await booked(provider, storage, station, start);
    for (const [who, wh] of charges) {
      const limit = charged.get(who.toLowerCase()) || 0n;
      if (wh > limit) throw new Error(`${who}: ${wh} Wh > ${limit} Wh ${labels.chargedThere}`);
    }
    charges.sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1)); // the ledger wants ascending addresses
    const hash = await transact(provider, account, storage, ledgerIface.encodeFunctionData("attestCurtailment", [station, start, charges]));
    const [done] = ledgerIface.decodeFunctionResult("curtailmentAttested", await provider.call({ to: storage, data: ledgerIface.encodeFunctionData("curtailmentAttested", [station, start]) }));
    const event = ledgerIface.getEvent("CurtailmentAttested");
    const logs = await provider.getLogs({ address: storage, fromBlock: 0, topics: ledgerIface.encodeFilterTopics(event, [station, start]) });
    const wh = logs.reduce((sum, log) => sum + ledgerIface.parseLog(log).args.curtailedWh, 0n);
    Object.assign(status.dataset, { tx: hash, wh: String(wh), attested: String(done) });
    show(status, done, `${station}/${start} · ${logs.length} × CurtailmentAttested · ${wh} Wh · ${hash.slice(0, 12)}…`);
  } catch (err) {
    show(status, false, explain(err));
  }
}

if (root) {
  const runForm = document.getElementById("run-day");
  runForm?.addEventListener("submit", (event) => {
    event.preventDefault();
    runDay(runForm).catch((err) => show(runForm.querySelector(".status"), false, err.message));
  });
  const { rpc, anchor, storage } = root.dataset;
  const account = getAddress(document.getElementById("me").dataset.address);
  if (rpc) {
    const provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true });
    if (anchor) {
      statements(provider, getAddress(anchor), account)
        .catch((err) => console.warn(err))
        .finally(() => { document.body.dataset.statementsLoaded = "1"; });
    }
    const attestForm = document.getElementById("attest");
    if (storage && attestForm && window.ethereum) {
      attestForm.addEventListener("submit", (event) => {
        event.preventDefault();
        attest(attestForm, provider, getAddress(storage), account);
      });
    }
  }
}
