import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventCatalogue } from './catalogue';
import { childRefSchema, deriveEventId } from './envelope';
import { type DetailType, detailTypes, parseEventDetail } from './publishable';
import { allEventSamples, eventSamples, sampleChild } from './samples';
import {
  CASE_STATE_NAMES_ZH,
  CAUSE_CATEGORY_NAMES_ZH,
  caseStateSchema,
  causeCategorySchema,
  OUTCOME_NAMES_ZH,
  OVERDUE_ITEM_NAMES_ZH,
  outcomeCodeSchema,
  overdueItemSchema,
  SUSPICION_SOURCE_NAMES_ZH,
  suspicionSourceSchema,
} from './vocab';

/** Parses `detail` as `detailType` and returns the error text, or '' when it is valid. */
function problemsWith(detailType: DetailType, detail: unknown): string {
  const result = parseEventDetail(detailType, detail);
  return result.ok ? '' : result.error.en;
}

/** All property names anywhere in a JSON Schema. */
function propertyNames(schema: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) {
    for (const s of schema) propertyNames(s, into);
  } else if (schema !== null && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties' && value !== null && typeof value === 'object') {
        for (const name of Object.keys(value)) into.add(name);
      }
      propertyNames(value, into);
    }
  }
  return into;
}

describe('the event catalogue', () => {
  it('lists the thirteen detail-types of the kcbx bus', () => {
    expect(detailTypes).toEqual([
      'roster.accepted',
      'roster.rejected',
      'comparison.completed',
      'dropout.suspected',
      'dropout.resolved',
      'attendance.missing',
      'case.opened',
      'case.state-changed',
      'case.overdue',
      'case.closed',
      'student.returned',
      'subsidy.determined',
      'subsidy.held',
    ]);
  });

  it('names the publishing service of every event as kcbx.<service> and describes it in English and Chinese', () => {
    for (const type of detailTypes) {
      const entry = eventCatalogue[type];
      expect(entry.source).toMatch(/^kcbx\.(roster-intake|comparison|cases|subsidy)$/);
      expect(entry.description.en.length).toBeGreaterThan(10);
      expect(entry.description.zh).toMatch(/\p{Script=Han}/u);
    }
  });

  it.each(allEventSamples())('accepts the %s sample', (type, detail) => {
    expect(problemsWith(type, detail)).toBe('');
  });

  it('has a sample for every detail-type', () => {
    expect(Object.keys(eventSamples).sort()).toEqual([...detailTypes].sort());
  });
});

describe('privacy by construction — events never carry raw personal information', () => {
  it.each(detailTypes)('%s rejects an extra idNumber or name field', (type) => {
    const sample = eventSamples[type];
    expect(problemsWith(type, { ...sample, idNumber: '530124201503151234' })).toContain('idNumber');
    expect(problemsWith(type, { ...sample, name: '张三' })).toContain('name');
  });

  it.each(detailTypes)(
    '%s rejects a child reference that carries more than the pseudonym and masked ID',
    (type) => {
      const sample: Record<string, unknown> = eventSamples[type];
      if (!('child' in sample)) return;
      expect(
        problemsWith(type, { ...sample, child: { ...sampleChild, idNumber: '530124201503151234' } }),
      ).toContain('idNumber');
    },
  );

  it.each(detailTypes)('%s has no property whose name suggests raw personal data', (type) => {
    const names = propertyNames(z.toJSONSchema(eventCatalogue[type].schema));
    const pii =
      /id.?(number|card|no)|^(full|child|student|guardian|parent|first|last)?name$|address|guardian|parent|phone|mobile|birth|^sex$|gender|ethnic|hukou|sfz/i;
    expect([...names].filter((n) => pii.test(n))).toEqual([]);
  });

  it('refers to a child only by pseudonym and masked ID', () => {
    expect(Object.keys(childRefSchema.shape)).toEqual(['childKey', 'maskedId']);
    expect(
      childRefSchema.safeParse({ childKey: 'c_530124201503151234', maskedId: '5301**********123X' }).success,
    ).toBe(false);
    expect(childRefSchema.safeParse({ ...sampleChild, maskedId: '530124201503151234' }).success).toBe(false);
  });

  it('rejects a raw ID number quoted inside a rejection message', () => {
    const sample = eventSamples['roster.rejected'];
    const leaky = {
      ...sample,
      reasons: [{ code: 'BAD_CHECK_DIGIT', zh: '530124201503151234 校验位错误', en: 'bad' }],
    };
    expect(problemsWith('roster.rejected', leaky)).toContain('raw ID number');
  });
});

