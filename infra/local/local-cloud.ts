import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { importJWK, jwtVerify } from 'jose';
import type { RegionSettings } from '../../shared/region-settings';
import { buildApp } from '../build-app';
import { deployments } from '../config/deployments';
import { PROJECT_ROOT } from '../constructs/service-function';
import type { RegionStack } from '../stacks/region-stack';
import { startAwsServices } from './aws-services';
import { type DevTokenRequest, devJwks, ensureDevIssuer, issueDevToken } from './dev-issuer';
import { startEmulators } from './emulators';
import { createEventRouter, type PutEventsEntry } from './event-router';
import { createFunctionHost, type FunctionHost } from './function-host';
import { createHttpApiHandler, type VerifyToken } from './http-api';
import { LOCAL_CREDENTIALS, type LocalClients, localClients, provision } from './provision';
import { type Clock, createScheduler } from './schedule';
import { startSqsPoller } from './sqs-poller';
import { type CfnTemplate, type LocalModel, readTemplate } from './template';

export interface LocalCloudOptions {
  /** Where all local state lives (emulator data, secrets, event archive, dev issuer keys). */
  dataDir: string;
  /** Port of the HTTP API; 0 picks a free one. */
  port?: number;
  /** Start from empty data (the dev issuer's keys are kept, so tokens stay valid). */
  reset?: boolean;
  /** Clock for scheduled rules (tests inject a manual one). */
  clock?: Clock;
  /** Adds constructs to the local stack before synthesis, as a CDK change would. */
  extend?: (stack: RegionStack) => void;
  /** Where the local cloud's own lines go (default: stderr). */
  log?: (line: string) => void;
  /** Where function output goes (default: stdout, prefixed with the function name). */
  functionLog?: (functionName: string, line: string) => void;
  /** Retries of a failed EventBridge target before its DLQ (default 2). */
  eventRetries?: number;
  /** Region settings that replace the local deployment's (e.g. another county's absence threshold). */
  settings?: Partial<RegionSettings>;
}

export interface LocalCloud {
  apiUrl: string;
  model: LocalModel;
  clients: LocalClients;
  endpoints: { dynamodb: string; sqs: string; s3: string; aws: string };
  /** Environment variables that point AWS SDK clients at this local cloud. */
  awsEnv: Record<string, string>;
  token(request: DevTokenRequest): Promise<string>;
  /** Invokes a function by logical id prefix, name or ARN, as `aws lambda invoke` would. */
  invoke(fn: string, event: unknown): Promise<unknown>;
  putEvents(entries: PutEventsEntry[]): ReturnType<ReturnType<typeof createEventRouter>['putEvents']>;
  /** Resolves when every event delivery started so far has finished. */
  eventsIdle(): Promise<void>;
  stop(): Promise<void>;
}

const local = () => {
  const d = deployments.find((x) => x.local);
  if (!d) throw new Error('infra/config/deployments.ts has no local deployment');
  return d;
};

/** Synthesizes the local stack exactly as `cdk synth` would (functions run from source, so no bundling). */
export function synthesizeLocalTemplate(
  outdir: string,
  extend?: (stack: RegionStack) => void,
  settings?: Partial<RegionSettings>,
) {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: object;
  };
  const deployment = local();
  const { app, stacks } = buildApp([{ ...deployment, settings: { ...deployment.settings, ...settings } }], {
    outdir,
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
  });
  const stack = stacks[0]!;
  extend?.(stack);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const errors = artifact.messages.filter((m) => m.level === 'error');
  if (errors.length > 0) {
    throw new Error(
      `The local stack does not synthesize:\n${errors.map((e) => `  ${e.id}: ${e.entry.data}`).join('\n')}`,
    );
  }
  return {
    stackName: stack.stackName,
    region: local().aws.region,
    template: artifact.template as CfnTemplate,
  };
}

/**
 * Starts the local cloud: synthesizes the `local` stack, starts the emulators, creates what the
 * template declares, and runs the functions wired as the template wires them — HTTP routes
 * behind their JWT authorizer, SQS event source mappings, EventBridge rules and schedules,
 * S3 notifications.
 */
