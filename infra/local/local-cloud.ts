import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { ASSET_RESOURCE_METADATA_ENABLED_CONTEXT } from 'aws-cdk-lib/cx-api';
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
import { foldNestedStacks, nestedTemplatesIn } from './nested-stacks';
import { LOCAL_CREDENTIALS, type LocalClients, localClients, provision } from './provision';
import { queuePolicyAdmits } from './queue-policy';
import { createRuntimeRules } from './runtime-rules';
import { type Clock, createScheduler } from './schedule';
import { startSqsPoller } from './sqs-poller';
import {
  type CfnTemplate,
  type LocalModel,
  type LocalRule,
  type LocalRuleTarget,
  readTemplate,
} from './template';

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
  /** Resolves when every event delivery (and every replay) started so far has finished. */
  eventsIdle(): Promise<void>;
  stop(): Promise<void>;
}

const local = () => {
  const d = deployments.find((x) => x.local);
  if (!d) throw new Error('infra/config/deployments.ts has no local deployment');
  return d;
};

/**
 * Synthesizes the local stack exactly as `cdk synth` would (functions run from source, so no bundling),
 * and gives its template with the nested stacks folded in.
 */
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
    // As `cdk synth` does, the assembly names each nested stack's template file on its resource.
    context: {
      ...cdkJson.context,
      'aws:cdk:bundling-stacks': [],
      [ASSET_RESOURCE_METADATA_ENABLED_CONTEXT]: true,
    },
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
    // The deployment as one template: its service stacks folded into the regional stack.
    template: foldNestedStacks(artifact.template as CfnTemplate, nestedTemplatesIn(assembly.directory)),
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
    for (const part of [
      'dynamodb',
      's3',
      'sqs',
      'events',
      'secrets.json',
      'runtime-secrets.json',
      'cdk.out',
    ]) {
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
      // API Gateway's JWT authorizer refuses a token without an expiry, so the local one does too.
      const { payload } = await jwtVerify(token, devKey, {
        issuer: authorizer.issuer,
        audience: authorizer.audience,
        requiredClaims: ['exp'],
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
  const messageAttributes = (attributes?: Record<string, string>) =>
    attributes
      ? Object.fromEntries(
          Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
        )
      : undefined;
  const sendToQueue = async (arn: string, body: unknown, attributes?: Record<string, string>) => {
    const queue = queueByArn.get(arn);
    if (!queue) throw new Error(`No local queue ${arn}`);
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
        MessageAttributes: messageAttributes(attributes),
        ...(queue.fifo ? { MessageGroupId: 'local', MessageDeduplicationId: crypto.randomUUID() } : {}),
      }),
    );
  };
  const runtimeRules = createRuntimeRules({ model, file: path.join(dataDir, 'events', 'rules.json') });
  const isTemplateRule = (rule: LocalRule) => model.rules.includes(rule);
  /**
   * A queue the template does not declare (made at runtime, or standing for a partner's queue): it
   * must exist, and its policy must admit the sender as EventBridge requires — events.amazonaws.com
   * for this rule when the queue is in this account, the target's execution role (RoleArn) when it is
   * in another. The emulator has one account: another account's queue is looked up by its name.
   * (Template queues get their policies from CDK, which the local cloud does not read.)
   */
  const sendToOtherQueue = async (
    arn: string,
    body: unknown,
    rule: LocalRule,
    roleArn: string | undefined,
    attributes?: Record<string, string>,
  ) => {
    const [, , service, , owner, name] = arn.split(':');
    if (service !== 'sqs' || !owner || !name) throw new Error(`No local function or queue ${arn}`);
    const { QueueUrl } = await clients.sqs
      .send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: owner }))
      .catch(() => {
        throw new Error(`Queue ${arn} does not exist`);
      });
    if (!isTemplateRule(rule)) {
      if (owner !== model.account && !roleArn)
        throw new Error(
          `Queue ${name} is in account ${owner}: a target in another account needs an execution role`,
        );
      const { Attributes } = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] }),
      );
      const sender =
        owner === model.account
          ? { kind: 'service' as const, ruleArn: rule.arn, account: model.account }
          : { kind: 'role' as const, roleArn: roleArn!, account: model.account };
      if (!queuePolicyAdmits(Attributes?.Policy, arn, sender))
        throw new Error(
          `Queue ${name}'s policy does not let ${sender.kind === 'role' ? sender.roleArn : 'events.amazonaws.com'} send the events of rule ${rule.arn}`,
        );
    }
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
        MessageAttributes: messageAttributes(attributes),
      }),
    );
  };
  const deliver = async (arn: string, payload: unknown, rule?: LocalRule, target?: LocalRuleTarget) => {
    if (hosts.has(arn)) await invoke(arn, payload);
    else if (queueByArn.has(arn) || !rule) await sendToQueue(arn, payload);
    else await sendToOtherQueue(arn, payload, rule, target?.roleArn);
  };

  const archiveDir = path.join(dataDir, 'events');
  const router = createEventRouter({
    model,
    runtimeRules: runtimeRules.rules,
    deliver,
    deadLetter: (queueArn, event, attributes, rule) =>
      queueByArn.has(queueArn)
        ? sendToQueue(queueArn, event, attributes)
        : sendToOtherQueue(queueArn, event, rule, undefined, attributes),
    archiveDir,
    log,
    maxRetries: options.eventRetries,
  });
  const services = await startAwsServices({ model, router, runtimeRules, dataDir, archiveDir, log });

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
    eventsIdle: async () => {
      await services.replaysIdle();
      await router.idle();
    },
    async stop() {
      handle = undefined;
      scheduler.stop();
      await Promise.all(pollers.map((p) => p.stop()));
      await services.replaysIdle();
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

/** A message as saved between runs: its body and its message attributes (a DLQ's ERROR_MESSAGE …). */
type SavedMessage = string | { body: string; attributes?: Record<string, MessageAttributeValue> };

/** A queue created at runtime (not in the template): what it takes to create it again. */
interface SavedQueue {
  name: string;
  attributes: Record<string, string>;
  tags?: Record<string, string>;
  messages: SavedMessage[];
}

// The attributes CreateQueue accepts; the rest (ARN, counts, timestamps) are the emulator's own.
const SETTABLE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
];
const RUNTIME_QUEUES_FILE = '_runtime-queues.json';

