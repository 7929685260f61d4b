import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../../../infra/local/event-pattern';
import { type BusEvent, targetInput } from '../../../infra/local/event-router';
import { eventCatalogue } from '../../../shared/events/catalogue';
import type { DetailType } from '../../../shared/events/publishable';
import { allEventSamples } from '../../../shared/events/samples';
import { causeCategorySchema, overdueItemSchema } from '../../../shared/events/vocab';
import { type PartnerDepartment, partnerDepartmentSchema } from '../../../shared/org';
import { deliveryEnvelope, receivableTypes, requiredNarrowing } from '../domain/minimise';
import { causesReferredTo } from '../domain/referral';
import { matchesSubscription, type Subscription } from '../domain/subscription';
import { backoffSeconds, type DeliveryItem, deliveryChains } from './deliveries';
import { envelopeTransformer, queuePolicyAllows, sqsRuleVariants } from './subscription-rules';

const QUEUE = 'arn:aws-cn:sqs:cn-northwest-1:123456789012:partner-events';

function subscription(
  department: PartnerDepartment,
  eventTypes: DetailType[],
  filters: Subscription['filters'],
): Subscription {
  return {
    id: 'sabcdefghijklmnop',
    partnerOrg: `530124:${department}`,
    eventTypes,
    filters,
    target: { kind: 'sqs', queueArn: QUEUE },
    region: '530124',
    createdAt: '2026-03-01T00:00:00.000Z',
    createdBy: 'tester',
    status: 'active',
  };
}

/** Every sample, and the same with each cause (and none) and each overdue item: the values a rule must tell apart. */
function events(): { type: DetailType; detail: Record<string, unknown> }[] {
  const out: { type: DetailType; detail: Record<string, unknown> }[] = [];
  for (const [type, detail] of allEventSamples()) {
    const d = detail as Record<string, unknown>;
    out.push({ type, detail: d });
    for (const priority of [true, false]) {
      if (type === 'case.opened' || type === 'dropout.suspected')
        out.push({ type, detail: { ...d, priority } });
    }
    if (type === 'case.opened') {
      const { causeCategory: _c, township: _t, ...bare } = d;
      out.push({ type, detail: bare });
      for (const cause of causeCategorySchema.options)
        for (const priority of [true, false])
          out.push({ type, detail: { ...d, causeCategory: cause, priority } });
    }
    if (type === 'case.overdue')
      for (const item of overdueItemSchema.options) out.push({ type, detail: { ...d, item } });
  }
  return out;
}

const busEvent = (type: DetailType, detail: unknown): BusEvent => ({
  version: '0',
  id: 'a2f4bb8e-0000-4000-8000-000000000001',
  'detail-type': type,
  source: eventCatalogue[type].source,
  account: '123456789012',
  time: '2025-09-12T07:30:01Z',
  region: 'cn-northwest-1',
  resources: [],
  detail,
});

/** An absent optional text field arrives as "" from a queue rule; the HTTPS envelope leaves it out. */
function withoutEmptyText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyText);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => [k, withoutEmptyText(v)]),
  );
}

/** Subscriptions of every department to every type it may receive, with the filters the allow-list requires. */
function subscriptionsToTry(): Subscription[] {
  const subs: Subscription[] = [];
  for (const department of partnerDepartmentSchema.options) {
    for (const type of receivableTypes(department)) {
      const required = requiredNarrowing(department, type);
      if (required.length === 0) subs.push(subscription(department, [type], {}));
      if (required.includes('cause'))
        subs.push(subscription(department, [type], { causeCategories: [...causesReferredTo(department)] }));
      if (required.includes('priority')) subs.push(subscription(department, [type], { priorityOnly: true }));
    }
  }
  return subs;
}

