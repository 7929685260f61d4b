import { BatchWriteCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';

type Item = Record<string, unknown>;

/** Every page of a query, in order; callers never hold more than one page unless they choose to. */
export async function* queryPages(
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): AsyncGenerator<Item[]> {
  let start: Item | undefined;
  do {
    const res = await dynamo().send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    yield (res.Items ?? []) as Item[];
    start = res.LastEvaluatedKey;
  } while (start);
}

/** Puts items 25 at a time, retrying what DynamoDB leaves unprocessed with exponential backoff. */
export async function batchPut(tableName: string, items: readonly Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 8)
        throw new Error(`DynamoDB kept ${requests.length} items unprocessed after ${attempt} attempts`);
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const res = await dynamo().send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      requests = (res.UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  }
}
