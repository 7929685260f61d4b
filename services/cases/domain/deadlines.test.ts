import { describe, expect, it } from 'vitest';
import { CalendarNotCoveredError } from '../../../shared/calendar';
import { type CaseState, caseStateSchema } from '../../../shared/events/vocab';
import { type CaseRules, caseRulesSchema } from '../../../shared/region-settings';
import {
  type CaseRecord,
  caseRecordSchema,
  type HistoryEntry,
  overdueRecordSchema,
  type ReportLine,
  TERMINAL_STATES,
} from './case';
import {
  dutiesOf,
  evaluateOverdue,
  FOUR_STEP_ESCALATION_WORKING_DAYS,
  isOverdue,
  PENALTY_REMINDER_DAYS,
  toOverdueRecord,
} from './deadlines';

const RULES: CaseRules = caseRulesSchema.parse(undefined);
const SCHOOL_ACTOR = { role: 'school', org: '2153012401' } as const;
const ALL_LINES: ReportLine[] = ['PROVINCE_PLATFORM', 'TOWNSHIP', 'COUNTY_BUREAU'];

/** The three lines produced on `producedOn`, the listed ones acknowledged the next day. */
function reports(producedOn: string, acknowledged: ReportLine[] = []): CaseRecord['threeLineReport'] {
  return Object.fromEntries(
    ALL_LINES.map((line) => [
      line,
      acknowledged.includes(line)
        ? { producedOn, acknowledgedOn: producedOn, acknowledgedBy: { role: 'county', org: '530124' } }
        : { producedOn },
    ]),
  );
}

/** A history entry moving the case to `to` at the instant `at` (UTC, as stored). */
function moved(version: number, at: string, to: CaseState): HistoryEntry {
  return { version, at, actor: SCHOOL_ACTOR, action: `TO_${to}`, to, details: {} };
}

/**
 * A valid case record (checked against the schema) opened on `openedOn`; by default its three reports are
 * acknowledged so a test sees only the duty it is about.
 */
function caseRecord(openedOn: string, fields: Partial<CaseRecord> = {}): CaseRecord {
  return caseRecordSchema.parse({
    caseId: 'case-0001',
    region: '530124',
    child: { childKey: `c_${'a'.repeat(32)}`, maskedId: '5301**********123X' },
    name: '张小明',
    school: '2153012401',
    township: '530124100',
    state: 'SUSPECTED',
    version: 1,
    openedOn,
    openedAt: `${openedOn}T02:00:00Z`,
    source: 'ATTENDANCE',
    priority: false,
    chain: {},
    signals: [],
    threeLineReport: reports(openedOn, ALL_LINES),
    persuasionActions: [],
    fourStep: [],
    followUps: [],
    overdue: [],
    history: [],
    ...fields,
  });
}

const keys = (record: CaseRecord, rules = RULES) => dutiesOf(record, rules).map((d) => d.dutyKey);
const reportDuties = (record: CaseRecord, rules = RULES) =>
  dutiesOf(record, rules).filter((d) => d.item === 'THREE_LINE_REPORT');
const levelOn = (record: CaseRecord, today: string) =>
  evaluateOverdue(record, RULES, today).map((r) => [
    r.dutyKey,
    r.escalationLevel,
    r.escalatedTo,
    r.escalatedPosition,
  ]);