describe('queue subscriptions: rules with input transformers', () => {
  it('deliver through the transformer exactly the envelope the HTTPS path builds, for every department and event', () => {
    let checked = 0;
    for (const sub of subscriptionsToTry()) {
      const { variants, problems } = sqsRuleVariants(sub);
      if (problems.length > 0) continue;
      for (const { type, detail } of events()) {
        if (!sub.eventTypes.includes(type)) continue;
        const event = busEvent(type, detail);
        const matching = variants.filter((v) => matchesEventPattern(v.pattern, event));
        const wanted = matchesSubscription(sub, type, detail, event.source);
        // One rule at most, so a partner never receives an event twice; none when the subscription says no.
        expect(matching.length, `${sub.partnerOrg} ${type} ${JSON.stringify(detail)}`).toBe(wanted ? 1 : 0);
        if (!wanted) continue;
        const transformer = envelopeTransformer(sub, matching[0]!);
        const sent = targetInput(
          {
            id: 'partner',
            arn: QUEUE,
            inputTransformer: {
              inputPathsMap: transformer.InputPathsMap,
              inputTemplate: transformer.InputTemplate,
            },
          },
          event,
        );
        expect(withoutEmptyText(sent), `${sub.partnerOrg} ${type}`).toEqual(
          deliveryEnvelope(sub, type, detail),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('withholds a cause not referred to the department: 民政 hears of a priority child with a disability, without the cause', () => {
    const sub = subscription('civil-affairs', ['case.opened'], { priorityOnly: true });
    const { variants } = sqsRuleVariants(sub);
    const event = busEvent('case.opened', {
      ...(allEventSamples().find(([t]) => t === 'case.opened')![1] as object),
      causeCategory: 'DISABILITY',
      priority: true,
    });
    const [rule] = variants.filter((v) => matchesEventPattern(v.pattern, event));
    expect(rule!.fields).not.toContain('causeCategory');
    expect(JSON.stringify(envelopeTransformer(sub, rule!))).not.toContain('causeCategory');
  });

  it('refuses list fields it cannot minimise element by element, pointing to HTTPS', () => {
    const { problems } = sqsRuleVariants(subscription('finance', ['subsidy.determined'], {}));
    expect(problems[0]?.en).toMatch(/totals\.benefit.*HTTPS endpoint/);
  });
});

describe('queuePolicyAllows', () => {
  const account = '111122223333';
  const rule = `arn:aws-cn:events:cn-northwest-1:${account}:rule/kcbx-yn/kcbx-sub-sabcdefghijklmnop-1`;
  const service = { kind: 'service', ruleArn: rule, account } as const;
  const role = {
    kind: 'role',
    roleArn: `arn:aws-cn:iam::${account}:role/kcbx-partner-sender`,
    account,
  } as const;
  const policy = (...statements: object[]) =>
    JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const allowService = {
    Effect: 'Allow',
    Principal: { Service: 'events.amazonaws.com' },
    Action: 'sqs:SendMessage',
    Resource: QUEUE,
    Condition: {
      ArnLike: { 'aws:SourceArn': `arn:aws-cn:events:cn-northwest-1:${account}:rule/kcbx-yn/kcbx-sub-*` },
    },
  };
  const allowRole = {
    Effect: 'Allow',
    Principal: { AWS: role.roleArn },
    Action: 'sqs:SendMessage',
    Resource: QUEUE,
  };

  it('accepts the statements kcbx prints: EventBridge in the same account, the sender role in another', () => {
    expect(queuePolicyAllows(policy(allowService), QUEUE, service)).toBe(true);
    expect(queuePolicyAllows(policy({ ...allowService, Action: ['sqs:*'] }), QUEUE, service)).toBe(true);
    expect(queuePolicyAllows(policy(allowRole), QUEUE, role)).toBe(true);
    expect(
      queuePolicyAllows(
        policy({ ...allowRole, Principal: { AWS: `arn:aws-cn:iam::${account}:root` } }),
        QUEUE,
        role,
      ),
    ).toBe(true);
  });

  it('refuses no policy, another principal, another rule, another queue and an explicit deny', () => {
    expect(queuePolicyAllows(undefined, QUEUE, service)).toBe(false);
    expect(queuePolicyAllows(policy(allowService), QUEUE, role)).toBe(false);
    expect(queuePolicyAllows(policy(allowRole), QUEUE, service)).toBe(false);
    expect(
      queuePolicyAllows(
        policy({ ...allowService, Principal: { Service: 'sns.amazonaws.com' } }),
        QUEUE,
        service,
      ),
    ).toBe(false);
    expect(
      queuePolicyAllows(
        policy({ ...allowService, Condition: { ArnEquals: { 'aws:SourceArn': `${rule}x` } } }),
        QUEUE,
        service,
      ),
    ).toBe(false);
    expect(queuePolicyAllows(policy({ ...allowRole, Resource: `${QUEUE}-other` }), QUEUE, role)).toBe(false);
    expect(queuePolicyAllows(policy(allowRole, { ...allowRole, Effect: 'Deny' }), QUEUE, role)).toBe(false);
  });

  it('does not rely on a statement whose condition it cannot evaluate', () => {
    const unknown = { ...allowService, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } };
    expect(queuePolicyAllows(policy(unknown), QUEUE, service)).toBe(false);
  });
});

describe('deliveries', () => {
  const item = (id: string, childKey: string, occurredAt: string, subscriptionId = 's1'): DeliveryItem => ({
    messageId: id,
    receiptHandle: id,
    attempt: 1,
    body: '{}',
    subscriptionId,
    event: {
      id,
      'detail-type': 'case.state-changed',
      source: 'kcbx.cases',
      time: occurredAt,
      detail: { eventId: `e-${id}`, occurredAt, child: { childKey } },
    },
  });

  it('puts each child’s events of a batch in the order they happened, one chain per subscription and child', () => {
    const chains = deliveryChains([
      item('3', 'c_a', '2026-03-06T03:00:00.000Z'),
      item('1', 'c_a', '2026-03-06T01:00:00.000Z'),
      item('2', 'c_b', '2026-03-06T02:00:00.000Z'),
      item('4', 'c_a', '2026-03-06T02:00:00.000Z', 's2'),
    ]);
    expect(chains.map((c) => c.map((i) => i.messageId))).toEqual([['1', '3'], ['2'], ['4']]);
  });

  it('backs off exponentially with jitter, within the cap and the 12-hour SQS limit', () => {
    const s = { maxAttempts: 16, backoffSeconds: 30, maxBackoffSeconds: 14_400, timeoutSeconds: 10 };
    expect(backoffSeconds(1, s, () => 1)).toBe(30);
    expect(backoffSeconds(3, s, () => 1)).toBe(120);
    expect(backoffSeconds(3, s, () => 0)).toBe(60);
    expect(backoffSeconds(20, s, () => 1)).toBe(14_400);
    expect(backoffSeconds(40, { ...s, maxBackoffSeconds: 10 ** 6 }, () => 1)).toBe(43_200);
  });
});
