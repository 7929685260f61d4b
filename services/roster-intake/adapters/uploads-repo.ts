import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, env } from '../../../shared/aws/clients';
import { batchPut, queryPages } from '../../../shared/aws/dynamo';
import type { RosterKind } from '../../../shared/roster-kind';
import type { IntakeRow } from '../../../shared/rosters/rows';
import type { IntakeSummary } from '../domain/intake';
import type { UploadProblem, UploadStatus } from '../domain/upload';

/** The upload record (owned by roster-intake): one item per upload, keyed UPLOAD#<id>. */
export interface Upload {
  id: string;
  kind: RosterKind;
  /** The organisation the roster is for. */
  org: string;
  /** The deployment region the upload belongs to. */
  region: string;
  period: string;
  fileName: string;
  size: number;
  contentType: string;
  objectKey: string;
  status: UploadStatus;
  createdAt: string;
  createdBy: { sub: string; role: string; org: string };
  updatedAt: string;
  /** The S3 object version (or ETag) this upload's result was computed from. */
  objectVersion?: string;
  summary?: IntakeSummary;
  problems?: UploadProblem[];
  reportKeys?: { csv: string; xlsx: string };
  /** Whether the roster.accepted / roster.rejected event went out (the outbox flag). */
  published?: boolean;
  supersedes?: string;
  supersededBy?: string;
}

/** One accepted roster row, keyed by upload and line; findable by child through gsi1. */
export type RosterRowItem = IntakeRow;

const table = () => env('KCBX_TABLE');
const uploadKey = (id: string) => ({ pk: `UPLOAD#${id}`, sk: 'META' });

export async function createUpload(upload: Upload): Promise<void> {
  await dynamo().send(
    new PutCommand({
      TableName: table(),
      Item: {
        ...uploadKey(upload.id),
        type: 'upload',
        gsi1pk: `ORG#${upload.org}`,
        gsi1sk: `UPLOAD#${upload.createdAt}#${upload.id}`,
        ...upload,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

const strip = (item: Record<string, unknown> | undefined): Upload | undefined => {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, type: _t, ...rest } = item;
  return rest as unknown as Upload;
};

export async function getUpload(id: string): Promise<Upload | undefined> {
  const res = await dynamo().send(
    new GetCommand({ TableName: table(), Key: uploadKey(id), ConsistentRead: true }),
  );
  return strip(res.Item);
}

export async function listUploads(org: string, limit = 50, cursor?: string) {
  const res = await dynamo().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `ORG#${org}`, ':prefix': 'UPLOAD#' },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: cursor ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined,
    }),
  );
  return {
    uploads: (res.Items ?? []).map((i) => strip(i)!),
    cursor: res.LastEvaluatedKey
      ? Buffer.from(JSON.stringify(res.LastEvaluatedKey)).toString('base64url')
      : undefined,
  };
}

export type Claim =
  | { kind: 'claimed'; upload: Upload }
  | { kind: 'finished'; upload: Upload }
  | { kind: 'other-version'; upload: Upload }
  | { kind: 'unknown' };

/**
 * Takes an upload for processing of one object version. A redelivered notification, or a worker
 * that died mid-file, claims it again (same version) and redoes the work — rows are keyed by
 * line, so rewriting them stores nothing twice. A finished upload is not processed again.
 */
export async function claimUpload(id: string, objectVersion: string, now: string): Promise<Claim> {
  try {
    const res = await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: uploadKey(id),
        UpdateExpression: 'SET #status = :processing, objectVersion = :v, updatedAt = :now ADD attempts :one',
        ConditionExpression:
          'attribute_exists(pk) AND (#status = :pending OR (#status = :processing AND objectVersion = :v))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':processing': 'processing',
          ':pending': 'pending',
          ':v': objectVersion,
          ':now': now,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { kind: 'claimed', upload: strip(res.Attributes)! };
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
    const upload = await getUpload(id);
    if (!upload) return { kind: 'unknown' };
    if (upload.objectVersion === objectVersion) return { kind: 'finished', upload };
    return { kind: 'other-version', upload };
  }
}