describe('dutiesOf — 三线报告', () => {
  it('owes one report per line, due by the end of the next working day: opened on a Friday, due on Monday', () => {
    const record = caseRecord('2025-11-14', { threeLineReport: reports('2025-11-14') });
    expect(reportDuties(record)).toEqual([
      {
        item: 'THREE_LINE_REPORT',
        dutyKey: 'THREE_LINE_REPORT:PROVINCE_PLATFORM',
        dueOn: '2025-11-17',
        periodWorkingDays: 1,
        responsible: 'PRINCIPAL',
        zh: '三线报告：向省级控辍保学平台报告并获确认',
      },
      expect.objectContaining({ dutyKey: 'THREE_LINE_REPORT:TOWNSHIP', dueOn: '2025-11-17' }),
      expect.objectContaining({ dutyKey: 'THREE_LINE_REPORT:COUNTY_BUREAU', dueOn: '2025-11-17' }),
    ]);
  });

  it.each([
    ['on the eve of 国庆 2025', '2025-09-30', '2025-10-09'],
    ['on the Friday before the 调休 Sunday 2025-09-28', '2025-09-26', '2025-09-28'],
    ['on the Friday before the 调休 Saturday 2025-10-11', '2025-10-10', '2025-10-11'],
    ['during the 国庆 holiday', '2025-10-03', '2025-10-09'],
  ])('counts working days of the China calendar: opened %s', (_, openedOn, dueOn) => {
    const record = caseRecord(openedOn, { threeLineReport: reports(openedOn) });
    expect(reportDuties(record).map((d) => d.dueOn)).toEqual([dueOn, dueOn, dueOn]);
  });

  it('owes only the lines not yet acknowledged, and nothing once all three are', () => {
    const partly = caseRecord('2025-11-14', {
      threeLineReport: reports('2025-11-14', ['PROVINCE_PLATFORM']),
    });
    expect(reportDuties(partly).map((d) => d.dutyKey)).toEqual([
      'THREE_LINE_REPORT:TOWNSHIP',
      'THREE_LINE_REPORT:COUNTY_BUREAU',
    ]);
    const missing = caseRecord('2025-11-14', { threeLineReport: {} });
    expect(reportDuties(missing)).toHaveLength(3);
    expect(reportDuties(caseRecord('2025-11-14', { state: 'VERIFYING' }))).toEqual([]);
  });

  it('stays owed after the case moves on, until acknowledged', () => {
    const record = caseRecord('2025-11-14', {
      state: 'PLACED',
      placement: { kind: 'REGULAR_CLASS', since: '2025-11-20', visits: [] },
      threeLineReport: reports('2025-11-14', ['PROVINCE_PLATFORM', 'COUNTY_BUREAU']),
    });
    expect(keys(record)).toEqual(['THREE_LINE_REPORT:TOWNSHIP']);
  });

  it('follows the region setting for the number of working days', () => {
    const rules = { ...RULES, threeLineReportWorkingDays: 3 };
    const record = caseRecord('2025-09-26', { threeLineReport: reports('2025-09-26', ['TOWNSHIP']) });
    expect(reportDuties(record, rules).map((d) => [d.dueOn, d.periodWorkingDays])).toEqual([
      ['2025-09-30', 3],
      ['2025-09-30', 3],
    ]);
  });
});

describe('dutiesOf — 首次家访', () => {
  it('is due 5 working days after opening, across 国庆 and both of its 调休 days', () => {
    // Working days after Friday 2025-09-26: 09-28 (调休 Sunday), 09-29, 09-30, 10-09, 10-10.
    const record = caseRecord('2025-09-26', { chain: { HEAD_TEACHER: { name: '李老师' } } });
    expect(dutiesOf(record, RULES)).toEqual([
      {
        item: 'FIRST_HOME_VISIT',
        dutyKey: 'FIRST_HOME_VISIT',
        dueOn: '2025-10-10',
        periodWorkingDays: 5,
        responsible: 'HEAD_TEACHER',
        zh: '首次家访：立案后 5 个工作日内入户家访',
      },
    ]);
  });

  it('is owed by the 包保教师 when the chain names one', () => {
    const record = caseRecord('2025-09-26', {
      chain: { HEAD_TEACHER: { name: '李老师' }, CONTACT_TEACHER: { name: '王老师' } },
    });
    expect(dutiesOf(record, RULES)[0]?.responsible).toBe('CONTACT_TEACHER');
  });

  it('disappears with the first logged home visit or talk', () => {
    expect(keys(caseRecord('2025-09-26', { state: 'VERIFYING', persuasionActions: ['2025-09-29'] }))).toEqual(
      [],
    );
  });

  it('is owed from SUSPECTED to PERSUADING, not once the legal track or a placement has begun', () => {
    const owed = (state: CaseState) => keys(caseRecord('2025-09-26', { state })).includes('FIRST_HOME_VISIT');
    for (const state of ['SUSPECTED', 'VERIFYING', 'CONFIRMED', 'PERSUADING'] as const) {
      expect(owed(state), state).toBe(true);
    }
    for (const state of [
      'EDUCATION',
      'ORDER_TO_CORRECT',
      'PENALTY',
      'ENFORCEMENT_OR_SUIT',
      'PLACED',
    ] as const) {
      expect(owed(state), state).toBe(false);
    }
  });
});

