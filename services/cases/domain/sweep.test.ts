import { describe, expect, it } from 'vitest';
import { CalendarNotCoveredError, createCalendar } from '../../../shared/calendar';
import { regionSettingsSchema } from '../../../shared/region-settings';
import type { CaseRecord } from './case';
import { sweepCase } from './sweep';
import { applyAction, openCase } from './transitions';

const rules = regionSettingsSchema.parse({}).cases;
const system = { role: 'ops' as const, org: '530124' };
const county = { role: 'county' as const, org: '530124' };
const child = { childKey: `c_${'a'.repeat(32)}`, maskedId: '5301**********0061' };

function opened(on: string): CaseRecord {
  return openCase({
    caseId: `case-${'a'.repeat(32)}-1`,
    region: '530124',
    child,
    school: '2153012401',
    priority: false,
    signal: { source: 'COMPARISON', receivedOn: on, signalId: 's1', evidence: [] },
    actor: system,
    now: `${on}T01:00:00.000Z`,
    today: on,
    rules,
  });
}

function must(record: CaseRecord, action: Parameters<typeof applyAction>[1], today: string) {
  const r = applyAction(record, action, { actor: county, now: `${today}T02:00:00.000Z`, today, rules });
  if (!r.ok) throw new Error(r.error.en);
  return r.record;
}

const sweep = (record: CaseRecord, today: string) =>
  sweepCase(record, { actor: system, now: `${today}T22:30:00.000Z`, today, rules });

describe('the daily sweep of a case', () => {
  it('does nothing while every duty is on time', () => {
    expect(sweep(opened('2025-09-01'), '2025-09-02')).toBeUndefined();
  });

  it('records the 三线报告 lines overdue once, with one case.overdue event each, and nothing on a second run', () => {
    const first = sweep(opened('2025-09-01'), '2025-09-03');
    expect(first?.record.version).toBe(2);
    expect(first?.record.overdue.map((o) => o.dutyKey).sort()).toEqual([
      'THREE_LINE_REPORT:COUNTY_BUREAU',
      'THREE_LINE_REPORT:PROVINCE_PLATFORM',
      'THREE_LINE_REPORT:TOWNSHIP',
    ]);
    expect(first?.events.map((e) => e.detailType)).toEqual(['case.overdue', 'case.overdue', 'case.overdue']);
    expect(first?.record.history.at(-1)).toMatchObject({ version: 2, action: 'OVERDUE', actor: system });
    expect(sweep(first!.record, '2025-09-03')).toBeUndefined();
  });

  it('climbs one level when the duty stays undone for another period', () => {
    const first = sweep(opened('2025-09-01'), '2025-09-03')!.record;
    const next = sweep(first, '2025-09-04');
    expect(next?.events).toHaveLength(3);
    expect(next?.record.overdue.filter((o) => o.escalationLevel > 0).map((o) => o.escalatedTo)).toEqual([
      'township',
      'township',
      'township',
    ]);
  });

  it('reopens a deferral whose end date passed without return, once', () => {
    let record = opened('2025-09-01');
    for (const line of ['PROVINCE_PLATFORM', 'TOWNSHIP', 'COUNTY_BUREAU'] as const)
      record = must(record, { type: 'ACKNOWLEDGE_REPORT', line, date: '2025-09-01' }, '2025-09-01');
    record = must(
      record,
      {
        type: 'ASSIGN_RESPONSIBLE',
        chain: Object.fromEntries(rules.chain.map((p) => [p, { name: `${p}负责人` }])),
      },
      '2025-09-01',
    );
    record = must(record, { type: 'START_VERIFYING' }, '2025-09-01');
    record = must(
      record,
      {
        type: 'DEFER',
        kind: 'POSTPONEMENT',
        documentRef: '富教缓〔2025〕1号',
        approvedOn: '2025-09-02',
        endDate: '2025-12-31',
      },
      '2025-09-02',
    );
    expect(record.state).toBe('DEFERRED');
    expect(sweep(record, '2025-12-31')).toBeUndefined();
    const reopened = sweep(record, '2026-01-05');
    expect(reopened?.record.state).toBe('VERIFYING');
    expect(reopened?.events.map((e) => e.detailType)).toContain('case.state-changed');
  });
});

describe('the sweep in a year the calendar package does not hold', () => {
  // The 2027 notice as an operations team would load it into the region settings (`calendar`).
  const settings = regionSettingsSchema.parse({
    calendar: { years: { '2027': { holidays: ['2027-01-01', '2027-01-02', '2027-01-03'], workdays: [] } } },
  });
  const calendar = createCalendar(settings.calendar);

  it('refuses to guess without the notice, and counts working days with it', () => {
    const record = opened('2026-12-31');
    expect(() => sweep(record, '2027-01-05')).toThrow(CalendarNotCoveredError);
    const result = sweepCase(record, {
      actor: system,
      now: '2027-01-05T22:30:00.000Z',
      today: '2027-01-05',
      rules,
      calendar,
    });
    // Opened Thursday 31 December; 元旦 1–3 January are holidays, so the 三线报告 was due on Monday the 4th.
    expect(result?.record.overdue.map((o) => o.dueOn)).toEqual(['2027-01-04', '2027-01-04', '2027-01-04']);
  });
});
