import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { awsError, type JsonOperation } from './aws-json';
import type { EventRouter, PutEventsEntry } from './event-router';
import { createReplays } from './replays';
import type { createRuntimeRules } from './runtime-rules';
import { createLocalSecrets } from './secrets';
import type { LocalModel } from './template';

/**
 * The AWS APIs no emulator package serves, added to the local cloud deliberately, all over the AWS
 * JSON 1.1 protocol so the unchanged SDK v3 clients reach them through AWS_ENDPOINT_URL_*:
 * - EventBridge: PutEvents (into the local event router), the rule operations of runtime rules
 *   (runtime-rules.ts) and StartReplay/DescribeReplay/ListReplays from the archive (replays.ts);
 * - Secrets Manager: GetSecretValue of the template's secrets (generated once, kept in the data
 *   folder) and CreateSecret/DeleteSecret/DescribeSecret of secrets made at runtime (secrets.ts).
 */
export async function startAwsServices(opts: {
  model: LocalModel;
  router: EventRouter;
  runtimeRules: ReturnType<typeof createRuntimeRules>;
  dataDir: string;
  archiveDir: string;
  log: (line: string) => void;
}) {
  const secrets = createLocalSecrets({
    model: opts.model,
    templateFile: path.join(opts.dataDir, 'secrets.json'),
    runtimeFile: path.join(opts.dataDir, 'runtime-secrets.json'),
  });
  const replays = createReplays({
    model: opts.model,
    router: opts.router,
    archiveDir: opts.archiveDir,
    file: path.join(opts.archiveDir, 'replays.json'),
    log: opts.log,
  });
  const handlers: Record<string, JsonOperation> = {
    'AWSEvents.PutEvents': (body) => opts.router.putEvents((body.Entries as PutEventsEntry[]) ?? []),
    ...opts.runtimeRules.operations,
    ...replays.operations,
    ...secrets.operations,
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      try {
        const handler = handlers[target];
        if (!handler)
          throw awsError(
            400,
            'UnknownOperationException',
            `${target || 'this operation'} is not served locally`,
          );
        send(200, handler(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}));
      } catch (err) {
        const e = err as Error & { status?: number; type?: string };
        send(e.status ?? 500, { __type: e.type ?? 'InternalFailure', message: e.message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Resolves when every replay started so far has finished. */
    replaysIdle: () => replays.idle(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
