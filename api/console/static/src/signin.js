// Wallet sign-in (EIP-1193 provider, personal_sign over the API's challenge, whatever its text)
// and the participant's own settlement lines, read from the authenticated JSON route; an open
// line can be acknowledged or disputed: the wallet signs the EIP-712 LineResponse
// (ledger/settlement/anchor.py) and the API relays it on-chain.
import { keccak256, toUtf8Bytes } from "ethers";

const TOKEN = "essl_token";
const ZERO_HASH = "0x" + "0".repeat(64);
const RESPONSE_TYPES = {
  EIP712Domain: [
    { name: "name", type: "string" }, { name: "version", type: "string" },
    { name: "chainId", type: "uint256" }, { name: "verifyingContract", type: "address" },
  ],
  LineResponse: [
    { name: "stationId", type: "uint32" }, { name: "period", type: "uint32" },
    { name: "version", type: "uint16" }, { name: "participant", type: "address" },
    { name: "response", type: "uint8" }, { name: "netMinor", type: "int256" },
    { name: "lineHash", type: "bytes32" }, { name: "reasonHash", type: "bytes32" },
    { name: "signatureDeadline", type: "uint64" },
  ],
};

async function respond(own, kind, reason, token) {
  const table = document.getElementById("statements");
  const deadline = Math.floor(Date.now() / 1000) + 86_400; // the signature stays valid a day
  const typed = {
    types: RESPONSE_TYPES,
    primaryType: "LineResponse",
    domain: { name: "ESSLedgerSettlement", version: "1", chainId: Number(table.dataset.chainId), verifyingContract: table.dataset.anchor },
    message: {
      stationId: own.station_id, period: own.period, version: own.version, participant: own.line.participant,
      response: kind === "acknowledge" ? 1 : 2, netMinor: String(own.line.net), lineHash: own.line.line_hash,
      reasonHash: kind === "acknowledge" ? ZERO_HASH : keccak256(toUtf8Bytes(reason)), signatureDeadline: deadline,
    },
  };
  const signature = await window.ethereum.request({ method: "eth_signTypedData_v4", params: [own.line.participant, JSON.stringify(typed)] });
  const body = { version: own.version, signature_deadline: deadline, signature };
  if (kind === "dispute") body.reason = reason;
  const reply = await fetch(`/v1/settlements/${own.station_id}/${own.period}/${kind}`, {
    method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body),
  });
  const data = await reply.json();
  if (!reply.ok) throw new Error(data.error ? data.error.message : `HTTP ${reply.status}`);
  return data;
}

function actions(cell, own, token) {
  const table = document.getElementById("statements");
  if (own.line.response !== "none" || !table.dataset.anchor || !window.ethereum) return;
  const reason = document.createElement("input");
  reason.placeholder = table.dataset.reason;
  reason.name = "reason";
  const status = document.createElement("span");
  status.className = "status";
  for (const kind of ["acknowledge", "dispute"]) {
    const button = document.createElement("button");
    button.type = "button";
    button.name = kind;
    button.textContent = table.dataset[kind === "acknowledge" ? "ack" : "dispute"];
    button.addEventListener("click", async () => {
      if (kind === "dispute" && !reason.value.trim()) { reason.focus(); return; }
      try {
        const done = await respond(own, kind, reason.value.trim(), token);
        status.textContent = `${done.response} · ${done.tx_hash}`;
        status.dataset.tx = done.tx_hash;
        cell.closest("tr").querySelector('[data-field="response"]').textContent = done.response;
        cell.querySelectorAll("button, input").forEach((el) => el.remove());
      } catch (err) {
        status.textContent = err.message;
        status.className = "status error";
      }
    });
    cell.append(button, " ");
  }
  cell.append(reason, status);
}

async function signIn(status) {
  const wallet = window.ethereum;
  const button = document.getElementById("sign-in");
  if (!wallet) {
    status.textContent = button.dataset.noWallet;
    return;
  }
  const [address] = await wallet.request({ method: "eth_requestAccounts" });
  const post = async (url, body) => {
    const reply = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const data = await reply.json();
    if (!reply.ok) throw new Error(data.error ? data.error.message : `HTTP ${reply.status}`);
    return data;
  };
  const { message } = await post("/v1/auth/challenge", { address });
  const hex = "0x" + Array.from(new TextEncoder().encode(message), (b) => b.toString(16).padStart(2, "0")).join("");
  const signature = await wallet.request({ method: "personal_sign", params: [hex, address] });
  const { token } = await post("/v1/auth/token", { message, signature });
  sessionStorage.setItem(TOKEN, token);
  await post("/console/session", { token });
  window.location.reload();
}

const yuan = (fen) => `${fen < 0 ? "-" : ""}${Math.floor(Math.abs(fen) / 100).toLocaleString()}.${String(Math.abs(fen) % 100).padStart(2, "0")} CNY`;

async function myLines() {
  const token = sessionStorage.getItem(TOKEN);
  const rows = document.querySelectorAll("#statements tr[data-statement]");
  if (!token || !rows.length) return;
  const me = document.getElementById("me").dataset.address;
  const csv = [["station", "period", "version", "participant", "net_fen", "line_hash", "response", "leaf", "proof"].join(",")];
  for (const row of rows) {
    const { station, period } = row.dataset;
    const reply = await fetch(`/v1/settlements/${station}/${period}?participant=${me}`, { headers: { authorization: `Bearer ${token}` } });
    const cell = (name) => row.querySelector(`[data-field="${name}"]`);
    if (!reply.ok) {
      cell("line").textContent = `HTTP ${reply.status}`;
      continue;
    }
    const own = await reply.json();
    cell("line").textContent = own.line.line_hash.slice(0, 12) + "…";
    cell("net").textContent = yuan(own.line.net);
    cell("net").dataset.fen = String(own.line.net);
    cell("response").textContent = own.line.response;
    cell("proof").textContent = `${own.proof.length} × bytes32`;
    cell("proof").title = own.proof.join("\n");
    actions(cell("actions"), own, token);
    csv.push([station, period, own.version, own.line.participant, own.line.net, own.line.line_hash, own.line.response, own.leaf, own.proof.join(" ")].join(","));
  }
  const link = document.getElementById("download-csv");
  link.href = URL.createObjectURL(new Blob([csv.join("\n") + "\n"], { type: "text/csv" }));
  link.hidden = false;
  document.body.dataset.linesLoaded = "1";
}

const status = document.getElementById("sign-in-status");
document.getElementById("sign-in")?.addEventListener("click", () => signIn(status).catch((err) => { status.textContent = err.message; }));
document.getElementById("sign-out")?.addEventListener("click", async () => {
  sessionStorage.removeItem(TOKEN);
  await fetch("/console/session/end", { method: "POST" });
  window.location.reload();
});
if (document.getElementById("me")) myLines();
