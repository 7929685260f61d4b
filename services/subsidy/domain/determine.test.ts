import { describe, expect, it } from 'vitest';
import type { OutcomeCode } from '../../../shared/events/vocab';
import { idNumber, rowOf, SCHOOL_A, SCHOOL_B, seeded } from '../../../test/fixtures/roster-rows';
import {
  createSubsidyRun,
  determinedTotals,
  determineSubsidies,
  ruralFromText,
  type SchoolInfo,
  type SubsidyDecision,
  type SubsidyRow,
  type SubsidySettings,
} from './determine';
import { fenToYuan } from './money';
import { nationalBaseline } from './policies/national-baseline';
import { yunnanExample } from './policies/yunnan-example';
import { definePolicy, type Policy, type PolicyCategory } from './policy';

const RURAL_A = new Map<string, SchoolInfo>([[SCHOOL_A.schoolCode, { rural: true, township: '530124100' }]]);

function enrolled(id: string, record: Record<string, unknown> = {}, where: Parameters<typeof rowOf>[3] = {}) {
  return rowOf(
    'enrollment',
    id,
    { name: '学生', ...SCHOOL_A, grade: '三年级', boarding: false, ...record },
    {
      uploadId: '学籍.xlsx',
      line: 2,
      ...where,
    },
  );
}

function run(rows: SubsidyRow[], settings: Partial<SubsidySettings> = {}) {
  return determineSubsidies({
    policy: nationalBaseline,
    semester: '2025-autumn',
    schools: RURAL_A,
    rows,
    ...settings,
  });
}

function decision(decisions: readonly SubsidyDecision[], id: string, benefit: string): SubsidyDecision {
  const found = decisions.filter((d) => d.idNumber === id && d.benefit === benefit);
  expect(found).toHaveLength(1);
  return found[0]!;
}

const categoryRow = (id: string, category: PolicyCategory, line = 5) =>
  category === 'DISABILITY'
    ? rowOf(
        'disability',
        id,
        { name: '学生', category: 'PHYSICAL', level: 2 },
        { uploadId: '残疾.xlsx', line },
      )
    : ['LIFTED_OUT_OF_POVERTY', 'UNSTABLE', 'MARGINAL', 'SUDDEN_HARDSHIP'].includes(category)
      ? rowOf('poverty', id, { name: '学生', category }, { uploadId: '脱贫户.csv', line })
      : rowOf('assistance', id, { name: '学生', category }, { uploadId: '低保.csv', line });

describe('两免 — tuition waiver and free textbooks', () => {
  it('are given to every enrolled child, in kind, whatever the household', () => {
    const id = idNumber('2016-03-12', 11);
    const { decisions } = run([enrolled(id)]);
    for (const benefit of ['TUITION_WAIVER', 'FREE_TEXTBOOKS']) {
      const d = decision(decisions, id, benefit);
      expect(d).toMatchObject({
        status: 'ELIGIBLE',
        amountFen: 0,
        heldFen: 0,
        payerSchool: SCHOOL_A.schoolCode,
      });
      expect(d.reason.code).toBe('ELIGIBLE');
      expect(d.reason.zh).toContain('免除或实物');
    }
  });

  it('decide nothing for a child who is only on a category roster (not enrolled)', () => {
    const id = idNumber('2016-03-12', 11);
    const result = run([categoryRow(id, 'DIBAO')]);
    expect(result.decisions).toEqual([]);
    expect(result.categoryOnlyChildren).toBe(1);
  });
});

