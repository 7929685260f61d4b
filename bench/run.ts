/**
 * npm run bench — measured figures for bench/README.md:
 *   1. every Lambda bundle: size, and cold start (import + first invocation in a fresh Node process);
 *   2. hot paths of the shared package: ID number parsing, pseudonyms, working-day arithmetic.
 * Prints a Markdown table; nothing here is asserted by the tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE, PROJECT_ROOT } from '../infra/constructs/service-function';
import { synthesizeLocalTemplate } from '../infra/local/local-cloud';
import { readTemplate } from '../infra/local/template';
import { addWorkingDays } from '../shared/calendar';
import { parseIdNumber } from '../shared/id-number';
import { childKey, generatePseudonymSecret } from '../shared/pseudonym';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bundles() {
  const out = mkdtempSync(path.join(tmpdir(), 'kcbx-bench-'));
  const { stackName, region, template } = synthesizeLocalTemplate(path.join(out, 'cdk.out'));
  const model = readTemplate(template, {
    stackName,
    region,
    endpoints: { sqs: 'http://127.0.0.1:1', api: 'http://127.0.0.1:2' },
  });
  const rows: string[] = [];
  for (const fn of model.functions) {
    const file = path.join(out, `${fn.logicalId}.mjs`);
    await build({
      entryPoints: [path.join(PROJECT_ROOT, fn.entry)],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: LAMBDA_BUNDLE.target,
      minify: LAMBDA_BUNDLE.minify,
      mainFields: [...LAMBDA_BUNDLE.mainFields],
      banner: { js: LAMBDA_BUNDLE.banner },
      logLevel: 'silent',
    });
    const size = statSync(file).size;
    const gz = gzipSync(readFileSync(file)).length;
    // A request without claims: exercises the whole middleware stack and answers 401.
    const probe = `
      const t0 = performance.now();
      const m = await import(${JSON.stringify(file)});
      const t1 = performance.now();
      await m.handler({ version: '2.0', headers: {}, requestContext: {} }, { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 1000 });
      const t2 = performance.now();
      process.stdout.write(JSON.stringify({ init: t1 - t0, first: t2 - t1 }));`;
    const samples = Array.from(
      { length: RUNS },
      () =>
        JSON.parse(
          execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
            env: {
              ...process.env,
              ...fn.environment,
              NODE_OPTIONS: '',
              POWERTOOLS_LOG_LEVEL: 'SILENT',
              POWERTOOLS_METRICS_DISABLED: 'true',
            },
            encoding: 'utf8',
          }),
        ) as { init: number; first: number },
    );
    rows.push(
      `| ${fn.entry} | ${(size / 1024).toFixed(0)} KiB | ${(gz / 1024).toFixed(0)} KiB | ${median(samples.map((s) => s.init)).toFixed(0)} ms | ${median(samples.map((s) => s.first)).toFixed(1)} ms |`,
    );
  }
  rmSync(out, { recursive: true, force: true });
  return rows;
}

function throughput(name: string, n: number, fn: (i: number) => unknown) {
  for (let i = 0; i < Math.min(n, 10_000); i++) fn(i); // warm up
  const samples = Array.from({ length: RUNS }, () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  });
  return `| ${name} | ${Math.round(n / median(samples)).toLocaleString('en-US')} /s |`;
}

const ids = Array.from({ length: 1000 }, (_, i) => {
  const first17 = `530124${2010 + (i % 10)}0${1 + (i % 9)}1${i % 10}${String(100 + (i % 900)).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, k) => s + Number(d) * weights[k]!, 0);
  return first17 + '10X98765432'[sum % 11];
});
const secret = generatePseudonymSecret();

console.log(
  `kcbx bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus()[0]?.model} ×${cpus().length}, ${RUNS} runs, medians\n`,
);
console.log('| function | bundle | gzip | cold init | first call |\n|---|---|---|---|---|');
for (const row of await bundles()) console.log(row);
console.log('\n| operation | throughput |\n|---|---|');
console.log(
  throughput('parseIdNumber (18-digit, valid)', 200_000, (i) =>
    parseIdNumber(ids[i % 1000]!, { today: '2026-01-01' }),
  ),
);
console.log(throughput('childKey (HMAC-SHA256 pseudonym)', 100_000, (i) => childKey(ids[i % 1000]!, secret)));
console.log(
  throughput('addWorkingDays(date, 5)', 100_000, (i) => addWorkingDays(`2025-0${1 + (i % 9)}-1${i % 10}`, 5)),
);
