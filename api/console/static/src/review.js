// The verifiers' and regulators' actions: approve or reject a pending issuance request
// (CarbonCredits.approveIssuance / rejectIssuance) and revoke a live credit (revoke). The call is
// simulated first (eth_call from the signed-in account, so a revert is named before the wallet
// is asked), then the wallet itself sends it (EIP-1193 eth_sendTransaction). After the receipt the
// state and amounts are read back from the chain (amountsOf), not from the API. A reason hash is
// keccak256 of the reason's UTF-8 text, as `essl credits reject|revoke --reason` computes it.
// Before a rejection or revocation is sent, its text is kept through the API
// (POST /console/review/reasons), whose answer must be the page's own hash: the server cannot
// swap the reason, and no hash goes on-chain without its text kept.
import { Contract, Interface, JsonRpcProvider, ZeroHash, getAddress, keccak256, toUtf8Bytes } from "ethers";
import creditsAbi from "../../../../abi/CarbonCredits.json";
import ledgerAbi from "../../../../abi/StorageLedger.json";

const STATES = ["none", "requested", "rejected", "live", "revoked"];
// approveIssuance consumes the avoided grams in StorageLedger, whose errors can surface too.
const errors = new Interface([...creditsAbi, ...ledgerAbi.filter((item) => item.type === "error")]);
const credits = new Interface(creditsAbi);

export const reasonHash = (reason) => (reason ? keccak256(toUtf8Bytes(reason)) : ZeroHash);

function revertData(err, depth = 0) {
  if (!err || depth > 4) return null;
  if (typeof err === "string") return /^0x[0-9a-fA-F]{8,}$/.test(err) ? err : null;
  for (const key of ["data", "error", "info", "originalError", "cause"]) {
    const found = revertData(err[key], depth + 1);
    if (found) return found;
  }
  return null;
}

// The custom error's name and arguments, from the revert data or from hex in the message
// (some wallets only pass the node's text on).
function decodeRevert(err) {
  const candidates = [revertData(err), ...String(err?.message ?? err).matchAll(/0x[0-9a-fA-F]{8,}/g)].flat();
  for (const data of candidates) {
    if (!data) continue;
    try {
      const parsed = errors.parseError(data);
      if (parsed) return { name: parsed.name, text: `${parsed.name}(${parsed.args.map(String).join(", ")})` };
    } catch { /* not an error of these contracts */ }
  }
  return null;
}

const config = JSON.parse(document.getElementById("review-config")?.textContent || "{}");

function mass(grams) {
  const fmt = (v, d) => v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  const n = Number(grams);
  return Math.abs(n) >= 1_000_000 ? `${fmt(n / 1_000_000, 3)} t CO2e` : `${fmt(n / 1_000, 1)} kg CO2e`;
}

