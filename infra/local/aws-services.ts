import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventRouter, PutEventsEntry } from './event-router';
import type { LocalModel } from './template';

/**
 * The AWS APIs no emulator package serves, added to the local cloud deliberately: EventBridge
 * PutEvents (into the local event router) and Secrets Manager GetSecretValue (secrets declared
 * in the template, generated once and kept in the data folder). Both speak the AWS JSON 1.1
 * protocol, so the unchanged SDK v3 clients reach them through AWS_ENDPOINT_URL_*.
 */
export async function startAwsServices(opts: {
  model: LocalModel;
  router: EventRouter;
  secretsFile: string;
}) {
  const secrets = loadSecrets(opts.model, opts.secretsFile);
  const handlers: Record<string, (body: Record<string, unknown>) => unknown> = {
    'AWSEvents.PutEvents': (body) => opts.router.putEvents((body.Entries as PutEventsEntry[]) ?? []),
    'secretsmanager.GetSecretValue': (body) => {
      const id = String(body.SecretId ?? '');
      const secret = opts.model.secrets.find((s) => s.arn === id || s.name === id);
      if (!secret)
        throw awsError(400, 'ResourceNotFoundException', `Secrets Manager can't find the specified secret.`);
      return {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: secrets[secret.arn],
        VersionId: 'local',
        VersionStages: ['AWSCURRENT'],
      };
    },
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
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function awsError(status: number, type: string, message: string) {
  return Object.assign(new Error(message), { status, type });
}

function loadSecrets(model: LocalModel, file: string): Record<string, string> {
  const stored: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  let changed = false;
  for (const secret of model.secrets) {
    if (stored[secret.arn]) continue;
    // Like GenerateSecretString without punctuation: 64 letters and digits.
    stored[secret.arn] = randomBytes(48)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 64)
      .padEnd(64, '0');
    changed = true;
  }
  if (changed) writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  return stored;
}
