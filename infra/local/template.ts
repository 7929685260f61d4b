/**
 * Reads a synthesized CloudFormation template (its nested stacks folded in by nested-stacks.ts) into
 * the model the local cloud runs. Everything the local cloud wires comes from here, so a table,
 * queue, rule, route or event source mapping added in CDK runs locally without any change to the
 * local cloud.
 */

import { NESTED_STACK_METADATA } from './nested-stacks';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
  DependsOn?: string | string[];
}
export interface CfnTemplate {
  Resources: Record<string, Resource>;
  Parameters?: Record<string, { Type?: string; Default?: Json }>;
  Outputs?: Record<string, { Value: Json }>;
}

export interface LocalEndpoints {
  /** Base URL of the local SQS server (queue URLs are <sqs>/<account>/<name>). */
  sqs: string;
  /** Base URL of the local HTTP API. */
  api: string;
}

export interface LocalTable {
  logicalId: string;
  name: string;
  keySchema: { AttributeName: string; KeyType: string }[];
  attributeDefinitions: { AttributeName: string; AttributeType: string }[];
  globalSecondaryIndexes?: { IndexName: string; KeySchema: unknown[]; Projection: unknown }[];
}
export interface LocalQueue {
  logicalId: string;
  name: string;
  arn: string;
  url: string;
  visibilityTimeoutSeconds: number;
  retentionSeconds?: number;
  fifo: boolean;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
}
export interface LocalFunction {
  logicalId: string;
  name: string;
  arn: string;
  /** Source entry (project-relative), from the `kcbx:entry` metadata. */
  entry: string;
  handlerExport: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** ReservedConcurrentExecutions: at most this many invocations at once. */
  reservedConcurrency?: number;
}
export interface LocalEventSourceMapping {
  logicalId: string;
  queueArn: string;
  functionArn: string;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}
export interface LocalRuleTarget {
  id: string;
  arn: string;
  input?: string;
  inputPath?: string;
  inputTransformer?: { inputPathsMap?: Record<string, string>; inputTemplate: string };
  deadLetterArn?: string;
  maximumRetryAttempts?: number;
  /** The execution role EventBridge assumes for a target in another account. */
  roleArn?: string;
}
export interface LocalRule {
  logicalId: string;
  /** The rule's name (the logical id for template rules, as the local Ref resolves it). */
  name: string;
  arn: string;
  busName: string;
  description?: string;
  pattern?: unknown;
  schedule?: string;
  enabled: boolean;
  targets: LocalRuleTarget[];
}
/** An EventBridge archive: the events of its bus that match its pattern, kept for replays. */
export interface LocalArchive {
  logicalId: string;
  name: string;
  arn: string;
  busName: string;
  busArn: string;
  pattern?: unknown;
  retentionDays?: number;
}
export interface LocalRoute {
  method: string;
  /** Path template such as /uploads/{id}, or '$default'. */
  path: string;
  functionArn: string;
  authorizer?: { type: 'JWT'; issuer: string; audience: string[]; identitySource: string[] };
}
export interface LocalS3Notification {
  bucketName: string;
  targets: {
    kind: 'queue' | 'function';
    arn: string;
    events: string[];
    prefix?: string;
    suffix?: string;
  }[];
}

export interface LocalModel {
  stackName: string;
  region: string;
  account: string;
  tables: LocalTable[];
  queues: LocalQueue[];
  buckets: { logicalId: string; name: string }[];
  buses: { logicalId: string; name: string; arn: string }[];
  archives: LocalArchive[];
  secrets: { logicalId: string; arn: string; name: string }[];
  functions: LocalFunction[];
  eventSourceMappings: LocalEventSourceMapping[];
  rules: LocalRule[];
  routes: LocalRoute[];
  s3Notifications: LocalS3Notification[];
  /** The nested stacks folded into the template (foldNestedStacks): each with the logical ids it held. */
  nestedStacks: { logicalId: string; resources: string[] }[];
}

export const LOCAL_ACCOUNT = '000000000000';
const ENTRY_METADATA = 'kcbx:entry';

const physicalName = (stackName: string, logicalId: string, max: number) =>
  `${stackName}-${logicalId}`.slice(0, max);

