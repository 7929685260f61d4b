import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import dynalite from 'dynalite';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';
import { LOCAL_ACCOUNT } from './template';

/** An S3 event notification record set, as S3 sends it. */
export type S3EventListener = (event: { Records: S3EventRecord[] }) => void;
export interface S3EventRecord {
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number } };
}

export interface Emulators {
  endpoints: { dynamodb: string; sqs: string; s3: string };
  /** Called for every object written or deleted in the S3 emulator. */
  onS3Event(listener: S3EventListener): void;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });

/**
 * Starts the three emulators in this process on free loopback ports. DynamoDB and S3 keep their
 * data under `dataDir`; SQS lives in memory (the local cloud saves unconsumed messages on stop).
 */
export async function startEmulators(dataDir: string, region: string): Promise<Emulators> {
  mkdirSync(path.join(dataDir, 'dynamodb'), { recursive: true });
  mkdirSync(path.join(dataDir, 's3'), { recursive: true });

  const dynamo = dynalite({
    path: path.join(dataDir, 'dynamodb'),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve) => dynamo.listen(0, HOST, () => resolve()));

  const sqs = await createSqsServer({
    port: 0,
    hostname: HOST,
    region,
    accountId: LOCAL_ACCOUNT,
    emulateQueueCreationLifecycle: false,
  });

  const s3 = new S3rver({
    address: HOST,
    port: 0,
    silent: true,
    directory: path.join(dataDir, 's3'),
    allowMismatchedSignatures: true,
  });
  const s3Address = (await s3.run()) as AddressInfo;

  const url = (server: Server | AddressInfo) => {
    const address = 'port' in server ? server : (server.address() as AddressInfo);
    return `http://${HOST}:${address.port}`;
  };
  return {
    endpoints: { dynamodb: url(dynamo as unknown as Server), sqs: url(sqs), s3: url(s3Address) },
    onS3Event(listener) {
      s3.on('event', (event: { Records: S3EventRecord[] }) => listener(JSON.parse(JSON.stringify(event))));
    },
    async stop() {
      await Promise.all([close(dynamo as unknown as Server), close(sqs), s3.close()]);
    },
  };
}
