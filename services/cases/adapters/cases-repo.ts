/**
 * Case items (owned by cases). One item per case, keyed by the child so the one-open-case rule is a
 * conditional write and needs no transaction (dynalite has none):
 *
 *   pk CHILDCASE#<childKey>  sk CASE#<seq>   — the child's seq-th case (seq from 1)
 *   gsi1 CASES#<region>          / <openedOn>#<caseId>   — every case of the region
 *   gsi2 SCHOOLCASES#<school>    / <openedOn>#<caseId>   — a school's cases
 *
 * The case id is `case-<pseudonym>-<seq>`, so an id leads straight to its item. Every change is a
 * put conditioned on the version read (the optimistic lock), carrying the events it announces in
 * `pending` (an outbox): they are sent after the write and cleared, and a crash in between leaves
 * them for the next writer or the daily sweep to send — with the same event ids.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { canAccess, scopeFilterFor } from '../../../shared/authz';
import { dynamo, env } from '../../../shared/aws/clients';
import { queryPages } from '../../../shared/aws/dynamo';
import type { Caller } from '../../../shared/org';
import { type CaseRecord, isOpen } from '../domain/case';
import type { CaseEvent } from '../domain/case-events';
import { caseScope } from '../domain/case-view';

export interface StoredCase {
  record: CaseRecord;
  /** Events written with the change and not yet confirmed sent. */
  pending: CaseEvent[];
}

/** The stored version is not the one the change was computed from. */
export class StaleCaseError extends Error {
  constructor(
    readonly caseId: string,
    readonly expected: number,
  ) {
    super(`case ${caseId} is no longer at version ${expected}`);
    this.name = 'StaleCaseError';
  }
}

const table = () => env('KCBX_TABLE');
const CASE_ID = /^case-([a-z2-7]{32})-(\d{1,6})$/;

export function caseIdFor(childKey: string, seq: number): string {
  return `case-${childKey.slice(2)}-${seq}`;
}

/** The item key of a case id, or undefined when the id is not one kcbx minted. */
export function caseKey(caseId: string): { pk: string; sk: string } | undefined {
  const m = CASE_ID.exec(caseId);
  if (!m) return undefined;
  return { pk: `CHILDCASE#c_${m[1]}`, sk: `CASE#${m[2]!.padStart(6, '0')}` };
}

export function caseSeq(caseId: string): number {
  return Number(CASE_ID.exec(caseId)?.[2] ?? 0);
}

function toItem(record: CaseRecord, pending: readonly CaseEvent[]) {
  const key = caseKey(record.caseId);
  if (!key) throw new Error(`not a case id: ${record.caseId}`);
  const sortKey = `${record.openedOn}#${record.caseId}`;
  return {
    ...key,
    type: 'case',
    caseId: record.caseId,
    region: record.region,
    state: record.state,
    version: record.version,
    gsi1pk: `CASES#${record.region}`,
    gsi1sk: sortKey,
    ...(record.school ? { gsi2pk: `SCHOOLCASES#${record.school}`, gsi2sk: sortKey } : {}),
    record,
    pending,
  };
}

function fromItem(item: Record<string, unknown>): StoredCase {
  return { record: item.record as CaseRecord, pending: (item.pending as CaseEvent[] | undefined) ?? [] };
}

export async function getCase(caseId: string): Promise<StoredCase | undefined> {
  const key = caseKey(caseId);
  if (!key) return undefined;
  const res = await dynamo().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }));
  return res.Item ? fromItem(res.Item) : undefined;
}

/** The child's most recent case (open or not), read consistently. */
export async function latestCaseOfChild(childKey: string): Promise<StoredCase | undefined> {
  const res = await dynamo().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :case)',
      ExpressionAttributeValues: { ':pk': `CHILDCASE#${childKey}`, ':case': 'CASE#' },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const item = res.Items?.[0];
  return item ? fromItem(item) : undefined;
}

/**
 * Writes a new case; false when the child already has a case with this sequence number (a
 * concurrent signal opened it first — the caller joins that case instead).
 */
export async function insertCase(record: CaseRecord, pending: readonly CaseEvent[]): Promise<boolean> {
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: toItem(record, pending),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}

/** Replaces the case if it is still at `expectedVersion`; otherwise throws {@link StaleCaseError}. */
export async function saveCase(
  record: CaseRecord,
  expectedVersion: number,
  pending: readonly CaseEvent[],
): Promise<void> {
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: toItem(record, pending),
        ConditionExpression: 'version = :expected',
        ExpressionAttributeValues: { ':expected': expectedVersion },
      }),
    );
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException)
      throw new StaleCaseError(record.caseId, expectedVersion);
    throw err;
  }
}

/** Clears the outbox after its events were sent, unless a later change already replaced it. */
export async function clearPending(caseId: string, version: number): Promise<void> {
  const key = caseKey(caseId);
  if (!key) return;
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: key,
        UpdateExpression: 'SET pending = :none',
        ConditionExpression: 'version = :v',
        ExpressionAttributeValues: { ':none': [], ':v': version },
      }),
    );
  } catch (err) {
    // A later change carried these events forward in its own outbox; its writer clears them.
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
  }
}

/** Every case of the region (gsi1), or of one school (gsi2), page by page. */
export async function* casePages(region: string, school?: string): AsyncGenerator<StoredCase[]> {
  const pages = school
    ? queryPages({
        TableName: table(),
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': `SCHOOLCASES#${school}` },
      })
    : queryPages({
        TableName: table(),
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `CASES#${region}` },
      });
  for await (const page of pages) yield page.map(fromItem);
}

/**
 * The region's open cases, page by page: the children whose subsidy waits (the empty-seat hold) and the
 * cases whose people are reminded of what is due.
 */
export async function* openCasePages(region: string): AsyncGenerator<CaseRecord[]> {
  for await (const page of casePages(region)) yield page.map((s) => s.record).filter((r) => isOpen(r.state));
}

/** A case as it stands (read consistently), without its outbox; undefined when there is none. */
export async function getCaseRecord(caseId: string): Promise<CaseRecord | undefined> {
  return (await getCase(caseId))?.record;
}

export async function listCases(region: string, school?: string): Promise<StoredCase[]> {
  const out: StoredCase[] = [];
  for await (const page of casePages(region, school)) out.push(...page);
  return out;
}

/**
 * The cases `caller` may see (a school's own, a township's, the region for a bureau). A school's are
 * read from its own index; `school` narrows a wider caller's read the same way.
 */
export async function listCasesFor(caller: Caller, region: string, school?: string): Promise<CaseRecord[]> {
  const scope = scopeFilterFor(caller);
  const all = await listCases(region, scope.kind === 'school' ? scope.school : school);
  return all.map((s) => s.record).filter((r) => canAccess(caller, caseScope(r)).allowed);
}