function setup() {
  const me = document.getElementById("me");
  if (!config.credits || !me || !window.ethereum) return;
  const provider = new JsonRpcProvider(config.rpc, undefined, { staticNetwork: true });
  const address = getAddress(config.credits);
  const contract = new Contract(address, creditsAbi, provider);
  const account = getAddress(me.dataset.address);
  const perUnit = BigInt(config.gramsPerUnit);

  // Polled rather than provider.waitForTransaction, which waits for a block after the one it
  // last saw: on a chain that mines one block per transaction that next block may never come.
  async function receiptOf(hash) {
    for (let waited = 0; waited < 60_000; waited += 500) {
      const receipt = await provider.getTransactionReceipt(hash);
      if (receipt) return receipt;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`no receipt for ${hash} after 60 s`);
  }

  // The id's state (and live amount) as the chain holds it; with a tx hash, also the outcome.
  async function show(row, id, hash) {
    const [state, issued, live] = await contract.amountsOf(id);
    const name = STATES[Number(state)] ?? String(state);
    const cell = row.querySelector("[data-field='state']");
    cell.dataset.state = name;
    cell.textContent = config.states[name] ?? name;
    const liveCell = row.querySelector("[data-field='live']");
    if (liveCell) {
      liveCell.dataset.units = String(live);
      liveCell.textContent = mass(live * perUnit);
    }
    if (!hash) return name;
    const status = row.querySelector(".status");
    status.dataset.state = name;
    status.dataset.tx = hash;
    status.title = hash;
    const amount = name === "live" ? ` · ${mass(issued * perUnit)}` : "";
    status.textContent = `✓ ${config.states[name] ?? name}${amount} · tx ${hash.slice(0, 10)}…${hash.slice(-4)}`;
    return name;
  }

  // Keep the reason's text through the API; an Error (nothing sent then) unless the server kept
  // it under this page's own hash.
  async function keepReason(reason) {
    const own = reasonHash(reason);
    const reply = await fetch(config.reasonsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ reason }),
    });
    const body = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(`${config.reasonNotKept}: ${body?.error?.message ?? reply.status}`);
    if (body.reason_hash !== own) throw new Error(`${config.reasonMismatch}: ${body.reason_hash} ≠ ${own}`);
    return own;
  }

  // `expect`: the state the row's actions apply to (requested, or live); once the chain holds
  // another, the actions go. `reason`: a text to keep first, whose hash is the last argument.
  async function act(row, id, expect, method, args, reason = null) {
    const status = row.querySelector(".status");
    const controls = row.querySelectorAll(".wallet-actions button, .wallet-actions input");
    controls.forEach((el) => { el.disabled = true; });
    status.className = "status";
    status.textContent = "…";
    for (const key of ["tx", "state", "error"]) delete status.dataset[key];
    const data = credits.encodeFunctionData(method, reason === null ? args : [...args, reasonHash(reason)]);
    try {
      await provider.call({ from: account, to: address, data }); // name a revert before sending
      if (reason !== null) await keepReason(reason); // the text kept before its hash is sent
      const hash = await window.ethereum.request({ method: "eth_sendTransaction", params: [{ from: account, to: address, data }] });
      const receipt = await receiptOf(hash);
      if (receipt.status !== 1) {
        // Replay the call on the state before its block, to name the error.
        await provider.call({ from: account, to: address, data, blockTag: receipt.blockNumber - 1 });
        throw new Error(`${config.reverted}: ${hash}`);
      }
      await show(row, id, hash);
      row.querySelectorAll(".wallet-actions button, .wallet-actions input").forEach((el) => el.remove());
    } catch (err) {
      const decoded = decodeRevert(err);
      status.className = "status error";
      if (decoded) {
        status.dataset.error = decoded.name;
        status.textContent = `✗ ${config.reverted}: ${decoded.text}`;
      } else {
        status.textContent = `✗ ${err.shortMessage || err.message || err}`;
      }
      controls.forEach((el) => { el.disabled = false; });
      // What the chain holds now, e.g. decided elsewhere after the page was drawn.
      const now = await show(row, id, null).catch(() => expect);
      if (now !== expect) row.querySelectorAll(".wallet-actions button, .wallet-actions input").forEach((el) => el.remove());
    }
  }

  function reasonOf(row) {
    const input = row.querySelector("input[name='reason']");
    if (input.value.trim()) return input.value;
    const status = row.querySelector(".status");
    status.className = "status error";
    status.textContent = config.reasonRequired;
    input.focus();
    return null;
  }

  for (const row of document.querySelectorAll("#pending tr[data-request]")) {
    const id = BigInt(row.dataset.request);
    row.querySelector("button[name='approve']")?.addEventListener("click", () => act(row, id, "requested", "approveIssuance", [id]));
    row.querySelector("button[name='reject']")?.addEventListener("click", () => {
      const reason = reasonOf(row);
      if (reason !== null) act(row, id, "requested", "rejectIssuance", [id], reason);
    });
  }
  for (const row of document.querySelectorAll("#live tr[data-credit]")) {
    const id = BigInt(row.dataset.credit);
    row.querySelector("button[name='revoke']")?.addEventListener("click", () => {
      const reason = reasonOf(row);
      if (reason !== null) act(row, id, "live", "revoke", [id], reason);
    });
  }
  document.body.dataset.reviewReady = "1";
}

setup();
