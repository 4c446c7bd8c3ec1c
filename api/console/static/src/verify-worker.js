// A Web Worker that checks batch files for the page (see batchcheck.js).
import { checkBatchFile } from "./batchcheck.js";

self.onmessage = async (event) => {
  const { id, job } = event.data;
  try {
    self.postMessage({ id, ...(await checkBatchFile(job)) });
  } catch (err) {
    self.postMessage({ id, checks: [], failures: [`${job.label}: ${err.message}`] });
  }
};
