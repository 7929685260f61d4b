/**
 * 投递 — how an HTTPS subscription's events reach the partner: the deliver function takes a batch from
 * the Deliveries queue, puts each child's events in the order they happened, builds the minimised
 * envelope (minimise.ts), signs it (signing.ts) and POSTs it with the event id as idempotency key. A
 * failure is retried with exponential backoff (the message's visibility is set to the delay and it is
 * reported as a batch item failure); after the last attempt it moves to the subscription's own
 * dead-letter queue, whence `POST /subscriptions/{id}/redrive` brings it back.
 *
 * Delivery items (owned by notifications) make a replay or redrive harmless to the partner: an event
 * already delivered to a subscription is not posted again.
 *
 *   pk DELIVERY#<subscriptionId>  sk EVENT#<eventId>   deliveredAt, status; TTL 90 days
 */
import { lookup } from 'node:dns/promises';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, env, secretsManager, sqs } from '../../../shared/aws/clients';
import { deliveryEnvelope } from '../domain/minimise';
import { signDelivery } from '../domain/signing';
import { matchesSubscription, type Subscription } from '../domain/subscription';
import { getSubscription, type StoredSubscription } from './subscriptions-repo';

/** How hard the deliver function tries (environment of the function; defaults in the CDK construct). */
export interface DeliverySettings {
  /** Attempts before a delivery moves to the subscription's dead-letter queue. */
  maxAttempts: number;
  /** Delay after the first failed attempt; doubles with each further one. */
  backoffSeconds: number;
  maxBackoffSeconds: number;
  /** How long one POST may take. */
  timeoutSeconds: number;
}

const positive = (name: string) => {
  const n = Number(env(name));
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`${name} must be a positive number, not ${process.env[name]}`);
  return n;
};

export function deliverySettings(): DeliverySettings {
  return {
    maxAttempts: positive('KCBX_DELIVERY_MAX_ATTEMPTS'),
    backoffSeconds: positive('KCBX_DELIVERY_BACKOFF_SECONDS'),
    maxBackoffSeconds: positive('KCBX_DELIVERY_MAX_BACKOFF_SECONDS'),
    timeoutSeconds: positive('KCBX_DELIVERY_TIMEOUT_SECONDS'),
  };
}

// SQS caps a message's visibility timeout at 12 hours.
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * The delay before attempt `attempt + 1`: base × 2^(attempt−1), capped, with "equal jitter" (between
 * half and all of it) so that many deliveries failing together do not all come back at once.
 */
export function backoffSeconds(attempt: number, s: DeliverySettings, random = Math.random): number {
  const full = Math.min(
    s.maxBackoffSeconds,
    s.backoffSeconds * 2 ** Math.max(0, attempt - 1),
    MAX_VISIBILITY_SECONDS,
  );
  return Math.max(1, Math.round(full / 2 + random() * (full / 2)));
}

/** One message of the Deliveries queue, as the HTTPS rule's input transformer wrote it. */
export interface DeliveryItem {
  messageId: string;
  receiptHandle: string;
  /** 1 on the first delivery (SQS ApproximateReceiveCount). */
  attempt: number;
  body: string;
  subscriptionId: string;
  event: {
    id: string;
    'detail-type': string;
    source: string;
    time: string;
    detail: Record<string, unknown>;
    'replay-name'?: string;
  };
}

/** Who an event is about, for ordering: the child, else the case, else the event alone. */
function subjectOf(item: DeliveryItem): string {
  const d = item.event.detail;
  const child = (d.child as { childKey?: unknown } | undefined)?.childKey;
  const subject = typeof child === 'string' ? child : typeof d.caseId === 'string' ? d.caseId : item.event.id;
  return `${item.subscriptionId}|${subject}`;
}

const occurredAt = (item: DeliveryItem) =>
  typeof item.event.detail.occurredAt === 'string' ? item.event.detail.occurredAt : item.event.time;

/**
 * 按儿童排序 — a batch split into chains, one per subscription and child, each in the order its events
 * happened. A chain is delivered one event after the other and stops at the first failure: the later
 * events of that child fail too, so a partner never gets a child's later event before an earlier one
 * that is still being retried.
 */
export function deliveryChains(items: readonly DeliveryItem[]): DeliveryItem[][] {
  const chains = new Map<string, DeliveryItem[]>();
  for (const item of items) {
    const key = subjectOf(item);
    chains.set(key, [...(chains.get(key) ?? []), item]);
  }
  return [...chains.values()].map((chain) =>
    chain.sort((a, b) => occurredAt(a).localeCompare(occurredAt(b)) || a.event.id.localeCompare(b.event.id)),
  );
}

