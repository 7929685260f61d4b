/**
 * Subsidy run items (owned by subsidy), in the shared table:
 *
 *   SUBSIDYRUN#<id>                 META                   the run (gsi1 SUBSIDYRUNS#<region> / createdAt#id)
 *   SUBSIDYRUN#<id>                 SCHOOL#<payer>         totals of one paying school
 *   SUBSIDYRUN#<id>                 OUTBOX#<n>#<eventId>   an event written, not yet confirmed sent
 *   SUBSIDYRUN#<id>#PAYER#<payer>   D#<benefit>#<childKey> one decision (child × benefit)
 *   SUBSIDYRUN#<id>#BIND#<shard>    <childKey>#<benefit>   who pays this semester, for the next run
 *
 * Decisions live in one partition per run and paying school: `?school=` is a single Query, a county's
 * list walks the schools one partition after another, and a county's run spreads its writes over its
 * schools instead of one hot key. Bindings are spread over 32 shards by the pseudonym's first letter.
 * Keys hold pseudonyms and school codes, never an ID number. Decisions carry no TTL: they are the basis of
 * payments and are kept as accounting records are (会计档案管理办法: 原始凭证 30 年).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamo, env } from '../../../shared/aws/clients';
import { batchPut, queryPages } from '../../../shared/aws/dynamo';
import type { Publishable } from '../../../shared/aws/publish';
import type { Reason } from '../../../shared/events/envelope';
import type { RosterKind } from '../../../shared/roster-kind';
import type { Binding } from '../domain/bindings';
import { payerOf, type SchoolTotal, type SubsidyDecision, type SubsidyStatus } from '../domain/determine';
import type { PolicyRef } from '../domain/policy-choice';
import type { RunTotals } from '../domain/totals-view';

export type RunStatus = 'queued' | 'running' | 'publishing' | 'completed' | 'failed';

/** What a run reads, fixed when it starts so that a retried run recomputes from the same inputs. */
export interface RunInputs {
  rosters: { uploadId: string; kind: RosterKind; org: string }[];
  /** The comparison whose outcomes hold empty seats (latest completed of the semester's period). */
  comparisonRunId?: string;
  /** The previous completed run of the semester, whose bindings the transfer rule reads. */
  previousRunId?: string;
}

/** A subsidy run: SUBSIDYRUN#<id> / META. */
export interface SubsidyRunRecord {
  id: string;
  region: string;
  semester: { code: string; label: string };
  /**
   * The policy the request named (`asked`: a built-in name or a published id; absent: the one in force)
   * and the one chosen (`choosePolicy`): when the request is accepted, or when a roster-triggered run
   * starts. A retried run uses the chosen one again.
   */
  policy: { asked?: string; chosen?: PolicyRef };
  trigger: { kind: 'roster' | 'request'; by: string };
  status: RunStatus;
  createdAt: string;
  startedAt?: string;
  completedAt?: string;
  inputs?: RunInputs;
  totals?: RunTotals;
  /** Enrolled children decided. */
  children?: number;
  /** Paying schools with decisions ('-' for none): the partitions of the run's decisions. */
  payers?: string[];
  paymentListKey?: string;
  heldEvents?: number;
  failure?: Reason;
}

/** A stored decision, as the API and the next run read it. */
export type StoredDecision = SubsidyDecision;

const table = () => env('KCBX_TABLE');
const runPk = (id: string) => `SUBSIDYRUN#${id}`;
const runKey = (id: string) => ({ pk: runPk(id), sk: 'META' });
const decisionPk = (runId: string, payer: string) => `${runPk(runId)}#PAYER#${payer}`;
const BIND_SHARDS = 'abcdefghijklmnopqrstuvwxyz234567';
const bindPk = (runId: string, shard: string) => `${runPk(runId)}#BIND#${shard}`;

const strip = (item: Record<string, unknown>) => {
  const { pk: _p, sk: _s, gsi1pk: _g1, gsi1sk: _g2, type: _t, ...rest } = item;
  return rest;
};

