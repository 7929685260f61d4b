// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub texts are written with ${…}.
import { describe, expect, it } from 'vitest';
import { foldNestedStacks, NESTED_STACK_METADATA } from './nested-stacks';
import type { CfnTemplate } from './template';

const stack = (file: string, parameters: Record<string, unknown> = {}) => ({
  Type: 'AWS::CloudFormation::Stack',
  Properties: { TemplateURL: `https://example.invalid/${file}`, Parameters: parameters },
  Metadata: { 'aws:asset:path': file },
});

/** A parent with a table and a topic, and one service stack that reads both and exports its queue. */
const parent = {
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: [] } },
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    Service: stack('service.json', {
      tableName: { Ref: 'Table' },
      tableArn: { 'Fn::GetAtt': ['Table', 'Arn'] },
    }),
    Notifications: {
      Type: 'Custom::S3BucketNotifications',
      Properties: { QueueArn: { 'Fn::GetAtt': ['Service', 'Outputs.WorkQueueArn'] } },
      DependsOn: ['Service', 'Queue'],
    },
  },
} as unknown as CfnTemplate;

const service = {
  Parameters: {
    tableName: { Type: 'String' },
    tableArn: { Type: 'String' },
    retention: { Type: 'Number', Default: 7 },
  },
  Resources: {
    WorkQueue: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: { Ref: 'retention' } } },
    // The same logical id as the parent's queue: CDK makes ids unique within a template only.
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Environment: {
          Variables: {
            TABLE: { Ref: 'tableName' },
            QUEUE: { Ref: 'WorkQueue' },
            OTHER: { 'Fn::GetAtt': ['Queue', 'Arn'] },
            INDEX: { 'Fn::Sub': '${tableArn}/index/*' },
            SELF: { 'Fn::Sub': '${WorkQueue.Arn}' },
          },
        },
      },
      DependsOn: ['Queue'],
    },
  },
  Outputs: { WorkQueueArn: { Value: { 'Fn::GetAtt': ['WorkQueue', 'Arn'] } } },
} as unknown as CfnTemplate;

const templates: Record<string, CfnTemplate> = { 'service.json': service };
/** The environment variables of the function Fn in a folded template. */
const environmentOf = (t: CfnTemplate) =>
  (t.Resources.Fn!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
const load = (_id: string, r: { Metadata?: Record<string, unknown> }) =>
  templates[String(r.Metadata?.['aws:asset:path'])]!;

describe('folding nested stacks into their parent', () => {
  const folded = foldNestedStacks(parent, load);
  const r = folded.Resources;

  it('replaces the stack by its resources, each marked with the stack it came from', () => {
    expect(Object.keys(r).sort()).toEqual([
      'Fn',
      'Notifications',
      'Queue',
      'ServiceQueue',
      'Table',
      'WorkQueue',
    ]);
    expect(r.WorkQueue?.Metadata?.[NESTED_STACK_METADATA]).toBe('Service');
    expect(r.Table?.Metadata).toBeUndefined();
  });

  it('gives a parameter the value the parent passes, or its default', () => {
    const env = environmentOf(folded);
    expect(env.TABLE).toEqual({ Ref: 'Table' });
    expect(env.INDEX).toEqual({
      'Fn::Sub': ['${tableArn}/index/*', { tableArn: { 'Fn::GetAtt': ['Table', 'Arn'] } }],
    });
    expect(r.WorkQueue?.Properties?.MessageRetentionPeriod).toBe(7);
  });

  it('renames a nested resource whose logical id the parent already uses, and every reference to it', () => {
    const env = environmentOf(folded);
    expect(env.OTHER).toEqual({ 'Fn::GetAtt': ['ServiceQueue', 'Arn'] });
    expect(env.QUEUE).toEqual({ Ref: 'WorkQueue' });
    expect(env.SELF).toEqual({ 'Fn::Sub': '${WorkQueue.Arn}' });
    expect(r.Fn?.DependsOn).toEqual(['ServiceQueue']);
  });

  it('reads the outputs of a nested stack back into the parent, and drops waits on the stack', () => {
    expect(r.Notifications?.Properties?.QueueArn).toEqual({ 'Fn::GetAtt': ['WorkQueue', 'Arn'] });
    expect(r.Notifications?.DependsOn).toEqual(['Queue']);
  });

  it('folds a nested stack of a nested stack, and names both stacks', () => {
    templates['outer.json'] = { Resources: { Inner: stack('inner.json') } } as unknown as CfnTemplate;
    templates['inner.json'] = {
      Resources: { Deep: stack('service.json', { tableName: { Ref: 'name' }, tableArn: { Ref: 'name' } }) },
      Parameters: { name: { Type: 'String', Default: 'local-table' } },
    } as unknown as CfnTemplate;
    const twice = foldNestedStacks(
      { Resources: { Table: parent.Resources.Table!, Outer: stack('outer.json') } } as unknown as CfnTemplate,
      load,
    );
    expect(twice.Resources.WorkQueue?.Metadata?.[NESTED_STACK_METADATA]).toBe('Outer/Inner/Deep');
    const env = environmentOf(twice);
    expect(env.TABLE).toBe('local-table');
  });

  it('refuses a parameter that is neither passed nor defaulted', () => {
    const missing = {
      Resources: { Service: stack('service.json', { tableName: 'x' }) },
    } as unknown as CfnTemplate;
    expect(() => foldNestedStacks(missing, load)).toThrow(
      /parameter tableArn is neither passed nor defaulted/,
    );
  });
});
