#!/usr/bin/env node
// npm run test:dates [-- <test files or folders>]
//
// Runs the tests whose answers involve dates as if "now" were each of three days (KCBX_TEST_NOW, see
// test/clock.ts): inside the autumn term the scenarios are set in, a year later, and the first Monday of
// 2027 — a year the holiday calendar does not know yet, so a test that needs today's working days fails.
// A test passes on all three only if what it expects does not depend on the day it runs.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NOWS = ['2026-10-15T10:00:00+08:00', '2027-12-08T10:00:00+08:00', '2027-01-04T10:00:00+08:00'];

const DATE_SENSITIVE = [
  'test/clock.test.ts',
  'shared/',
  'services/',
  'cli/',
  'test/cli/',
  'test/local/authorization-matrix.test.ts',
  'test/local/cases.test.ts',
  'test/local/case-reports.test.ts',
  'test/local/case-documents.test.ts',
  'test/local/comparison.test.ts',
  'test/local/notification-people.test.ts',
  'test/local/notifications.test.ts',
  'test/local/roster-intake.test.ts',
  'test/local/subsidy.test.ts',
];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DATE_SENSITIVE;

const results = [];
for (const now of NOWS) {
  console.log(`\n── KCBX_TEST_NOW=${now} ──────────────────────────────────────────`);
  const { KCBX_TEST_CLOCK_OFFSET_MS: _inherited, ...env } = process.env;
  const run = spawnSync(process.execPath, [vitest, 'run', ...files], {
    cwd: root,
    env: { ...env, KCBX_TEST_NOW: now },
    stdio: 'inherit',
  });
  results.push({ now, ok: run.status === 0 });
}

console.log('\nKCBX_TEST_NOW                  result');
for (const { now, ok } of results) console.log(`${now}      ${ok ? 'passed' : 'FAILED'}`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
