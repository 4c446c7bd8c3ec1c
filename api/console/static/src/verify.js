// The "Verify in your browser" form: runs verifier.js against the endpoint the user chose.
import { verify } from "./verifier.js";

const form = document.getElementById("verify-form");
if (form) {
  const bar = document.getElementById("verify-progress");
  const status = document.getElementById("verify-status");
  const verdictEl = document.getElementById("verify-verdict");
  const failures = document.getElementById("verify-failures");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = document.getElementById("verify-button");
    button.disabled = true;
    failures.replaceChildren();
    verdictEl.hidden = true;
    bar.hidden = false;
    bar.value = 0;
    const started = performance.now();
    const config = {
      rpcUrl: document.getElementById("verify-rpc").value,
      archive: new URL(form.dataset.archive, window.location.href).href,
      contracts: JSON.parse(form.dataset.contracts),
      workerUrl: new URL("./verify-worker.js", import.meta.url),
    };
    let verdict;
    try {
      verdict = await verify(JSON.parse(form.dataset.target), config, (done, total, message) => {
        bar.max = Math.max(total, 1);
        bar.value = done;
        status.textContent = `${done} / ${total} · ${message}`;
      });
    } catch (err) {
      verdict = { passed: false, checks: [], failures: [`${config.rpcUrl}: ${err.shortMessage || err.message}`] };
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    verdictEl.hidden = false;
    verdictEl.className = `verdict ${verdict.passed ? "ok" : "bad"}`;
    verdictEl.dataset.passed = String(verdict.passed);
    verdictEl.dataset.seconds = seconds;
    verdictEl.dataset.shares = (verdict.shares || []).join(","); // batches per worker
    verdictEl.dataset.chainMs = String(verdict.timings?.chainMs ?? "");
    verdictEl.textContent = `${verdict.passed ? form.dataset.ok : form.dataset.failed} · ${verdict.checks.length} ✓ · ${verdict.failures.length} ✗ · ${seconds} s`;
    for (const [i, f] of verdict.failures.entries()) {
      const li = document.createElement("li");
      li.textContent = f;
      if (verdict.failedIn?.[i] != null) li.dataset.worker = String(verdict.failedIn[i]);
      failures.append(li);
    }
    button.disabled = false;
  });
}