/** Records a run asked for (POST /subsidies/runs, or a roster trigger); false when it exists already. */
export async function queueRun(run: SubsidyRunRecord): Promise<boolean> {
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: {
          ...runKey(run.id),
          type: 'subsidy-run',
          gsi1pk: `SUBSIDYRUNS#${run.region}`,
          gsi1sk: `${run.createdAt}#${run.id}`,
          ...run,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}

export async function getRun(id: string): Promise<SubsidyRunRecord | undefined> {
  const res = await dynamo().send(
    new GetCommand({ TableName: table(), Key: runKey(id), ConsistentRead: true }),
  );
  return res.Item ? (strip(res.Item) as unknown as SubsidyRunRecord) : undefined;
}

/** queued → running, with the inputs and the policy version the run uses from now on. */
export async function startRun(
  id: string,
  patch: { inputs: RunInputs; policy: SubsidyRunRecord['policy']; startedAt: string },
): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: table(),
      Key: runKey(id),
      UpdateExpression: 'SET #status = :running, inputs = :inputs, policy = :policy, startedAt = :at',
      ConditionExpression: '#status = :queued',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':running': 'running',
        ':queued': 'queued',
        ':inputs': patch.inputs,
        ':policy': patch.policy,
        ':at': patch.startedAt,
      },
    }),
  );
}

/**
 * running → publishing, with the results. From here the run is never recomputed: a redelivered message
 * only sends what is left in the outbox.
 */
export async function markPublishing(
  id: string,
  patch: Required<Pick<SubsidyRunRecord, 'totals' | 'children' | 'payers' | 'paymentListKey' | 'heldEvents'>>,
): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: table(),
      Key: runKey(id),
      UpdateExpression:
        'SET #status = :publishing, totals = :totals, children = :children, payers = :payers, paymentListKey = :key, heldEvents = :held',
      ConditionExpression: '#status = :running',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':publishing': 'publishing',
        ':running': 'running',
        ':totals': patch.totals,
        ':children': patch.children,
        ':payers': patch.payers,
        ':key': patch.paymentListKey,
        ':held': patch.heldEvents,
      },
    }),
  );
}

export async function completeRun(id: string, completedAt: string): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: table(),
      Key: runKey(id),
      UpdateExpression: 'SET #status = :completed, completedAt = :at',
      ConditionExpression: '#status = :publishing',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':completed': 'completed',
        ':publishing': 'publishing',
        ':at': completedAt,
      },
    }),
  );
}

/** A run that cannot be computed as asked (e.g. the policy is not in force): retrying would not help. */
export async function failRun(id: string, failure: Reason, at: string): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: table(),
      Key: runKey(id),
      UpdateExpression: 'SET #status = :failed, failure = :failure, completedAt = :at',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':failed': 'failed', ':failure': failure, ':at': at },
    }),
  );
}

/** The region's most recently completed run of a semester other than `except`, if any. */
export async function latestCompletedRun(
  region: string,
  semesterCode: string,
  except: string,
): Promise<SubsidyRunRecord | undefined> {
  let best: Record<string, unknown> | undefined;
  for await (const page of queryPages({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': `SUBSIDYRUNS#${region}` },
  })) {
    for (const item of page) {
      const run = item as { id: string; status: string; semester?: { code: string }; completedAt?: string };
      if (run.id === except || run.status !== 'completed' || run.semester?.code !== semesterCode) continue;
      if (!best || String(run.completedAt) > String(best.completedAt)) best = item;
    }
  }
  return best ? (strip(best) as unknown as SubsidyRunRecord) : undefined;
}

// ── results ──────────────────────────────────────────────────────────────────────────────────────────

/** Runs `work` over `items` in chunks, a few chunks at a time (one Lambda, many partitions). */
async function inChunks<T>(items: readonly T[], size: number, work: (chunk: T[]) => Promise<void>) {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  let next = 0;
  const lane = async () => {
    while (next < chunks.length) await work(chunks[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(4, chunks.length) }, lane));
}

/** Writes a run's decisions; rewriting them (a retried run) replaces each under the same key. */
export async function writeDecisions(runId: string, decisions: readonly SubsidyDecision[]): Promise<void> {
  await inChunks(decisions, 500, (chunk) =>
    batchPut(
      table(),
      chunk.map((d) => ({
        pk: decisionPk(runId, payerOf(d)),
        sk: `D#${d.benefit}#${d.childKey}`,
        type: 'subsidy-decision',
        ...d,
      })),
    ),
  );
}

/** Writes the totals of each paying school. */
export async function writeSchoolTotals(runId: string, schools: readonly SchoolTotal[]): Promise<void> {
  await batchPut(
    table(),
    schools.map((s) => ({
      pk: runPk(runId),
      sk: `SCHOOL#${s.school || '-'}`,
      type: 'subsidy-school-total',
      ...s,
    })),
  );
}

