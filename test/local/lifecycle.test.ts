import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/constructs/service-function';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud';

const dataDir = mkdtempSync(path.join(tmpdir(), 'kcbx-lifecycle-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const quiet = { log: () => {}, functionLog: () => {} };
const tableOf = (cloud: LocalCloud) =>
  cloud.model.tables.find((t) => t.logicalId.startsWith('DataTable'))!.name;
const bucketOf = (cloud: LocalCloud) =>
  cloud.model.buckets.find((b) => b.logicalId.startsWith('DataRosters'))!.name;
const parkedQueue = (cloud: LocalCloud) =>
  cloud.model.queues.find((q) => q.logicalId.startsWith('DataBusDeadLettersDlq'))!;

async function readBack(cloud: LocalCloud) {
  const item = await cloud.clients.dynamodb.send(
    new GetItemCommand({ TableName: tableOf(cloud), Key: { pk: { S: 'probe' }, sk: { S: '1' } } }),
  );
  let object: string | undefined;
  try {
    const res = await cloud.clients.s3.send(
      new GetObjectCommand({ Bucket: bucketOf(cloud), Key: 'reports/probe.txt' }),
    );
    object = await res.Body!.transformToString();
  } catch {
    object = undefined;
  }
  const messages = await cloud.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: parkedQueue(cloud).url, MaxNumberOfMessages: 10 }),
  );
  return { item: item.Item?.value?.S, object, messages: (messages.Messages ?? []).map((m) => m.Body) };
}

describe('local data between restarts', () => {
  it('keeps tables, objects and unconsumed messages across a restart, and --reset clears them', async () => {
    const first = await startLocalCloud({ dataDir, ...quiet });
    await first.clients.dynamodb.send(
      new PutItemCommand({
        TableName: tableOf(first),
        Item: { pk: { S: 'probe' }, sk: { S: '1' }, value: { S: '保留' } },
      }),
    );
    await first.clients.s3.send(
      new PutObjectCommand({ Bucket: bucketOf(first), Key: 'reports/probe.txt', Body: 'kept' }),
    );
    await first.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: parkedQueue(first).url, MessageBody: '{"parked":1}' }),
    );
    await first.stop();

    const second = await startLocalCloud({ dataDir, ...quiet });
    expect(await readBack(second)).toEqual({ item: '保留', object: 'kept', messages: ['{"parked":1}'] });
    await second.stop();

    const third = await startLocalCloud({ dataDir, reset: true, ...quiet });
    expect(await readBack(third)).toEqual({ item: undefined, object: undefined, messages: [] });
    await third.stop();
  });
});

describe('npm start', () => {
  it('prints the API URL, a token and a curl line that works, and stops cleanly on Ctrl-C', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'kcbx-start-'));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(PROJECT_ROOT, 'infra/local/start.ts'), '--port', '0'],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, KCBX_HOME: home },
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (out.includes('Ctrl-C stops it')) {
            clearInterval(timer);
            resolve();
          }
        }, 100);
        void exited.then((code) => {
          clearInterval(timer);
          reject(new Error(`npm start exited with ${code}:\n${out}`));
        });
      });
      const curl = /curl -s -H "Authorization: Bearer \$TOKEN" (\S+)/.exec(out);
      const token = /export TOKEN=(\S+)/.exec(out);
      expect(curl, out).not.toBeNull();
      const res = await fetch(curl![1]!, { headers: { authorization: `Bearer ${token![1]}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ role: 'county', org: '530124' });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('Stopped.');
    rmSync(home, { recursive: true, force: true });
  });
});
