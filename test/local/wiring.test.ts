import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { importJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { deployments } from '../../infra/config/deployments';
import { ensureDevIssuer } from '../../infra/local/dev-issuer';
import { createManualClock } from '../../infra/local/schedule';
import { ORG_CLAIM, ROLE_CLAIM } from '../../shared/org';
import { eventually, recorded as recordedBy, useLocalCloud } from '../local-cloud';
import { addThrowawayConstruct } from './throwaway';

const clock = createManualClock(new Date('2025-09-08T00:00:00Z'));
const local = useLocalCloud({ extend: addThrowawayConstruct, clock, eventRetries: 0 });

const recorded = (as: string) => recordedBy(local().cloud, as);
const queueOf = (prefix: string) => local().cloud.model.queues.find((q) => q.logicalId.startsWith(prefix))!;
const queueDepth = async (prefix: string) => {
  const res = await local().cloud.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueOf(prefix).url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(res.Attributes!.ApproximateNumberOfMessages) +
    Number(res.Attributes!.ApproximateNumberOfMessagesNotVisible)
  );
};

describe('the local cloud runs what the template wires', () => {
  it('reads a construct added in CDK without any change to the local cloud', () => {
    const { model } = local().cloud;
    expect(model.queues.map((q) => q.logicalId)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ThrowawayWorkQueue/)]),
    );
    // It came in a nested stack of its own, as every service does, and was folded into the one model.
    const stack = model.nestedStacks.find((s) => s.logicalId.startsWith('ThrowawayStack'));
    expect(stack?.resources).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ThrowawayWorkQueue/),
        expect.stringMatching(/^ThrowawayConsumerFn/),
        expect.stringMatching(/^ThrowawayEvening/),
        expect.stringMatching(/^RoutesCountyOnly/),
      ]),
    );
    expect(model.nestedStacks.map((s) => s.logicalId)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^CasesStack/), expect.stringMatching(/^IdentityStack/)]),
    );
    expect(model.eventSourceMappings.length).toBeGreaterThanOrEqual(2);
    expect(model.rules.filter((r) => r.schedule && r.logicalId.startsWith('Throwaway')).length).toBe(1);
    expect(model.s3Notifications[0]?.targets[0]).toMatchObject({ kind: 'queue', prefix: 'incoming/' });
  });

  it('delivers an SQS batch, deletes the successes and moves the failing record to the DLQ after maxReceiveCount', async () => {
    const { cloud } = local();
    await cloud.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueOf('ThrowawayWorkQueue').url,
        Entries: [
          { Id: '1', MessageBody: JSON.stringify({ n: 1 }) },
          { Id: '2', MessageBody: JSON.stringify({ n: 2, fail: true }) },
          { Id: '3', MessageBody: JSON.stringify({ n: 3 }) },
        ],
      }),
    );
    const ok = await eventually(async () => {
      const bodies = await recorded('consumer');
      return bodies.length === 2 && bodies;
    });
    expect(ok.map((b) => JSON.parse(b).n).sort()).toEqual([1, 3]);

    // maxReceiveCount is 2 and the visibility timeout 5 s: the failing record moves on its third receive.
    const dead = await eventually(async () => {
      const res = await cloud.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueOf('ThrowawayWorkDlq').url, MaxNumberOfMessages: 10 }),
      );
      return res.Messages?.length ? res.Messages : undefined;
    });
    expect(dead.map((m) => JSON.parse(m.Body!))).toEqual([{ n: 2, fail: true }]);
    expect(await queueDepth('ThrowawayWorkQueue')).toBe(0);
    expect(await recorded('consumer')).toHaveLength(2);
  });

  it('routes a bus event to the rule whose pattern matches and not to the one that does not', async () => {
    const { cloud } = local();
    const bus = cloud.model.buses[0]!.name;
    const result = cloud.putEvents([
      {
        EventBusName: bus,
        Source: 'kcbx.test',
        DetailType: 'thing.happened',
        Detail: JSON.stringify({ kind: 'a', n: 7 }),
      },
    ]);
    expect(result.FailedEntryCount).toBe(0);
    await cloud.eventsIdle();
    const [event] = (await recorded('rule-a')).map((b) => JSON.parse(b));
    expect(event).toMatchObject({
      source: 'kcbx.test',
      'detail-type': 'thing.happened',
      detail: { kind: 'a', n: 7 },
    });
    expect(await recorded('rule-b')).toEqual([]);
  });

  it('delivers an S3 upload under the notified prefix to its consumer, and ignores other prefixes', async () => {
    const { cloud } = local();
    const bucket = cloud.model.buckets.find((b) => b.logicalId.startsWith('DataRosters'))!.name;
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'elsewhere/x.csv', Body: 'a,b\n' }),
    );
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'incoming/530124/roster.csv', Body: '身份证号,姓名\n' }),
    );
    const bodies = await eventually(async () => {
      const b = await recorded('upload');
      return b.length > 0 && b;
    });
    const records = bodies.flatMap((b) => JSON.parse(b).Records);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      eventName: expect.stringMatching(/^ObjectCreated:/),
      s3: { bucket: { name: bucket }, object: { key: 'incoming/530124/roster.csv' } },
    });
  });

  it('fires a scheduled rule when the injected clock reaches its cron time, once', async () => {
    await clock.advanceTo(new Date('2025-09-08T09:59:00Z'));
    expect(await recorded('schedule')).toEqual([]);
    await clock.advanceTo(new Date('2025-09-08T10:30:00Z'));
    await local().cloud.eventsIdle();
    const events = (await recorded('schedule')).map((b) => JSON.parse(b));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      time: '2025-09-08T10:00:00Z',
    });
  });
});