async function drain(clients: LocalClients, url: string): Promise<SavedMessage[]> {
  const messages: SavedMessage[] = [];
  for (;;) {
    const res = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if (!res.Messages?.length) break;
    messages.push(
      ...res.Messages.map((m) =>
        m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0
          ? { body: m.Body ?? '', attributes: m.MessageAttributes }
          : (m.Body ?? ''),
      ),
    );
  }
  return messages;
}

async function resend(clients: LocalClients, url: string, messages: SavedMessage[], fifo = false) {
  for (const m of messages) {
    const { body, attributes } = typeof m === 'string' ? { body: m, attributes: undefined } : m;
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        MessageAttributes: attributes,
        ...(fifo ? { MessageGroupId: 'local', MessageDeduplicationId: crypto.randomUUID() } : {}),
      }),
    );
  }
}

/**
 * The SQS emulator keeps queues and messages in memory: on stop, the unconsumed messages of the
 * template's queues are saved, and so are the queues created at runtime (attributes, tags and
 * messages); on start they are created and sent again. Messages in flight (invisible) at the stop
 * are not seen by ReceiveMessage and are not kept.
 */
async function saveQueues(model: LocalModel, clients: LocalClients, dir: string) {
  mkdirSync(dir, { recursive: true });
  for (const queue of model.queues) {
    const messages = await drain(clients, queue.url);
    const file = path.join(dir, `${queue.name}.json`);
    if (messages.length > 0) writeFileSync(file, JSON.stringify(messages));
    else rmSync(file, { force: true });
  }
  const declared = new Set(model.queues.map((q) => q.url.slice(q.url.lastIndexOf('/') + 1)));
  const urls = (await clients.sqs.send(new ListQueuesCommand({ MaxResults: 1000 }))).QueueUrls ?? [];
  const runtime: SavedQueue[] = [];
  for (const url of urls) {
    const name = url.slice(url.lastIndexOf('/') + 1);
    if (declared.has(name)) continue;
    const { Attributes = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    const { Tags } = await clients.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
    runtime.push({
      name,
      attributes: Object.fromEntries(
        Object.entries(Attributes).filter(([k, v]) => SETTABLE_ATTRIBUTES.includes(k) && v !== ''),
      ),
      tags: Tags,
      messages: await drain(clients, url),
    });
  }
  const file = path.join(dir, RUNTIME_QUEUES_FILE);
  if (runtime.length > 0) writeFileSync(file, JSON.stringify(runtime, null, 2));
  else rmSync(file, { force: true });
}

async function restoreQueues(model: LocalModel, clients: LocalClients, dir: string) {
  for (const queue of model.queues) {
    const file = path.join(dir, `${queue.name}.json`);
    if (!existsSync(file)) continue;
    await resend(clients, queue.url, JSON.parse(readFileSync(file, 'utf8')) as SavedMessage[], queue.fifo);
    rmSync(file);
  }
  const file = path.join(dir, RUNTIME_QUEUES_FILE);
  if (!existsSync(file)) return;
  const runtime = JSON.parse(readFileSync(file, 'utf8')) as SavedQueue[];
  // Queues that others name as their dead-letter queue first: a RedrivePolicy must name a queue that exists.
  runtime.sort((a, b) => Number('RedrivePolicy' in a.attributes) - Number('RedrivePolicy' in b.attributes));
  for (const queue of runtime) {
    const { QueueUrl } = await clients.sqs.send(
      new CreateQueueCommand({ QueueName: queue.name, Attributes: queue.attributes, tags: queue.tags }),
    );
    await resend(clients, QueueUrl!, queue.messages, queue.attributes.FifoQueue === 'true');
  }
  rmSync(file);
}