describe('dutiesOf — 劝返', () => {
  it('is due 10 working days after the day the case entered PERSUADING, as a China date', () => {
    const record = caseRecord('2025-10-20', {
      state: 'PERSUADING',
      persuasionActions: ['2025-10-22'],
      // 2025-11-02T17:30Z is 01:30 on 2025-11-03 in China.
      history: [
        moved(2, '2025-10-21T03:00:00Z', 'VERIFYING'),
        moved(3, '2025-11-02T17:30:00Z', 'PERSUADING'),
      ],
    });
    expect(dutiesOf(record, RULES)).toEqual([
      {
        item: 'PERSUADING_ACTION',
        dutyKey: 'PERSUADING_ACTION:2025-11-03',
        dueOn: '2025-11-17',
        periodWorkingDays: 10,
        responsible: 'HEAD_TEACHER',
        zh: '劝返工作：10 个工作日内应有入户家访或谈话记录',
      },
    ]);
  });

  it('restarts its clock with each logged action', () => {
    const record = caseRecord('2025-10-20', {
      state: 'PERSUADING',
      persuasionActions: ['2025-10-22', '2025-11-10'],
      history: [moved(3, '2025-11-03T02:00:00Z', 'PERSUADING')],
    });
    expect(dutiesOf(record, RULES).map((d) => [d.dutyKey, d.dueOn])).toEqual([
      ['PERSUADING_ACTION:2025-11-10', '2025-11-24'],
    ]);
  });

  it('is owed only while the case is PERSUADING', () => {
    const base = {
      persuasionActions: ['2025-10-22'],
      history: [moved(3, '2025-11-03T02:00:00Z', 'PERSUADING')],
    };
    expect(keys(caseRecord('2025-10-20', { ...base, state: 'CONFIRMED' }))).toEqual([]);
    expect(keys(caseRecord('2025-10-20', { ...base, state: 'EDUCATION' }))).toEqual([]);
  });
});

describe('dutiesOf — 送教上门', () => {
  it('is due 7 calendar days after the latest visit, holidays included', () => {
    const record = caseRecord('2025-09-01', {
      state: 'PLACED',
      persuasionActions: ['2025-09-03'],
      placement: { kind: 'HOME_TEACHING', since: '2025-09-22', visits: ['2025-09-24', '2025-09-30'] },
    });
    expect(dutiesOf(record, RULES)).toEqual([
      {
        item: 'HOME_TEACHING_VISIT',
        dutyKey: 'HOME_TEACHING_VISIT:2025-09-30',
        dueOn: '2025-10-07',
        periodDays: 7,
        responsible: 'HEAD_TEACHER',
        zh: '送教上门：每 7 天至少送教一次并登记',
      },
    ]);
  });

  it('counts from the placement date before the first visit', () => {
    const record = caseRecord('2025-09-01', {
      state: 'PLACED',
      placement: { kind: 'HOME_TEACHING', since: '2025-09-22', visits: [] },
    });
    expect(dutiesOf(record, RULES).map((d) => d.dueOn)).toEqual(['2025-09-29']);
  });

  it('is owed only for a 送教上门 placement', () => {
    for (const kind of [
      'REGULAR_CLASS',
      'INDIVIDUAL_TEACHING',
      'VOCATIONAL_INTEGRATION',
      'SPECIAL_SCHOOL',
    ] as const) {
      const record = caseRecord('2025-09-01', {
        state: 'PLACED',
        placement: { kind, since: '2025-09-22', visits: [] },
      });
      expect(keys(record), kind).toEqual([]);
    }
  });
});

