import * as iam from 'aws-cdk-lib/aws-iam';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { describe, expect, it } from 'vitest';
import { deployments } from '../../infra/config/deployments';
import {
  featuresOf,
  kmsViaService,
  partitionOf,
  regionalServicePrincipal,
} from '../../infra/config/partition';
import { loadDeployments } from '../../infra/config/schema';
import { resourcesOf, synthStacks } from './synth';

// A mainland county in 宁夏 (aws-cn), and the local stack's own settings in us-east-1 (aws): the one
// deployment outside China the configuration admits, since it never leaves the emulators.
const [ningxia] = loadDeployments([
  {
    id: 'ningxia-sample',
    name: '样例县',
    regionCode: '530113',
    aws: { region: 'cn-northwest-1' },
    identity: { issuer: 'https://id.example.cn/realms/kcbx', audience: ['kcbx-api'] },
  },
]);
const local = deployments.find((d) => d.local)!;
const [china, global] = synthStacks([ningxia!, local]);

type Json = unknown;

/** Every value found under `key` anywhere inside a value (objects and arrays walked). */
function valuesOf(value: Json, key: string, out: Json[] = []): Json[] {
  if (Array.isArray(value)) for (const v of value) valuesOf(v, key, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) out.push(v);
      valuesOf(v, key, out);
    }
  }
  return out;
}

const strings = (values: Json[]): string[] => values.flat().filter((v): v is string => typeof v === 'string');

/** Service principals of every policy (key, role trust, queue, bucket, topic) and Lambda permission. */
function servicePrincipals(template: Json): string[] {
  const inPolicies = strings(
    valuesOf(template, 'Principal').flatMap((p) =>
      p && typeof p === 'object' && !Array.isArray(p) ? [(p as { Service?: Json }).Service ?? []] : [],
    ),
  );
  const permissions = Object.values(
    (template as { Resources: Record<string, { Type: string; Properties?: { Principal?: Json } }> })
      .Resources,
  )
    .filter((r) => r.Type === 'AWS::Lambda::Permission')
    .map((r) => r.Properties?.Principal);
  return [...new Set([...inPolicies, ...strings(permissions)])];
}

/** IAM actions granted anywhere in the template (role policies and resource policies alike). */
const actionsOf = (template: Json): string[] => strings(valuesOf(template, 'Action'));

/** Our functions: CDK's helper that configures bucket notifications at deploy time is not one of them. */
function functionsOf(synth: ReturnType<typeof synthStacks>[number]) {
  return Object.entries(resourcesOf(synth.template, 'AWS::Lambda::Function'))
    .filter(([id]) => !id.startsWith('BucketNotificationsHandler'))
    .map(
      ([, fn]) =>
        fn.Properties as {
          TracingConfig?: { Mode: string };
          Environment: { Variables: Record<string, string> };
        },
    );
}

/**
 * What role policies grant for text messages and e-mail: SES sending, and sns:Publish on no topic at all
 * (NotResource), which is publishing to phone numbers. The alarm topic's own policy is not a grant to us.
 */
function smsAndEmailGrants(synth: ReturnType<typeof synthStacks>[number]): string[] {
  const statements = Object.values(resourcesOf(synth.template, 'AWS::IAM::Policy')).flatMap(
    (p) => (p.Properties!.PolicyDocument as { Statement: { Action: Json; NotResource?: Json }[] }).Statement,
  );
  return [
    ...new Set(
      statements.flatMap((s) =>
        strings([s.Action]).filter((a) => a.startsWith('ses:') || (a === 'sns:Publish' && s.NotResource)),
      ),
    ),
  ];
}

function logsKeyStatement(synth: ReturnType<typeof synthStacks>[number]) {
  const [key] = Object.values(resourcesOf(synth.template, 'AWS::KMS::Key'));
  const statements = (
    key!.Properties!.KeyPolicy as { Statement: { Principal?: { Service?: Json }; Condition?: Json }[] }
  ).Statement;
  return statements.filter((s) => strings([s.Principal?.Service ?? []]).some((p) => p.startsWith('logs.')));
}

describe('partition rules', () => {
  it('places the China regions in aws-cn and the others in aws', () => {
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('cn-northwest-1')).toBe('aws-cn');
    expect(partitionOf('us-east-1')).toBe('aws');
    expect(partitionOf('ap-east-1')).toBe('aws');
  });

  it('drops Lambda tracing, tags on event source mappings, SMS and e-mail in China only', () => {
    const off = { lambdaTracing: false, eventSourceMappingTags: false, smsAndEmail: false };
    expect(featuresOf('cn-north-1')).toEqual(off);
    expect(featuresOf('cn-northwest-1')).toEqual(off);
    expect(featuresOf('us-east-1')).toEqual({
      lambdaTracing: true,
      eventSourceMappingTags: true,
      smsAndEmail: true,
    });
  });

  it('names a regional service principal with its region’s DNS suffix', () => {
    expect(regionalServicePrincipal('logs', 'cn-northwest-1')).toBe('logs.cn-northwest-1.amazonaws.com.cn');
    expect(regionalServicePrincipal('logs', 'cn-north-1')).toBe('logs.cn-north-1.amazonaws.com.cn');
    expect(regionalServicePrincipal('logs', 'us-east-1')).toBe('logs.us-east-1.amazonaws.com');
  });

  it('spells kms:ViaService the way CDK does for its own grants, in every partition', () => {
    expect(kmsViaService('sqs', 'cn-northwest-1')).toBe('sqs.cn-northwest-1.amazonaws.com');
    expect(kmsViaService('sqs', 'us-east-1')).toBe('sqs.us-east-1.amazonaws.com');
  });
});

