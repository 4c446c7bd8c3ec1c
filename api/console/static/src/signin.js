// Wallet sign-in (EIP-1193 provider, personal_sign over the API's challenge, whatever its text)
// and the participant's own settlement lines, read from the authenticated JSON route.
const TOKEN = "essl_token";

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