describe('dutiesOf — 四步法', () => {
  const order = {
    step: 'ORDER_TO_CORRECT',
    date: '2025-11-25',
    documentRef: '富教责〔2025〕12号',
    deadline: '2025-12-05',
  };
  const education = { step: 'EDUCATION', date: '2025-11-18', documentRef: '富教育〔2025〕8号' };

  it('in ORDER_TO_CORRECT, the notice deadline; passing it calls for 行政处罚', () => {
    const record = caseRecord('2025-10-20', {
      state: 'ORDER_TO_CORRECT',
      fourStep: caseRecordSchema.shape.fourStep.parse([education, order]),
    });
    expect(dutiesOf(record, RULES)).toEqual([
      {
        item: 'FOUR_STEP_DEADLINE',
        dutyKey: 'FOUR_STEP_DEADLINE:ORDER_TO_CORRECT:2025-12-05',
        dueOn: '2025-12-05',
        periodWorkingDays: FOUR_STEP_ESCALATION_WORKING_DAYS,
        responsible: 'TOWNSHIP_HEAD',
        zh: '依法控辍四步法：责令改正期限届满仍未改正，应依法作出行政处罚',
      },
    ]);
  });

  it('in PENALTY, the decision deadline, then the latest reminder’s deadline or its 10-day 催告期', () => {
    const penalty = {
      step: 'PENALTY',
      date: '2025-12-08',
      documentRef: '富教罚〔2025〕3号',
      deadline: '2025-12-22',
    };
    const decided = caseRecord('2025-10-20', {
      state: 'PENALTY',
      fourStep: caseRecordSchema.shape.fourStep.parse([education, order, penalty]),
    });
    expect(dutiesOf(decided, RULES).map((d) => [d.dutyKey, d.dueOn, d.zh])).toEqual([
      [
        'FOUR_STEP_DEADLINE:PENALTY:2025-12-22',
        '2025-12-22',
        '依法控辍四步法：行政处罚决定履行期限届满仍未履行，应送达《履行行政决定催告书》',
      ],
    ]);

    const reminders = [
      { date: '2025-12-24', documentRef: '富教催〔2025〕1号' },
      { date: '2026-01-05', documentRef: '富教催〔2026〕1号' },
    ];
    const reminded = caseRecord('2025-10-20', {
      state: 'PENALTY',
      fourStep: caseRecordSchema.shape.fourStep.parse([education, order, { ...penalty, reminders }]),
    });
    expect(PENALTY_REMINDER_DAYS).toBe(10);
    expect(dutiesOf(reminded, RULES).map((d) => [d.dutyKey, d.dueOn, d.zh])).toEqual([
      [
        'FOUR_STEP_DEADLINE:PENALTY:2026-01-15',
        '2026-01-15',
        '依法控辍四步法：催告期满仍未履行，应申请人民法院强制执行或提起诉讼',
      ],
    ]);

    const withDeadline = caseRecord('2025-10-20', {
      state: 'PENALTY',
      fourStep: caseRecordSchema.shape.fourStep.parse([
        education,
        order,
        { ...penalty, reminders: [...reminders.slice(0, 1), { ...reminders[1], deadline: '2026-01-20' }] },
      ]),
    });
    expect(dutiesOf(withDeadline, RULES).map((d) => [d.dutyKey, d.dueOn])).toEqual([
      ['FOUR_STEP_DEADLINE:PENALTY:2026-01-20', '2026-01-20'],
    ]);
  });

  it('sets no deadline in EDUCATION or ENFORCEMENT_OR_SUIT', () => {
    const fourStep = caseRecordSchema.shape.fourStep.parse([{ ...education, deadline: '2025-11-25' }]);
    expect(keys(caseRecord('2025-10-20', { state: 'EDUCATION', fourStep }))).toEqual([]);
    expect(keys(caseRecord('2025-10-20', { state: 'ENFORCEMENT_OR_SUIT', fourStep }))).toEqual([]);
  });
});