describe('the local HTTP API and its authorizer', () => {
  const get = async (path: string, token?: string) => {
    const res = await fetch(`${local().cloud.apiUrl}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return {
      status: res.status,
      body: (await res.json()) as { keys?: Record<string, unknown>[] } & Record<string, unknown>,
    };
  };

  it('answers an authorized call through the route the template declares', async () => {
    const token = await local().cloud.token({ role: 'school', org: '2153012401' });
    const res = await get('/me', token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ role: 'school', org: '2153012401', idVisibility: 'full' });
  });

  it('refuses a request without a token, or with a forged one, with 401', async () => {
    expect((await get('/me')).status).toBe(401);
    const token = await local().cloud.token({ role: 'county', org: '530124' });
    const forged = `${token.slice(0, -4)}AAAA`;
    expect((await get('/me', forged)).status).toBe(401);
  });

  it('refuses a correctly signed token that has no expiry, or has expired, with 401', async () => {
    const { dataDir } = local();
    const deployment = deployments.find((d) => d.local)!;
    const dev = await ensureDevIssuer(dataDir, deployment.identity.issuer, deployment.identity.audience[0]!);
    const sign = async (expiresAt?: number) => {
      const jwt = new SignJWT({ [ROLE_CLAIM]: 'county', [ORG_CLAIM]: '530124' })
        .setProtectedHeader({ alg: 'ES256', kid: dev.privateKey.kid, typ: 'JWT' })
        .setIssuer(dev.issuer)
        .setAudience(dev.audience)
        .setSubject('dev-county-530124')
        .setIssuedAt();
      if (expiresAt !== undefined) jwt.setExpirationTime(expiresAt);
      return jwt.sign(await importJWK(dev.privateKey, 'ES256'));
    };
    const now = Math.floor(Date.now() / 1000);
    expect((await get('/me', await sign(now + 600))).status).toBe(200);
    expect((await get('/me', await sign())).status).toBe(401);
    expect((await get('/me', await sign(now - 600))).status).toBe(401);
  });

  it('refuses a role the route does not allow with 403', async () => {
    const school = await local().cloud.token({ role: 'school', org: '2153012401' });
    const county = await local().cloud.token({ role: 'county', org: '530124' });
    expect((await get('/test/county-only', school)).status).toBe(403);
    expect(await get('/test/county-only', county)).toEqual({ status: 200, body: { hello: '530124' } });
  });

  it('serves the development issuer keys as JWKS', async () => {
    const res = await get('/.well-known/jwks.json');
    expect(res.body.keys?.[0]).toMatchObject({ kty: 'EC', alg: 'ES256', use: 'sig' });
  });

  it('answers 404 for a route the template does not declare', async () => {
    expect((await get('/nowhere')).status).toBe(404);
  });
});