// ── the subscription and its secret, cached per execution environment ───────────────────────────────

const CACHE_MS = 60_000;
const cache = new Map<string, { at: number; stored: StoredSubscription | undefined; secret?: string }>();

async function subscriptionFor(id: string) {
  const hit = cache.get(id);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit;
  const stored = await getSubscription(id);
  let secret: string | undefined;
  if (stored?.resources.secretArn && stored.subscription.status === 'active') {
    const res = await secretsManager().send(
      new GetSecretValueCommand({ SecretId: stored.resources.secretArn }),
    );
    secret = res.SecretString;
  }
  const entry = { at: Date.now(), stored, secret };
  // Not remembered while absent: the rule exists a moment before the subscription item is written.
  if (stored) cache.set(id, entry);
  return entry;
}

/** The signing secret of an HTTPS subscription. */
export async function signingSecretOf(stored: StoredSubscription): Promise<string> {
  const { secret } = await subscriptionFor(stored.subscription.id);
  if (!secret) throw new Error(`subscription ${stored.subscription.id} has no signing secret`);
  return secret;
}

// ── the partner's endpoint ──────────────────────────────────────────────────────────────────────────

const PRIVATE = [
  /^0\./,
  /^10\./,
  /^127\./,
  /^169\.254\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^192\.168\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
];
const isPrivate = (address: string) =>
  PRIVATE.some((r) => r.test(address)) || /^(::1?|f[cd]|fe[89ab]|::ffff:)/i.test(address);

export interface PostResult {
  ok: boolean;
  status?: number;
  error?: string;
  durationMs: number;
}

/**
 * POSTs a signed body. Redirects are not followed (a signature is for one address), and outside local
 * development a host name that resolves to a private or loopback address is refused: the check at
 * subscribe time saw only the name.
 */
export async function postSigned(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutSeconds: number,
  allowLoopback: boolean,
): Promise<PostResult> {
  const started = Date.now();
  try {
    const { hostname } = new URL(url);
    if (!allowLoopback) {
      const addresses = await lookup(hostname.replace(/^\[|\]$/g, ''), { all: true });
      const bad = addresses.find((a) => isPrivate(a.address));
      if (bad)
        return {
          ok: false,
          error: `${hostname} resolves to the private address ${bad.address}`,
          durationMs: 0,
        };
    }
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'kcbx-delivery/1',
        ...headers,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    await res.arrayBuffer().catch(() => undefined);
    return {
      ok: res.status >= 200 && res.status < 300,
      status: res.status,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, error: e.cause?.code ?? e.name ?? e.message, durationMs: Date.now() - started };
  }
}

// ── delivery records ────────────────────────────────────────────────────────────────────────────────

const RECORD_DAYS = 90;
const table = () => env('KCBX_TABLE');
const recordKey = (subscriptionId: string, eventId: string) => ({
  pk: `DELIVERY#${subscriptionId}`,
  sk: `EVENT#${eventId}`,
});

export async function wasDelivered(subscriptionId: string, eventId: string): Promise<boolean> {
  const res = await dynamo().send(
    new GetCommand({
      TableName: table(),
      Key: recordKey(subscriptionId, eventId),
      ProjectionExpression: 'pk',
    }),
  );
  return res.Item !== undefined;
}

async function recordDelivered(subscriptionId: string, eventId: string, status: number, at: Date) {
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: {
          ...recordKey(subscriptionId, eventId),
          type: 'delivery',
          deliveredAt: at.toISOString(),
          status,
          expiresAt: Math.floor(at.getTime() / 1000) + RECORD_DAYS * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
  }
}

// ── one batch ───────────────────────────────────────────────────────────────────────────────────────

export type Outcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'duplicate' }
  | { kind: 'dropped'; why: string }
  | { kind: 'failed'; why: string };

export interface DeliverContext {
  settings: DeliverySettings;
  deliveryQueueUrl: string;
  allowLoopback: boolean;
  /** Milliseconds left before the function times out. */
  remainingMs: () => number;
  log: (message: string, fields: Record<string, unknown>) => void;
}

