import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * AWS SDK clients, created once per execution environment. Endpoints come from the standard
 * AWS_ENDPOINT_URL_* variables, so the same code reaches the local cloud's emulators.
 */
const once = <T>(make: () => T) => {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
};

export const dynamo = once(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  }),
);

export const s3 = once(
  () =>
    new S3Client({
      // Pre-signed URLs must not carry a checksum of an empty body (SDK ≥ 3.729 adds one by default).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The local S3 emulator serves buckets by path, not by host name.
      forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
    }),
);

export const eventBridge = once(() => new EventBridgeClient({}));
export const secretsManager = once(() => new SecretsManagerClient({}));
export const sqs = once(() => new SQSClient({}));

/** A required environment variable, or a clear error naming it (a deployment mistake, not user error). */
export function env(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`Environment variable ${name} is not set: the function's construct must pass it`);
  return value;
}
