import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../infra/local/local-cloud';
import { useTestClock } from './clock';

export interface LocalCloudFixtureOptions extends Partial<LocalCloudOptions> {
  /**
   * When the test file's scenario happens: the clock (of the test, the cloud's functions and emulators,
   * and the commands it runs) reads this instant when the cloud starts, e.g. 2026-11-20T10:00:00+08:00.
   * Give it whenever what the test expects depends on the day: case histories are stamped with the time
   * they are recorded, and "today" bounds statistics, ledgers, terms and ages. Default: the runner's clock.
   */
  now?: string;
}

export interface LocalCloudFixture {
  cloud: LocalCloud;
  dataDir: string;
  /** Every line the local cloud and its functions wrote. */
  logs: string[];
}

/**
 * Starts a local cloud on free ports for one test file and stops it afterwards, so test files
 * run in parallel without clashing. Use the returned getter inside tests.
 */
export function useLocalCloud(fixtureOptions: LocalCloudFixtureOptions = {}): () => LocalCloudFixture {
  const { now, ...options } = fixtureOptions;
  if (now !== undefined) useTestClock(now);
  let fixture: LocalCloudFixture | undefined;
  beforeAll(async () => {
    const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'kcbx-local-'));
    const logs: string[] = [];
    const cloud = await startLocalCloud({
      port: 0,
      log: (line) => logs.push(line),
      functionLog: (fn, line) => logs.push(`[${fn}] ${line}`),
      ...options,
      dataDir,
    });
    fixture = { cloud, dataDir, logs };
  });
  afterAll(async () => {
    if (!fixture) return;
    await fixture.cloud.stop();
    if (!options.dataDir) rmSync(fixture.dataDir, { recursive: true, force: true });
  });
  return () => {
    if (!fixture) throw new Error('the local cloud has not started');
    return fixture;
  };
}

/**
 * Polls until `probe` returns a value (not undefined/false), or fails after `timeoutMs` — a ceiling for
 * deliveries through queues, rules and cold function workers on a loaded machine, not a speed requirement.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}

/** What the test recorder function stored under `recorded#<as>` (bodies, in key order). */
export async function recorded(cloud: LocalCloud, as: string): Promise<string[]> {
  const table = cloud.model.tables.find((t) => t.logicalId.startsWith('DataTable'))!;
  const res = await cloud.clients.dynamodb.send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `recorded#${as}` } },
    }),
  );
  return (res.Items ?? []).map((i) => i.body!.S!);
}
