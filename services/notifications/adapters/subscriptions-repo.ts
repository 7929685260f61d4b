/**
 * Subscription items (owned by notifications), one per subscription:
 *
 *   pk SUBSCRIPTION#<id>  sk SUBSCRIPTION   gsi1 SUBSCRIPTIONS#<region> / <createdAt>#<id>
 *
 * The item holds the subscription as accepted and the AWS resources made for it (rule names, its
 * dead-letter queue, the secret's ARN — never the secret). A deleted subscription stays, marked
 * `deleted`, so its dead letters and deliveries can still be explained.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, env } from '../../../shared/aws/clients';
import { queryPages } from '../../../shared/aws/dynamo';
import type { Subscription } from '../domain/subscription';
import type { SubscriptionResources } from './subscription-rules';

export interface StoredSubscription {
  subscription: Subscription;
  resources: SubscriptionResources;
  deletedAt?: string;
}

const table = () => env('KCBX_TABLE');
const key = (id: string) => ({ pk: `SUBSCRIPTION#${id}`, sk: 'SUBSCRIPTION' });

/** Stores a new subscription; false when the id is taken (ids are random: practically never). */
export async function insertSubscription(stored: StoredSubscription): Promise<boolean> {
  const { subscription: sub } = stored;
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: {
          ...key(sub.id),
          type: 'subscription',
          gsi1pk: `SUBSCRIPTIONS#${sub.region}`,
          gsi1sk: `${sub.createdAt}#${sub.id}`,
          status: sub.status,
          ...stored,
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

export async function getSubscription(id: string): Promise<StoredSubscription | undefined> {
  const res = await dynamo().send(new GetCommand({ TableName: table(), Key: key(id) }));
  if (!res.Item) return undefined;
  const { subscription, resources, deletedAt } = res.Item as StoredSubscription;
  return { subscription, resources, deletedAt };
}

/** Every subscription of the deployment's region, oldest first. */
export async function listSubscriptions(region: string): Promise<StoredSubscription[]> {
  const out: StoredSubscription[] = [];
  for await (const page of queryPages({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': `SUBSCRIPTIONS#${region}` },
  })) {
    for (const item of page) {
      const { subscription, resources, deletedAt } = item as unknown as StoredSubscription;
      out.push({ subscription, resources, deletedAt });
    }
  }
  return out;
}

/** Marks a subscription deleted (once: false when it already was). */
export async function markDeleted(id: string, at: string): Promise<boolean> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: key(id),
        UpdateExpression: 'SET #s = :deleted, subscription.#s = :deleted, deletedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND #s = :active',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':deleted': 'deleted', ':active': 'active', ':at': at },
      }),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}
