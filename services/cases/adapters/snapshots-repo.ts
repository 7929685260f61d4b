/**
 * Frozen ledger snapshots (owned by cases). The snapshot itself (possibly a county's whole age cohort)
 * is a JSON object under reports/ledger-snapshots/; the item records that it was frozen, its hash and
 * counts, and is written once (a conditional put): a figure once reported is never replaced.
 *
 *   pk SNAPSHOTS#<region>   sk <periodEnd>#<level>#<org>
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, env } from '../../../shared/aws/clients';
import { queryPages } from '../../../shared/aws/dynamo';
import { putReport, readReport } from '../../../shared/aws/reports';
import type { ReportingLevel } from '../../../shared/region-settings';
import type { LedgerCounts, LedgerSnapshot } from '../domain/ledgers';

export interface SnapshotEntry {
  region: string;
  level: ReportingLevel;
  org: string;
  periodEnd: string;
  takenAt: string;
  contentHash: string;
  counts: LedgerCounts;
  objectKey: string;
}

const table = () => env('KCBX_TABLE');
const sortKey = (periodEnd: string, level: string, org: string) => `${periodEnd}#${level}#${org}`;

export async function hasSnapshot(region: string, periodEnd: string, level: string, org: string) {
  const res = await dynamo().send(
    new GetCommand({
      TableName: table(),
      Key: { pk: `SNAPSHOTS#${region}`, sk: sortKey(periodEnd, level, org) },
      ConsistentRead: true,
    }),
  );
  return Boolean(res.Item);
}

/** Stores a snapshot unless one exists for the same period, level and organisation; true if stored. */
export async function freezeOnce(region: string, snapshot: LedgerSnapshot): Promise<boolean> {
  const { level, org, periodEnd } = snapshot;
  if (await hasSnapshot(region, periodEnd, level, org)) return false;
  const objectKey = `reports/ledger-snapshots/${region}/${periodEnd}/${level}-${org}.json`;
  await putReport(objectKey, JSON.stringify(snapshot), 'application/json');
  const entry: SnapshotEntry = {
    region,
    level,
    org,
    periodEnd,
    takenAt: snapshot.takenAt,
    contentHash: snapshot.contentHash,
    counts: snapshot.counts,
    objectKey,
  };
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: {
          pk: `SNAPSHOTS#${region}`,
          sk: sortKey(periodEnd, level, org),
          type: 'ledger-snapshot',
          ...entry,
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

export async function listSnapshots(region: string): Promise<SnapshotEntry[]> {
  const out: SnapshotEntry[] = [];
  for await (const page of queryPages({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': `SNAPSHOTS#${region}` },
  }))
    for (const { pk: _p, sk: _s, type: _t, ...entry } of page) out.push(entry as unknown as SnapshotEntry);
  return out;
}

export async function readSnapshot(entry: SnapshotEntry): Promise<LedgerSnapshot | undefined> {
  const text = await readReport(entry.objectKey);
  return text ? (JSON.parse(text) as LedgerSnapshot) : undefined;
}