describe('invalid details are refused with a message that points at the field', () => {
  it('refuses an unknown schema version', () => {
    expect(problemsWith('case.closed', { ...eventSamples['case.closed'], schemaVersion: 2 })).toContain(
      'schemaVersion',
    );
  });

  it('refuses a missing eventId and a non-UTC occurredAt', () => {
    const { eventId: _, ...withoutId } = eventSamples['case.closed'];
    expect(problemsWith('case.closed', withoutId)).toContain('eventId');
    expect(
      problemsWith('case.closed', { ...eventSamples['case.closed'], occurredAt: '2025-09-12 15:30:00' }),
    ).toContain('occurredAt');
  });

  it('refuses roster counts that do not add up', () => {
    const sample = eventSamples['roster.accepted'];
    const message = problemsWith('roster.accepted', { ...sample, counts: { ...sample.counts, rejected: 4 } });
    expect(message).toContain('accepted + rejected must equal rows');
  });

  it('refuses an attendance suspicion without its absence streak', () => {
    const { outcome: _, ...rest } = eventSamples['dropout.suspected'] as Record<string, unknown>;
    expect(problemsWith('dropout.suspected', { ...rest, source: 'ATTENDANCE' })).toContain('streak');
  });

  it('refuses a comparison suspicion without its outcome', () => {
    const { outcome: _, ...rest } = eventSamples['dropout.suspected'] as Record<string, unknown>;
    expect(problemsWith('dropout.suspected', rest)).toContain('outcome');
  });

  it('refuses an absence streak that ends before it starts', () => {
    const streak = { days: 3, firstAbsent: '2025-10-15', lastAbsent: '2025-10-13' };
    const { outcome: _, ...rest } = eventSamples['dropout.suspected'] as Record<string, unknown>;
    expect(problemsWith('dropout.suspected', { ...rest, source: 'ATTENDANCE', streak })).toContain(
      'firstAbsent must not be after lastAbsent',
    );
  });

  it('refuses a township outside the event region', () => {
    const message = problemsWith('case.opened', { ...eventSamples['case.opened'], township: '530128100' });
    expect(message).toContain('not inside region 530124');
  });

  it('refuses a case state change that changes nothing, or whose actor org does not fit its role', () => {
    const sample = eventSamples['case.state-changed'];
    expect(problemsWith('case.state-changed', { ...sample, to: sample.from })).toContain(
      'from and to must differ',
    );
    expect(
      problemsWith('case.state-changed', { ...sample, actor: { role: 'school', org: '530124' } }),
    ).toContain('10-digit');
  });

  it('refuses a semester whose years do not follow each other, and money that is not whole fen', () => {
    const sample = eventSamples['subsidy.determined'];
    expect(problemsWith('subsidy.determined', { ...sample, semester: '2025-2027-1' })).toContain(
      'second year',
    );
    const yuan = { ...sample, totals: [{ benefit: 'NUTRITION', count: 1, amountFen: 10.5 }] };
    expect(problemsWith('subsidy.determined', yuan)).toContain('amountFen');
  });

  it('refuses a benefit listed twice in the totals', () => {
    const sample = eventSamples['subsidy.determined'];
    const twice = { ...sample, totals: [sample.totals[0], sample.totals[0]] };
    expect(problemsWith('subsidy.determined', twice)).toContain('each benefit appears once');
  });

  it('refuses a case closed as a state that explains nothing', () => {
    expect(problemsWith('case.closed', { ...eventSamples['case.closed'], closedAs: 'PERSUADING' })).toContain(
      'closedAs',
    );
  });
});

describe('the shared vocabulary', () => {
  it('names every value in Chinese', () => {
    const pairs: Array<[readonly string[], Record<string, string>]> = [
      [outcomeCodeSchema.options, OUTCOME_NAMES_ZH],
      [caseStateSchema.options, CASE_STATE_NAMES_ZH],
      [causeCategorySchema.options, CAUSE_CATEGORY_NAMES_ZH],
      [suspicionSourceSchema.options, SUSPICION_SOURCE_NAMES_ZH],
      [overdueItemSchema.options, OVERDUE_ITEM_NAMES_ZH],
    ];
    for (const [options, names] of pairs) {
      expect(Object.keys(names).sort()).toEqual([...options].sort());
    }
    expect(CAUSE_CATEGORY_NAMES_ZH.WEARINESS).toBe('厌学');
  });

  it('counts every comparison outcome in comparison.completed', () => {
    const counts = Object.keys(eventSamples['comparison.completed'].counts);
    expect(counts.sort()).toEqual([...outcomeCodeSchema.options, 'outOfWindow'].sort());
  });
});

describe('deriveEventId — 幂等键', () => {
  it('gives the same fact the same id, and different facts different ids', () => {
    const a = deriveEventId('case.state-changed', 'case_1', 3);
    expect(a).toBe(deriveEventId('case.state-changed', 'case_1', 3));
    expect(a).not.toBe(deriveEventId('case.state-changed', 'case_1', 4));
    expect(problemsWith('case.closed', { ...eventSamples['case.closed'], eventId: a })).toBe('');
  });
});
