/**
 * The outbox (owned by notifications): every message planned for a person, sent or waiting, and every
 * digest sent. It is also the deduplication record: a message's id is derived from its dedup key
 * (person | subject | level | day, domain/digest.ts), and it is written with a conditional put before
 * anything is sent — a redelivered event or a second sweep finds it there and sends nothing.
 *
 *   pk OUTBOX#<messageId>   sk MESSAGE
 *   gsi1 OUTBOX#<region>    / <createdAt>#<messageId>   — GET /outbox, newest first
 *   gsi2 OUTBOXDUE#<region> / <deliverAt>#<messageId>   — waiting messages (removed once sent)
 *
 * Items expire after {@link RETENTION_DAYS}: the outbox shows what was sent, the case keeps the record.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, env } from '../../../shared/aws/clients';
import { queryPages } from '../../../shared/aws/dynamo';
import type { Digest, Message } from '../domain/digest';
import type { ChannelKind } from './channels';

/** SENDING: claimed, being sent now; QUEUED: waiting for its time; SENT; DIGESTED: sent inside a digest. */
export type OutboxStatus = 'SENDING' | 'QUEUED' | 'SENT' | 'DIGESTED' | 'UNREACHABLE';

export interface OutboxEntry {
  messageId: string;
  status: OutboxStatus;
  kind: Message['kind'] | 'DIGEST';
  caseId?: string;
  personId: string;
  org: string;
  position: Message['position'];
  recipientName: string;
  text: string;
  createdAt: string;
  deliverAt?: string;
  sentAt?: string;
  via?: ChannelKind;
  digestId?: string;
  members?: string[];
}

/** 90 days: long enough to answer "was the principal told?", short enough not to keep copies of cases. */
export const RETENTION_DAYS = 90;

const table = () => env('KCBX_TABLE');
const keyOf = (id: string) => ({ pk: `OUTBOX#${id}`, sk: 'MESSAGE' });
const expiresAt = (from: string) => Math.floor(Date.parse(from) / 1000) + RETENTION_DAYS * 86_400;

/**
 * Records a planned message unless it is already there. 'new': it is yours to send (or queue);
 * 'retry': an earlier attempt claimed it and did not finish sending — send it again (at least once);
 * 'duplicate': it was sent or queued already.
 */
export async function claimMessage(region: string, message: Message): Promise<'new' | 'retry' | 'duplicate'> {
  const status: OutboxStatus = message.hold === 'NONE' ? 'SENDING' : 'QUEUED';
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: {
          ...keyOf(message.messageId),
          type: 'outbox',
          region,
          status,
          message,
          gsi1pk: `OUTBOX#${region}`,
          gsi1sk: `${message.createdAt}#${message.messageId}`,
          ...(status === 'QUEUED'
            ? { gsi2pk: `OUTBOXDUE#${region}`, gsi2sk: `${message.deliverAt}#${message.messageId}` }
            : {}),
          expiresAt: expiresAt(message.createdAt),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return 'new';
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
  }
  const existing = await dynamo().send(
    new GetCommand({ TableName: table(), Key: keyOf(message.messageId), ConsistentRead: true }),
  );
  return existing.Item?.status === 'SENDING' ? 'retry' : 'duplicate';
}

/**
 * Puts a claimed message that was never sent back on the waiting list: its retry came at a time the
 * plan now holds it (quiet hours began, or the person switched to a digest).
 */
export async function requeue(region: string, message: Message): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: table(),
      Key: keyOf(message.messageId),
      UpdateExpression: 'SET #status = :queued, message = :message, gsi2pk = :pk, gsi2sk = :sk',
      ConditionExpression: '#status = :sending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':queued': 'QUEUED',
        ':sending': 'SENDING',
        ':message': message,
        ':pk': `OUTBOXDUE#${region}`,
        ':sk': `${message.deliverAt}#${message.messageId}`,
      },
    }),
  );
}

