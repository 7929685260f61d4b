import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalModel, LocalQueue } from './template';

export interface LocalClients {
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  s3: S3Client;
}

// s3rver accepts only its own key pair; the other emulators accept any.
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function localClients(
  endpoints: { dynamodb: string; sqs: string; s3: string },
  region: string,
): LocalClients {
  const common = { region, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 };
  return {
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqs }),
    s3: new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true }),
  };
}

/** Creates what the template declares and the emulators do not have yet (safe to run on every start). */
export async function provision(model: LocalModel, clients: LocalClients): Promise<void> {
  const existing = new Set((await clients.dynamodb.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const table of model.tables) {
    if (existing.has(table.name)) continue;
    const input: CreateTableCommandInput = {
      TableName: table.name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: table.keySchema as CreateTableCommandInput['KeySchema'],
      AttributeDefinitions: table.attributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      GlobalSecondaryIndexes:
        table.globalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
    };
    await clients.dynamodb.send(new CreateTableCommand(input));
  }

  // Dead-letter queues first: a RedrivePolicy must name a queue that exists.
  const byArn = new Map(model.queues.map((q) => [q.arn, q]));
  const created = new Set<string>();
  const createQueue = async (queue: LocalQueue) => {
    if (created.has(queue.arn)) return;
    if (queue.redrive) {
      const dlq = byArn.get(queue.redrive.deadLetterTargetArn);
      if (dlq) await createQueue(dlq);
    }
    const attributes: Record<string, string> = { VisibilityTimeout: String(queue.visibilityTimeoutSeconds) };
    if (queue.retentionSeconds) attributes.MessageRetentionPeriod = String(queue.retentionSeconds);
    if (queue.fifo) attributes.FifoQueue = 'true';
    if (queue.redrive) attributes.RedrivePolicy = JSON.stringify(queue.redrive);
    await clients.sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: attributes }));
    created.add(queue.arn);
  };
  for (const queue of model.queues) await createQueue(queue);

  for (const bucket of model.buckets) {
    try {
      await clients.s3.send(new HeadBucketCommand({ Bucket: bucket.name }));
    } catch {
      await clients.s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
    }
  }
}
