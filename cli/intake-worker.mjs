// Reads and validates one roster file on a worker thread for `kcbx compare`, sending the accepted
// rows back in batches: several files are validated at once, one per core.
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { processRoster } = await import('../services/roster-intake/domain/intake.ts');
const { childKey } = await import('../shared/pseudonym.ts');

const { file, kind, uploadId, name, size, today, maxBytes, secret } = workerData;
const key = new Uint8Array(secret);
try {
  const outcome = await processRoster({
    upload: { id: uploadId, kind, org: 'offline', period: 'offline', fileName: name },
    object: { body: createReadStream(file), size, reopen: async () => createReadStream(file) },
    today,
    maxBytes,
    childKeyOf: (id) => childKey(id, key),
    writeRows: async (rows) => parentPort.postMessage({ type: 'rows', rows }),
  });
  parentPort.postMessage({
    type: 'done',
    outcome: { status: outcome.status, summary: outcome.summary, problems: outcome.problems },
  });
} catch (err) {
  parentPort.postMessage({ type: 'failed', message: err?.message ?? String(err) });
}
