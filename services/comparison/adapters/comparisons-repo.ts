import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, env } from '../../../shared/aws/clients';
import { batchPut, queryPages } from '../../../shared/aws/dynamo';
import type { Publishable } from '../../../shared/aws/publish';
import type { SuspectState } from '../domain/changes';
import type { ChildResult, ComparisonCounts, SchoolCounts } from '../domain/classify';
import type { TownshipCounts } from '../domain/township-counts';

/** A comparison run (owned by comparison): COMPARISON#<id> / META. */
export interface ComparisonRun {
  id: string;
  region: string;
  period: string;
  asOf: string;
  trigger: { kind: 'roster' | 'request'; by: string };
  status: 'running' | 'completed' | 'failed';
  inputs: { uploadId: string; kind: string; org: string }[];
  createdAt: string;
  completedAt?: string;
  counts?: ComparisonCounts;
  bySchool?: SchoolCounts[];
  /** Each township's share, so that a township never sees the county's per-school figures. */
  byTownship?: TownshipCounts[];
  exportKey?: string;
}

/** One child's result in a run: COMPARISON#<id> / R#<school>#<outcome>#<childKey>. */
export type StoredResult = ChildResult;

const table = () => env('KCBX_TABLE');
const runKey = (id: string) => ({ pk: `COMPARISON#${id}`, sk: 'META' });
const RESULT_TTL_DAYS = 400;

export async function createRun(run: ComparisonRun): Promise<void> {
  await dynamo().send(
    new PutCommand({
      TableName: table(),
      Item: {
        ...runKey(run.id),
        type: 'comparison',
        gsi1pk: `COMPARISONS#${run.region}`,
        gsi1sk: run.createdAt,
        ...run,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function completeRun(
  id: string,
  patch: Pick<ComparisonRun, 'counts' | 'bySchool' | 'byTownship' | 'exportKey' | 'completedAt'>,
) {
  await dynamo().send(
    new UpdateCommand({
      TableName: table(),
      Key: runKey(id),
      UpdateExpression:
        'SET #status = :done, counts = :counts, bySchool = :bySchool, byTownship = :byTownship, exportKey = :exportKey, completedAt = :at',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':done': 'completed',
        ':counts': patch.counts,
        ':bySchool': patch.bySchool,
        ':byTownship': patch.byTownship ?? [],
        ':exportKey': patch.exportKey ?? null,
        ':at': patch.completedAt,
      },
    }),
  );
}

export async function getRun(id: string): Promise<ComparisonRun | undefined> {
  const res = await dynamo().send(
    new GetCommand({ TableName: table(), Key: runKey(id), ConsistentRead: true }),
  );
  if (!res.Item) return undefined;
  const { pk: _p, sk: _s, gsi1pk: _g1, gsi1sk: _g2, type: _t, ...run } = res.Item;
  return run as ComparisonRun;
}

const resultSk = (r: Pick<StoredResult, 'school' | 'outcome' | 'childKey'>) =>
  `R#${r.school ?? '-'}#${r.outcome}#${r.childKey}`;

/** Writes a run's results in batches; they expire after 400 days. */
export async function writeResults(runId: string, results: readonly StoredResult[]): Promise<void> {
  const expiresAt = Math.floor(Date.now() / 1000) + RESULT_TTL_DAYS * 86400;
  await batchPut(
    table(),
    results.map((r) => ({
      pk: `COMPARISON#${runId}`,
      sk: resultSk(r),
      type: 'comparison-result',
      expiresAt,
      ...r,
    })),
  );
}

/** A page of a run's results, optionally for one school and/or one outcome. */
export async function queryResults(
  runId: string,
  filter: { school?: string; outcome?: string; township?: string },
  limit: number,
  cursor?: string,
) {
  const prefix = filter.school ? `R#${filter.school}#${filter.outcome ? `${filter.outcome}#` : ''}` : 'R#';
  const conditions: string[] = [];
  const values: Record<string, unknown> = { ':pk': `COMPARISON#${runId}`, ':prefix': prefix };
  if (filter.outcome && !filter.school) {
    conditions.push('outcome = :outcome');
    values[':outcome'] = filter.outcome;
  }
  if (filter.township) {
    conditions.push('township = :township');
    values[':township'] = filter.township;
  }
  // A filter is applied after DynamoDB's Limit, so keep reading until the page is full.
  const results: StoredResult[] = [];
  let start: Record<string, unknown> | undefined = cursor
    ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    : undefined;
  do {
    const res = await dynamo().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: conditions.length ? conditions.join(' AND ') : undefined,
        ExpressionAttributeValues: values,
        Limit: limit - results.length,
        ExclusiveStartKey: start,
      }),
    );
    for (const { pk: _p, sk: _s, type: _t, expiresAt: _e, ...r } of res.Items ?? [])
      results.push(r as StoredResult);
    start = res.LastEvaluatedKey;
  } while (start && results.length < limit);
  return {
    results,
    cursor: start ? Buffer.from(JSON.stringify(start)).toString('base64url') : undefined,
  };
}

/** What has been reported as suspected in a region (SUSPECT#<childKey>), with any unsent event. */
export async function loadSuspects(region: string) {
  const states = new Map<string, SuspectState & { pending?: Publishable; resolved?: boolean }>();
  const pages = queryPages({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': `SUSPECTS#${region}` },
  });
  for await (const page of pages) {
    for (const item of page) {
      const { childKey, outcome, since, pending, resolved } = item as unknown as SuspectState & {
        pending?: Publishable;
        resolved?: boolean;
      };
      states.set(childKey, { childKey, outcome, since, pending, resolved });
    }
  }
  return states;
}

/**
 * Records a change together with the event that announces it (an outbox): the event is sent
 * after this write, and cleared by markSent; a crash in between leaves it here to be sent by
 * the next run. A resolved child is kept (resolved=true) until its event is sent, then removed.
 */
export async function recordChange(
  region: string,
  state: SuspectState,
  event: Publishable,
  resolved: boolean,
) {
  await dynamo().send(
    new PutCommand({
      TableName: table(),
      Item: {
        pk: `SUSPECT#${state.childKey}`,
        sk: 'META',
        type: 'suspect',
        gsi1pk: `SUSPECTS#${region}`,
        gsi1sk: state.childKey,
        ...state,
        resolved,
        pending: event,
      },
    }),
  );
}

export async function markSent(childKey: string, resolved: boolean) {
  const Key = { pk: `SUSPECT#${childKey}`, sk: 'META' };
  if (resolved) {
    await dynamo().send(new DeleteCommand({ TableName: table(), Key }));
  } else {
    await dynamo().send(new UpdateCommand({ TableName: table(), Key, UpdateExpression: 'REMOVE pending' }));
  }
}

/** The region's most recent completed run (newest first on gsi1), if any. */
export async function latestCompletedRun(region: string): Promise<ComparisonRun | undefined> {
  const pages = queryPages({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': `COMPARISONS#${region}` },
    ScanIndexForward: false,
  });
  for await (const page of pages) {
    const done = page.find((item) => item.status === 'completed');
    if (done) return getRun(String(done.id));
  }
  return undefined;
}

/** Every result of a run, page by page. */
export async function* resultPages(runId: string): AsyncGenerator<StoredResult[]> {
  for await (const page of queryPages({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
    ExpressionAttributeValues: { ':pk': `COMPARISON#${runId}`, ':r': 'R#' },
  }))
    yield page as unknown as StoredResult[];
}
