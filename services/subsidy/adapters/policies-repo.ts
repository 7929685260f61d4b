/**
 * Published subsidy policies (owned by subsidy), in the shared table:
 *
 *   POLICY#<region>   PUB#<nnnnnn>   one published version: the document, who published it and when
 *
 * `<nnnnnn>` is the publication's number in the county (000001, 000002 …). Whether a document may be
 * published depends on every version already published (overlapping dates, an id + version taken), so
 * publications of a county are serialised: the next number is claimed with a conditional put, and a
 * publisher that loses the race reads again and checks its document against the version that won. Every
 * item is written once and never updated or deleted: a decision names the version it used, and that
 * version must read the same for as long as the decision is kept.
 *
 * The document is stored as the JSON text it was validated as, so it reads back exactly (DynamoDB does not
 * keep the order of a map's keys).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, env } from '../../../shared/aws/clients';
import { queryPages } from '../../../shared/aws/dynamo';
import type { Role } from '../../../shared/org';
import { BUILT_IN_POLICIES } from '../domain/policies/built-in';
import { type Policy, policySchema, policyVersionLabel } from '../domain/policy';
import type { PolicyCatalogue } from '../domain/policy-choice';

/** Who published a version: the caller's subject id, role and organisation. */
export interface Publisher {
  sub: string;
  role: Role;
  org: string;
}

export interface PublishedPolicy {
  /** The publication's number in the county, from 1. */
  seq: number;
  policy: Policy;
  publishedAt: string;
  publishedBy: Publisher;
}

const table = () => env('KCBX_TABLE');
const pk = (region: string) => `POLICY#${region}`;
const sk = (seq: number) => `PUB#${String(seq).padStart(6, '0')}`;

/** Every version the county has published, in the order they were published (a consistent read). */
export async function listPublished(region: string): Promise<PublishedPolicy[]> {
  const out: PublishedPolicy[] = [];
  for await (const page of queryPages({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :pub)',
    ExpressionAttributeValues: { ':pk': pk(region), ':pub': 'PUB#' },
    ConsistentRead: true,
  })) {
    for (const item of page) {
      const parsed = policySchema.safeParse(JSON.parse(String(item.document)));
      // A stored version was valid when published; one that no longer parses is a defect to fix, not a
      // policy to skip: skipping it would silently pay under another version.
      if (!parsed.success) throw new Error(`published policy ${item.pk} ${item.sk} no longer parses`);
      out.push({
        seq: Number(item.seq),
        policy: parsed.data,
        publishedAt: String(item.publishedAt),
        publishedBy: item.publishedBy as Publisher,
      });
    }
  }
  return out;
}

/** The number the county's next publication claims. */
export const nextSeq = (published: readonly PublishedPolicy[]) =>
  published.reduce((max, p) => Math.max(max, p.seq), 0) + 1;

/**
 * Stores a version as publication number `entry.seq`; false when another publication took that number
 * first (read the county's versions again and check the document against them).
 */
export async function putPublished(region: string, entry: PublishedPolicy): Promise<boolean> {
  const { policy } = entry;
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: {
          pk: pk(region),
          sk: sk(entry.seq),
          type: 'subsidy-policy',
          seq: entry.seq,
          id: policy.id,
          version: policy.version,
          label: policyVersionLabel(policy),
          effectiveFrom: policy.effectiveFrom,
          effectiveUntil: policy.effectiveUntil,
          document: JSON.stringify(policy),
          publishedAt: entry.publishedAt,
          publishedBy: entry.publishedBy,
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

/**
 * The policies the county can use: the built-ins and its published versions (as read now), with the
 * built-in the region setting names for when none of its own is in force.
 */
export async function policyCatalogue(
  county: string,
  fallback: string,
): Promise<PolicyCatalogue & { stored: PublishedPolicy[] }> {
  const stored = await listPublished(county);
  return {
    county,
    published: stored.map((p) => p.policy),
    builtIns: BUILT_IN_POLICIES,
    fallback,
    stored,
  };
}
