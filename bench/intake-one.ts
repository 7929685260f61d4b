/** One intake measurement in a fresh process: `tsx bench/intake-one.ts <file> <kind>` → JSON on stdout. */
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { processRoster } from '../services/roster-intake/domain/intake';
import type { RosterKind } from '../shared/roster-kind';

const [file, kind] = process.argv.slice(2) as [string, RosterKind];
let peakRss = 0;
const sample = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
const baseRss = process.memoryUsage().rss;
const started = performance.now();
let stored = 0;
const outcome = await processRoster({
  upload: { id: 'bench', kind, org: 'bench', period: '2025-autumn', fileName: path.basename(file) },
  object: {
    body: createReadStream(file),
    size: statSync(file).size,
    reopen: async () => createReadStream(file),
  },
  today: '2025-09-08',
  maxBytes: 1 << 30,
  childKeyOf: (id) => id,
  writeRows: async (rows) => {
    stored += rows.length;
  },
});
const ms = performance.now() - started;
clearInterval(sample);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
process.stdout.write(
  JSON.stringify({ rows: outcome.summary.rows, stored, ms, peakRss, baseRss, status: outcome.status }),
);