/** Records the outcome; only the claim holder of that object version can. */
export async function finishUpload(
  id: string,
  objectVersion: string,
  outcome: Pick<Upload, 'status' | 'summary' | 'problems' | 'reportKeys' | 'supersededBy'> & { now: string },
): Promise<Upload> {
  const res = await dynamo().send(
    new UpdateCommand({
      TableName: table(),
      Key: uploadKey(id),
      UpdateExpression:
        'SET #status = :status, summary = :summary, problems = :problems, reportKeys = :reports, updatedAt = :now, published = :false, supersededBy = :by',
      ConditionExpression: '#status = :processing AND objectVersion = :v',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': outcome.status,
        ':summary': outcome.summary ?? null,
        ':problems': outcome.problems ?? [],
        ':reports': outcome.reportKeys ?? null,
        ':now': outcome.now,
        ':processing': 'processing',
        ':v': objectVersion,
        ':false': false,
        ':by': outcome.supersededBy ?? null,
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return strip(res.Attributes)!;
}

export async function markPublished(id: string): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: table(),
      Key: uploadKey(id),
      UpdateExpression: 'SET published = :true',
      ExpressionAttributeValues: { ':true': true },
    }),
  );
}

/**
 * Makes this upload the current roster of its kind for its organisation and period, and marks
 * the one it replaces as superseded (explicitly: both records say so). A later upload that
 * arrives first wins; an older one never replaces it and is itself finished as superseded.
 */
export async function supersedePrevious(
  upload: Upload,
): Promise<{ supersedes?: string; supersededBy?: string }> {
  const key = { pk: `CURRENT#${upload.org}#${upload.kind}#${upload.period}`, sk: 'META' };
  let previous: string | undefined;
  try {
    const res = await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: {
          ...key,
          type: 'current-roster',
          uploadId: upload.id,
          createdAt: upload.createdAt,
          kind: upload.kind,
          org: upload.org,
          period: upload.period,
          // The current rosters of a period, for the comparison to read.
          gsi1pk: `CURRENT#${upload.period}`,
          gsi1sk: `${upload.kind}#${upload.org}`,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR createdAt < :createdAt OR uploadId = :id',
        ExpressionAttributeValues: { ':createdAt': upload.createdAt, ':id': upload.id },
        ReturnValues: 'ALL_OLD',
      }),
    );
    previous = res.Attributes?.uploadId as string | undefined;
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
    // A newer upload is already current: this one is superseded on arrival.
    const current = await dynamo().send(
      new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }),
    );
    return { supersededBy: String(current.Item?.uploadId) };
  }
  if (previous && previous !== upload.id) {
    await markSuperseded(previous, upload.id);
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: uploadKey(upload.id),
        UpdateExpression: 'SET supersedes = :prev',
        ExpressionAttributeValues: { ':prev': previous },
      }),
    );
    return { supersedes: previous };
  }
  return {};
}

async function markSuperseded(id: string, by: string) {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: uploadKey(id),
        UpdateExpression: 'SET #status = :superseded, supersededBy = :by',
        ConditionExpression: '#status = :accepted',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':superseded': 'superseded', ':by': by, ':accepted': 'accepted' },
      }),
    );
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
  }
}

/** Writes rows in batches; rewriting a row (same upload and line) is harmless. */
export async function writeRows(rows: readonly RosterRowItem[]): Promise<void> {
  await batchPut(
    table(),
    rows.map((row) => ({
      pk: `ROSTER#${row.uploadId}`,
      sk: `ROW#${String(row.line).padStart(7, '0')}`,
      type: 'roster-row',
      gsi1pk: `CHILD#${row.childKey}`,
      gsi1sk: `${row.kind}#${row.period}#${row.uploadId}#${String(row.line).padStart(7, '0')}`,
      ...row,
    })),
  );
}

/** The stored rows of an upload, page by page in line order: readers never hold a whole roster. */
export async function* rowPages(uploadId: string): AsyncGenerator<RosterRowItem[]> {
  yield* queryPages({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :row)',
    ExpressionAttributeValues: { ':pk': `ROSTER#${uploadId}`, ':row': 'ROW#' },
  }) as AsyncGenerator<RosterRowItem[]>;
}

/** A roster that is current: the latest accepted, not superseded, of its kind, organisation and term. */
export interface CurrentRoster {
  uploadId: string;
  kind: RosterKind;
  org: string;
}

/** The current rosters of a period, of every kind and organisation: what a run over the term reads. */
export async function listCurrentRosters(period: string): Promise<CurrentRoster[]> {
  const out: CurrentRoster[] = [];
  const pages = queryPages({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': `CURRENT#${period}` },
  });
  for await (const page of pages) {
    for (const item of page)
      out.push({ uploadId: String(item.uploadId), kind: item.kind as RosterKind, org: String(item.org) });
  }
  return out;
}
