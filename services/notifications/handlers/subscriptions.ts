/**
 * The subscription API (county or ops): partner departments' subscriptions to events, each an
 * EventBridge rule on the deployment bus (adapters/subscription-rules.ts). See
 * services/notifications/README.md, "Delivery".
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { env } from '../../../shared/aws/clients';
import { type Caller, parsePartnerOrg, regionCovers } from '../../../shared/org';
import { badRequest, conflict, notFound, UserFacingError } from '../../../shared/runtime/errors';
import { httpHandler, reply } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { postSigned, signingSecretOf } from '../adapters/deliveries';
import {
  checkPartnerQueue,
  deadLetterCount,
  describeSubscriptionReplay,
  newSubscriptionId,
  notificationsEnv,
  provisionSubscription,
  QueueNotReadyError,
  RULE_PREFIX,
  redriveDeadLetters,
  SUBSCRIPTION_ID,
  startSubscriptionReplay,
  unprovisionSubscription,
} from '../adapters/subscription-rules';
import {
  getSubscription,
  insertSubscription,
  listSubscriptions,
  markDeleted,
  type StoredSubscription,
} from '../adapters/subscriptions-repo';
import { CONTRACT_VERSION } from '../domain/minimise';
import { generateSigningSecret, signDelivery } from '../domain/signing';
import {
  isLocalDevelopmentTarget,
  type Subscription,
  subscriptionInputSchema,
  subscriptionProblems,
} from '../domain/subscription';

const observability = createObservability('notifications');
const managers = ['county', 'ops'] as const;
const idPath = z.object({
  id: z.string().regex(SUBSCRIPTION_ID, 'a subscription id such as sabcdefghijklmnop'),
});

const covers = (caller: Caller, sub: Subscription) => {
  const partner = parsePartnerOrg(sub.partnerOrg);
  return partner !== undefined && regionCovers(caller.org, partner.region);
};

/** The subscription if the caller's region covers the partner's; another region's answers 404. */
async function subscriptionFor(caller: Caller, id: string): Promise<StoredSubscription> {
  const stored = await getSubscription(id);
  if (!stored || !covers(caller, stored.subscription))
    throw notFound({ zh: `订阅 ${id}`, en: `Subscription ${id}` });
  return stored;
}

const activeOnly = (stored: StoredSubscription) => {
  if (stored.subscription.status !== 'active')
    throw conflict('SUBSCRIPTION_DELETED', {
      zh: `订阅 ${stored.subscription.id} 已删除，请新建订阅。`,
      en: `Subscription ${stored.subscription.id} was deleted; create a new one.`,
    });
};

const view = (stored: StoredSubscription) => ({
  ...stored.subscription,
  rules: stored.resources.ruleNames,
  deadLetterQueue: stored.resources.deadLetterQueueArn,
  ...(stored.deletedAt ? { deletedAt: stored.deletedAt } : {}),
});

const queueRefusal = (err: QueueNotReadyError) =>
  new UserFacingError(400, 'QUEUE_NOT_READY', err.text, err.statements && { statements: err.statements });