/** Builds the model; `endpoints` give the URLs that Ref/GetAtt resolve to locally. */
export function readTemplate(
  template: CfnTemplate,
  opts: { stackName: string; region: string; endpoints: LocalEndpoints },
): LocalModel {
  const { stackName, region, endpoints } = opts;
  const account = LOCAL_ACCOUNT;
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
  const refs = new Map<string, string>();
  const atts = new Map<string, Record<string, string>>();
  const resources = Object.entries(template.Resources);
  const nested = resources.find(([, r]) => r.Type === 'AWS::CloudFormation::Stack');
  if (nested) {
    throw new Error(
      `Nested stack ${nested[0]} is not folded in: read the template through foldNestedStacks first.`,
    );
  }

  // First pass: the physical identity of every resource, as CloudFormation would report it.
  for (const [id, r] of resources) {
    const p = r.Properties ?? {};
    const str = (v: Json | undefined) => (typeof v === 'string' ? v : undefined);
    switch (r.Type) {
      case 'AWS::DynamoDB::Table': {
        const name = str(p.TableName) ?? physicalName(stackName, id, 255);
        refs.set(id, name);
        atts.set(id, {
          Arn: arn('dynamodb', `table/${name}`),
          StreamArn: arn('dynamodb', `table/${name}/stream/local`),
        });
        break;
      }
      case 'AWS::SQS::Queue': {
        const fifo = p.FifoQueue === true;
        const name =
          str(p.QueueName) ?? `${physicalName(stackName, id, fifo ? 75 : 80)}${fifo ? '.fifo' : ''}`;
        const url = `${endpoints.sqs}/${account}/${name}`;
        refs.set(id, url);
        atts.set(id, { Arn: arn('sqs', name), QueueName: name, QueueUrl: url });
        break;
      }
      case 'AWS::S3::Bucket': {
        const name = str(p.BucketName) ?? physicalName(stackName, id, 63).toLowerCase();
        refs.set(id, name);
        atts.set(id, {
          Arn: `arn:aws:s3:::${name}`,
          DomainName: `${name}.s3.amazonaws.com`,
          RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
        });
        break;
      }
      case 'AWS::Events::EventBus': {
        const name = str(p.Name) ?? physicalName(stackName, id, 256);
        refs.set(id, name);
        atts.set(id, { Arn: arn('events', `event-bus/${name}`), Name: name });
        break;
      }
      case 'AWS::Lambda::Function': {
        const name = str(p.FunctionName) ?? physicalName(stackName, id, 64);
        refs.set(id, name);
        atts.set(id, { Arn: arn('lambda', `function:${name}`) });
        break;
      }
      case 'AWS::SecretsManager::Secret': {
        const name = str(p.Name) ?? physicalName(stackName, id, 256);
        const secretArn = arn('secretsmanager', `secret:${name}`);
        refs.set(id, secretArn);
        atts.set(id, { Id: secretArn });
        break;
      }
      case 'AWS::SNS::Topic': {
        const name = str(p.TopicName) ?? physicalName(stackName, id, 256);
        refs.set(id, arn('sns', name));
        atts.set(id, { TopicArn: arn('sns', name), TopicName: name });
        break;
      }
      case 'AWS::KMS::Key':
        refs.set(id, `local-key-${id}`);
        atts.set(id, { Arn: arn('kms', `key/local-key-${id}`), KeyId: `local-key-${id}` });
        break;
      case 'AWS::Logs::LogGroup': {
        const name = str(p.LogGroupName) ?? `/local/${stackName}/${id}`;
        refs.set(id, name);
        atts.set(id, { Arn: arn('logs', `log-group:${name}:*`) });
        break;
      }
      case 'AWS::ApiGatewayV2::Api':
        refs.set(id, `local-api-${id}`);
        atts.set(id, { ApiEndpoint: endpoints.api, ApiId: `local-api-${id}` });
        break;
      case 'AWS::Events::Rule':
        refs.set(id, id);
        atts.set(id, { Arn: arn('events', `rule/${id}`) });
        break;
      case 'AWS::Events::Archive': {
        const name = str(p.ArchiveName) ?? physicalName(stackName, id, 48);
        refs.set(id, name);
        atts.set(id, { Arn: arn('events', `archive/${name}`), ArchiveName: name });
        break;
      }
      case 'AWS::IAM::Role':
        refs.set(id, physicalName(stackName, id, 64));
        atts.set(id, { Arn: `arn:aws:iam::${account}:role/${physicalName(stackName, id, 64)}` });
        break;
      default:
        refs.set(id, id);
    }
  }

  const pseudo: Record<string, string> = {
    'AWS::AccountId': account,
    'AWS::Region': region,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': stackName,
    'AWS::NoValue': '',
  };

  const resolve = (value: Json | undefined): Json | undefined => {
    if (Array.isArray(value)) return value.map((v) => resolve(v) as Json);
    if (!value || typeof value !== 'object') return value;
    const [key] = Object.keys(value);
    const arg = (value as Record<string, Json>)[key ?? ''];
    if (Object.keys(value).length === 1 && key) {
      if (key === 'Ref') {
        const name = String(arg);
        const v = pseudo[name] ?? refs.get(name);
        if (v === undefined) throw new Error(`Ref to unknown resource ${name}`);
        return v;
      }
      if (key === 'Fn::GetAtt') {
        const [rid, att] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        const v = atts.get(rid ?? '')?.[att ?? ''];
        if (v === undefined) throw new Error(`Fn::GetAtt ${rid}.${att} is not known to the local cloud`);
        return v;
      }
      if (key === 'Fn::Join') {
        const [sep, parts] = arg as [string, Json[]];
        return (resolve(parts) as Json[]).map(String).join(sep);
      }
      if (key === 'Fn::Select') {
        const [index, list] = arg as [number, Json];
        return (resolve(list) as Json[])[Number(index)] ?? null;
      }
      if (key === 'Fn::Split') {
        const [sep, text] = arg as [string, Json];
        return String(resolve(text)).split(sep);
      }
      if (key === 'Fn::Sub') {
        const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, Json>]) : [String(arg), {}];
        return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
          if (name in vars) return String(resolve(vars[name]));
          if (pseudo[name] !== undefined) return pseudo[name];
          if (name.includes('.')) return String(resolve({ 'Fn::GetAtt': name.split('.') }));
          return String(resolve({ Ref: name }));
        });
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v) as Json]));
  };

  const model: LocalModel = {
    stackName,
    region,
    account,
    tables: [],
    queues: [],
    buckets: [],
    buses: [],
    archives: [],
    secrets: [],
    functions: [],
    eventSourceMappings: [],
    rules: [],
    routes: [],
    s3Notifications: [],
    nestedStacks: [],
  };
  for (const [id, r] of resources) {
    const from = r.Metadata?.[NESTED_STACK_METADATA];
    if (typeof from !== 'string') continue;
    const stack = model.nestedStacks.find((s) => s.logicalId === from);
    if (stack) stack.resources.push(id);
    else model.nestedStacks.push({ logicalId: from, resources: [id] });
  }
  const integrations = new Map<string, string>();
  const authorizers = new Map<string, NonNullable<LocalRoute['authorizer']>>();
  const routeResources: Resource[] = [];

  const modelled = new Set([
    'AWS::DynamoDB::Table',
    'AWS::SQS::Queue',
    'AWS::S3::Bucket',
    'AWS::Events::EventBus',
    'AWS::SecretsManager::Secret',
    'AWS::Lambda::Function',
    'AWS::Lambda::EventSourceMapping',
    'AWS::Events::Rule',
    'AWS::Events::Archive',
    'AWS::ApiGatewayV2::Integration',
    'AWS::ApiGatewayV2::Authorizer',
    'AWS::ApiGatewayV2::Route',
    'Custom::S3BucketNotifications',
  ]);
  for (const [id, r] of resources) {
    // Only what the local cloud runs is resolved; IAM, alarms, permissions and the like stay cloud-only.
    if (!modelled.has(r.Type)) continue;
    const p = (resolve(r.Properties as Json) ?? {}) as Record<string, Json>;
    switch (r.Type) {
      case 'AWS::DynamoDB::Table':
        model.tables.push({
          logicalId: id,
          name: refs.get(id)!,
          keySchema: p.KeySchema as LocalTable['keySchema'],
          attributeDefinitions: p.AttributeDefinitions as LocalTable['attributeDefinitions'],
          globalSecondaryIndexes: p.GlobalSecondaryIndexes as LocalTable['globalSecondaryIndexes'],
        });
        break;
      case 'AWS::SQS::Queue': {
        const a = atts.get(id)!;
        const redrive = p.RedrivePolicy as
          | { deadLetterTargetArn: string; maxReceiveCount: number }
          | undefined;
        model.queues.push({
          logicalId: id,
          name: a.QueueName!,
          arn: a.Arn!,
          url: a.QueueUrl!,
          visibilityTimeoutSeconds: Number(p.VisibilityTimeout ?? 30),
          retentionSeconds:
            p.MessageRetentionPeriod === undefined ? undefined : Number(p.MessageRetentionPeriod),
          fifo: p.FifoQueue === true,
          redrive: redrive && {
            deadLetterTargetArn: redrive.deadLetterTargetArn,
            maxReceiveCount: Number(redrive.maxReceiveCount),
          },
        });
        break;
      }
      case 'AWS::S3::Bucket':
        model.buckets.push({ logicalId: id, name: refs.get(id)! });
        break;
      case 'AWS::Events::EventBus':
        model.buses.push({ logicalId: id, name: refs.get(id)!, arn: atts.get(id)!.Arn! });
        break;
      case 'AWS::SecretsManager::Secret':
        model.secrets.push({ logicalId: id, arn: refs.get(id)!, name: refs.get(id)!.split(':secret:')[1]! });
        break;
      case 'AWS::Lambda::Function': {
        const entry = r.Metadata?.[ENTRY_METADATA];
        if (typeof entry !== 'string') {
          // Functions CDK adds itself (custom resource providers) have no source entry; they manage
          // cloud resources the local cloud provisions directly from the template.
          break;
        }
        const handler = String(p.Handler ?? 'index.handler');
        model.functions.push({
          logicalId: id,
          name: refs.get(id)!,
          arn: atts.get(id)!.Arn!,
          entry,
          handlerExport: handler.slice(handler.lastIndexOf('.') + 1),
          environment: Object.fromEntries(
            Object.entries(
              ((p.Environment as Record<string, Json>)?.Variables ?? {}) as Record<string, Json>,
            ).map(([k, v]) => [k, String(v)]),
          ),
          timeoutSeconds: Number(p.Timeout ?? 3),
          memoryMb: Number(p.MemorySize ?? 128),
          reservedConcurrency:
            p.ReservedConcurrentExecutions === undefined ? undefined : Number(p.ReservedConcurrentExecutions),
        });
        break;
      }
      case 'AWS::Lambda::EventSourceMapping': {
        const functionName = String(p.FunctionName);
        model.eventSourceMappings.push({
          logicalId: id,
          queueArn: String(p.EventSourceArn),
          functionArn: functionName.startsWith('arn:')
            ? functionName
            : arn('lambda', `function:${functionName}`),
          batchSize: Number(p.BatchSize ?? 10),
          maxBatchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
          reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
            'ReportBatchItemFailures',
          ),
          enabled: p.Enabled !== false,
        });
        break;
      }
      case 'AWS::Events::Rule': {
        const busName = String(p.EventBusName ?? 'default');
        model.rules.push({
          logicalId: id,
          name: refs.get(id)!,
          arn: atts.get(id)!.Arn!,
          busName: busName.startsWith('arn:') ? busName.slice(busName.lastIndexOf('/') + 1) : busName,
          description: typeof p.Description === 'string' ? p.Description : undefined,
          pattern: p.EventPattern ?? undefined,
          schedule: typeof p.ScheduleExpression === 'string' ? p.ScheduleExpression : undefined,
          enabled: (p.State ?? 'ENABLED') === 'ENABLED',
          targets: ((p.Targets as Record<string, Json>[]) ?? []).map((t) => {
            const transformer = t.InputTransformer as Record<string, Json> | undefined;
            return {
              id: String(t.Id),
              arn: String(t.Arn),
              input: typeof t.Input === 'string' ? t.Input : undefined,
              inputPath: typeof t.InputPath === 'string' ? t.InputPath : undefined,
              inputTransformer: transformer && {
                inputPathsMap: transformer.InputPathsMap as Record<string, string> | undefined,
                inputTemplate: String(transformer.InputTemplate),
              },
              deadLetterArn: (t.DeadLetterConfig as { Arn?: string } | undefined)?.Arn,
              maximumRetryAttempts: (t.RetryPolicy as { MaximumRetryAttempts?: number } | undefined)
                ?.MaximumRetryAttempts,
              roleArn: typeof t.RoleArn === 'string' ? t.RoleArn : undefined,
            };
          }),
        });
        break;
      }
      case 'AWS::Events::Archive': {
        const source = String(p.SourceArn);
        model.archives.push({
          logicalId: id,
          name: refs.get(id)!,
          arn: atts.get(id)!.Arn!,
          busArn: source,
          busName: source.slice(source.lastIndexOf('/') + 1),
          pattern: p.EventPattern ?? undefined,
          retentionDays: p.RetentionDays === undefined ? undefined : Number(p.RetentionDays),
        });
        break;
      }
      case 'AWS::ApiGatewayV2::Integration':
        integrations.set(id, String(p.IntegrationUri));
        break;
      case 'AWS::ApiGatewayV2::Authorizer': {
        const jwt = p.JwtConfiguration as { Issuer: string; Audience: string[] } | undefined;
        if (p.AuthorizerType === 'JWT' && jwt) {
          authorizers.set(id, {
            type: 'JWT',
            issuer: jwt.Issuer,
            audience: jwt.Audience,
            identitySource: (p.IdentitySource as string[]) ?? ['$request.header.Authorization'],
          });
        }
        break;
      }
      case 'AWS::ApiGatewayV2::Route':
        routeResources.push(r);
        break;
      case 'Custom::S3BucketNotifications': {
        const config = (p.NotificationConfiguration ?? {}) as Record<string, Record<string, Json>[]>;
        const filters = (c: Record<string, Json>) => {
          const rules = ((c.Filter as { Key?: { FilterRules?: { Name: string; Value: string }[] } })?.Key
            ?.FilterRules ?? []) as { Name: string; Value: string }[];
          return {
            prefix: rules.find((f) => f.Name.toLowerCase() === 'prefix')?.Value,
            suffix: rules.find((f) => f.Name.toLowerCase() === 'suffix')?.Value,
          };
        };
        model.s3Notifications.push({
          bucketName: String(p.BucketName),
          targets: [
            ...(config.QueueConfigurations ?? []).map((c) => ({
              kind: 'queue' as const,
              arn: String(c.QueueArn),
              events: c.Events as string[],
              ...filters(c),
            })),
            ...(config.LambdaFunctionConfigurations ?? []).map((c) => ({
              kind: 'function' as const,
              arn: String(c.LambdaFunctionArn),
              events: c.Events as string[],
              ...filters(c),
            })),
          ],
        });
        break;
      }
    }
  }

  for (const r of routeResources) {
    const raw = r.Properties ?? {};
    const p = resolve(raw as Json) as Record<string, Json>;
    const routeKey = String(p.RouteKey);
    const [method, path] = routeKey === '$default' ? ['ANY', '$default'] : routeKey.split(' ');
    const target = String(p.Target ?? '');
    const integrationId = target.replace(/^integrations\//, '');
    const functionArn = integrations.get(integrationId);
    if (!functionArn) continue;
    const authorizerRef = (raw.AuthorizerId as { Ref?: string } | undefined)?.Ref;
    const authorizer =
      p.AuthorizationType === 'JWT' && authorizerRef ? authorizers.get(authorizerRef) : undefined;
    if (p.AuthorizationType === 'JWT' && !authorizer) {
      throw new Error(`Route ${routeKey} uses a JWT authorizer the local cloud cannot find`);
    }
    model.routes.push({ method: method!, path: path!, functionArn, authorizer });
  }
  return model;
}