/** Marks a message sent, and takes it off the waiting list. */
export async function markSent(
  messageId: string,
  via: ChannelKind,
  at: string,
  status: OutboxStatus = 'SENT',
) {
  await dynamo().send(
    new UpdateCommand({
      TableName: table(),
      Key: keyOf(messageId),
      UpdateExpression: 'SET #status = :status, sentAt = :at, via = :via REMOVE gsi2pk, gsi2sk',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status, ':at': at, ':via': via },
    }),
  );
}

/** The person is no longer registered: the message stays in the outbox as not delivered. */
export async function markUnreachable(messageId: string, at: string) {
  await dynamo().send(
    new UpdateCommand({
      TableName: table(),
      Key: keyOf(messageId),
      UpdateExpression: 'SET #status = :status, sentAt = :at REMOVE gsi2pk, gsi2sk',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': 'UNREACHABLE', ':at': at },
    }),
  );
}

/** The waiting messages whose time has come (deliverAt ≤ now), oldest first. */
export async function dueMessages(region: string, now: Date): Promise<Message[]> {
  const out: Message[] = [];
  const pages = queryPages({
    TableName: table(),
    IndexName: 'gsi2',
    KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk <= :until',
    ExpressionAttributeValues: { ':pk': `OUTBOXDUE#${region}`, ':until': `${now.toISOString()}~` },
  });
  for await (const page of pages) out.push(...page.map((item) => item.message as Message));
  return out;
}

/**
 * Records a digest that was sent: several messages become one entry of kind DIGEST (the text that went
 * out), and each member is marked DIGESTED with its id. A digest of one message just marks it SENT.
 */
export async function recordDigest(
  region: string,
  digest: Digest,
  via: ChannelKind,
  at: string,
): Promise<void> {
  if (digest.messages.length === 1) {
    await markSent(digest.messages[0]!.messageId, via, at);
    return;
  }
  const entry: OutboxEntry = {
    messageId: digest.digestId,
    status: 'SENT',
    kind: 'DIGEST',
    personId: digest.personId,
    org: digest.org,
    position: digest.position,
    recipientName: digest.recipientName,
    text: digest.text,
    createdAt: at,
    sentAt: at,
    via,
    members: digest.messages.map((m) => m.messageId),
  };
  await dynamo().send(
    new PutCommand({
      TableName: table(),
      Item: {
        ...keyOf(digest.digestId),
        type: 'outbox',
        region,
        status: 'SENT',
        digest: entry,
        gsi1pk: `OUTBOX#${region}`,
        gsi1sk: `${at}#${digest.digestId}`,
        expiresAt: expiresAt(at),
      },
    }),
  );
  for (const message of digest.messages) {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: keyOf(message.messageId),
        UpdateExpression:
          'SET #status = :status, sentAt = :at, via = :via, digestId = :digest REMOVE gsi2pk, gsi2sk',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': 'DIGESTED',
          ':at': at,
          ':via': via,
          ':digest': digest.digestId,
        },
      }),
    );
  }
}

function toEntry(item: Record<string, unknown>): OutboxEntry {
  if (item.digest) return item.digest as OutboxEntry;
  const m = item.message as Message;
  return {
    messageId: m.messageId,
    status: item.status as OutboxStatus,
    kind: m.kind,
    caseId: m.caseId,
    personId: m.personId,
    org: m.org,
    position: m.position,
    recipientName: m.recipientName,
    text: m.text,
    createdAt: m.createdAt,
    deliverAt: m.deliverAt,
    sentAt: item.sentAt as string | undefined,
    via: item.via as ChannelKind | undefined,
    digestId: item.digestId as string | undefined,
  };
}

/** The region's outbox, newest first: up to `limit` entries that `keep` accepts. */
export async function listOutbox(
  region: string,
  limit: number,
  keep: (entry: OutboxEntry) => boolean = () => true,
): Promise<OutboxEntry[]> {
  const out: OutboxEntry[] = [];
  const pages = queryPages({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': `OUTBOX#${region}` },
    ScanIndexForward: false,
  });
  for await (const page of pages) {
    out.push(...page.map(toEntry).filter(keep));
    if (out.length >= limit) break;
  }
  return out.slice(0, limit);
}
