import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/constructs/service-function';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud';
import { deliveryEnvelope } from '../../services/notifications/domain/minimise';
import { matchesSubscription, type Subscription } from '../../services/notifications/domain/subscription';
import { checkDigit } from '../../shared/id-number';
import { SAMPLE_CHAIN } from '../fixtures/chain';
import { eventually, useLocalCloud } from '../local-cloud';
import { onlyCase, reportAbsences } from './case-steps';
import { callApi } from './uploads';

// 东川's rule (3 working days); deliveries give up after 2 attempts a second apart, so the test sees the
// dead-letter queue in seconds (production: 22 attempts over one to two days, infra/constructs/notifications.ts).
// The cases open in the week of 2026-03-02; the hand-reported ones are received on Monday 03-09, the day the
// test runs (a deadline counts from a working day the calendar knows).
const local = useLocalCloud({
  now: '2026-03-09T10:00:00+08:00',
  settings: { absenceThreshold: 3 },
  extend: (stack) =>
    stack.services.notifications.overrideDeliveryPolicy({
      maxAttempts: 2,
      backoffSeconds: 1,
      maxBackoffSeconds: 2,
      timeoutSeconds: 3,
    }),
});

const SCHOOL = '2153012401';
const REGION = '530124';
const id18 = (birth: string, seq: string) => {
  const first17 = `${REGION}${birth}${seq}`;
  return `${first17}${checkDigit(first17)}`;
};
// A at school; B misses three days (attendance → case → overdue); C, D, E are reported by hand.
const A = id18('20150312', '005');
const B = id18('20140723', '006');
const C = id18('20160101', '007');
const D = id18('20150808', '011');
const E = id18('20140909', '013');

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const kcbx = (args: string[]) =>
  spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kcbx.mjs'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });

/** `npx kcbx receive` on a port, saving what it accepts to a JSONL file. */
async function startReceiver(port: number, secret: string, out: string) {
  const child: ChildProcessWithoutNullStreams = kcbx([
    'receive',
    '--port',
    String(port),
    '--secret',
    secret,
    '--out',
    out,
  ]);
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await eventually(
    async () =>
      output.includes('listening on') || (child.exitCode !== null && Promise.reject(new Error(output))),
    30_000,
  );
  return {
    output: () => output,
    async stop() {
      child.kill('SIGINT');
      await exited;
    },
  };
}

type Envelope = { eventId: string; detailType: string; data: Record<string, unknown> } & Record<
  string,
  unknown
>;
const readJsonl = (file: string): Envelope[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Envelope)
    : [];

/** An absent optional text field arrives as "" from a queue rule (subscription-rules.ts); HTTPS leaves it out. */
const withoutEmptyText = (value: unknown): unknown =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(
        Object.entries(value)
          .filter(([, v]) => v !== '')
          .map(([k, v]) => [k, withoutEmptyText(v)]),
      )
    : value;

/** What a subscription should have received of the events on the bus since the test began (the archive). */
function expectedFor(cloud: LocalCloud, dataDir: string, sub: Subscription): Envelope[] {
  const archive = path.join(dataDir, 'events', `${cloud.model.buses[0]!.name}.jsonl`);
  return readFileSync(archive, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { source: string; 'detail-type': string; detail: Record<string, unknown> })
    .filter((e) => matchesSubscription(sub, e['detail-type'], e.detail, e.source))
    .map((e) => deliveryEnvelope(sub, e['detail-type'], e.detail) as unknown as Envelope);
}

const byEventId = (list: Envelope[]) => [...list].sort((a, b) => a.eventId.localeCompare(b.eventId));