describe('a China deployment (aws-cn, cn-northwest-1)', () => {
  const json = china!.template.toJSON();
  const text = JSON.stringify(json);

  it('is the partition it is meant to be', () => {
    expect(china!.stack.region).toBe('cn-northwest-1');
    expect(china!.stack.resolve(china!.stack.partition)).toBe('aws-cn');
  });

  it('traces no function with X-Ray and switches the Powertools tracer off', () => {
    const functions = functionsOf(china!);
    expect(functions.length).toBeGreaterThan(10);
    for (const fn of functions) {
      expect([undefined, 'PassThrough']).toContain(fn.TracingConfig?.Mode);
      expect(fn.Environment.Variables.POWERTOOLS_TRACE_ENABLED).toBe('false');
    }
  });

  it('grants no X-Ray action', () => {
    expect(actionsOf(json).filter((a) => a.startsWith('xray:'))).toEqual([]);
  });

  it('lets CloudWatch Logs use the key as logs.cn-northwest-1.amazonaws.com.cn, for its own log groups', () => {
    const [statement, ...more] = logsKeyStatement(china!);
    expect(more).toEqual([]);
    expect(statement!.Principal!.Service).toBe('logs.cn-northwest-1.amazonaws.com.cn');
    expect(JSON.stringify(statement!.Condition)).toContain('arn:aws-cn:logs:cn-northwest-1:');
    expect(text).not.toMatch(/logs\.cn-northwest-1\.amazonaws\.com"/);
  });

  it('names every service principal as the partition does', () => {
    const principals = servicePrincipals(json);
    expect(principals).toEqual(
      expect.arrayContaining([
        'logs.cn-northwest-1.amazonaws.com.cn',
        'lambda.amazonaws.com',
        'events.amazonaws.com',
      ]),
    );
    for (const principal of principals) {
      const regional = /^([a-z0-9-]+)\.([a-z]{2}-[a-z]+-\d)\.(.+)$/.exec(principal);
      if (regional) {
        // A principal that names a region names ours, in its DNS suffix.
        expect(regional[2], principal).toBe('cn-northwest-1');
        expect(regional[3], principal).toBe(RegionInfo.get('cn-northwest-1').domainSuffix);
      } else {
        // A global one is what CDK's region-aware ServicePrincipal gives this stack.
        expect(principal).toBe(china!.stack.resolve(iam.ServicePrincipal.servicePrincipalName(principal)));
      }
    }
  });

  it('passes the partner sender role only to EventBridge, by the partition’s name for it', () => {
    const passed = strings(valuesOf(json, 'iam:PassedToService'));
    expect(passed).toEqual([
      china!.stack.resolve(iam.ServicePrincipal.servicePrincipalName('events.amazonaws.com')),
    ]);
  });

  it('spells every kms:ViaService one way, for a service of this region (ours and CDK’s alike)', () => {
    const via = [...new Set(strings(valuesOf(json, 'kms:ViaService')))].sort();
    expect(via).toEqual(['secretsmanager.cn-northwest-1.amazonaws.com', 'sqs.cn-northwest-1.amazonaws.com']);
    expect(via).toEqual(via.map((v) => kmsViaService(v.split('.')[0]!, 'cn-northwest-1')));
  });

  it('writes no ARN of the aws partition', () => {
    expect(text).not.toContain('arn:aws:');
    expect(text).toContain('arn:aws-cn:');
  });

  it('tags no event source mapping, and still tags the rest', () => {
    const mappings = Object.values(resourcesOf(china!.template, 'AWS::Lambda::EventSourceMapping'));
    expect(mappings.length).toBeGreaterThan(0);
    for (const m of mappings) expect(m.Properties?.Tags).toBeUndefined();
    const [table] = Object.values(resourcesOf(china!.template, 'AWS::DynamoDB::Table'));
    expect(table!.Properties?.Tags).toEqual(
      expect.arrayContaining([{ Key: 'kcbx:deployment', Value: 'ningxia-sample' }]),
    );
  });

  it('tells people through WeChat Work only: no text-message or e-mail grant', () => {
    expect(smsAndEmailGrants(china!)).toEqual([]);
    const channels = new Set(functionsOf(china!).map((fn) => fn.Environment.Variables.KCBX_CHANNELS));
    expect(channels).toContain('wecom');
    expect([...channels].filter((c) => c !== undefined && c !== 'wecom')).toEqual([]);
  });
});

describe('a deployment outside China (aws, us-east-1)', () => {
  const json = global!.template.toJSON();

  it('traces every function with X-Ray and leaves the Powertools tracer on', () => {
    const functions = functionsOf(global!);
    expect(functions.length).toBeGreaterThan(10);
    for (const fn of functions) {
      expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Environment.Variables.POWERTOOLS_TRACE_ENABLED).toBeUndefined();
    }
    expect(actionsOf(json)).toEqual(
      expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
    );
  });

  it('lets CloudWatch Logs use the key as logs.us-east-1.amazonaws.com', () => {
    const [statement, ...more] = logsKeyStatement(global!);
    expect(more).toEqual([]);
    expect(statement!.Principal!.Service).toBe('logs.us-east-1.amazonaws.com');
    expect(JSON.stringify(statement!.Condition)).toContain('arn:aws:logs:us-east-1:');
  });

  it('tags its event source mappings and offers SMS and e-mail', () => {
    for (const m of Object.values(resourcesOf(global!.template, 'AWS::Lambda::EventSourceMapping')))
      expect(m.Properties?.Tags).toEqual(
        expect.arrayContaining([{ Key: 'kcbx:deployment', Value: 'local' }]),
      );
    expect(smsAndEmailGrants(global!).sort()).toEqual(['ses:SendEmail', 'sns:Publish']);
  });
});