async function deliverOne(item: DeliveryItem, ctx: DeliverContext): Promise<Outcome> {
  const { stored } = await subscriptionFor(item.subscriptionId);
  // Being created (its rule exists a moment before its item), or a rule left behind: retried, and in the
  // second case it ends in the Deliveries DLQ, whose alarm calls operations.
  if (!stored) return { kind: 'failed', why: 'unknown subscription' };
  const sub: Subscription = stored.subscription;
  if (sub.status !== 'active') return { kind: 'dropped', why: 'the subscription was deleted' };
  if (sub.target.kind !== 'https') return { kind: 'dropped', why: 'not an HTTPS subscription' };
  const { event } = item;
  // The rule already matched; checking again keeps a changed allow-list from passing an old rule's events.
  if (!matchesSubscription(sub, event['detail-type'], event.detail, event.source))
    return { kind: 'dropped', why: 'the event is not for this subscription (any more)' };
  const envelope = deliveryEnvelope(sub, event['detail-type'], event.detail);
  if (!envelope) return { kind: 'dropped', why: 'the department may not receive this event type' };
  if (await wasDelivered(sub.id, envelope.eventId)) return { kind: 'duplicate' };
  const body = JSON.stringify(envelope);
  const now = new Date();
  const headers = signDelivery(
    await signingSecretOf(stored),
    body,
    Math.floor(now.getTime() / 1000),
    envelope.eventId,
  );
  const res = await postSigned(sub.target.url, body, headers, ctx.settings.timeoutSeconds, ctx.allowLoopback);
  if (!res.ok) return { kind: 'failed', why: res.status ? `HTTP ${res.status}` : (res.error ?? 'no answer') };
  await recordDelivered(sub.id, envelope.eventId, res.status!, now);
  return { kind: 'delivered', status: res.status! };
}

/** After a failed attempt: wait and retry, or, after the last one, park it in the subscription's DLQ. */
async function afterFailure(
  item: DeliveryItem,
  why: string,
  ctx: DeliverContext,
): Promise<'retry' | 'parked'> {
  if (item.attempt >= ctx.settings.maxAttempts) {
    const { stored } = await subscriptionFor(item.subscriptionId);
    if (stored) {
      await sqs().send(
        new SendMessageCommand({
          QueueUrl: stored.resources.deadLetterQueueUrl,
          MessageBody: item.body,
          MessageAttributes: {
            ERROR_MESSAGE: { DataType: 'String', StringValue: why.slice(0, 256) },
            ATTEMPTS: { DataType: 'Number', StringValue: String(item.attempt) },
          },
        }),
      );
      return 'parked';
    }
  }
  const delay = backoffSeconds(item.attempt, ctx.settings);
  await sqs()
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: ctx.deliveryQueueUrl,
        ReceiptHandle: item.receiptHandle,
        VisibilityTimeout: delay,
      }),
    )
    .catch((err: Error) =>
      ctx.log('could not set the retry delay', { messageId: item.messageId, error: err.message }),
    );
  return 'retry';
}

/**
 * Delivers a batch chain by chain (chains in parallel, a chain in order) and returns the ids of the
 * messages to receive again. Stops starting deliveries when the function is about to time out: what is
 * left comes back after the queue's visibility timeout.
 */
export async function deliverBatch(items: readonly DeliveryItem[], ctx: DeliverContext): Promise<string[]> {
  const retry: string[] = [];
  const SAFETY_MS = (ctx.settings.timeoutSeconds + 5) * 1000;
  const runChain = async (chain: DeliveryItem[]) => {
    let blockedBy: string | undefined;
    for (const item of chain) {
      const fields = {
        subscriptionId: item.subscriptionId,
        eventId: item.event.detail.eventId,
        detailType: item.event['detail-type'],
        attempt: item.attempt,
        replay: item.event['replay-name'],
      };
      if (!blockedBy && ctx.remainingMs() < SAFETY_MS) {
        retry.push(item.messageId);
        continue;
      }
      let outcome: Outcome;
      try {
        outcome = blockedBy
          ? { kind: 'failed', why: `waits for the child's earlier event ${blockedBy}` }
          : await deliverOne(item, ctx);
      } catch (err) {
        outcome = { kind: 'failed', why: (err as Error).message };
      }
      ctx.log(`delivery ${outcome.kind}`, { ...fields, ...outcome });
      if (outcome.kind !== 'failed') continue;
      blockedBy ??= String(item.event.detail.eventId ?? item.event.id);
      try {
        if ((await afterFailure(item, outcome.why, ctx)) === 'retry') retry.push(item.messageId);
        else ctx.log('delivery parked in the subscription dead-letter queue', fields);
      } catch (err) {
        ctx.log('could not park the delivery; it will be received again', {
          ...fields,
          error: (err as Error).message,
        });
        retry.push(item.messageId);
      }
    }
  };
  const chains = deliveryChains(items);
  // A few chains at once: one slow endpoint must not hold up the others, nor open a connection per event.
  const CONCURRENCY = 4;
  for (let i = 0; i < chains.length; i += CONCURRENCY)
    await Promise.all(chains.slice(i, i + CONCURRENCY).map(runChain));
  return retry;
}
