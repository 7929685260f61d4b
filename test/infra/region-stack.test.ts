import { existsSync } from 'node:fs';
import path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { describe, expect, it } from 'vitest';
import { deployments } from '../../infra/config/deployments';
import { featuresOf } from '../../infra/config/partition';
import { ENTRY_METADATA, PROJECT_ROOT } from '../../infra/constructs/service-function';
import { resourcesOf, synthStacks } from './synth';

const synthesized = synthStacks(deployments);

const keyLogicalId = (template: ReturnType<typeof synthStacks>[number]['template']) => {
  const keys = Object.keys(resourcesOf(template, 'AWS::KMS::Key'));
  expect(keys).toHaveLength(1);
  return keys[0]!;
};

/** Every `Ref`/`Fn::GetAtt` target mentioned anywhere inside a value. */
function referencedIds(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) referencedIds(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v)) out.add(String(v[0]));
      else referencedIds(v, out);
    }
  }
  return out;
}

describe('the CDK app', () => {
  it('builds one stack per configured deployment', () => {
    expect(synthesized.map((s) => s.stack.stackName)).toEqual(deployments.map((d) => `Kcbx-${d.id}`));
    expect(deployments.filter((d) => !d.local).length).toBeGreaterThanOrEqual(2);
  });
});

/** The service stacks of every deployment, by construct id: the platform stays in the regional stack. */
const SERVICE_STACKS = [
  'IdentityStack',
  'RosterIntakeStack',
  'ComparisonStack',
  'CasesStack',
  'SubsidyStack',
  'NotificationsStack',
];

/** CloudFormation's limit of resources in one template, and the share of it a template may use here. */
const CLOUDFORMATION_RESOURCE_LIMIT = 500;
const RESOURCE_BUDGET = CLOUDFORMATION_RESOURCE_LIMIT / 2;

const resourceCount = (template: Template) => Object.keys(template.toJSON().Resources).length;

/** Logical ids of the resources a resource refers to or waits on, in its own template. */
function dependenciesOf(resource: { Properties?: unknown; DependsOn?: string | string[] }): Set<string> {
  const ids = referencedIds(resource.Properties ?? {});
  for (const id of [resource.DependsOn ?? []].flat()) ids.add(id);
  return ids;
}

