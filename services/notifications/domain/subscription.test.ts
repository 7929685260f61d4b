import { describe, expect, it } from 'vitest';
import { matchesEventPattern, validateEventPattern } from '../../../infra/local/event-pattern';
import { eventCatalogue } from '../../../shared/events/catalogue';
import type { DetailType } from '../../../shared/events/publishable';
import { allEventSamples, eventSamples } from '../../../shared/events/samples';
import {
  eventPatternFor,
  isLocalDevelopmentTarget,
  matchesSubscription,
  parseQueueArn,
  type Subscription,
  type SubscriptionInput,
  subscriptionInputSchema,
  subscriptionSchema,
  subscriptionTargetSchema,
} from './subscription';

const TARGET = { kind: 'https', url: 'https://gaj.fumin.example.cn/kcbx/events' } as const;

function input(overrides: Record<string, unknown>): unknown {
  return {
    partnerOrg: '530124:public-security',
    eventTypes: ['case.opened'],
    filters: { causeCategories: ['HOUSEHOLD_REGISTRATION'] },
    target: TARGET,
    ...overrides,
  };
}

/** The issue messages of a refused input (empty when accepted). */
function problems(value: unknown): string[] {
  const parsed = subscriptionInputSchema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

function subscription(value: Record<string, unknown>, record: Partial<Subscription> = {}): Subscription {
  const parsed: SubscriptionInput = subscriptionInputSchema.parse(input(value));
  return {
    ...parsed,
    id: 'sub-test-1',
    region: '530124',
    createdAt: '2025-09-01T00:00:00.000Z',
    createdBy: 'county-user-1',
    status: 'active',
    ...record,
  };
}

describe('subscriptionInputSchema', () => {
  it('accepts a 公安 subscription to 户籍 cases and defaults the filters', () => {
    const parsed = subscriptionInputSchema.parse({
      partnerOrg: '530124:justice',
      eventTypes: ['case.state-changed', 'case.overdue'],
      target: { kind: 'sqs', queueArn: 'arn:aws-cn:sqs:cn-northwest-1:123456789012:kcbx-justice' },
    });
    expect(parsed.filters).toEqual({});
    expect(problems(input({}))).toEqual([]);
  });

  it('refuses an event type the department may not receive, and says which it can', () => {
    const [message] = problems(input({ eventTypes: ['subsidy.held'], filters: {} }));
    expect(message).toMatch(/^eventTypes\.0: public-security \(公安\) does not receive subsidy\.held/);
    expect(message).toContain('comparison.completed, case.opened, case.closed, student.returned');
    expect(message).toContain('公安不接收“subsidy.held”事件');
  });

  it('refuses an event type that is not in the catalogue', () => {
    expect(problems(input({ eventTypes: ['case.reopened'] }))[0]).toMatch(
      /^eventTypes\.0: an event type of the catalogue/,
    );
    expect(problems(input({ eventTypes: [] }))[0]).toMatch(/at least one event type/);
  });

  it('refuses case.opened for 公安 without a cause filter: it hears only of cases referred to it', () => {
    const [message] = problems(input({ filters: {} }));
    expect(message).toMatch(
      /public-security \(公安\) receives case\.opened only for the children referred to it/,
    );
    expect(message).toContain('HOUSEHOLD_REGISTRATION, EARLY_MARRIAGE');
  });

  it('lets 民政 narrow case.opened by priority instead of by cause', () => {
    expect(
      problems(
        input({
          partnerOrg: '530124:civil-affairs',
          eventTypes: ['dropout.suspected', 'case.opened'],
          filters: { priorityOnly: true },
        }),
      ),
    ).toEqual([]);
  });

  it('refuses a cause filter on a cause not referred to the department (the filter would reveal it)', () => {
    const [message] = problems(
      input({ filters: { causeCategories: ['HOUSEHOLD_REGISTRATION', 'DISABILITY'] } }),
    );
    expect(message).toMatch(/^filters\.causeCategories\.1: DISABILITY is not referred to public-security/);
  });

  it('refuses a cause or priority filter with a type that never carries the field', () => {
    expect(problems(input({ eventTypes: ['case.opened', 'case.closed'] }))[0]).toMatch(
      /case\.closed events carry no cause .* separate subscription/,
    );
    expect(
      problems(
        input({
          partnerOrg: '530124:civil-affairs',
          eventTypes: ['case.closed'],
          filters: { priorityOnly: true },
        }),
      )[0],
    ).toMatch(/case\.closed events carry no priority flag/);
    expect(
      problems(
        input({
          partnerOrg: '530124:human-resources',
          eventTypes: ['case.opened'],
          filters: { causeCategories: ['WORK'], priorityOnly: true },
        }),
      )[0],
    ).toMatch(/case\.opened events carry no priority flag for human-resources/);
  });

  it('keeps a department inside its own region', () => {
    expect(
      problems(input({ filters: { causeCategories: ['HOUSEHOLD_REGISTRATION'], regionPrefix: '53' } }))[0],
    ).toMatch(/^filters\.regionPrefix: 53 is outside the department's own region 530124/);
    expect(
      problems(input({ filters: { causeCategories: ['HOUSEHOLD_REGISTRATION'], regionPrefix: '530124' } })),
    ).toEqual([]);
    expect(
      problems(
        input({
          partnerOrg: '530100:finance',
          eventTypes: ['subsidy.determined'],
          filters: { regionPrefix: '530124' },
        }),
      ),
    ).toEqual([]);
    expect(problems(input({ filters: { regionPrefix: '5301x' } }))[0]).toMatch(
      /2, 4 or 6 digits.* \/ 区划前缀/,
    );
  });

  it('refuses unknown fields and filters, naming them', () => {
    expect(problems(input({ secret: 'x' }))[0]).toMatch(/unknown field\(s\): secret \/ 不接受字段：secret/);
    expect(problems(input({ filters: { school: '2153012401' } }))[0]).toMatch(/unknown filter\(s\): school/);
  });

  it('refuses a description that quotes an ID number', () => {
    expect(problems(input({ description: '张三 530124201403120216' }))[0]).toMatch(
      /must not contain an ID number/,
    );
    expect(problems(input({ description: '富民县公安局户籍科' }))).toEqual([]);
  });

  it('speaks English and Chinese in every message', () => {
    const bad = [
      input({ partnerOrg: '530124:police' }),
      input({ eventTypes: ['subsidy.held'], filters: {} }),
      input({ filters: {} }),
      input({ filters: { causeCategories: ['MONEY'] } }),
      input({ filters: { causeCategories: [] } }),
      input({ target: { kind: 'email', to: 'x@example.cn' } }),
      input({ target: { kind: 'https', url: 'http://gaj.example.cn/' } }),
      input({ target: { kind: 'sqs', queueArn: 'arn:aws:sqs:cn-northwest-1:123456789012:q' } }),
    ];
    for (const value of bad) {
      const messages = problems(value);
      expect(messages.length, JSON.stringify(value)).toBeGreaterThan(0);
      for (const m of messages) expect(m, m).toMatch(/[A-Za-z].* \/ .*[\u4e00-\u9fff]/);
    }
  });
});

describe('subscriptionTargetSchema', () => {
  const ok = (target: unknown) => subscriptionTargetSchema.safeParse(target).success;

  it('accepts https endpoints and, for local development, http on 127.0.0.1 or localhost', () => {
    expect(ok(TARGET)).toBe(true);
    expect(ok({ kind: 'https', url: 'https://gaj.fumin.example.cn:8443/hook?x=1' })).toBe(true);
    expect(ok({ kind: 'https', url: 'http://127.0.0.1:8787/' })).toBe(true);
    expect(ok({ kind: 'https', url: 'http://localhost:8787/events' })).toBe(true);
    expect(isLocalDevelopmentTarget({ kind: 'https', url: 'http://127.0.0.1:8787/' })).toBe(true);
    expect(isLocalDevelopmentTarget(TARGET)).toBe(false);
  });

  it('refuses plain http elsewhere, other schemes, credentials in the URL and private addresses', () => {
    expect(ok({ kind: 'https', url: 'http://gaj.fumin.example.cn/' })).toBe(false);
    expect(ok({ kind: 'https', url: 'ftp://gaj.fumin.example.cn/' })).toBe(false);
    expect(ok({ kind: 'https', url: 'https://user:pw@gaj.fumin.example.cn/' })).toBe(false);
    expect(ok({ kind: 'https', url: 'gaj.fumin.example.cn/hook' })).toBe(false);
    for (const host of [
      '169.254.169.254',
      '10.0.0.8',
      '172.20.1.1',
      '192.168.1.10',
      '127.0.0.1',
      'localhost',
      '[::1]',
      '[fd00::1]',
    ]) {
      expect(ok({ kind: 'https', url: `https://${host}/hook` }), host).toBe(false);
    }
    expect(ok({ kind: 'https', url: 'https://8.8.8.8/hook' })).toBe(true);
  });

  it('accepts SQS queue ARNs in the partition of their region, FIFO queues included', () => {
    expect(ok({ kind: 'sqs', queueArn: 'arn:aws-cn:sqs:cn-northwest-1:123456789012:kcbx-events' })).toBe(
      true,
    );
    expect(ok({ kind: 'sqs', queueArn: 'arn:aws:sqs:us-east-1:000000000000:local-partner' })).toBe(true);
    expect(parseQueueArn('arn:aws-cn:sqs:cn-north-1:123456789012:kcbx.fifo')).toEqual({
      partition: 'aws-cn',
      region: 'cn-north-1',
      account: '123456789012',
      name: 'kcbx.fifo',
      fifo: true,
    });
  });

  it('refuses ARNs of another partition, account format, service or length', () => {
    expect(ok({ kind: 'sqs', queueArn: 'arn:aws:sqs:cn-northwest-1:123456789012:q' })).toBe(false);
    expect(ok({ kind: 'sqs', queueArn: 'arn:aws-cn:sqs:us-east-1:123456789012:q' })).toBe(false);
    expect(ok({ kind: 'sqs', queueArn: 'arn:aws-cn:sqs:cn-northwest-1:1234:q' })).toBe(false);
    expect(ok({ kind: 'sqs', queueArn: 'arn:aws-cn:sns:cn-northwest-1:123456789012:q' })).toBe(false);
    expect(
      ok({ kind: 'sqs', queueArn: `arn:aws-cn:sqs:cn-northwest-1:123456789012:${'q'.repeat(81)}` }),
    ).toBe(false);
    expect(ok({ kind: 'sqs', queueArn: 'arn:aws-cn:sqs:cn-northwest-1:123456789012:q', url: 'x' })).toBe(
      false,
    );
  });
});

describe('subscriptionSchema', () => {
  it('reads back a stored subscription and applies the same rules', () => {
    const stored = subscription({});
    expect(subscriptionSchema.parse(stored)).toEqual(stored);
    expect(subscriptionSchema.safeParse({ ...stored, status: 'paused' }).success).toBe(false);
    expect(subscriptionSchema.safeParse({ ...stored, filters: {} }).success).toBe(false);
    // A 富民 department's subscription cannot live in another county's deployment.
    expect(subscriptionSchema.safeParse({ ...stored, region: '530125' }).success).toBe(false);
  });
});

describe('eventPatternFor', () => {
  it('builds the rule pattern: source, detail-type, the region prefix and the filters', () => {
    expect(eventPatternFor(subscription({}))).toEqual({
      source: ['kcbx.cases'],
      'detail-type': ['case.opened'],
      detail: { region: [{ prefix: '530124' }], causeCategory: ['HOUSEHOLD_REGISTRATION'] },
    });
    expect(
      eventPatternFor(
        subscription(
          {
            partnerOrg: '530000:rural-revitalization',
            eventTypes: ['dropout.suspected', 'case.opened'],
            filters: { regionPrefix: '5301', priorityOnly: true },
          },
          { region: '530000' },
        ),
      ),
    ).toEqual({
      source: ['kcbx.cases', 'kcbx.comparison'],
      'detail-type': ['dropout.suspected', 'case.opened'],
      detail: { region: [{ prefix: '5301' }], priority: [true] },
    });
  });

  it('always limits the rule to the partner’s region, and to the deployment’s', () => {
    const sub = subscription({
      partnerOrg: '530100:finance',
      eventTypes: ['subsidy.determined'],
      filters: {},
    });
    expect(eventPatternFor(sub).detail.region).toEqual([{ prefix: '530124' }]);
    expect(eventPatternFor({ ...sub, region: '530000' }).detail.region).toEqual([{ prefix: '5301' }]);
  });

  it('uses the source given instead of the catalogue’s', () => {
    expect(eventPatternFor(subscription({}), 'kcbx.test').source).toEqual(['kcbx.test']);
  });

  it('produces patterns EventBridge accepts', () => {
    for (const sub of table.subscriptions) expect(validateEventPattern(eventPatternFor(sub))).toEqual([]);
  });

  it('refuses to turn a subscription that breaks the allow-list into a rule', () => {
    const stored = { ...subscription({}), filters: {} };
    expect(() => eventPatternFor(stored)).toThrow(
      /sub-test-1 cannot become a rule: filters: public-security/,
    );
  });
});

describe('matchesSubscription', () => {
  const opened = (extra: Record<string, unknown>) => ({ ...eventSamples['case.opened'], ...extra });

  it('lets a cause filter through only events that carry a listed cause', () => {
    const sub = subscription({});
    expect(matchesSubscription(sub, 'case.opened', opened({ causeCategory: 'HOUSEHOLD_REGISTRATION' }))).toBe(
      true,
    );
    expect(matchesSubscription(sub, 'case.opened', opened({ causeCategory: 'EARLY_MARRIAGE' }))).toBe(false);
    expect(matchesSubscription(sub, 'case.opened', eventSamples['case.opened'])).toBe(false); // cause not yet known
  });

  it('matches only the subscribed types, in the region, from the publishing service', () => {
    const sub = subscription({});
    const detail = opened({ causeCategory: 'HOUSEHOLD_REGISTRATION' });
    expect(matchesSubscription(sub, 'case.closed', eventSamples['case.closed'])).toBe(false);
    expect(
      matchesSubscription(sub, 'case.opened', { ...detail, region: '530125', township: undefined }),
    ).toBe(false);
    expect(matchesSubscription(sub, 'case.opened', detail, 'kcbx.cases')).toBe(true);
    expect(matchesSubscription(sub, 'case.opened', detail, 'kcbx.subsidy')).toBe(false);
  });

  it('matches nothing for a deleted subscription or one the allow-list no longer permits', () => {
    const detail = opened({ causeCategory: 'HOUSEHOLD_REGISTRATION' });
    expect(matchesSubscription(subscription({}, { status: 'deleted' }), 'case.opened', detail)).toBe(false);
    expect(matchesSubscription({ ...subscription({}), filters: {} }, 'case.opened', detail)).toBe(false);
  });

  it('agrees with the local EventBridge matcher on a table of events', () => {
    let matched = 0;
    for (const sub of table.subscriptions) {
      const pattern = eventPatternFor(sub);
      for (const { detailType, detail, source } of table.events) {
        const event = {
          version: '0',
          id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
          'detail-type': detailType,
          source,
          account: '000000000000',
          time: '2025-09-12T07:30:01Z',
          region: 'us-east-1',
          resources: [],
          detail,
        };
        const expected = matchesEventPattern(pattern, event);
        expect(
          matchesSubscription(sub, detailType, detail, source),
          `${sub.id} ${detailType} ${JSON.stringify(detail)}`,
        ).toBe(expected);
        if (expected) matched++;
      }
    }
    // The table is worth something only if it has both outcomes in quantity.
    expect(matched).toBeGreaterThan(20);
    expect(matched).toBeLessThan((table.subscriptions.length * table.events.length) / 4);
  });
});

/** Subscriptions of several departments and filter kinds, and every sample event in many variants. */
const table = (() => {
  const s = (id: string, value: Record<string, unknown>, region = '530124') =>
    subscription(value, { id, region });
  const subscriptions = [
    s('gaj-huji', {}),
    s('gaj-all', { eventTypes: ['comparison.completed', 'case.closed', 'student.returned'], filters: {} }),
    s('mz-priority', {
      partnerOrg: '530124:civil-affairs',
      eventTypes: ['dropout.suspected', 'case.opened'],
      filters: { priorityOnly: true },
    }),
    s('mz-left-behind', {
      partnerOrg: '530124:civil-affairs',
      eventTypes: ['case.opened'],
      filters: { causeCategories: ['LEFT_BEHIND', 'POVERTY'] },
    }),
    s('sf', {
      partnerOrg: '530124:justice',
      eventTypes: ['case.state-changed', 'case.overdue', 'case.closed'],
      filters: {},
    }),
    s('cz-city', { partnerOrg: '530100:finance', eventTypes: ['subsidy.determined'], filters: {} }, '530000'),
    s(
      'cz-county',
      {
        partnerOrg: '530100:finance',
        eventTypes: ['subsidy.determined'],
        filters: { regionPrefix: '530125' },
      },
      '530000',
    ),
    s(
      'xczx-province',
      {
        partnerOrg: '530000:rural-revitalization',
        eventTypes: ['case.opened'],
        filters: { regionPrefix: '5301', causeCategories: ['POVERTY', 'SICK_PARENTS'], priorityOnly: true },
      },
      '530000',
    ),
    s('cl', {
      partnerOrg: '530124:disabled-persons-federation',
      eventTypes: ['case.opened'],
      filters: { causeCategories: ['DISABILITY'] },
    }),
  ];

  const regions = ['530124', '530125', '530201', '110101'];
  const causes = [
    undefined,
    'HOUSEHOLD_REGISTRATION',
    'POVERTY',
    'LEFT_BEHIND',
    'DISABILITY',
    'SICK_PARENTS',
  ];
  const events: { detailType: DetailType; detail: Record<string, unknown>; source: string }[] = [];
  for (const [detailType, sample] of allEventSamples()) {
    const source = eventCatalogue[detailType].source;
    for (const region of regions) {
      const base: Record<string, unknown> = { ...(sample as Record<string, unknown>), region };
      if (typeof base.township === 'string') base.township = `${region}100`;
      const variants: Record<string, unknown>[] = [base];
      if ('priority' in base) variants.push({ ...base, priority: !base.priority });
      if (detailType === 'case.opened') {
        for (const priority of [true, false]) {
          for (const cause of causes) {
            const v: Record<string, unknown> = { ...base, priority };
            if (cause === undefined) delete v.causeCategory;
            else v.causeCategory = cause;
            variants.push(v);
          }
        }
      }
      for (const detail of variants) events.push({ detailType, detail, source });
    }
    // The right detail-type from a service that does not publish it.
    events.push({ detailType, detail: sample as Record<string, unknown>, source: 'kcbx.test' });
  }
  return { subscriptions, events };
})();