describe('partner subscriptions on the local cloud', () => {
  const workDir = mkdtempSync(path.join(tmpdir(), 'kcbx-partners-'));
  const receivers: { stop(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.stop().catch(() => undefined)));
    rmSync(workDir, { recursive: true, force: true });
  });

  it('delivers each partner exactly the events it subscribed to, minimised, once — and nothing is lost while an endpoint is down', async () => {
    const { cloud, dataDir, logs } = local();
    const started = new Date(Date.now() - 1000).toISOString();
    const county = await cloud.token({ role: 'county', org: REGION });
    const school = await cloud.token({ role: 'school', org: SCHOOL });
    const api = <T>(method: string, p: string, body?: unknown, token = county) =>
      callApi<T>(cloud, method, p, token, body);

    // The partners' ends: two reference receivers, and a queue in "the partner's account" whose policy admits the bus's subscription rules.
    const [justicePort, policePort] = [await freePort(), await freePort()];
    const justiceFile = path.join(workDir, 'justice.jsonl');
    const policeFile = path.join(workDir, 'police.jsonl');
    const busName = cloud.model.buses[0]!.name;
    // 民政's queue is in its own account: the emulator has one account and finds it by name.
    const partnerQueue = await cloud.clients.sqs.send(
      new CreateQueueCommand({ QueueName: 'partner-civil-affairs' }),
    );
    const partnerQueueArn = `arn:aws:sqs:${cloud.model.region}:111122223333:partner-civil-affairs`;

    type Created = Subscription & { signingSecret?: string; rules: string[] };
    const subscribe = async (body: object) => {
      const res = await api<
        Created & { error?: { code: string; zh: string; en: string; details?: { statements: unknown[] } } }
      >('POST', '/subscriptions', body);
      return res;
    };
    // 司法: the four steps and their deadlines — no child's masked ID, no escalation target.
    const justice = await subscribe({
      partnerOrg: `${REGION}:justice`,
      eventTypes: ['case.overdue', 'case.state-changed', 'case.closed'],
      target: { kind: 'https', url: `http://127.0.0.1:${justicePort}/kcbx` },
      description: '富民县司法局 依法控辍',
    });
    expect(justice.status, JSON.stringify(justice.body)).toBe(201);
    // 公安: cases whose cause is a 户籍 problem.
    const police = await subscribe({
      partnerOrg: `${REGION}:public-security`,
      eventTypes: ['case.opened'],
      filters: { causeCategories: ['HOUSEHOLD_REGISTRATION'] },
      target: { kind: 'https', url: `http://127.0.0.1:${policePort}/` },
    });
    expect(police.status, JSON.stringify(police.body)).toBe(201);
    // 民政: priority children, into its own queue. Until the queue's policy admits the bus's sender role
    // the subscription is refused with the statements to add; with them added, it is made.
    const civilRequest = {
      partnerOrg: `${REGION}:civil-affairs`,
      eventTypes: ['dropout.suspected', 'case.opened'],
      filters: { priorityOnly: true },
      target: { kind: 'sqs', queueArn: partnerQueueArn },
    };
    const refused = await subscribe(civilRequest);
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('QUEUE_NOT_READY');
    expect(refused.body.error?.en).toContain('Add these statements');
    expect(refused.body.error?.zh).toContain('访问策略');
    const statements = refused.body.error!.details!.statements as { Principal: { AWS?: string } }[];
    expect(statements[0]!.Principal.AWS).toMatch(/^arn:aws:iam::000000000000:role\/.*PartnerQueueSender/);
    await cloud.clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: partnerQueue.QueueUrl,
        Attributes: { Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) },
      }),
    );
    const civil = await subscribe(civilRequest);
    expect(civil.status, JSON.stringify(civil.body)).toBe(201);
    expect(civil.body.signingSecret).toBeUndefined();
    expect(civil.body.rules.length).toBeGreaterThan(1);

    // Each subscription is an EventBridge rule on the bus, named after it and its partner.
    const eventbridge = new EventBridgeClient({
      region: cloud.model.region,
      endpoint: cloud.endpoints.aws,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const rule = await eventbridge.send(
      new DescribeRuleCommand({ Name: `kcbx-sub-${justice.body.id}`, EventBusName: busName }),
    );
    expect(rule.Description).toContain(`${REGION}:justice`);
    const targets = await eventbridge.send(
      new ListTargetsByRuleCommand({ Rule: rule.Name!, EventBusName: busName }),
    );
    expect(targets.Targets?.[0]?.InputTransformer?.InputTemplate).toContain('<aws.events.event.json>');
    const queueTarget = await eventbridge.send(
      new ListTargetsByRuleCommand({ Rule: civil.body.rules[0]!, EventBusName: busName }),
    );
    expect(queueTarget.Targets?.[0]).toMatchObject({
      Arn: partnerQueueArn,
      RoleArn: statements[0]!.Principal.AWS,
    });

    const justiceReceiver = await startReceiver(justicePort, justice.body.signingSecret!, justiceFile);
    receivers.push(justiceReceiver);
    receivers.push(await startReceiver(policePort, police.body.signingSecret!, policeFile));

    // The test route reaches the endpoint now; for a queue it checks the policy again.
    const probe = await api<{ ok: boolean; status: number; eventId: string }>(
      'POST',
      `/subscriptions/${justice.body.id}/test`,
    );
    expect(probe.body).toMatchObject({ ok: true, status: 200 });
    expect((await api('POST', `/subscriptions/${civil.body.id}/test`)).body).toEqual({
      target: 'sqs',
      policyAllows: true,
    });

    // A case run to overdue: B absent three working days, the attendance rule, then Friday's sweep.
    const check = await reportAbsences(cloud, {
      school,
      county,
      schoolCode: SCHOOL,
      children: [
        { name: '张三', idNumber: A, grade: '五年级', status: 'PRESENT' },
        { name: '李四', idNumber: B, grade: '六年级', status: 'ABSENT_UNEXCUSED' },
      ],
      dates: ['2026-03-02', '2026-03-03', '2026-03-04'],
    });
    expect(check.body.newSignals).toBe(1);
    const caseOfB = await onlyCase<{ caseId: string; version: number }>(cloud, school);
    // Reported by hand: a 户籍 problem (公安's), a disabled priority child and a left-behind priority child (民政's).
    for (const [idNumber, causeCategory, priority] of [
      [C, 'HOUSEHOLD_REGISTRATION', false],
      [D, 'DISABILITY', true],
      [E, 'LEFT_BEHIND', true],
    ] as const) {
      const res = await api(
        'POST',
        '/cases',
        { idNumber, causeCategory, priority, note: '家长电话告知' },
        school,
      );
      // A report is answered with a receipt (202); it opens a case, as no child here has one.
      expect(res.status).toBe(202);
    }
    expect(
      (await api<{ overdueEvents: number }>('POST', '/checks/deadlines', { asOf: '2026-03-06' })).body
        .overdueEvents,
    ).toBe(3);
    await cloud.eventsIdle();

    const subs = {
      justice: justice.body as Subscription,
      police: police.body as Subscription,
      civil: civil.body as Subscription,
    };
    const receivedBy = (file: string) => readJsonl(file).filter((e) => e.detailType !== 'kcbx.test');
    const justiceExpected = expectedFor(cloud, dataDir, subs.justice);
    expect(justiceExpected.map((e) => e.detailType)).toEqual([
      'case.overdue',
      'case.overdue',
      'case.overdue',
    ]);
    await eventually(async () => receivedBy(justiceFile).length === 3);
    expect(byEventId(receivedBy(justiceFile))).toEqual(byEventId(justiceExpected));
    const policeExpected = expectedFor(cloud, dataDir, subs.police);
    expect(policeExpected).toHaveLength(1);
    await eventually(async () => receivedBy(policeFile).length === 1);
    expect(receivedBy(policeFile)).toEqual(policeExpected);
    expect(receivedBy(policeFile)[0]!.data).toMatchObject({ causeCategory: 'HOUSEHOLD_REGISTRATION' });

    const drainQueue = async (url: string) => {
      const bodies: Envelope[] = [];
      for (;;) {
        const res = await cloud.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
        );
        if (!res.Messages?.length) return bodies;
        bodies.push(...res.Messages.map((m) => JSON.parse(m.Body!) as Envelope));
        await cloud.clients.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: res.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
    };
    const civilReceived = await drainQueue(partnerQueue.QueueUrl!);
    const civilExpected = expectedFor(cloud, dataDir, subs.civil);
    expect(civilExpected.map((e) => e.detailType)).toEqual(['case.opened', 'case.opened']);
    expect(byEventId(civilReceived.map((e) => withoutEmptyText(e) as Envelope))).toEqual(
      byEventId(civilExpected),
    );
    // 民政 learns a left-behind child's cause, not a disabled child's.
    const causes = civilReceived.map((e) => e.data.causeCategory).sort();
    expect(causes).toEqual(['LEFT_BEHIND', undefined]);
    expect(JSON.stringify(civilReceived)).not.toContain('DISABILITY');

    // Nobody got a field its department may not see, nor a raw ID or name.
    const wire = JSON.stringify([readJsonl(justiceFile), readJsonl(policeFile), civilReceived]);
    for (const forbidden of [A, B, C, D, E, '李四', 'escalatedTo']) expect(wire).not.toContain(forbidden);
    expect(JSON.stringify(readJsonl(justiceFile))).not.toContain('maskedId');

    // The endpoint goes down; the case moves on. Deliveries fail, are retried, then parked in the subscription's DLQ.
    await justiceReceiver.stop();
    const act = async (action: Record<string, unknown>, token = school) => {
      const current = await api<{ version: number }>('GET', `/cases/${caseOfB.caseId}`, undefined, token);
      const res = await api(
        'POST',
        `/cases/${caseOfB.caseId}/actions`,
        { expectedVersion: current.body.version, action },
        token,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    for (const line of ['PROVINCE_PLATFORM', 'TOWNSHIP', 'COUNTY_BUREAU'])
      await act({ type: 'ACKNOWLEDGE_REPORT', line, date: '2026-03-06' }, county);
    await act({
      type: 'ASSIGN_RESPONSIBLE',
      chain: SAMPLE_CHAIN,
    });
    await act({ type: 'START_VERIFYING' });
    await act({ type: 'CONFIRM', note: '家访核实：在家务农，未到校' });
    await act({ type: 'START_PERSUADING' });
    await cloud.eventsIdle();
    const parked = await eventually(async () => {
      const res = await api<{ deadLetters: number }>('GET', `/subscriptions/${justice.body.id}`);
      return res.body.deadLetters === 3 && res.body.deadLetters;
    });
    expect(parked).toBe(3);

    // It comes back. `kcbx replay` sends the archived events again to its rule only and waits for the replay.
    const back = await startReceiver(justicePort, justice.body.signingSecret!, justiceFile);
    receivers.push(back);
    const replay = kcbx([
      'replay',
      '--subscription',
      justice.body.id,
      '--since',
      started,
      '--api',
      cloud.apiUrl,
      '--token',
      county,
      '--interval',
      '0.5',
    ]);
    let replayOutput = '';
    replay.stdout.on('data', (c: Buffer) => {
      replayOutput += c.toString();
    });
    replay.stderr.on('data', (c: Buffer) => {
      replayOutput += c.toString();
    });
    const replayCode = await new Promise<number | null>((resolve) => replay.on('exit', resolve));
    expect(replayCode, replayOutput).toBe(0);
    expect(replayOutput).toContain('replay completed');
    await cloud.eventsIdle();
    await eventually(async () => receivedBy(justiceFile).length === 6);

    // The parked deliveries are redriven too: already delivered by the replay, they are not posted again.
    const redriven = await api<{ moved: number; remaining: number }>(
      'POST',
      `/subscriptions/${justice.body.id}/redrive`,
    );
    expect(redriven.body).toEqual({ moved: 3, remaining: 0 });
    await cloud.eventsIdle();
    await new Promise((r) => setTimeout(r, 3000));

    // Nothing lost, nothing twice, each child's changes in order.
    const final = receivedBy(justiceFile);
    expect(byEventId(final)).toEqual(byEventId(expectedFor(cloud, dataDir, subs.justice)));
    expect(new Set(final.map((e) => e.eventId)).size).toBe(final.length);
    expect(back.output()).not.toContain('duplicate');
    expect(
      final.filter((e) => e.detailType === 'case.state-changed').map((e) => `${e.data.from}>${e.data.to}`),
    ).toEqual(['SUSPECTED>VERIFYING', 'VERIFYING>CONFIRMED', 'CONFIRMED>PERSUADING']);

    // The replay's already-delivered events (3 overdue) and the 3 redriven ones were recognised, not posted.
    expect(logs.filter((l) => l.includes('"message":"delivery duplicate"'))).toHaveLength(6);

    // Unsubscribing removes the rule and, with nothing waiting in it, the dead-letter queue.
    const removed = await api<{ status: string; deadLettersKept: number }>(
      'DELETE',
      `/subscriptions/${police.body.id}`,
    );
    expect(removed.body).toMatchObject({ status: 'deleted', deadLettersKept: 0 });
    const left = await eventbridge.send(
      new ListRulesCommand({ EventBusName: busName, NamePrefix: 'kcbx-sub-' }),
    );
    expect(left.Rules?.map((r) => r.Name)).not.toContain(`kcbx-sub-${police.body.id}`);
    const listed = await api<{ subscriptions: { id: string }[] }>('GET', '/subscriptions');
    expect(listed.body.subscriptions.map((s) => s.id).sort()).toEqual(
      [justice.body.id, civil.body.id].sort(),
    );

    // Secrets and ID numbers stay out of the logs.
    const logText = logs.join('\n');
    for (const secret of [justice.body.signingSecret!, police.body.signingSecret!])
      expect(logText).not.toContain(secret);
    for (const idNumber of [B, C, D, E]) expect(logText).not.toContain(idNumber);
  }, 300_000);
});

