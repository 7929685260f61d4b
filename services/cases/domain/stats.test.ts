import { describe, expect, it } from 'vitest';
import type { CaseState } from '../../../shared/events/vocab';
import { checkDigit, maskIdNumber } from '../../../shared/id-number';
import { cells } from '../../../shared/text-width';
import { type CaseRecord, caseRecordSchema, type OverdueRecord } from './case';
import {
  type CaseFigures,
  computeStats,
  enrollmentCounts,
  formatStatsTable,
  percent,
  type RosterPupil,
  type StatsInput,
  schoolYearChangesFromRosters,
} from './stats';

// ── fixtures ─────────────────────────────────────────────────────────────────────────────────────────

const idNumber = (seq: number) => {
  const first17 = `53012420120901${String(seq).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
};
const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
const childKey = (seq: number) => `c_${'s'.repeat(30)}${B32[Math.floor(seq / 32) % 32]}${B32[seq % 32]}`;
const ACTOR = { role: 'school', org: '2153012401' } as const;

const TOWN_A = '530124100';
const TOWN_B = '530124101';
const S1 = { school: '2153012401', schoolName: '款庄中学', township: TOWN_A };
const S2 = { school: '2153012402', schoolName: '款庄小学', township: TOWN_A };
const S3 = { school: '2153012403', schoolName: '东村小学', township: TOWN_B };
const S4 = { school: '2153012404', schoolName: '东村中学', township: TOWN_B };

type Move = [string, CaseState];

function caseRecord(
  seq: number,
  where: typeof S1,
  openedOn: string,
  moves: Move[],
  patch: Partial<CaseRecord> = {},
): CaseRecord {
  let state: CaseState = 'SUSPECTED';
  const history: CaseRecord['history'] = [
    {
      version: 1,
      at: `${openedOn}T02:00:00.000Z`,
      actor: ACTOR,
      action: 'open',
      to: 'SUSPECTED',
      details: {},
    },
  ];
  for (const [date, to] of moves) {
    history.push({
      version: history.length + 1,
      at: `${date}T06:00:00.000Z`,
      actor: ACTOR,
      action: to.toLowerCase(),
      from: state,
      to,
      details: {},
    });
    state = to;
  }
  return caseRecordSchema.parse({
    caseId: `case-${seq}`,
    region: '530124',
    child: { childKey: childKey(seq), maskedId: maskIdNumber(idNumber(seq)) },
    ...where,
    state,
    version: history.length,
    openedOn,
    openedAt: history[0]!.at,
    source: 'ATTENDANCE',
    priority: false,
    chain: {},
    signals: [],
    threeLineReport: {},
    persuasionActions: [],
    fourStep: [],
    followUps: [],
    overdue: [],
    history,
    ...patch,
  });
}

const overdue = (
  item: OverdueRecord['item'],
  dueOn: string,
  raisedOn: string,
  level: number,
): OverdueRecord => ({
  item,
  dutyKey: item,
  dueOn,
  escalationLevel: level,
  escalatedTo: level >= 2 ? 'township' : 'school',
  raisedOn,
});

const CONFIRM: Move[] = [
  ['2025-09-09', 'VERIFYING'],
  ['2025-09-10', 'CONFIRMED'],
  ['2025-09-11', 'PERSUADING'],
];

/** A county in the autumn term of 2025: period 09-01 to 10-31. */
function county(): CaseRecord[] {
  return [
    // 1: a dropout since June, still being persuaded, with an idle-persuasion item overdue.
    caseRecord(
      1,
      S1,
      '2025-06-10',
      [
        ['2025-06-11', 'VERIFYING'],
        ['2025-06-12', 'CONFIRMED'],
        ['2025-06-13', 'PERSUADING'],
      ],
      { overdue: [overdue('PERSUADING_ACTION', '2025-10-20', '2025-10-21', 1)] },
    ),
    // 2: opened, confirmed and back at school within the period.
    caseRecord(2, S1, '2025-09-08', [...CONFIRM, ['2025-10-10', 'RETURNED']], {
      returned: { school: S1.school, returnedOn: '2025-10-10', followUpEnds: '2026-02-27' },
    }),
    // 3: opened and closed within the period (studying elsewhere).
    caseRecord(3, S1, '2025-09-08', [
      ['2025-09-09', 'VERIFYING'],
      ['2025-09-20', 'STUDYING_ELSEWHERE'],
    ]),
    // 4: returned in spring, kept and closed in September.
    caseRecord(4, S2, '2025-03-03', [
      ['2025-03-04', 'VERIFYING'],
      ['2025-03-05', 'CONFIRMED'],
      ['2025-03-06', 'PERSUADING'],
      ['2025-04-01', 'RETURNED'],
      ['2025-09-15', 'RETAINED'],
      ['2025-09-16', 'CLOSED'],
    ]),
    // 5: 缓学 in May; the end date passed without return, so it reopened in September.
    caseRecord(
      5,
      S2,
      '2025-05-10',
      [
        ['2025-05-11', 'VERIFYING'],
        ['2025-05-20', 'DEFERRED'],
        ['2025-09-05', 'VERIFYING'],
      ],
      {
        overdue: [
          overdue('THREE_LINE_REPORT', '2025-09-06', '2025-09-07', 0),
          overdue('FIRST_HOME_VISIT', '2025-09-11', '2025-09-12', 2),
        ],
      },
    ),
    // 6: confirmed and placed in 送教上门, visited weekly until 10-22.
    caseRecord(
      6,
      S3,
      '2025-09-20',
      [
        ['2025-09-21', 'VERIFYING'],
        ['2025-09-25', 'CONFIRMED'],
        ['2025-10-05', 'PLACED'],
      ],
      {
        placement: {
          kind: 'HOME_TEACHING',
          since: '2025-10-05',
          visits: ['2025-10-08', '2025-10-15', '2025-10-22', '2025-11-02'],
        },
        overdue: [overdue('HOME_TEACHING_VISIT', '2025-10-29', '2025-10-30', 0)],
      },
    ),
    // 7: opened after the period and asOf: not counted.
    caseRecord(7, S3, '2025-11-05', []),
  ];
}

const enrollment = [
  { ...S1, enrolled: 600 },
  { ...S2, enrolled: 400 },
  { ...S4, enrolled: 0 },
];

const input = (extra: Partial<StatsInput> = {}): StatsInput => ({
  records: county(),
  asOf: '2025-10-31',
  period: { from: '2025-09-01', to: '2025-10-31' },
  enrollment,
  ...extra,
});

const COUNT_FIELDS = [
  'openAtPeriodStart',
  'openedInPeriod',
  'reopenedInPeriod',
  'closedInPeriod',
  'openAtPeriodEnd',
  'openNow',
  'openSuspected',
  'openDropouts',
  'openFollowUp',
  'overdue',
  'returnedInPeriod',
  'retainedInPeriod',
  'homeTeachingVisits',
  'dropoutsInPeriod',
] as const satisfies readonly (keyof CaseFigures)[];

// ── the case figures ─────────────────────────────────────────────────────────────────────────────────

describe('computeStats — 动态清零 and the period’s work', () => {
  it('counts the county’s cases from their histories', () => {
    const { county: c } = computeStats(input());
    expect(c).toEqual({
      openAtPeriodStart: 2,
      openedInPeriod: 3,
      reopenedInPeriod: 1,
      closedInPeriod: 2,
      openAtPeriodEnd: 4,
      openNow: 4,
      openSuspected: 1,
      openDropouts: 2,
      openFollowUp: 1,
      overdue: 4,
      returnedInPeriod: 1,
      retainedInPeriod: 1,
      homeTeachingVisits: 3,
      dropoutsInPeriod: 2,
      enrolled: 1000,
      dropoutRatePct: 0.2,
      clearancePct: 33.33,
    });
  });

  it('adds up: start + opened + reopened − closed = end, and suspected + dropouts + follow-up = open now', () => {
    const stats = computeStats(input());
    for (const f of [stats.county, ...stats.townships, ...stats.schools]) {
      expect(f.openAtPeriodStart + f.openedInPeriod + f.reopenedInPeriod - f.closedInPeriod).toBe(
        f.openAtPeriodEnd,
      );
      expect(f.openSuspected + f.openDropouts + f.openFollowUp).toBe(f.openNow);
    }
  });

  it('sums schools to townships and townships to the county', () => {
    const stats = computeStats(input());
    for (const field of COUNT_FIELDS) {
      const schools = stats.schools.reduce((n, s) => n + s[field], 0);
      const townships = stats.townships.reduce((n, t) => n + t[field], 0);
      expect([field, schools]).toEqual([field, stats.county[field]]);
      expect([field, townships]).toEqual([field, stats.county[field]]);
    }
    for (const t of stats.townships) {
      const own = stats.schools.filter((s) => s.township === t.code);
      expect(own.reduce((n, s) => n + s.openNow, 0)).toBe(t.openNow);
    }
  });

  it('lists every school with cases or enrolment, by township', () => {
    const stats = computeStats(input());
    expect(stats.schools.map((s) => [s.township, s.code, s.name])).toEqual([
      [TOWN_A, S1.school, S1.schoolName],
      [TOWN_A, S2.school, S2.schoolName],
      [TOWN_B, S3.school, S3.schoolName],
      [TOWN_B, S4.school, S4.schoolName],
    ]);
    expect(stats.townships.map((t) => t.code)).toEqual([TOWN_A, TOWN_B]);
  });

  it('computes 辍学率 per school, township and county; a missing or zero enrolment gives null', () => {
    const stats = computeStats(input());
    const school = (code: string) => stats.schools.find((s) => s.code === code)!;
    expect(school(S1.school)).toMatchObject({ dropoutsInPeriod: 1, enrolled: 600, dropoutRatePct: 0.17 });
    expect(school(S2.school)).toMatchObject({ dropoutsInPeriod: 0, enrolled: 400, dropoutRatePct: 0 });
    expect(school(S3.school)).toMatchObject({ dropoutsInPeriod: 1, enrolled: null, dropoutRatePct: null });
    expect(school(S4.school)).toMatchObject({ enrolled: 0, dropoutRatePct: null });
    expect(stats.townships.map((t) => [t.code, t.enrolled, t.dropoutRatePct])).toEqual([
      [TOWN_A, 1000, 0.1],
      [TOWN_B, 0, null],
    ]);
    expect(computeStats(input({ enrollment: undefined })).county).toMatchObject({
      enrolled: null,
      dropoutRatePct: null,
    });
  });

  it('counts a child confirmed twice in the period once (absent again during follow-up)', () => {
    const again = caseRecord(8, S1, '2025-09-08', [
      ...CONFIRM,
      ['2025-10-01', 'RETURNED'],
      ['2025-10-20', 'CONFIRMED'],
    ]);
    const stats = computeStats(input({ records: [again] }));
    expect(stats.county).toMatchObject({ dropoutsInPeriod: 1, returnedInPeriod: 1, openDropouts: 1 });
  });

  it('counts the overdue items standing on asOf by item and escalation level', () => {
    const { overdue: o } = computeStats(input());
    expect(o.total).toBe(4);
    expect(o.byItem).toEqual({
      THREE_LINE_REPORT: 1,
      FIRST_HOME_VISIT: 1,
      PERSUADING_ACTION: 1,
      HOME_TEACHING_VISIT: 1,
      FOUR_STEP_DEADLINE: 0,
    });
    expect(o.byLevel).toEqual([
      { level: 0, count: 2 },
      { level: 1, count: 1 },
      { level: 2, count: 1 },
    ]);
    expect(o.cells.reduce((n, c) => n + c.count, 0)).toBe(o.total);
    // On 10-20 the 劝返 and 送教上门 items were not raised yet.
    expect(computeStats(input({ asOf: '2025-10-20' })).overdue.total).toBe(2);
  });

  it('counts 送教上门 visits made in the period', () => {
    expect(computeStats(input()).homeTeaching).toEqual({ cases: 1, casesVisited: 1, visits: 3 });
    const november = computeStats(
      input({ period: { from: '2025-11-01', to: '2025-11-30' }, asOf: '2025-11-30' }),
    );
    expect(november.homeTeaching).toEqual({ cases: 1, casesVisited: 1, visits: 1 });
    const summer = computeStats(
      input({ period: { from: '2025-07-01', to: '2025-08-31' }, asOf: '2025-08-31' }),
    );
    expect(summer.homeTeaching).toEqual({ cases: 0, casesVisited: 0, visits: 0 });
  });

  it('refuses a period that ends before it starts', () => {
    expect(() => computeStats(input({ period: { from: '2025-10-01', to: '2025-09-01' } }))).toThrow(
      RangeError,
    );
  });
});

// ── the school-year table ────────────────────────────────────────────────────────────────────────────

describe('the school-year table (转入, 转出, 休学, 复学, 辍学, 毕业)', () => {
  const pupil = (seq: number, where: typeof S1, graduating = false): RosterPupil => ({
    childKey: childKey(seq),
    ...where,
    ...(graduating ? { graduating } : {}),
  });
  const year = { from: '2025-09-01', to: '2026-08-31' };
  const start = [pupil(21, S1), pupil(22, S1), pupil(23, S1), pupil(24, S2), pupil(25, S2)];
  const end = [pupil(21, S1), pupil(23, S1, true), pupil(24, S2), pupil(22, S2), pupil(26, S3)];
  const suspensions = [
    { ...pupil(27, S2), from: '2025-10-01' },
    { ...pupil(28, S2), from: '2025-08-01' },
  ];

  it('derives 转入, 转出, 毕业 and 休学 from the rosters of the year’s start and end', () => {
    const changes = schoolYearChangesFromRosters({ ...year, start, end, suspensions });
    const summary = changes.map((c) => [c.school, c.kind, c.childKey.slice(-2)]).sort();
    expect(summary).toEqual(
      [
        [S1.school, 'GRADUATION', childKey(23).slice(-2)],
        [S1.school, 'TRANSFER_OUT', childKey(22).slice(-2)],
        [S2.school, 'SUSPENSION', childKey(27).slice(-2)],
        [S2.school, 'TRANSFER_IN', childKey(22).slice(-2)],
        [S2.school, 'TRANSFER_OUT', childKey(25).slice(-2)],
        [S3.school, 'TRANSFER_IN', childKey(26).slice(-2)],
      ].sort(),
    );
  });

  it('counts 在校生数 per school once per child', () => {
    expect(enrollmentCounts([...start, pupil(21, S1)])).toEqual([
      { ...S1, enrolled: 3 },
      { ...S2, enrolled: 2 },
    ]);
  });

  it('adds 复学 and 辍学 from the cases, each child once, and totals by township and county', () => {
    const changes = [
      ...schoolYearChangesFromRosters({ ...year, start, end, suspensions }),
      // The 学籍变动 export also lists case 2's 复学: the same child, counted once.
      { ...S1, childKey: childKey(2), kind: 'RESUMPTION' as const, date: '2025-10-10' },
    ];
    const stats = computeStats(input({ schoolYear: { ...year, changes } }));
    const y = stats.schoolYear!;
    const row = (code: string) => y.schools.find((s) => s.code === code)!;
    expect(row(S1.school)).toMatchObject({
      enrolledAtStart: 600,
      transferIn: 0,
      transferOut: 1,
      suspension: 0,
      resumption: 1,
      dropout: 1,
      graduation: 1,
      dropoutRatePct: 0.17,
    });
    expect(row(S3.school)).toMatchObject({
      transferIn: 1,
      dropout: 1,
      enrolledAtStart: null,
      dropoutRatePct: null,
    });
    expect(y.total).toMatchObject({
      enrolledAtStart: 1000,
      transferIn: 2,
      transferOut: 2,
      suspension: 1,
      resumption: 1,
      dropout: 2,
      graduation: 1,
      dropoutRatePct: 0.2,
    });
    for (const field of [
      'transferIn',
      'transferOut',
      'suspension',
      'resumption',
      'dropout',
      'graduation',
    ] as const) {
      expect(y.schools.reduce((n, s) => n + s[field], 0)).toBe(y.total[field]);
      expect(y.townships.reduce((n, t) => n + t[field], 0)).toBe(y.total[field]);
    }
  });

  it('uses the school year’s own enrolment when given', () => {
    const stats = computeStats(
      input({ schoolYear: { ...year, changes: [], enrollment: [{ ...S1, enrolled: 500 }] } }),
    );
    expect(stats.schoolYear!.total).toMatchObject({ enrolledAtStart: 500, dropout: 2, dropoutRatePct: 0.4 });
  });
});

// ── 巩固率 ───────────────────────────────────────────────────────────────────────────────────────────

describe('巩固率', () => {
  it('divides the graduating class by its first-grade intake, per unit and in total', () => {
    const stats = computeStats(
      input({
        cohorts: [
          { unit: TOWN_A, unitName: '款庄镇', graduationYear: 2025, graduating: 190, enteredGradeOne: 200 },
          { unit: TOWN_B, unitName: '东村乡', graduationYear: 2025, graduating: 88, enteredGradeOne: 100 },
          { unit: TOWN_B, graduationYear: 2026, graduating: 0, enteredGradeOne: 0 },
        ],
      }),
    );
    expect(stats.consolidation!.cohorts.map((c) => c.ratePct)).toEqual([95, 88, null]);
    expect(stats.consolidation!.totals).toEqual([
      { graduationYear: 2025, graduating: 278, enteredGradeOne: 300, ratePct: 92.67 },
      { graduationYear: 2026, graduating: 0, enteredGradeOne: 0, ratePct: null },
    ]);
  });

  it('rounds percentages to 2 decimals and returns null for a zero or missing denominator', () => {
    expect(percent(1, 3)).toBe(33.33);
    expect(percent(2, 3)).toBe(66.67);
    expect(percent(0, 5)).toBe(0);
    expect(percent(1, 0)).toBeNull();
    expect(percent(1, null)).toBeNull();
  });
});

// ── the text table ───────────────────────────────────────────────────────────────────────────────────

describe('formatStatsTable', () => {
  const stats = computeStats(
    input({
      schoolYear: { from: '2025-09-01', to: '2026-08-31', changes: [] },
      cohorts: [
        { unit: TOWN_A, unitName: '款庄镇', graduationYear: 2025, graduating: 190, enteredGradeOne: 200 },
      ],
    }),
  );
  const text = formatStatsTable(stats, { townshipNames: { [TOWN_A]: '款庄镇', [TOWN_B]: '东村乡' } });

  it('prints every section with Chinese headers, 2-decimal percentages and — for no rate', () => {
    for (const heading of [
      '一、动态清零',
      '二、工作成效与辍学率',
      '三、逾期事项',
      '四、送教上门',
      '五、学年统计表',
      '六、巩固率',
    ]) {
      expect(text).toContain(heading);
    }
    expect(text).toContain('控辍保学统计  截至 2025-10-31  统计期 2025-09-01 至 2025-10-31');
    expect(text).toContain('款庄镇 小计');
    expect(text).toContain('东村乡 小计');
    expect(text).toMatch(/\n {2}款庄中学 /);
    expect(text).toContain('0.17%');
    expect(text).toContain('33.33%');
    expect(text).toContain('95.00%');
    expect(text).toContain('—');
  });

  it('aligns columns by display width, CJK characters counting two', () => {
    const firstTable = text.split('\n\n')[1]!.split('\n').slice(1);
    const [header, rule, ...rows] = firstTable;
    expect(header).toContain('期初在案');
    const width = cells(rule!);
    for (const row of rows) expect(cells(row)).toBe(width);
  });

  it('prints the same figures computeStats returns', () => {
    const total = text.split('\n').find((l) => l.startsWith('合计'))!;
    const numbers = total.split(/\s+/).slice(1);
    expect(numbers.slice(0, 9).map(Number)).toEqual([
      stats.county.openAtPeriodStart,
      stats.county.openedInPeriod,
      stats.county.reopenedInPeriod,
      stats.county.closedInPeriod,
      stats.county.openAtPeriodEnd,
      stats.county.openNow,
      stats.county.openSuspected,
      stats.county.openDropouts,
      stats.county.openFollowUp,
    ]);
  });
});