describe('dutiesOf — states without duties', () => {
  it('gives closed and terminal cases and 复学/巩固 follow-up no duties, however much was left undone', () => {
    for (const state of [...TERMINAL_STATES, 'RETURNED', 'RETAINED'] as const) {
      const record = caseRecord('2025-09-26', { state, threeLineReport: {} });
      expect(dutiesOf(record, RULES), state).toEqual([]);
      expect(isOverdue(record, RULES, '2025-12-31'), state).toBe(false);
    }
  });

  it('leaves every other state with at least its unacknowledged reports', () => {
    const without = new Set<string>([...TERMINAL_STATES, 'RETURNED', 'RETAINED']);
    for (const state of caseStateSchema.options.filter((s) => !without.has(s))) {
      expect(keys(caseRecord('2025-09-26', { state, threeLineReport: {} })).length, state).toBeGreaterThan(2);
    }
  });
});

describe('evaluateOverdue', () => {
  const visitPending = caseRecord('2025-09-26', {
    chain: { HEAD_TEACHER: { name: '李老师' }, CONTACT_TEACHER: { name: '王老师' } },
  });

  it('raises nothing on the due date, and level 0 to the responsible teacher the day after (a 调休 Saturday)', () => {
    expect(evaluateOverdue(visitPending, RULES, '2025-10-10')).toEqual([]);
    expect(evaluateOverdue(visitPending, RULES, '2025-10-11')).toEqual([
      {
        item: 'FIRST_HOME_VISIT',
        dutyKey: 'FIRST_HOME_VISIT',
        dueOn: '2025-10-10',
        escalationLevel: 0,
        escalatedTo: 'school',
        escalatedPosition: 'CONTACT_TEACHER',
        raisedOn: '2025-10-11',
        responsible: 'CONTACT_TEACHER',
        zh: '首次家访：立案后 5 个工作日内入户家访。应于 2025-10-10 前完成，已逾期，现报包保教师督办。',
      },
    ]);
  });

  it('climbs one level per further 5 working days — teacher, principal, township, county — and stops there', () => {
    // Working days after 2025-10-10: 10-11 (1) … 10-16 (5), 10-17 (6) … 10-23 (10), 10-24 (11), 10-31 (16).
    const table = [
      ['2025-10-16', 0, 'school', 'CONTACT_TEACHER'],
      ['2025-10-17', 1, 'school', 'PRINCIPAL'],
      ['2025-10-23', 1, 'school', 'PRINCIPAL'],
      ['2025-10-24', 2, 'township', 'TOWNSHIP'],
      ['2025-10-30', 2, 'township', 'TOWNSHIP'],
      ['2025-10-31', 3, 'county', 'COUNTY'],
      ['2026-06-30', 3, 'county', 'COUNTY'],
    ] as const;
    for (const [today, level, role, position] of table) {
      expect(levelOn(visitPending, today), today).toEqual([['FIRST_HOME_VISIT', level, role, position]]);
    }
  });

  it('climbs the 三线报告 one level per working day from the principal, and not over a weekend', () => {
    // Opened Thursday, due Friday 2025-11-14: late over the weekend, but the weekend does not climb.
    const record = caseRecord('2025-11-13', {
      persuasionActions: ['2025-11-14'],
      threeLineReport: reports('2025-11-13', ['PROVINCE_PLATFORM', 'COUNTY_BUREAU']),
    });
    const key = 'THREE_LINE_REPORT:TOWNSHIP';
    expect(levelOn(record, '2025-11-14')).toEqual([]);
    expect(levelOn(record, '2025-11-15')).toEqual([[key, 0, 'school', 'PRINCIPAL']]);
    expect(levelOn(record, '2025-11-17')).toEqual([[key, 0, 'school', 'PRINCIPAL']]);
    expect(levelOn(record, '2025-11-18')).toEqual([[key, 1, 'township', 'TOWNSHIP']]);
    expect(levelOn(record, '2025-11-19')).toEqual([[key, 2, 'county', 'COUNTY']]);
    expect(levelOn(record, '2025-11-28')).toEqual([[key, 2, 'county', 'COUNTY']]);
  });

  it('climbs the 三线报告 of a case opened on the eve of 国庆 only after the holiday', () => {
    const record = caseRecord('2025-09-30', {
      threeLineReport: reports('2025-09-30', ['PROVINCE_PLATFORM', 'TOWNSHIP']),
    });
    expect(levelOn(record, '2025-10-09')).toEqual([]);
    expect(levelOn(record, '2025-10-10')).toEqual([
      ['THREE_LINE_REPORT:COUNTY_BUREAU', 0, 'school', 'PRINCIPAL'],
    ]);
    expect(levelOn(record, '2025-10-11')).toEqual([
      ['THREE_LINE_REPORT:COUNTY_BUREAU', 1, 'township', 'TOWNSHIP'],
    ]);
  });

  it('climbs a missed 送教上门 visit every 7 calendar days', () => {
    const record = caseRecord('2025-09-01', {
      state: 'PLACED',
      persuasionActions: ['2025-09-03'],
      placement: { kind: 'HOME_TEACHING', since: '2025-09-22', visits: ['2025-09-30'] },
    });
    const key = 'HOME_TEACHING_VISIT:2025-09-30';
    expect(levelOn(record, '2025-10-07')).toEqual([]);
    expect(levelOn(record, '2025-10-08')).toEqual([[key, 0, 'school', 'HEAD_TEACHER']]);
    expect(levelOn(record, '2025-10-14')).toEqual([[key, 0, 'school', 'HEAD_TEACHER']]);
    expect(levelOn(record, '2025-10-15')).toEqual([[key, 1, 'school', 'PRINCIPAL']]);
    expect(levelOn(record, '2025-10-22')).toEqual([[key, 2, 'township', 'TOWNSHIP']]);
    expect(levelOn(record, '2025-10-29')).toEqual([[key, 3, 'county', 'COUNTY']]);
  });

  it('takes a missed 责令改正 deadline from the township to the county after 5 further working days', () => {
    const record = caseRecord('2025-10-20', {
      state: 'ORDER_TO_CORRECT',
      fourStep: caseRecordSchema.shape.fourStep.parse([
        { step: 'EDUCATION', date: '2025-11-18', documentRef: '富教育〔2025〕8号' },
        {
          step: 'ORDER_TO_CORRECT',
          date: '2025-11-25',
          documentRef: '富教责〔2025〕12号',
          deadline: '2025-12-05',
        },
      ]),
    });
    const key = 'FOUR_STEP_DEADLINE:ORDER_TO_CORRECT:2025-12-05';
    expect(levelOn(record, '2025-12-05')).toEqual([]);
    expect(levelOn(record, '2025-12-06')).toEqual([[key, 0, 'township', 'TOWNSHIP_HEAD']]);
    expect(levelOn(record, '2025-12-12')).toEqual([[key, 0, 'township', 'TOWNSHIP_HEAD']]);
    expect(levelOn(record, '2025-12-15')).toEqual([[key, 1, 'county', 'COUNTY']]);
    expect(levelOn(record, '2026-03-02')).toEqual([[key, 1, 'county', 'COUNTY']]);
    expect(evaluateOverdue(record, RULES, '2025-12-06')[0]?.zh).toBe(
      '依法控辍四步法：责令改正期限届满仍未改正，应依法作出行政处罚。应于 2025-12-05 前完成，已逾期，现报乡（镇）长督办。',
    );
  });

  it('raises nothing twice when the schedule runs again the same day or is redelivered', () => {
    const [raise] = evaluateOverdue(visitPending, RULES, '2025-10-11');
    const recorded = { ...visitPending, overdue: [toOverdueRecord(raise!)] };
    expect(evaluateOverdue(recorded, RULES, '2025-10-11')).toEqual([]);
    expect(evaluateOverdue(recorded, RULES, '2025-10-16')).toEqual([]);
    expect(levelOn(recorded, '2025-10-17')).toEqual([['FIRST_HOME_VISIT', 1, 'school', 'PRINCIPAL']]);
  });

  it('raises only the level reached after days without a run, not the levels skipped', () => {
    expect(levelOn(visitPending, '2025-10-31')).toEqual([['FIRST_HOME_VISIT', 3, 'county', 'COUNTY']]);
  });

  it('never raises a level below one already recorded for the duty', () => {
    const recorded = {
      ...visitPending,
      overdue: [
        {
          item: 'FIRST_HOME_VISIT',
          dutyKey: 'FIRST_HOME_VISIT',
          dueOn: '2025-10-10',
          escalationLevel: 2,
          escalatedTo: 'township',
          raisedOn: '2025-10-24',
        },
      ],
    } satisfies CaseRecord;
    expect(evaluateOverdue(recorded, RULES, '2025-10-17')).toEqual([]);
    expect(evaluateOverdue(recorded, RULES, '2025-10-30')).toEqual([]);
    expect(levelOn(recorded, '2025-10-31')).toEqual([['FIRST_HOME_VISIT', 3, 'county', 'COUNTY']]);
  });

  it('raises a new idle spell of 劝返 afresh after an action restarted the clock', () => {
    const persuading = {
      state: 'PERSUADING',
      persuasionActions: ['2025-10-22'],
      history: [moved(3, '2025-11-03T02:00:00Z', 'PERSUADING')],
    } satisfies Partial<CaseRecord>;
    const first = caseRecord('2025-10-20', persuading);
    const raised = evaluateOverdue(first, RULES, '2025-11-18').map(toOverdueRecord);
    expect(raised.map((r) => [r.dutyKey, r.escalationLevel])).toEqual([['PERSUADING_ACTION:2025-11-03', 0]]);

    const visitedAgain = caseRecord('2025-10-20', {
      ...persuading,
      persuasionActions: ['2025-10-22', '2025-11-19'],
      overdue: raised,
    });
    // Ten working days after 2025-11-19 is 2025-12-03.
    expect(evaluateOverdue(visitedAgain, RULES, '2025-12-03')).toEqual([]);
    expect(levelOn(visitedAgain, '2025-12-04')).toEqual([
      ['PERSUADING_ACTION:2025-11-19', 0, 'school', 'HEAD_TEACHER'],
    ]);
  });

  it('raises each overdue duty of a case separately', () => {
    const record = caseRecord('2025-11-14', {
      threeLineReport: reports('2025-11-14', ['PROVINCE_PLATFORM']),
    });
    expect(evaluateOverdue(record, RULES, '2025-11-24').map((r) => [r.dutyKey, r.escalationLevel])).toEqual([
      ['THREE_LINE_REPORT:TOWNSHIP', 2],
      ['THREE_LINE_REPORT:COUNTY_BUREAU', 2],
      ['FIRST_HOME_VISIT', 0],
    ]);
  });

  it('gives raises that the case record stores and notifications without the child’s data', () => {
    const record = caseRecord('2025-11-14', { threeLineReport: reports('2025-11-14') });
    const raises = evaluateOverdue(record, RULES, '2025-12-01');
    expect(raises).toHaveLength(4);
    for (const raise of raises) {
      expect(overdueRecordSchema.parse(toOverdueRecord(raise))).toEqual(toOverdueRecord(raise));
      expect(raise.zh).not.toContain('张小明');
      expect(raise.zh).not.toContain('5301**********123X');
    }
    expect(() => caseRecordSchema.parse({ ...record, overdue: raises.map(toOverdueRecord) })).not.toThrow();
  });

  it('refuses to guess past the loaded holiday calendar', () => {
    const record = caseRecord('2026-12-21');
    expect(() => evaluateOverdue(record, RULES, '2027-01-05')).toThrow(CalendarNotCoveredError);
  });
});

describe('isOverdue', () => {
  it('is true from the day after a due date until the duty is done', () => {
    const record = caseRecord('2025-11-14', { threeLineReport: reports('2025-11-14', ['TOWNSHIP']) });
    expect(isOverdue(record, RULES, '2025-11-17')).toBe(false);
    expect(isOverdue(record, RULES, '2025-11-18')).toBe(true);
    const acknowledged = { ...record, threeLineReport: reports('2025-11-14', ALL_LINES) };
    expect(isOverdue(acknowledged, RULES, '2025-11-18')).toBe(false);
    expect(isOverdue(acknowledged, RULES, '2025-11-22')).toBe(true); // first home visit, due 2025-11-21
    expect(isOverdue({ ...acknowledged, persuasionActions: ['2025-11-20'] }, RULES, '2025-11-22')).toBe(
      false,
    );
  });
});