/** POST /subscriptions — creates the rule(s), the dead-letter queue and, for HTTPS, the signing secret. */
export const createHandler = httpHandler({
  observability,
  roles: managers,
  input: { body: subscriptionInputSchema },
  handle: async ({ caller, body }) => {
    const e = notificationsEnv();
    const region = env('KCBX_REGION_CODE');
    const partner = parsePartnerOrg(body.partnerOrg)!;
    if (!regionCovers(caller.org, partner.region))
      throw badRequest('OUT_OF_SCOPE', {
        zh: `协作部门 ${body.partnerOrg} 不在本单位辖区（${caller.org}）内。`,
        en: `The partner ${body.partnerOrg} is outside your jurisdiction (${caller.org}).`,
      });
    const problems = subscriptionProblems({ ...body, region });
    if (problems.length > 0)
      throw badRequest('INVALID_SUBSCRIPTION', {
        zh: problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('；'),
        en: problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; '),
      });
    if (isLocalDevelopmentTarget(body.target) && !e.allowLoopbackTargets)
      throw badRequest('LOCAL_TARGET', {
        zh: 'http://127.0.0.1 与 http://localhost 仅用于本机开发，正式部署请填写 https:// 地址。',
        en: 'http://127.0.0.1 and http://localhost are for local development only; use an https:// address.',
      });

    const sub: Subscription = {
      ...body,
      id: newSubscriptionId(),
      region,
      createdAt: new Date().toISOString(),
      createdBy: caller.sub,
      status: 'active',
    };
    const secret = sub.target.kind === 'https' ? generateSigningSecret() : undefined;
    let resources: StoredSubscription['resources'];
    try {
      resources = await provisionSubscription(sub, secret, e);
    } catch (err) {
      if (err instanceof QueueNotReadyError) throw queueRefusal(err);
      throw err;
    }
    const stored = { subscription: sub, resources };
    if (!(await insertSubscription(stored))) {
      await unprovisionSubscription(resources, e, true);
      throw new Error(`subscription id ${sub.id} is taken`);
    }
    return reply(201, {
      ...view(stored),
      ...(secret
        ? {
            signingSecret: secret,
            note: {
              zh: '签名密钥只显示这一次，请妥善保存（npx kcbx receive --secret …）。',
              en: 'The signing secret is shown this once: keep it (npx kcbx receive --secret …).',
            },
          }
        : {}),
    });
  },
});

/** GET /subscriptions — the subscriptions of partners in the caller's region, newest first. */
export const listHandler = httpHandler({
  observability,
  roles: managers,
  input: { query: z.object({ status: z.enum(['active', 'deleted', 'all']).default('active') }) },
  handle: async ({ caller, query }) => {
    const all = await listSubscriptions(env('KCBX_REGION_CODE'));
    const subscriptions = all
      .filter((s) => covers(caller, s.subscription))
      .filter((s) => query.status === 'all' || s.subscription.status === query.status)
      .reverse()
      .map(view);
    return { subscriptions };
  },
});

/** GET /subscriptions/{id} — the subscription, its rules and how many deliveries wait in its DLQ. */
export const getHandler = httpHandler({
  observability,
  roles: managers,
  input: { path: idPath },
  handle: async ({ caller, path }) => {
    const stored = await subscriptionFor(caller, path.id);
    const waiting = await deadLetterCount(stored.resources).catch(() => undefined);
    return { ...view(stored), deadLetters: waiting };
  },
});

/**
 * DELETE /subscriptions/{id}[?dropDeadLetters=true] — removes the rules (deliveries stop) and schedules
 * the secret's deletion. A dead-letter queue that holds undelivered events is kept for inspection or
 * redrive unless dropDeadLetters is set; deleting again with it set removes the queue.
 */
export const deleteHandler = httpHandler({
  observability,
  roles: managers,
  input: {
    path: idPath,
    query: z.object({ dropDeadLetters: z.enum(['true', 'false']).default('false') }),
  },
  handle: async ({ caller, path, query }) => {
    const stored = await subscriptionFor(caller, path.id);
    const drop = query.dropDeadLetters === 'true';
    if (stored.subscription.status !== 'active' && !drop)
      return { ...view(stored), deadLettersKept: undefined };
    const { deadLettersKept } = await unprovisionSubscription(stored.resources, notificationsEnv(), drop);
    const at = new Date().toISOString();
    await markDeleted(stored.subscription.id, at);
    return {
      ...view({
        ...stored,
        subscription: { ...stored.subscription, status: 'deleted' },
        deletedAt: stored.deletedAt ?? at,
      }),
      deadLettersKept,
    };
  },
});

/**
 * POST /subscriptions/{id}/test — HTTPS: sends a signed test event to the endpoint now and reports the
 * answer. SQS: checks again that the queue's policy lets the bus send to it.
 */
