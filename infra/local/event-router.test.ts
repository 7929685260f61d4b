import { describe, expect, it } from 'vitest';
import { type BusEvent, targetInput } from './event-router';
import type { LocalRule } from './template';

// Cases from the EventBridge user guide, "Amazon EventBridge input transformation".
const event: BusEvent = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING', n: 3, tags: { a: 1 } },
};
const rule = { name: 'example', arn: 'arn:aws:events:us-east-2:123456789012:rule/example' } as LocalRule;
const transform = (inputTemplate: string) =>
  targetInput(
    {
      id: 't',
      arn: 'arn:aws:sqs:us-east-1:123456789012:q',
      inputTransformer: {
        inputPathsMap: {
          instance: '$.detail.instance-id',
          state: '$.detail.state',
          n: '$.detail.n',
          tags: '$.detail.tags',
          missing: '$.detail.nothing',
        },
        inputTemplate,
      },
    },
    event,
    rule,
  );

describe('input transformer', () => {
  it('inserts a variable outside a string as its JSON value, inside a string as text', () => {
    expect(
      transform('{"instance": <instance>, "state": [9, <state>, true], "n": <n>, "tags": <tags>}'),
    ).toEqual({
      instance: 'i-0123456789',
      state: [9, 'RUNNING', true],
      n: 3,
      tags: { a: 1 },
    });
    expect(transform('{"status": "instance \\"<instance>\\" is in <state>"}')).toEqual({
      status: 'instance "i-0123456789" is in RUNNING',
    });
    expect(transform('"instance <instance> is in <state>"')).toBe('instance i-0123456789 is in RUNNING');
    expect(transform('<instance> is in state <state>')).toBe('i-0123456789 is in state RUNNING');
  });

  it('keeps JSON valid when a path is missing: null outside a string, nothing inside one', () => {
    expect(transform('{"a": <missing>, "b": "<missing>"}')).toEqual({ a: null, b: '' });
  });

  it('knows the reserved variables: the rule, and the event without (event) or with (event.json) its detail', () => {
    const out = transform(
      '{"ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>, "e": <aws.events.event>, "full": <aws.events.event.json>}',
    ) as Record<string, Record<string, unknown>>;
    expect(out.ruleArn).toBe(rule.arn);
    expect(out.ruleName).toBe('example');
    expect(out.e).toMatchObject({ id: event.id, source: 'aws.ec2' });
    expect(out.e!.detail).toBeUndefined();
    expect(out.full).toEqual(event);
  });
});
