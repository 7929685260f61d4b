import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFunctionHost } from '../infra/local/function-host';
import { clockOffsetMs, parseInstant, realNow } from '../infra/local/test-clock.mjs';
import { setTestClock, setTestClockOffset } from './clock';

const AT = '2027-01-04T10:00:00+08:00';
const at = Date.parse(AT);
/** Within a minute after `AT`: the clock was set to it moments ago and runs on at its real pace. */
const nearAt = (ms: number) => ms >= at && ms < at + 60_000;

describe('the test clock', () => {
  const before = clockOffsetMs();
  afterAll(() => setTestClockOffset(before));

  it('makes Date read the instant it is set to, and lets time pass from there', async () => {
    setTestClock(AT);
    expect(nearAt(Date.now())).toBe(true);
    const constructed = new Date();
    expect(nearAt(constructed.getTime())).toBe(true);
    expect(nearAt(Date.parse(Date()))).toBe(true);
    const first = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    expect(Date.now() - first).toBeGreaterThanOrEqual(40);
    // Real time is still at hand, and is not 2027-01-04.
    expect(Math.abs(realNow() + clockOffsetMs() - Date.now())).toBeLessThan(1_000);
  });

  it('leaves every other use of Date as the built-in has it', () => {
    setTestClock(AT);
    expect(new Date(0).toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(new Date('2026-03-04T00:00:00Z').getTime()).toBe(Date.UTC(2026, 2, 4));
    expect(new Date(2026, 2, 4, 12).getDate()).toBe(4);
    expect(new Date() instanceof Date).toBe(true);
    class Stamp extends Date {}
    const stamp = new Stamp();
    expect(stamp).toBeInstanceOf(Stamp);
    expect(nearAt(stamp.getTime())).toBe(true);
    expect(Object.prototype.toString.call(new Date())).toBe('[object Date]');
  });

  it('goes back to the machine clock at offset 0, in the test and in the processes it starts', () => {
    const runnerNow = process.env.KCBX_TEST_NOW;
    process.env.KCBX_TEST_NOW = AT;
    try {
      setTestClock(AT);
      setTestClockOffset(0);
      expect(Math.abs(Date.now() - realNow())).toBeLessThan(1_000);
      const child = spawnSync(process.execPath, ['-e', 'console.log(Date.now())'], {
        env: process.env,
        encoding: 'utf8',
      });
      expect(Math.abs(Number(child.stdout.trim()) - realNow())).toBeLessThan(30_000);
    } finally {
      if (runnerNow === undefined) delete process.env.KCBX_TEST_NOW;
      else process.env.KCBX_TEST_NOW = runnerNow;
    }
  });

  it('refuses an instant without its zone, which machines would read differently', () => {
    expect(() => setTestClock('2027-01-04T10:00:00')).toThrow(/with its zone/);
    expect(() => parseInstant('2027-01-04')).toThrow(/with its zone/);
    expect(parseInstant('2027-01-04T02:00:00Z')).toBe(at);
  });

  it('is the clock of a process the test starts', () => {
    setTestClock(AT);
    const child = spawnSync(process.execPath, ['-e', 'console.log(Date.now())'], {
      env: process.env,
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('');
    expect(nearAt(Number(child.stdout.trim()))).toBe(true);
  });

  it('is the Date an HTTP server answers with, so AWS SDK clients see no clock skew', async () => {
    setTestClock(AT);
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      // The header has whole seconds: the instant it names is at most a second before now.
      expect(nearAt(Date.parse(res.headers.get('date')!) + 1_000)).toBe(true);
    } finally {
      server.close();
    }
  });

  it('is the clock of a local function, also when the test sets it again while the function is warm', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kcbx-clock-'));
    writeFileSync(path.join(dir, 'now.mjs'), 'export const handler = async () => Date.now();\n');
    const host = createFunctionHost({
      fn: {
        logicalId: 'Now',
        name: 'now',
        arn: 'arn:aws:lambda:cn-north-1:000000000000:function:now',
        entry: 'now.mjs',
        handlerExport: 'handler',
        environment: {},
        timeoutSeconds: 30,
        memoryMb: 128,
      },
      projectRoot: dir,
      env: {},
      log: () => {},
      maxConcurrency: 1,
    });
    try {
      setTestClock(AT);
      expect(nearAt((await host.invoke({})) as number)).toBe(true);
      setTestClock('2026-10-15T10:00:00+08:00');
      const october = (await host.invoke({})) as number;
      expect(october - Date.parse('2026-10-15T10:00:00+08:00')).toBeGreaterThanOrEqual(0);
      expect(october - Date.parse('2026-10-15T10:00:00+08:00')).toBeLessThan(60_000);
    } finally {
      await host.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