export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[kcbx] ${line}\n`));
  const functionLog =
    options.functionLog ?? ((fn: string, line: string) => process.stdout.write(`[${fn}] ${line}\n`));
  const dataDir = path.resolve(options.dataDir);
  if (options.reset) {
    for (const part of ['dynamodb', 's3', 'sqs', 'events', 'secrets.json', 'cdk.out']) {
      rmSync(path.join(dataDir, part), { recursive: true, force: true });
    }
  }
  mkdirSync(dataDir, { recursive: true });

  const { stackName, region, template } = synthesizeLocalTemplate(
    path.join(dataDir, 'cdk.out'),
    options.extend,
    options.settings,
  );

  // The API server starts first: its URL is part of how the template resolves (ApiEndpoint).
  let handle: ReturnType<typeof createHttpApiHandler> | undefined;
  const apiServer: Server = createServer((req, res) => {
    if (!handle) {
      res.writeHead(503).end();
      return;
    }
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    apiServer.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `Port ${options.port} is already in use: stop what runs there, or start with --port <another>.`,
            )
          : err,
      ),
    );
    apiServer.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const apiUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;

  const emulators = await startEmulators(dataDir, region);
  const model = readTemplate(template, {
    stackName,
    region,
    endpoints: { sqs: emulators.endpoints.sqs, api: apiUrl },
  });
  const clients = localClients(emulators.endpoints, region);
  await provision(model, clients);
  await restoreQueues(model, clients, path.join(dataDir, 'sqs'));

  const deployment = local();
  const dev = await ensureDevIssuer(dataDir, deployment.identity.issuer, deployment.identity.audience[0]!);
  const devKey = await importJWK(dev.publicKey, dev.publicKey.alg);
  const verifyToken: VerifyToken = async (token, authorizer) => {
    if (authorizer.issuer !== dev.issuer) return undefined; // a real issuer cannot be reached offline
    try {
      const { payload } = await jwtVerify(token, devKey, {
        issuer: authorizer.issuer,
        audience: authorizer.audience,
      });
      return payload;
    } catch {
      return undefined;
    }
  };

  const hosts = new Map<string, FunctionHost>();
  const queueByArn = new Map(model.queues.map((q) => [q.arn, q]));
  const invoke = async (arn: string, event: unknown) => {
    const host = hosts.get(arn);
    if (!host) throw new Error(`No local function ${arn}`);
    return host.invoke(event);
  };
  const sendToQueue = async (arn: string, body: unknown, attributes?: Record<string, string>) => {
    const queue = queueByArn.get(arn);
    if (!queue) throw new Error(`No local queue ${arn}`);
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
        MessageAttributes: attributes
          ? Object.fromEntries(
              Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
            )
          : undefined,
        ...(queue.fifo ? { MessageGroupId: 'local', MessageDeduplicationId: crypto.randomUUID() } : {}),
      }),
    );
  };
  const deliver = async (arn: string, payload: unknown) => {
    if (hosts.has(arn)) await invoke(arn, payload);
    else await sendToQueue(arn, payload);
  };

  const router = createEventRouter({
    model,
    deliver,
    deadLetter: (queueArn, event, reason) =>
      sendToQueue(queueArn, event, { ERROR_MESSAGE: reason.slice(0, 256) }),
    archiveDir: path.join(dataDir, 'events'),
    log,
    maxRetries: options.eventRetries,
  });
  const services = await startAwsServices({ model, router, secretsFile: path.join(dataDir, 'secrets.json') });

  const awsEnv: Record<string, string> = {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: emulators.endpoints.sqs,
    AWS_ENDPOINT_URL_S3: emulators.endpoints.s3,
    AWS_ENDPOINT_URL_EVENTBRIDGE: services.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: services.endpoint,
    KCBX_LOCAL: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const inherited = Object.fromEntries(
    ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])),
  );
  for (const fn of model.functions) {
    const { NODE_OPTIONS: _ignored, ...fnEnv } = fn.environment;
    hosts.set(
      fn.arn,
      createFunctionHost({
        fn,
        projectRoot: PROJECT_ROOT,
        log: functionLog,
        maxConcurrency: fn.reservedConcurrency,
        env: {
          ...inherited,
          ...fnEnv,
          ...awsEnv,
          AWS_LAMBDA_FUNCTION_NAME: fn.name,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          POWERTOOLS_METRICS_DISABLED: 'true',
        },
      }),
    );
  }

  const pollers = model.eventSourceMappings
    .filter((m) => m.enabled && queueByArn.has(m.queueArn) && hosts.has(m.functionArn))
    .map((mapping) =>
      startSqsPoller({
        mapping,
        queue: queueByArn.get(mapping.queueArn)!,
        sqs: clients.sqs,
        region,
        invoke,
        log,
      }),
    );

  emulators.onS3Event((event) => {
    for (const record of event.Records) {
      const eventName = `s3:${record.eventName}`;
      for (const notification of model.s3Notifications) {
        if (notification.bucketName !== record.s3.bucket.name) continue;
        const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
        for (const target of notification.targets) {
          const wanted = target.events.some((e) =>
            e.endsWith('*') ? eventName.startsWith(e.slice(0, -1)) : e === eventName,
          );
          if (!wanted) continue;
          if (target.prefix && !key.startsWith(target.prefix)) continue;
          if (target.suffix && !key.endsWith(target.suffix)) continue;
          deliver(target.arn, { Records: [record] }).catch((err: Error) =>
            log(`S3 notification for ${record.s3.object.key} to ${target.arn} failed: ${err.message}`),
          );
        }
      }
    }
  });

  const scheduler = createScheduler({
    clock: options.clock,
    onError: (err) => log(`schedule: ${(err as Error).message}`),
  });
  for (const rule of model.rules) {
    if (rule.enabled && rule.schedule)
      scheduler.add(rule.logicalId, rule.schedule, (at) => router.fireSchedule(rule, at));
  }

  handle = createHttpApiHandler({
    routes: model.routes,
    invoke,
    verifyToken,
    account: model.account,
    log,
    extra: {
      '/.well-known/jwks.json': () => devJwks(dev),
      '/.well-known/openid-configuration': () => ({
        issuer: dev.issuer,
        jwks_uri: `${apiUrl}/.well-known/jwks.json`,
      }),
    },
  });

  const findHost = (ref: string) =>
    [...hosts.values()].find((h) => h.fn.arn === ref || h.fn.name === ref || h.fn.logicalId.startsWith(ref));

  return {
    apiUrl,
    model,
    clients,
    endpoints: { ...emulators.endpoints, aws: services.endpoint },
    awsEnv,
    token: (request) => issueDevToken(dev, request),
    invoke: async (ref, event) => {
      const host = findHost(ref);
      if (!host) throw new Error(`No local function matches ${ref}`);
      return host.invoke(event);
    },
    putEvents: (entries) => router.putEvents(entries),
    eventsIdle: () => router.idle(),
    async stop() {
      handle = undefined;
      scheduler.stop();
      await Promise.all(pollers.map((p) => p.stop()));
      await router.idle();
      await saveQueues(model, clients, path.join(dataDir, 'sqs'));
      await Promise.all([...hosts.values()].map((h) => h.stop()));
      apiServer.closeAllConnections();
      await new Promise<void>((resolve) => apiServer.close(() => resolve()));
      await services.stop();
      await emulators.stop();
    },
  };
}

/** The SQS emulator keeps messages in memory: unconsumed ones are saved on stop and sent again on start. */
async function saveQueues(model: LocalModel, clients: LocalClients, dir: string) {
  mkdirSync(dir, { recursive: true });
  for (const queue of model.queues) {
    const bodies: string[] = [];
    for (;;) {
      const res = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 60,
        }),
      );
      if (!res.Messages?.length) break;
      bodies.push(...res.Messages.map((m) => m.Body ?? ''));
    }
    const file = path.join(dir, `${queue.name}.json`);
    if (bodies.length > 0) writeFileSync(file, JSON.stringify(bodies));
    else rmSync(file, { force: true });
  }
}

async function restoreQueues(model: LocalModel, clients: LocalClients, dir: string) {
  for (const queue of model.queues) {
    const file = path.join(dir, `${queue.name}.json`);
    if (!existsSync(file)) continue;
    for (const body of JSON.parse(readFileSync(file, 'utf8')) as string[]) {
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    }
    rmSync(file);
  }
}