export const testHandler = httpHandler({
  observability,
  roles: managers,
  input: { path: idPath },
  handle: async ({ caller, path }) => {
    const stored = await subscriptionFor(caller, path.id);
    activeOnly(stored);
    const { subscription: sub, resources } = stored;
    const e = notificationsEnv();
    if (sub.target.kind === 'sqs') {
      try {
        await checkPartnerQueue(sub.target.queueArn, resources.ruleArns, e);
      } catch (err) {
        if (err instanceof QueueNotReadyError) throw queueRefusal(err);
        throw err;
      }
      return { target: 'sqs', policyAllows: true };
    }
    const now = new Date();
    const envelope = {
      contractVersion: CONTRACT_VERSION,
      eventId: `test-${randomUUID()}`,
      detailType: 'kcbx.test',
      occurredAt: now.toISOString(),
      subscriptionId: sub.id,
      partnerOrg: sub.partnerOrg,
      data: { message: '测试事件：订阅已连通。 Test event: the subscription reaches you.' },
    };
    const body = JSON.stringify(envelope);
    const headers = signDelivery(
      await signingSecretOf(stored),
      body,
      Math.floor(now.getTime() / 1000),
      envelope.eventId,
    );
    const res = await postSigned(sub.target.url, body, headers, 10, e.allowLoopbackTargets);
    return {
      target: 'https',
      eventId: envelope.eventId,
      ok: res.ok,
      status: res.status,
      error: res.error,
      durationMs: res.durationMs,
    };
  },
});

const instant = z.iso.datetime({ offset: true, error: 'an ISO 8601 time such as 2026-03-06T00:00:00Z' });

/** POST /subscriptions/{id}/replay {since, until?} — sends archived events again, to this subscription only. */
export const replayHandler = httpHandler({
  observability,
  roles: managers,
  input: { path: idPath, body: z.strictObject({ since: instant, until: instant.optional() }) },
  handle: async ({ caller, path, body }) => {
    const stored = await subscriptionFor(caller, path.id);
    activeOnly(stored);
    const since = new Date(body.since);
    const now = new Date();
    const until = body.until ? new Date(body.until) : now;
    if (since >= until)
      throw badRequest('INVALID_RANGE', {
        zh: `since（${body.since}）应早于 until（${until.toISOString()}）。`,
        en: `since (${body.since}) must be before until (${until.toISOString()}).`,
      });
    const started = await startSubscriptionReplay(
      stored.subscription.id,
      stored.resources,
      since,
      until > now ? now : until,
      notificationsEnv(),
    );
    return reply(202, { ...started, href: `/subscriptions/${path.id}/replays/${started.replayName}` });
  },
});

/** GET /subscriptions/{id}/replays/{name} — how far a replay has got. */
export const replayStatusHandler = httpHandler({
  observability,
  roles: managers,
  input: { path: idPath.extend({ name: z.string().max(64) }) },
  handle: async ({ caller, path }) => {
    await subscriptionFor(caller, path.id);
    const replay = path.name.startsWith(`${RULE_PREFIX}${path.id}-`)
      ? await describeSubscriptionReplay(path.name)
      : undefined;
    if (!replay) throw notFound({ zh: `重放 ${path.name}`, en: `Replay ${path.name}` });
    return {
      replayName: replay.ReplayName,
      state: replay.State,
      reason: replay.StateReason,
      eventStartTime: replay.EventStartTime?.toISOString(),
      eventEndTime: replay.EventEndTime?.toISOString(),
      eventLastReplayedTime: replay.EventLastReplayedTime?.toISOString(),
      startedAt: replay.ReplayStartTime?.toISOString(),
      endedAt: replay.ReplayEndTime?.toISOString(),
    };
  },
});

/** POST /subscriptions/{id}/redrive — moves an HTTPS subscription's dead letters back to delivery. */
export const redriveHandler = httpHandler({
  observability,
  roles: managers,
  input: { path: idPath },
  handle: async ({ caller, path }) => {
    const stored = await subscriptionFor(caller, path.id);
    activeOnly(stored);
    if (stored.subscription.target.kind !== 'https')
      throw conflict('USE_REPLAY', {
        zh: '队列订阅的死信是 EventBridge 未能投递的原始事件，无法直接重投；请用 POST /subscriptions/{id}/replay 重放相应时段（事件在存档中）。',
        en: "A queue subscription's dead letters are the events EventBridge could not deliver and cannot be redriven as they are; replay their time span with POST /subscriptions/{id}/replay (the events are in the archive).",
      });
    return redriveDeadLetters(stored.resources, notificationsEnv());
  },
});
