/**
 * npm run bench — measured figures for bench/README.md:
 *   1. every Lambda bundle: size, and cold start (import + first invocation in a fresh Node process);
 *   2. hot paths of the shared package: ID number parsing, pseudonyms, working-day arithmetic;
 *   3. cases and subsidy at county scale (bench/cases-one.ts).
 * Prints a Markdown table; nothing here is asserted by the tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
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
import { writeComparisonDataSet } from './comparison-data';
import { writeCsv, writeXlsx } from './roster-data';

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
    // An HTTP request without claims (the whole middleware stack, answering 401), which is also
    // an empty SQS batch for queue consumers.
    const probe = `
      const t0 = performance.now();
      const m = await import(${JSON.stringify(file)});
      const t1 = performance.now();
      await m[${JSON.stringify(fn.handlerExport)}]({ version: '2.0', headers: {}, requestContext: {}, Records: [] }, { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 1000 });
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
      `| ${fn.entry}${fn.handlerExport === 'handler' ? '' : ` (${fn.handlerExport})`} | ${(size / 1024).toFixed(0)} KiB | ${(gz / 1024).toFixed(0)} KiB | ${median(samples.map((s) => s.init)).toFixed(0)} ms | ${median(samples.map((s) => s.first)).toFixed(1)} ms |`,
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

/** Parsing + validating a 100k-row 学籍 roster per format, each in a fresh process (peak RSS). */
async function intake() {
  const rows = Number(process.env.BENCH_INTAKE_ROWS ?? 100_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'kcbx-intake-'));
  const files = [
    {
      label: 'CSV UTF-8',
      file: path.join(dir, 'xj-utf8.csv'),
      make: (f: string) => writeCsv(f, rows, 'utf-8'),
    },
    {
      label: 'CSV GB18030',
      file: path.join(dir, 'xj-gbk.csv'),
      make: (f: string) => writeCsv(f, rows, 'gb18030'),
    },
    { label: 'XLSX', file: path.join(dir, 'xj.xlsx'), make: (f: string) => writeXlsx(f, rows) },
  ];
  const out: string[] = [];
  for (const { label, file, make } of files) {
    await make(file);
    const samples = Array.from(
      { length: Math.min(RUNS, 3) },
      () =>
        JSON.parse(
          execFileSync(
            process.execPath,
            ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench/intake-one.ts'), file, 'enrollment'],
            {
              encoding: 'utf8',
              maxBuffer: 1 << 20,
            },
          ),
        ) as { rows: number; stored: number; ms: number; peakRss: number; baseRss: number },
    );
    const ms = median(samples.map((s) => s.ms));
    const peak = median(samples.map((s) => s.peakRss - s.baseRss));
    out.push(
      `| ${label} | ${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB | ${samples[0]!.rows.toLocaleString('en-US')} | ${Math.round((samples[0]!.rows / ms) * 1000).toLocaleString('en-US')} rows/s | ${(peak / 1024 / 1024).toFixed(0)} MiB |`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  return out;
}

/** kcbx compare against DuckDB on the same generated CSVs (N children, ~6% inconsistent). */
async function comparison() {
  const children = Number(process.env.BENCH_CHILDREN ?? 1_000_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'kcbx-compare-'));
  const data = await writeComparisonDataSet(dir, children);
  const run = (label: string, args: string[]) => {
    const res = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %M', ...args], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    const m = /__TIME__ ([\d.]+) (\d+)/.exec(res.stderr);
    if (res.status !== 0 || !m) throw new Error(`${label} failed: ${res.stderr.slice(-2000)}`);
    return { seconds: Number(m[1]), peakMiB: Number(m[2]) / 1024, stdout: res.stdout };
  };
  const kcbx = run('kcbx compare', [
    process.execPath,
    path.join(PROJECT_ROOT, 'bin/kcbx.mjs'),
    'compare',
    '--region',
    '530124',
    '--as-of',
    '2025-09-08',
    '--household',
    data.household,
    '--enrollment',
    data.enrollment,
    '--headcount',
    data.headcount,
    '--poverty',
    data.poverty,
    '--out',
    path.join(dir, 'result.jsonl'),
  ]);
  const duck = run('duckdb', [
    process.execPath,
    '--import',
    'tsx',
    path.join(PROJECT_ROOT, 'bench/duckdb-one.ts'),
    dir,
  ]);
  const duckCounts = JSON.parse(duck.stdout).counts as Record<string, number>;
  rmSync(dir, { recursive: true, force: true });
  return [
    `| kcbx compare (parse + validate + classify + write JSONL) | ${children.toLocaleString('en-US')} | ${kcbx.seconds.toFixed(1)} s | ${kcbx.peakMiB.toFixed(0)} MiB | ${(kcbx.seconds / duck.seconds).toFixed(1)}× |`,
    `| DuckDB SQL (read CSV + classify, counts only) | ${children.toLocaleString('en-US')} | ${duck.seconds.toFixed(1)} s | ${duck.peakMiB.toFixed(0)} MiB | 1× |`,
    '',
    `DuckDB outcome counts: ${Object.entries(duckCounts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `kcbx summary:\n${kcbx.stdout.split('\n').slice(0, 14).join('\n')}`,
  ];
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
console.log(
  '\n| roster (学籍, parse + validate) | file | rows | throughput | peak RSS over baseline |\n|---|---|---|---|---|',
);
for (const row of await intake()) console.log(row);
if (process.env.BENCH_SKIP_COMPARE !== '1') {
  console.log(
    '\n| comparison (四查三比对) | children | wall | peak RSS | vs DuckDB |\n|---|---|---|---|---|',
  );
  for (const row of await comparison()) console.log(row);
}
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

// Cases and subsidy at county scale, in a fresh process (bench/cases-one.ts prints its own table).
console.log(
  `\n${execFileSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench/cases-one.ts')], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  }).trim()}`,
);