describe('寄宿生生活补助 — boarding living allowance (national baseline)', () => {
  const hardship: PolicyCategory[] = [
    'LIFTED_OUT_OF_POVERTY',
    'UNSTABLE',
    'MARGINAL',
    'SUDDEN_HARDSHIP',
    'DIBAO',
    'TEKUN',
    'ORPHAN',
    'UNSUPPORTED',
    'DISABILITY',
  ];

  it.each(hardship)('pays a primary boarder of category %s 500 元 a semester (1000 元/年)', (category) => {
    const id = idNumber('2016-03-12', 11);
    const { decisions } = run([enrolled(id, { boarding: true }), categoryRow(id, category, 7)]);
    const d = decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE');
    expect(d).toMatchObject({ status: 'ELIGIBLE', amountFen: 50_000, payerSchool: SCHOOL_A.schoolCode });
    expect(d.explanation.group?.id).toBe('primary-boarder');
    expect(d.explanation.categories).toEqual([
      expect.objectContaining({ category, line: 7, uploadId: expect.any(String) }),
    ]);
  });

  it('pays a junior boarder 625 元 a semester (1250 元/年), the stage derived from 年级', () => {
    const id = idNumber('2012-03-12', 11);
    const { decisions } = run([enrolled(id, { boarding: true, grade: '初二' }), categoryRow(id, 'MARGINAL')]);
    const d = decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE');
    expect(d).toMatchObject({ status: 'ELIGIBLE', amountFen: 62_500, stage: 'JUNIOR' });
    expect(d.explanation.facts).toEqual(
      expect.arrayContaining([
        { fact: 'stage', value: 'JUNIOR', source: { kind: 'enrollment', uploadId: '学籍.xlsx', line: 2 } },
        { fact: 'boarding', value: true, source: { kind: 'enrollment', uploadId: '学籍.xlsx', line: 2 } },
      ]),
    );
  });

  it('does not pay a day pupil, a boarder without a hardship category, or a left-behind boarder', () => {
    const day = idNumber('2016-03-12', 11);
    const none = idNumber('2016-04-12', 13);
    const leftBehind = idNumber('2016-05-12', 15);
    const { decisions } = run([
      enrolled(day, { boarding: false }),
      categoryRow(day, 'DIBAO'),
      enrolled(none, { boarding: true }),
      enrolled(leftBehind, { boarding: true }),
      categoryRow(leftBehind, 'LEFT_BEHIND'),
    ]);
    for (const id of [day, none, leftBehind]) {
      const d = decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE');
      expect(d).toMatchObject({ status: 'INELIGIBLE', amountFen: 0, heldFen: 0 });
      expect(d.reason.code).toBe('NOT_IN_ANY_GROUP');
      expect(d.reason.zh).toContain('家庭经济困难的小学寄宿生');
    }
  });

  it('never assumes a category: a category read from the wrong roster does not count', () => {
    const id = idNumber('2016-03-12', 11);
    const { decisions } = run([
      enrolled(id, { boarding: true }),
      // 低保 is a 民政 category: a poverty roster cannot carry it.
      rowOf('poverty', id, { name: '学生', category: 'DIBAO' }),
    ]);
    expect(decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE').status).toBe('INELIGIBLE');
  });

  it('holds, rather than refuses, a boarder whose 学段 the roster does not give', () => {
    const id = idNumber('2016-03-12', 11);
    const { decisions } = run([enrolled(id, { boarding: true, grade: '2025级' }), categoryRow(id, 'DIBAO')]);
    const d = decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE');
    expect(d).toMatchObject({ status: 'ON_HOLD', amountFen: 0, heldFen: 62_500 });
    expect(d.reason.code).toBe('FACT_UNKNOWN');
    expect(d.reason.zh).toContain('学段');
  });

  it('holds a boarder whose enrollment rows disagree on 住校', () => {
    const id = idNumber('2016-03-12', 11);
    const { decisions } = run([
      enrolled(id, { boarding: true }),
      enrolled(id, { boarding: false }, { uploadId: '学籍2.xlsx', line: 9 }),
      categoryRow(id, 'DIBAO'),
    ]);
    const d = decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE');
    expect(d.status).toBe('ON_HOLD');
    expect(d.reason.en).toContain('disagree');
  });
});

describe('营养改善计划 — rural meal subsidy', () => {
  it('pays 500 元 a semester (5 元 × 100 days) to the school for a child at a rural school', () => {
    const id = idNumber('2016-03-12', 11);
    const d = decision(run([enrolled(id)]).decisions, id, 'NUTRITION_MEAL');
    expect(d).toMatchObject({ status: 'ELIGIBLE', amountFen: 50_000, rural: true, township: '530124100' });
    expect(d.explanation.facts).toEqual([{ fact: 'rural', value: true, source: 'schools' }]);
  });

  it('does not pay at an urban school, and holds where nobody says whether the school is rural', () => {
    const urban = idNumber('2016-03-12', 11);
    const unknown = idNumber('2016-03-13', 13);
    const schools = new Map<string, SchoolInfo>([[SCHOOL_A.schoolCode, { rural: false }]]);
    const { decisions } = run([enrolled(urban), enrolled(unknown, { ...SCHOOL_B })], { schools });
    expect(decision(decisions, urban, 'NUTRITION_MEAL').status).toBe('INELIGIBLE');
    const held = decision(decisions, unknown, 'NUTRITION_MEAL');
    expect(held).toMatchObject({ status: 'ON_HOLD', heldFen: 50_000 });
    expect(held.reason.code).toBe('FACT_UNKNOWN');
  });

  it('reads 城乡类型 from an enrollment column when the school list does not say', () => {
    const id = idNumber('2016-03-12', 11);
    const { decisions } = run([enrolled(id, { ...SCHOOL_B, extra: { 学校城乡类型: '乡村' } })]);
    expect(decision(decisions, id, 'NUTRITION_MEAL')).toMatchObject({
      status: 'ELIGIBLE',
      amountFen: 50_000,
    });
  });

  it('reads rural from words and statistics codes, leaving 镇区 to the school list', () => {
    expect(ruralFromText('乡村')).toBe(true);
    expect(ruralFromText('220')).toBe(true);
    expect(ruralFromText('城区')).toBe(false);
    expect(ruralFromText('111')).toBe(false);
    expect(ruralFromText('是', '是否农村学校')).toBe(true);
    expect(ruralFromText('否', '是否农村')).toBe(false);
    expect(ruralFromText('镇区')).toBeUndefined();
    expect(ruralFromText('121')).toBeUndefined();
  });
});

describe('残疾学生 — disability support and transport', () => {
  it('pays the special-education funding to the school for a child on the 残联 roster', () => {
    const id = idNumber('2016-03-12', 11);
    const other = idNumber('2016-03-13', 13);
    const { decisions } = run([enrolled(id), categoryRow(id, 'DISABILITY', 4), enrolled(other)]);
    const d = decision(decisions, id, 'DISABILITY_SUPPORT');
    expect(d).toMatchObject({ status: 'ELIGIBLE', amountFen: 300_000 });
    expect(d.explanation.categories).toEqual([
      { category: 'DISABILITY', kind: 'disability', uploadId: '残疾.xlsx', line: 4 },
    ]);
    expect(decision(decisions, other, 'DISABILITY_SUPPORT').status).toBe('INELIGIBLE');
  });

  it('pays the example province transport subsidy to disabled pupils only', () => {
    const id = idNumber('2016-03-12', 11);
    const other = idNumber('2016-03-13', 13);
    const { decisions } = run([enrolled(id), categoryRow(id, 'DISABILITY'), enrolled(other)], {
      policy: yunnanExample,
    });
    expect(decision(decisions, id, 'TRANSPORT')).toMatchObject({ status: 'ELIGIBLE', amountFen: 20_000 });
    expect(decision(decisions, other, 'TRANSPORT').status).toBe('INELIGIBLE');
  });
});

describe('the example province variant', () => {
  it('extends the living allowance to day pupils of families in difficulty, at half the amount', () => {
    const primary = idNumber('2016-03-12', 11);
    const junior = idNumber('2012-03-12', 13);
    const { decisions } = run(
      [
        enrolled(primary),
        categoryRow(primary, 'LIFTED_OUT_OF_POVERTY'),
        enrolled(junior, { grade: '七年级' }),
        categoryRow(junior, 'SUDDEN_HARDSHIP'),
      ],
      { policy: yunnanExample },
    );
    expect(decision(decisions, primary, 'NON_BOARDING_LIVING_ALLOWANCE').amountFen).toBe(25_000);
    expect(decision(decisions, junior, 'NON_BOARDING_LIVING_ALLOWANCE').amountFen).toBe(31_250);
    expect(decision(decisions, primary, 'BOARDING_LIVING_ALLOWANCE').status).toBe('INELIGIBLE');
  });

  it('is labelled as an example', () => {
    expect(yunnanExample.example).toBe(true);
    expect(yunnanExample.sources[0]).toContain('非官方');
  });
});

describe('the higher-amount rule', () => {
  it('pays a child in two categories once per benefit, at the higher amount', () => {
    const id = idNumber('2012-03-12', 11);
    const { decisions } = run(
      [
        enrolled(id, { grade: '九年级', boarding: true }),
        categoryRow(id, 'DIBAO', 3),
        categoryRow(id, 'ORPHAN', 8),
      ],
      { policy: yunnanExample },
    );
    const d = decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE');
    expect(d).toMatchObject({ status: 'ELIGIBLE', amountFen: 87_500 });
    expect(d.explanation.group?.id).toBe('junior-boarder-care');
    expect(d.explanation.categories.map((c) => c.category)).toEqual(['ORPHAN']);
    expect(d.explanation.notes.map((n) => n.code)).toEqual(['ALSO_MATCHED']);
    expect(d.explanation.notes[0]!.zh).toContain('625.00');
  });

  it('pays the first listed group when the policy says FIRST', () => {
    const policy = definePolicy({
      id: 'first-rule',
      version: '1',
      region: '530124',
      name: { zh: '测试' },
      effectiveFrom: '2025-09-01',
      benefits: [
        {
          code: 'TOP_UP',
          name: { zh: '补助' },
          whenSeveralGroupsMatch: 'FIRST',
          groups: [
            { id: 'dibao', when: { category: 'DIBAO' }, amountFen: 10_000 },
            { id: 'orphan', when: { category: 'ORPHAN' }, amountFen: 30_000 },
          ],
        },
      ],
    });
    const id = idNumber('2016-03-12', 11);
    const { decisions } = run([enrolled(id), categoryRow(id, 'ORPHAN'), categoryRow(id, 'DIBAO')], {
      policy,
    });
    expect(decision(decisions, id, 'TOP_UP')).toMatchObject({ amountFen: 10_000 });
  });
});

describe('the hold rule — no payment to an empty seat', () => {
  const boarder = (id: string) => [enrolled(id, { boarding: true }), categoryRow(id, 'DIBAO')];

  it.each([
    'ENROLLED_ABSENT',
    'NOT_ENROLLED',
    'PRESENT_UNENROLLED',
    'DEFERRED',
    'DUPLICATE_ENROLLMENT',
  ] as const)('holds every benefit of a child whose comparison outcome is %s', (outcome) => {
    const id = idNumber('2016-03-12', 11);
    const comparison = new Map<string, OutcomeCode>([[`c_${id}`, outcome]]);
    const { decisions, totals } = run(boarder(id), { comparison });
    const d = decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE');
    expect(d).toMatchObject({ status: 'ON_HOLD', amountFen: 0, heldFen: 50_000 });
    expect(d.reason.code).toBe(`COMPARISON_${outcome}`);
    expect(decision(decisions, id, 'TUITION_WAIVER').status).toBe('ON_HOLD');
    expect(totals.amountFen).toBe(0);
    expect(totals.heldFen).toBe(100_000); // boarding + meals
  });

  it.each(['CONSISTENT', 'IDENTITY_MISMATCH'] as const)('pays a child whose outcome is %s', (outcome) => {
    const id = idNumber('2016-03-12', 11);
    const { decisions } = run(boarder(id), { comparison: [{ childKey: `c_${id}`, outcome }] });
    expect(decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE').status).toBe('ELIGIBLE');
  });

  it('holds a child with an open dropout case', () => {
    const id = idNumber('2016-03-12', 11);
    const d = decision(
      run(boarder(id), { openCases: [`c_${id}`] }).decisions,
      id,
      'BOARDING_LIVING_ALLOWANCE',
    );
    expect(d.status).toBe('ON_HOLD');
    expect(d.reason.code).toBe('OPEN_DROPOUT_CASE');
  });

  it('offline, holds a child the head count marks absent or leaves out, and pays one marked present', () => {
    const present = idNumber('2016-03-12', 11);
    const absent = idNumber('2016-03-13', 13);
    const missing = idNumber('2016-03-14', 15);
    const { decisions, presence } = run([
      ...boarder(present),
      ...boarder(absent),
      ...boarder(missing),
      rowOf('headcount', present, { name: '学生', ...SCHOOL_A, present: true }),
      rowOf('headcount', absent, { name: '学生', ...SCHOOL_A, present: false }, { line: 3 }),
    ]);
    expect(presence.headcount).toBe(true);
    expect(decision(decisions, present, 'BOARDING_LIVING_ALLOWANCE').status).toBe('ELIGIBLE');
    const a = decision(decisions, absent, 'BOARDING_LIVING_ALLOWANCE');
    expect(a.reason.code).toBe('ABSENT_ON_HEADCOUNT');
    expect(a.reason.zh).toContain(SCHOOL_A.schoolName);
    expect(decision(decisions, missing, 'BOARDING_LIVING_ALLOWANCE').reason.code).toBe('NOT_ON_HEADCOUNT');
  });

  it('keeps an ineligible child INELIGIBLE and lists every hold reason', () => {
    const id = idNumber('2016-03-12', 11);
    const { decisions } = run([enrolled(id, { boarding: true })], {
      comparison: new Map([[`c_${id}`, 'ENROLLED_ABSENT' as const]]),
      openCases: [`c_${id}`],
    });
    expect(decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE').status).toBe('INELIGIBLE');
    const meal = decision(decisions, id, 'NUTRITION_MEAL');
    expect(meal.explanation.holds.map((h) => h.code)).toEqual([
      'COMPARISON_ENROLLED_ABSENT',
      'OPEN_DROPOUT_CASE',
    ]);
  });
});

describe('the transfer rule — one decision per benefit per semester', () => {
  const previousAtA = (id: string) => ({
    childKey: `c_${id}`,
    benefit: 'BOARDING_LIVING_ALLOWANCE',
    status: 'ELIGIBLE' as const,
    amountFen: 50_000,
    payerSchool: SCHOOL_A.schoolCode,
    payerSchoolName: SCHOOL_A.schoolName,
  });

  it('keeps the payment at the earlier school after a mid-term transfer; the receiving school does not pay', () => {
    const id = idNumber('2016-03-12', 11);
    const result = run([enrolled(id, { ...SCHOOL_B, boarding: true }), categoryRow(id, 'DIBAO')], {
      previous: [previousAtA(id)],
    });
    const d = decision(result.decisions, id, 'BOARDING_LIVING_ALLOWANCE');
    expect(d).toMatchObject({
      status: 'ELIGIBLE',
      amountFen: 50_000,
      school: SCHOOL_B.schoolCode,
      payerSchool: SCHOOL_A.schoolCode,
      payerSchoolName: SCHOOL_A.schoolName,
    });
    expect(d.reason.code).toBe('PAID_BY_PREVIOUS_SCHOOL');
    expect(d.reason.zh).toContain(SCHOOL_A.schoolName);
    expect(d.reason.zh).toContain(SCHOOL_B.schoolName);
    const atB = result.totals.bySchool.find((s) => s.school === SCHOOL_B.schoolCode)!;
    expect(atB.benefits.find((b) => b.benefit === 'BOARDING_LIVING_ALLOWANCE')!.eligible).toBe(0);
    const atA = result.totals.bySchool.find((s) => s.school === SCHOOL_A.schoolCode)!;
    expect(atA.benefits.find((b) => b.benefit === 'BOARDING_LIVING_ALLOWANCE')!.amountFen).toBe(50_000);
  });

  it('binds the earlier decision even when the new school would decide otherwise, and says so', () => {
    const id = idNumber('2016-03-12', 11);
    const { decisions } = run([enrolled(id, { ...SCHOOL_B, boarding: false }), categoryRow(id, 'DIBAO')], {
      previous: [previousAtA(id)],
    });
    const d = decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE');
    expect(d).toMatchObject({ status: 'ELIGIBLE', amountFen: 50_000, payerSchool: SCHOOL_A.schoolCode });
    expect(d.explanation.notes.map((n) => n.code)).toContain('RECOMPUTED_DIFFERS');
  });

  it('recomputes at the same school, and does not bind a decision that paid nothing', () => {
    const same = idNumber('2016-03-12', 11);
    const moved = idNumber('2016-03-13', 13);
    const { decisions } = run(
      [
        enrolled(same, { boarding: true, grade: '七年级' }),
        categoryRow(same, 'DIBAO'),
        enrolled(moved, { ...SCHOOL_B, boarding: true }),
        categoryRow(moved, 'DIBAO'),
      ],
      { previous: [previousAtA(same), { ...previousAtA(moved), status: 'INELIGIBLE', amountFen: 0 }] },
    );
    expect(decision(decisions, same, 'BOARDING_LIVING_ALLOWANCE')).toMatchObject({ amountFen: 62_500 });
    expect(decision(decisions, moved, 'BOARDING_LIVING_ALLOWANCE')).toMatchObject({
      amountFen: 50_000,
      payerSchool: SCHOOL_B.schoolCode,
    });
  });

  it('holds a child enrolled at two schools until one is confirmed — unless an earlier decision settles it', () => {
    const id = idNumber('2016-03-12', 11);
    const rows = [
      enrolled(id, { boarding: true }),
      enrolled(id, { ...SCHOOL_B, boarding: true }, { uploadId: '学籍-二小.xlsx' }),
      categoryRow(id, 'DIBAO'),
    ];
    const held = decision(run(rows).decisions, id, 'BOARDING_LIVING_ALLOWANCE');
    expect(held.status).toBe('ON_HOLD');
    expect(held.reason.code).toBe('SEVERAL_SCHOOLS');
    const settled = run(rows, { previous: [{ ...previousAtA(id), payerSchool: SCHOOL_B.schoolCode }] });
    const d = decision(settled.decisions, id, 'BOARDING_LIVING_ALLOWANCE');
    expect(d).toMatchObject({ status: 'ELIGIBLE', payerSchool: SCHOOL_B.schoolCode });
    expect(settled.decisions.filter((x) => x.idNumber === id)).toHaveLength(nationalBaseline.benefits.length);
  });

  it('still holds a transferred child who is not at school', () => {
    const id = idNumber('2016-03-12', 11);
    const { decisions } = run([enrolled(id, { ...SCHOOL_B, boarding: true }), categoryRow(id, 'DIBAO')], {
      previous: [previousAtA(id)],
      openCases: [`c_${id}`],
    });
    const d = decision(decisions, id, 'BOARDING_LIVING_ALLOWANCE');
    expect(d).toMatchObject({ status: 'ON_HOLD', heldFen: 50_000, payerSchool: SCHOOL_A.schoolCode });
  });
});

describe('decisions and totals', () => {
  /** A county of children with every mix of stage, boarding, school and categories. */
  function county(n: number, seed: number): SubsidyRow[] {
    const random = seeded(seed);
    const categories: PolicyCategory[] = [
      'LIFTED_OUT_OF_POVERTY',
      'UNSTABLE',
      'DIBAO',
      'ORPHAN',
      'DISABILITY',
      'LEFT_BEHIND',
    ];
    const rows: SubsidyRow[] = [];
    for (let i = 0; i < n; i++) {
      const id = idNumber(
        `201${Math.floor(random() * 8) + 1}-0${Math.floor(random() * 9) + 1}-1${i % 10}`,
        (i % 900) + 1,
      );
      const school = random() < 0.5 ? SCHOOL_A : SCHOOL_B;
      rows.push(
        enrolled(
          id,
          {
            ...school,
            grade: `${'一二三四五六七八九'[Math.floor(random() * 9)]}年级`,
            boarding: random() < 0.4,
          },
          { line: i + 2 },
        ),
      );
      for (const category of categories) if (random() < 0.15) rows.push(categoryRow(id, category, i + 2));
      if (random() < 0.9)
        rows.push(rowOf('headcount', id, { name: '学生', ...school, present: true }, { line: i + 2 }));
    }
    return rows;
  }
  const schools = new Map<string, SchoolInfo>([
    [SCHOOL_A.schoolCode, { rural: true, township: '530124100' }],
    [SCHOOL_B.schoolCode, { rural: false, township: '530124101' }],
  ]);

  it('adds up exactly: decisions, benefits, schools and townships give the same integer totals', () => {
    const result = run(county(600, 7), { policy: yunnanExample, schools });
    const { decisions, totals } = result;
    expect(decisions).toHaveLength(result.children * yunnanExample.benefits.length);
    const paid = decisions.reduce((s, d) => s + d.amountFen, 0);
    const held = decisions.reduce((s, d) => s + d.heldFen, 0);
    expect(paid).toBeGreaterThan(0);
    expect(held).toBeGreaterThan(0);
    expect(totals.amountFen).toBe(paid);
    expect(totals.heldFen).toBe(held);
    expect(totals.byBenefit.reduce((s, t) => s + t.amountFen, 0)).toBe(paid);
    expect(totals.bySchool.reduce((s, t) => s + t.amountFen, 0)).toBe(paid);
    expect(totals.byTownship.reduce((s, t) => s + t.amountFen, 0)).toBe(paid);
    for (const t of totals.byBenefit) {
      const mine = decisions.filter((d) => d.benefit === t.benefit);
      expect(t.eligible + t.held + t.ineligible).toBe(result.children);
      expect(t.amountFen).toBe(mine.reduce((s, d) => s + d.amountFen, 0));
      // Every amount is a whole number of fen, and 元 are printed from the digits.
      expect(Number.isSafeInteger(t.amountFen)).toBe(true);
      expect(fenToYuan(t.amountFen)).toBe(
        `${Math.floor(t.amountFen / 100)}.${String(t.amountFen % 100).padStart(2, '0')}`,
      );
    }
    expect(determinedTotals(result)).toEqual(
      totals.byBenefit.map((t) => ({ benefit: t.benefit, count: t.eligible, amountFen: t.amountFen })),
    );
    for (const d of decisions) {
      expect(Number.isInteger(d.amountFen) && Number.isInteger(d.heldFen)).toBe(true);
      if (d.status !== 'ELIGIBLE') expect(d.amountFen).toBe(0);
      if (d.status !== 'ON_HOLD') expect(d.heldFen).toBe(0);
    }
  });

  it('gives the same decisions whatever the order of the rows, and counts a row delivered twice once', () => {
    const rows = county(200, 11);
    const shuffled = [...rows, ...rows.slice(0, 50)];
    const random = seeded(3);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const a = run(rows, { policy: yunnanExample, schools });
    const b = run(shuffled, { policy: yunnanExample, schools });
    expect(b.decisions).toEqual(a.decisions);
    expect(b.totals).toEqual(a.totals);
  });

  it('records the policy version and semester in every explanation', () => {
    const id = idNumber('2016-03-12', 11);
    const result = run([enrolled(id)], { semester: '2025-2026-1' });
    expect(result.policyVersion).toBe('national-baseline.2021.1');
    expect(result.semester).toMatchObject({ code: '2025-2026-1', label: '2025-autumn' });
    for (const d of result.decisions) {
      expect(d.explanation).toMatchObject({ policy: 'national-baseline.2021.1', semester: '2025-2026-1' });
    }
  });

  it('streams: rows added one by one give the same result as the batch call', () => {
    const rows = county(50, 5);
    const stream = createSubsidyRun({ policy: nationalBaseline, semester: '2025-autumn', schools });
    for (const row of rows) stream.add(row);
    expect(stream.finish().decisions).toEqual(run(rows, { schools }).decisions);
  });

  it('refuses a semester it cannot read and a policy not in force then', () => {
    expect(() => run([], { semester: '2025-fall' })).toThrow(/2025-autumn/);
    expect(() => run([], { policy: yunnanExample as Policy, semester: '2024-autumn' })).toThrow(
      /not in force/,
    );
  });
});