describe.each(synthesized)('the templates of $stack.stackName', ({ parent, nested }) => {
  it('keep the platform in the regional stack and each service in a nested stack of its own', () => {
    expect(nested.map((n) => n.id)).toEqual(SERVICE_STACKS);
    parent.resourceCountIs('AWS::CloudFormation::Stack', SERVICE_STACKS.length);
    // The platform: key, tables, bucket, bus and archive, API with its stage and authorizer, alarm topic.
    for (const type of [
      'AWS::KMS::Key',
      'AWS::SNS::Topic',
      'AWS::S3::Bucket',
      'AWS::Events::EventBus',
      'AWS::Events::Archive',
      'AWS::ApiGatewayV2::Api',
      'AWS::ApiGatewayV2::Stage',
      'AWS::ApiGatewayV2::Authorizer',
    ])
      expect(Object.keys(resourcesOf(parent, type)).length, type).toBeGreaterThanOrEqual(1);
    expect(Object.keys(resourcesOf(parent, 'AWS::DynamoDB::Table')).length).toBe(2);
    // No service code or wiring: only CDK's helper that configures the bucket's notifications at deploy time.
    expect(Object.keys(resourcesOf(parent, 'AWS::Lambda::Function'))).toEqual([
      expect.stringMatching(/^BucketNotificationsHandler/),
    ]);
    for (const type of [
      'AWS::ApiGatewayV2::Route',
      'AWS::ApiGatewayV2::Integration',
      'AWS::Lambda::Permission',
      'AWS::Events::Rule',
      'AWS::Lambda::EventSourceMapping',
    ])
      parent.resourceCountIs(type, 0);
    for (const { id, template } of nested) {
      expect(Object.keys(resourcesOf(template, 'AWS::Lambda::Function')).length, id).toBeGreaterThanOrEqual(
        1,
      );
      expect(
        Object.keys(resourcesOf(template, 'AWS::ApiGatewayV2::Route')).length,
        id,
      ).toBeGreaterThanOrEqual(1);
      for (const type of [
        'AWS::KMS::Key',
        'AWS::DynamoDB::Table',
        'AWS::S3::Bucket',
        'AWS::ApiGatewayV2::Api',
      ])
        template.resourceCountIs(type, 0);
    }
  });

  it('stay under half of CloudFormation’s 500 resources, each of them', () => {
    const counts = Object.fromEntries([
      ['(regional stack)', resourceCount(parent)],
      ...nested.map((n) => [n.id, resourceCount(n.template)]),
    ]);
    for (const [id, count] of Object.entries(counts))
      expect(count, `${id}: ${JSON.stringify(counts)}`).toBeLessThan(RESOURCE_BUDGET);
  });

  it('give each route, its integration and its permission to the service stack of the function behind it', () => {
    for (const { id, template } of nested) {
      const functions = new Set(Object.keys(resourcesOf(template, 'AWS::Lambda::Function')));
      const routes = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
      const integrations = resourcesOf(template, 'AWS::ApiGatewayV2::Integration');
      const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission'));
      for (const route of routes) {
        const target = [...referencedIds(route.Properties?.Target)];
        expect(target.length, `${id} ${route.Properties?.RouteKey}`).toBe(1);
        const integration = integrations[target[0]!]!;
        const [fn] = [...referencedIds(integration.Properties?.IntegrationUri)];
        expect(functions.has(fn!), `${id} ${route.Properties?.RouteKey} is served by ${fn}`).toBe(true);
        expect(
          permissions.some(
            (p) =>
              p.Properties?.Principal === 'apigateway.amazonaws.com' &&
              referencedIds(p.Properties?.FunctionName).has(fn!),
          ),
          `${id}: API Gateway may invoke ${fn}`,
        ).toBe(true);
      }
    }
  });

  it('have no dependency cycle between the regional stack and a service stack', () => {
    const resources = parent.toJSON().Resources as Record<
      string,
      { Properties?: unknown; DependsOn?: string[] }
    >;
    // Depth-first search for a resource that, through what it refers to, waits on itself.
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (id: string, path: string[]) => {
      if (state.get(id) === 'done' || !resources[id]) return;
      if (state.get(id) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(id)), id].join(' → '));
        return;
      }
      state.set(id, 'visiting');
      for (const next of dependenciesOf(resources[id]!)) visit(next, [...path, id]);
      state.set(id, 'done');
    };
    for (const id of Object.keys(resources)) visit(id, []);
    expect(cycles).toEqual([]);
  });

  it('watch every function of a service with the service’s errors alarms, ten functions an alarm at most', () => {
    for (const { id, template } of nested) {
      const functions = Object.keys(resourcesOf(template, 'AWS::Lambda::Function'));
      const errorAlarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter((a) =>
        (a.Properties?.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[] | undefined)?.some(
          (m) => m.MetricStat?.Metric.MetricName === 'Errors',
        ),
      );
      expect(errorAlarms.length, id).toBe(Math.ceil(functions.length / 10));
      const watched = errorAlarms.flatMap((a) => {
        const metrics = (
          a.Properties!.Metrics as { MetricStat?: { Metric: { Dimensions: unknown } } }[]
        ).filter((m) => m.MetricStat);
        expect(metrics.length).toBeLessThanOrEqual(10);
        return metrics.flatMap((m) => [...referencedIds(m.MetricStat!.Metric.Dimensions)]);
      });
      expect(watched.sort(), id).toEqual([...functions].sort());
    }
  });
});