describe('runtime rules, queues and secrets of the local cloud', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kcbx-runtime-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const quiet = { log: () => {}, functionLog: () => {} };

  it('keep working after a restart, route like template rules, and replay from the archive to one rule', async () => {
    const aws = (cloud: LocalCloud) => {
      const common = {
        region: cloud.model.region,
        endpoint: cloud.endpoints.aws,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      };
      return { events: new EventBridgeClient(common), secrets: new SecretsManagerClient(common) };
    };
    const first = await startLocalCloud({ dataDir, ...quiet });
    const bus = first.model.buses[0]!;
    const queueArn = `arn:aws:sqs:${first.model.region}:${first.model.account}:kcbx-sub-probe`;
    const { QueueUrl } = await first.clients.sqs.send(
      new CreateQueueCommand({
        QueueName: 'kcbx-sub-probe',
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: queueArn,
                Condition: {
                  ArnEquals: {
                    'aws:SourceArn': `arn:aws:events:${first.model.region}:${first.model.account}:rule/${bus.name}/probe`,
                  },
                },
              },
            ],
          }),
        },
      }),
    );
    const { events, secrets } = aws(first);
    await events.send(
      new PutRuleCommand({
        Name: 'probe',
        EventBusName: bus.name,
        EventPattern: JSON.stringify({ source: ['kcbx.test'] }),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'probe',
        EventBusName: bus.name,
        Targets: [
          {
            Id: 'q',
            Arn: queueArn,
            InputTransformer: {
              InputPathsMap: { n: '$.detail.n', kind: '$.detail.kind' },
              InputTemplate:
                '{"n":<n>,"kind":<kind>,"rule":<aws.events.rule-name>,"text":"kind <kind>","event":<aws.events.event>}',
            },
          },
        ],
      }),
    );
    const secret = await secrets.send(
      new CreateSecretCommand({ Name: 'kcbx/sub/probe', SecretString: 'shh-its-a-secret' }),
    );
    expect(secret.ARN).toMatch(/:secret:kcbx\/sub\/probe-[A-Za-z0-9]{6}$/);
    const before = new Date(Date.now() - 1000);
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: bus.name,
            Source: 'kcbx.test',
            DetailType: 'probe',
            Detail: JSON.stringify({ n: 1, kind: 'a' }),
          },
        ],
      }),
    );
    await first.eventsIdle();
    const firstMessage = await first.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }),
    );
    const body = JSON.parse(firstMessage.Messages![0]!.Body!);
    expect(body).toMatchObject({ n: 1, kind: 'a', rule: 'probe', text: 'kind a' });
    expect(body.event).toMatchObject({ source: 'kcbx.test', 'detail-type': 'probe' });
    expect(body.event.detail).toBeUndefined();
    await first.clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [{ Id: '0', ReceiptHandle: firstMessage.Messages![0]!.ReceiptHandle! }],
      }),
    );
    await first.stop();

    const second = await startLocalCloud({ dataDir, ...quiet });
    const again = aws(second);
    expect(
      (await again.events.send(new ListRulesCommand({ EventBusName: bus.name, NamePrefix: 'probe' }))).Rules,
    ).toHaveLength(1);
    expect(
      (await again.secrets.send(new GetSecretValueCommand({ SecretId: 'kcbx/sub/probe' }))).SecretString,
    ).toBe('shh-its-a-secret');
    // The queue came back with its policy; the rule still routes to it.
    const policy = await second.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] }),
    );
    expect(policy.Attributes?.Policy).toContain('events.amazonaws.com');
    await again.events.send(
      new StartReplayCommand({
        ReplayName: 'probe-replay',
        EventSourceArn: second.model.archives[0]!.arn,
        EventStartTime: before,
        EventEndTime: new Date(),
        Destination: {
          Arn: bus.arn,
          FilterArns: [
            `arn:aws:events:${second.model.region}:${second.model.account}:rule/${bus.name}/probe`,
          ],
        },
      }),
    );
    await second.eventsIdle();
    const received = await eventually(async () => {
      const res = await second.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      return (res.Messages?.length ?? 0) >= 1 && res.Messages!.map((m) => JSON.parse(m.Body!));
    });
    // The archived event, sent again to this rule and marked with its replay.
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ n: 1, kind: 'a', event: { 'replay-name': 'probe-replay' } });
    await second.stop();
  });
});