export async function listSchoolTotals(runId: string): Promise<SchoolTotal[]> {
  const out: SchoolTotal[] = [];
  for await (const page of queryPages({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :school)',
    ExpressionAttributeValues: { ':pk': runPk(runId), ':school': 'SCHOOL#' },
  }))
    for (const item of page) out.push(strip(item) as unknown as SchoolTotal);
  return out;
}

export async function writeBindings(runId: string, bindings: readonly Binding[]): Promise<void> {
  await inChunks(bindings, 500, (chunk) =>
    batchPut(
      table(),
      chunk.map((b) => ({
        pk: bindPk(runId, b.childKey.charAt(2)),
        sk: `${b.childKey}#${b.benefit}`,
        type: 'subsidy-binding',
        ...b,
      })),
    ),
  );
}

/** Every binding a run left, shard by shard. */
export async function readBindings(runId: string): Promise<Binding[]> {
  const out: Binding[] = [];
  for (const shard of BIND_SHARDS) {
    for await (const page of queryPages({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': bindPk(runId, shard) },
    }))
      for (const item of page) out.push(strip(item) as unknown as Binding);
  }
  return out;
}

export interface DecisionFilter {
  benefit?: string;
  status?: SubsidyStatus;
}

/**
 * A page of decisions of the given paying schools (in that order), optionally of one benefit and status.
 * The cursor names the school reached and the key within it.
 */
export async function queryDecisions(
  runId: string,
  payers: readonly string[],
  filter: DecisionFilter,
  limit: number,
  cursor?: { payer: number; key?: Record<string, unknown> },
): Promise<{ decisions: StoredDecision[]; cursor?: { payer: number; key?: Record<string, unknown> } }> {
  const decisions: StoredDecision[] = [];
  let payer = cursor?.payer ?? 0;
  let start = cursor?.key;
  while (payer < payers.length && decisions.length < limit) {
    const res = await dynamo().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: filter.status ? '#status = :status' : undefined,
        ExpressionAttributeNames: filter.status ? { '#status': 'status' } : undefined,
        ExpressionAttributeValues: {
          ':pk': decisionPk(runId, payers[payer]!),
          ':prefix': filter.benefit ? `D#${filter.benefit}#` : 'D#',
          ...(filter.status ? { ':status': filter.status } : {}),
        },
        // A filter applies after Limit, so the loop reads on until the page is full.
        Limit: limit - decisions.length,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of res.Items ?? []) decisions.push(strip(item) as unknown as StoredDecision);
    start = res.LastEvaluatedKey;
    if (!start) payer++;
  }
  return { decisions, cursor: payer < payers.length ? { payer, key: start } : undefined };
}

// ── the outbox ───────────────────────────────────────────────────────────────────────────────────────

const outboxSk = (order: number, e: Publishable) =>
  `OUTBOX#${order}#${(e.detail as { eventId: string }).eventId}`;

/** The events a run will publish, stored before any is sent; `order` 1 goes out before 2. */
export async function writeOutbox(runId: string, events: readonly { order: number; event: Publishable }[]) {
  await batchPut(
    table(),
    events.map(({ order, event }) => ({
      pk: runPk(runId),
      sk: outboxSk(order, event),
      type: 'subsidy-outbox',
      event,
    })),
  );
}

/** The events still in a run's outbox, page by page in order, each with its key for {@link clearOutbox}. */
export async function* outboxPages(runId: string): AsyncGenerator<{ sk: string; event: Publishable }[]> {
  for await (const page of queryPages({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :outbox)',
    ExpressionAttributeValues: { ':pk': runPk(runId), ':outbox': 'OUTBOX#' },
    ConsistentRead: true,
  }))
    yield page.map((item) => ({ sk: String(item.sk), event: item.event as Publishable }));
}

/** Removes sent (or abandoned) outbox items, 25 per call, retrying what DynamoDB leaves unprocessed. */
export async function clearOutbox(runId: string, sks: readonly string[]): Promise<void> {
  for (let i = 0; i < sks.length; i += 25) {
    let requests = sks.slice(i, i + 25).map((sk) => ({ DeleteRequest: { Key: { pk: runPk(runId), sk } } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 8) throw new Error(`DynamoDB kept ${requests.length} deletes unprocessed`);
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const res = await dynamo().send(new BatchWriteCommand({ RequestItems: { [table()]: requests } }));
      requests = (res.UnprocessedItems?.[table()] ?? []) as typeof requests;
    }
  }
}