describe.each(synthesized)('stack $stack.stackName', ({ stack, deployment, template, nagFindings }) => {
  const keyId = keyLogicalId(template);

  it('passes cdk-nag AwsSolutions with no unsuppressed error or warning, in every nested stack too', () => {
    expect(nagFindings).toEqual([]);
  });

  it('keeps no table it does not use (no idempotency table: the consumers are idempotent by design)', () => {
    const tables = resourcesOf(template, 'AWS::DynamoDB::Table');
    expect(Object.keys(tables).filter((id) => /Idempotency/i.test(id))).toEqual([]);
    // Each table is named in the environment of a function.
    const environments = JSON.stringify(
      Object.values(resourcesOf(template, 'AWS::Lambda::Function')).map((f) => f.Properties?.Environment),
    );
    for (const id of Object.keys(tables)) expect(environments, id).toContain(`"Ref":"${id}"`);
  });

  it('rotates its customer-managed key', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('keeps every table on demand, point-in-time recoverable and encrypted with the customer key', () => {
    const tables = resourcesOf(template, 'AWS::DynamoDB::Table');
    expect(Object.keys(tables).length).toBeGreaterThanOrEqual(2);
    for (const table of Object.values(tables)) {
      const p = table.Properties!;
      expect(p.BillingMode).toBe('PAY_PER_REQUEST');
      expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(p.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
      expect(referencedIds(p.SSESpecification)).toContain(keyId);
      // Deletion protection is off only where data is disposable.
      expect(p.DeletionProtectionEnabled).toBe(!deployment.local);
    }
  });

  it('encrypts the roster bucket with the customer key, blocks public access and refuses plain HTTP', () => {
    const buckets = resourcesOf(template, 'AWS::S3::Bucket');
    const rosters = Object.entries(buckets).find(([id]) => id.includes('Rosters'));
    expect(rosters).toBeDefined();
    const p = rosters![1].Properties!;
    const sse = (
      p.BucketEncryption as {
        ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: unknown }[];
      }
    ).ServerSideEncryptionConfiguration[0]!.ServerSideEncryptionByDefault;
    expect(sse).toMatchObject({ SSEAlgorithm: 'aws:kms' });
    expect(referencedIds(sse)).toContain(keyId);
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(JSON.stringify(p.LifecycleConfiguration)).toContain('incoming/');
    for (const [id] of Object.entries(buckets)) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('gives every queue the customer key, a dead-letter queue and an alarm', () => {
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    const dlqIds = new Set(
      Object.values(queues).flatMap((q) => [...referencedIds(q.Properties?.RedrivePolicy ?? {})]),
    );
    expect(Object.keys(queues).length).toBeGreaterThanOrEqual(2);
    for (const [id, queue] of Object.entries(queues)) {
      expect(referencedIds(queue.Properties?.KmsMasterKeyId)).toContain(keyId);
      if (!dlqIds.has(id)) {
        expect(queue.Properties?.RedrivePolicy, `${id} has no DLQ`).toMatchObject({
          maxReceiveCount: expect.any(Number),
        });
        expect(
          (queue.Properties!.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount,
        ).toBeGreaterThanOrEqual(5);
      }
      const watched = alarms.some((a) => referencedIds(a.Properties?.Dimensions).has(id));
      expect(watched, `${id} has no alarm`).toBe(true);
    }
  });

  it('sends every alarm to the encrypted alarm topic', () => {
    const topics = resourcesOf(template, 'AWS::SNS::Topic');
    for (const topic of Object.values(topics))
      expect(referencedIds(topic.Properties?.KmsMasterKeyId)).toContain(keyId);
    for (const alarm of Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties?.AlarmActions).toBeDefined();
    }
  });

  it('encrypts the event bus with the customer key and archives its events', () => {
    const buses = Object.values(resourcesOf(template, 'AWS::Events::EventBus'));
    expect(buses).toHaveLength(1);
    expect(referencedIds(buses[0]!.Properties?.KmsKeyIdentifier)).toContain(keyId);
    template.resourceCountIs('AWS::Events::Archive', 1);
  });

  it('grants no wildcard actions and no wildcard resources except for X-Ray', () => {
    for (const [id, policy] of Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))) {
      const statements = (
        policy.Properties!.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }
      ).Statement;
      for (const s of statements) {
        const actions = [s.Action].flat();
        for (const action of actions)
          expect(action, `${id} grants ${action}`).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
        if (s.Resource === '*') {
          expect(
            actions.every((a) => a.startsWith('xray:')),
            `${id} grants ${actions} on *`,
          ).toBe(true);
        }
      }
    }
  });

  it('runs every function on ARM64 nodejs22.x, traced where the partition has X-Ray for Lambda, from a source entry that exists', () => {
    // CDK's own helper that configures bucket notifications at deploy time is not one of ours.
    const functions = Object.entries(resourcesOf(template, 'AWS::Lambda::Function'))
      .filter(([id]) => !id.startsWith('BucketNotificationsHandler'))
      .map(([, fn]) => fn);
    expect(functions.length).toBeGreaterThanOrEqual(1);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Architectures: ['arm64'], Runtime: 'nodejs22.x' });
      // The China regions have no X-Ray integration with Lambda (see partitions.test.ts).
      expect(fn.Properties?.TracingConfig).toEqual(
        featuresOf(deployment.aws.region).lambdaTracing ? { Mode: 'Active' } : undefined,
      );
      const entry = fn.Metadata?.[ENTRY_METADATA];
      expect(typeof entry).toBe('string');
      expect(existsSync(path.join(PROJECT_ROOT, entry as string))).toBe(true);
    }
  });

  it('gives the function that reads roster workbooks a /tmp sized for what it writes there: nothing', () => {
    const readers = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter(
      (fn) => fn.Metadata?.[ENTRY_METADATA] === 'services/roster-intake/handlers/worker.ts',
    );
    expect(readers).toHaveLength(1);
    // Lambda's least: the reader streams the file twice rather than park a worksheet on disk.
    for (const fn of readers) expect(fn.Properties?.EphemeralStorage).toEqual({ Size: 512 });
  });

  it('puts every route behind the JWT authorizer of the deployment issuer', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: deployment.identity.issuer, Audience: deployment.identity.audience },
    });
    const routes = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
    expect(routes.length).toBeGreaterThanOrEqual(1);
    for (const route of routes) expect(route.Properties?.AuthorizationType).toBe('JWT');
  });

  it('uses the partition of its region in every ARN (China regions are aws-cn)', () => {
    const partition = RegionInfo.get(deployment.aws.region).partition!;
    const arns = JSON.stringify(template.toJSON()).match(/arn:[a-z-]+:/g) ?? [];
    const foreign = [...new Set(arns)].filter((arn) => arn !== `arn:${partition}:`);
    expect(foreign, `ARNs of another partition in ${stack.stackName}`).toEqual([]);
    expect(stack.region).toBe(deployment.aws.region);
  });
});
