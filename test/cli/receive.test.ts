import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/constructs/service-function';
import { deliveryEnvelope } from '../../services/notifications/domain/minimise';
import { signDelivery } from '../../services/notifications/domain/signing';
import { eventSamples, sampleChild } from '../../shared/events/samples';
import { runKcbx } from '../run-cli';

const SECRET = 'whsec-partner-test-0123456789';
const sub = { id: 'sub-gaj-1', partnerOrg: '530124:public-security' };
const opened = deliveryEnvelope(sub, 'case.opened', {
  ...eventSamples['case.opened'],
  causeCategory: 'HOUSEHOLD_REGISTRATION',
})!;
const closed = deliveryEnvelope(sub, 'case.closed', eventSamples['case.closed'])!;

/** A running `kcbx receive`, its output so far, and a way to wait for a line. */
interface Receiver {
  child: ChildProcess;
  url: string;
  output: () => string;
  waitFor: (pattern: RegExp) => Promise<void>;
  stop: () => Promise<number | null>;
}

async function startReceiver(args: string[]): Promise<Receiver> {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kcbx.mjs'), 'receive', ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp) => {
    const deadline = Date.now() + 60_000;
    while (!pattern.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in:\n${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  await waitFor(/listening on (http:\/\/\S+)/);
  const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
  return {
    child,
    url,
    output: () => out,
    waitFor,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

const now = () => Math.floor(Date.now() / 1000);

async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

let dir: string;
let receiver: Receiver;
const outFile = () => path.join(dir, 'events.jsonl');
const storedLines = () =>
  readFileSync(outFile(), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { eventId: string });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kcbx-receive-'));
  receiver = await startReceiver(['--port', '0', '--secret', SECRET, '--out', outFile()]);
});

afterAll(async () => {
  if (receiver.child.exitCode === null) await receiver.stop();
});

describe('kcbx receive', () => {
  const body = JSON.stringify(opened);
  let first: Record<string, string>;

  it('first says where it listens, on 127.0.0.1 by default', () => {
    expect(receiver.output().split('\n')[0]).toMatch(
      /^kcbx receive: .*listening on http:\/\/127\.0\.0\.1:\d+\//,
    );
  });

  it('accepts a signed delivery, prints it with the masked ID only, and stores it', async () => {
    first = signDelivery(SECRET, body, now(), opened.eventId);
    const res = await post(receiver.url, body, first);
    expect(res).toEqual({ status: 200, body: { received: true, duplicate: false, eventId: opened.eventId } });
    await receiver.waitFor(new RegExp(`case\\.opened  ${opened.eventId}  5301\\*{10}123X`));
    expect(receiver.output()).not.toContain(sampleChild.childKey);
    expect(storedLines()).toEqual([opened]);
  });

  it('refuses the same request sent again (a replay) with 401 and the reason', async () => {
    const res = await post(receiver.url, body, first);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'REPLAYED' });
    expect(res.body.zh).toMatch(/重放/);
    await receiver.waitFor(/401 REPLAYED/);
  });

  it('refuses a tampered body', async () => {
    const tampered = body.replace('"township":"530124100"', '"township":"530124200"');
    expect(tampered).not.toBe(body);
    const res = await post(receiver.url, tampered, signDelivery(SECRET, body, now()));
    expect(res).toMatchObject({ status: 401, body: { code: 'BAD_SIGNATURE' } });
  });

  it('refuses an old timestamp, a missing signature and a wrong secret', async () => {
    expect((await post(receiver.url, body, signDelivery(SECRET, body, now() - 3600))).body).toMatchObject({
      code: 'STALE_TIMESTAMP',
    });
    expect((await post(receiver.url, body, {})).body).toMatchObject({ code: 'MISSING_SIGNATURE' });
    const wrong = await post(receiver.url, body, signDelivery('not-the-partner-secret-123', body, now()));
    expect(wrong).toMatchObject({ status: 401, body: { code: 'BAD_SIGNATURE' } });
  });

  it('answers 200 to a redelivery signed afresh, prints it as a duplicate and does not store it twice', async () => {
    const res = await post(receiver.url, body, signDelivery(SECRET, body, now() + 1, opened.eventId));
    expect(res).toEqual({ status: 200, body: { received: true, duplicate: true, eventId: opened.eventId } });
    await receiver.waitFor(/duplicate/);
    expect(storedLines()).toHaveLength(1);
  });

  it('stores the next event, without a masked ID when the department gets none', async () => {
    const next = JSON.stringify(closed);
    expect((await post(receiver.url, next, signDelivery(SECRET, next, now()))).status).toBe(200);
    await receiver.waitFor(new RegExp(`case\\.closed  ${closed.eventId}  -`));
    expect(storedLines().map((e) => e.eventId)).toEqual([opened.eventId, closed.eventId]);
  });

  it('refuses a signed body that is not a delivery envelope with 400', async () => {
    const odd = JSON.stringify({ eventId: 'evt-not-an-envelope-1', hello: 'world' });
    const res = await post(receiver.url, odd, signDelivery(SECRET, odd, now()));
    expect(res).toMatchObject({ status: 400, body: { code: 'INVALID_ENVELOPE' } });
  });

  it('stops on SIGTERM with a summary', async () => {
    expect(await receiver.stop()).toBe(0);
    expect(receiver.output()).toMatch(/received 2, 重复 duplicates 1, 拒收 refused 6/);
  });

  it('still stores each event once after a restart on the same file', async () => {
    const again = await startReceiver(['--port', '0', '--secret', SECRET, '--out', outFile()]);
    try {
      await again.waitFor(/2 events already there/);
      const res = await post(again.url, body, signDelivery(SECRET, body, now(), opened.eventId));
      expect(res.body).toMatchObject({ duplicate: true });
      expect(storedLines()).toHaveLength(2);
    } finally {
      await again.stop();
    }
  });
});

describe('kcbx receive — usage', () => {
  it('explains in --help what to pass and how a delivery is signed', () => {
    const result = runKcbx(['receive', '--help']);
    expect(result.status).toBe(0);
    for (const text of [
      '--port',
      '--secret',
      '--out',
      'x-kcbx-signature',
      'x-kcbx-timestamp',
      'HMAC-SHA256',
      'curl',
    ]) {
      expect(result.stdout).toContain(text);
    }
  });

  it('exits 2 with a message in both languages when the secret is missing or too short', () => {
    const missing = runKcbx(['receive', '--port', '0'], { KCBX_RECEIVE_SECRET: '' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('缺少 --secret');
    expect(missing.stderr).toContain('--secret is missing');
    const short = runKcbx(['receive', '--port', '0', '--secret', 'abc']);
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/too short/);
  });

  it('exits 2 for a port that is not a number', () => {
    const result = runKcbx(['receive', '--port', 'eighty', '--secret', SECRET]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--port must be a port number');
  });
});
