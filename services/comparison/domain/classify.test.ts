import { describe, expect, it } from 'vitest';
import { maskIdNumber } from '../../../shared/id-number';
import type { IntakeRow } from '../../../shared/rosters/rows';
import {
  idNumber,
  rowOf,
  SCHOOL_A,
  SCHOOL_B,
  SETTINGS,
  seeded,
  shuffled,
} from '../../../test/fixtures/roster-rows';
import { type ComparisonSettings, createComparison, entryCutoffDate } from './classify';

function compare(rows: IntakeRow[], settings: Partial<ComparisonSettings> = {}) {
  const comparison = createComparison({ ...SETTINGS, ...settings });
  for (const row of rows) comparison.add(row);
  return comparison.finish();
}

function only(rows: IntakeRow[], settings: Partial<ComparisonSettings> = {}) {
  const outcome = compare(rows, settings);
  expect(outcome.results).toHaveLength(1);
  return outcome.results[0]!;
}

const kid = idNumber('2016-03-12', 11);
const other = idNumber('2015-05-01', 22);
const hh = (id: string, name = '张三', extra: Record<string, unknown> = {}) =>
  rowOf('household', id, { name, ...extra }, { uploadId: 'hh.csv', line: 5 });
const enrol = (id: string, school = SCHOOL_A, name = '张三', extra: Record<string, unknown> = {}) =>
  rowOf(
    'enrollment',
    id,
    { name, ...school, grade: '四年级', className: '2班', ...extra },
    { uploadId: 'xj.xlsx' },
  );
const count = (id: string, present: boolean, school = SCHOOL_A, name = '张三', line = 9) =>
  rowOf('headcount', id, { name, ...school, present }, { uploadId: 'zx.csv', line });

describe('the outcome of each child (四查三比对)', () => {
  it('is CONSISTENT when registered, enrolled and marked present — with school, place and evidence', () => {
    const r = only([hh(kid), enrol(kid), count(kid, true)]);
    expect(r).toMatchObject({
      idNumber: kid,
      maskedId: maskIdNumber(kid),
      childKey: `c_${kid}`,
      name: '张三',
      sex: 'M',
      birthDate: '2016-03-12',
      outcome: 'CONSISTENT',
      flags: [],
      school: '5301240001',
      schoolName: '富民县第一小学',
      grade: '四年级',
      className: '2班',
      presenceChecked: true,
    });
    expect(r.evidence).toEqual([
      { kind: 'household', uploadId: 'hh.csv', line: 5 },
      { kind: 'enrollment', uploadId: 'xj.xlsx', line: 2 },
      { kind: 'headcount', uploadId: 'zx.csv', line: 9 },
    ]);
    expect(r.reasons).toEqual([
      {
        zh: '学籍在富民县第一小学，在校清点名单标为在校',
        en: 'Enrolled at 富民县第一小学 and marked present in the head count',
      },
    ]);
  });

  it('is NOT_ENROLLED when only the household roster knows the child', () => {
    const r = only([hh(kid, '张三', { regionCode: '530124102005' })]);
    expect(r.outcome).toBe('NOT_ENROLLED');
    expect(r.school).toBeUndefined();
    expect(r.township).toBe('530124102');
    expect(r.presenceChecked).toBe(false);
    expect(r.reasons[0]!.zh).toContain('见于户籍名单');
    expect(r.reasons[0]!.en).toContain('in no uploaded enrollment roster');
  });

  it('is ENROLLED_ABSENT when the head count marks an enrolled child not present', () => {
    const r = only([hh(kid), enrol(kid), count(kid, false)]);
    expect(r.outcome).toBe('ENROLLED_ABSENT');
    expect(r.presenceChecked).toBe(true);
    expect(r.reasons[0]).toEqual({
      zh: '学籍在富民县第一小学，在校清点名单标为未到校',
      en: 'Enrolled at 富民县第一小学, marked not present in the head count',
    });
  });

  it("is ENROLLED_ABSENT when the school's head count leaves the enrolled child out", () => {
    const { results } = compare([
      hh(kid),
      enrol(kid),
      hh(other, '李四'),
      enrol(other, SCHOOL_A, '李四'),
      count(other, true, SCHOOL_A, '李四'),
    ]);
    const r = results.find((x) => x.idNumber === kid)!;
    expect(r.outcome).toBe('ENROLLED_ABSENT');
    expect(r.presenceChecked).toBe(true);
    expect(r.reasons[0]!.zh).toBe('学籍在富民县第一小学，但不在该校的在校清点名单上');
    expect(r.reasons[0]!.en).toContain("not on the school's head count");
  });

  it('is CONSISTENT with presence unchecked when the school uploaded no head count at all', () => {
    const { results, counts } = compare([
      hh(kid),
      enrol(kid, SCHOOL_B),
      hh(other, '李四'),
      enrol(other, SCHOOL_A, '李四'),
      count(other, true, SCHOOL_A, '李四'),
    ]);
    const r = results.find((x) => x.idNumber === kid)!;
    expect(r.outcome).toBe('CONSISTENT');
    expect(r.presenceChecked).toBe(false);
    expect(r.reasons[0]!.zh).toContain('该校未上传在校清点名单');
    expect(counts).toMatchObject({ CONSISTENT: 2, presenceUnchecked: 1 });
  });

  it('is PRESENT_UNENROLLED when the head count has the child present but no enrollment does', () => {
    const r = only([hh(kid), count(kid, true, SCHOOL_B)]);
    expect(r.outcome).toBe('PRESENT_UNENROLLED');
    expect(r.school).toBe('5301240002');
    expect(r.reasons[0]!.zh).toContain('在富民县第二小学的在校清点名单中标为在校');
  });

  it('is NOT_ENROLLED for a child known only from a head count that says not present', () => {
    const r = only([count(kid, false, SCHOOL_B)]);
    expect(r.outcome).toBe('NOT_ENROLLED');
    expect(r.school).toBe('5301240002');
    expect(r.reasons.map((x) => x.zh)).toEqual([
      '在富民县第二小学的在校清点名单中标为未到校，且上传的学籍名单中没有该生',
    ]);
  });

  it('is IDENTITY_MISMATCH when the same ID carries another name, but not for whitespace alone', () => {
    const mismatch = only([
      hh(kid, '张三'),
      enrol(kid, SCHOOL_A, '张山'),
      count(kid, true, SCHOOL_A, '张三'),
    ]);
    expect(mismatch.outcome).toBe('IDENTITY_MISMATCH');
    expect(mismatch.name).toBe('张三'); // the household's spelling is shown
    expect(mismatch.reasons[0]).toEqual({
      zh: '同一身份证号在不同名单中姓名不一致：户籍、在校清点为“张三”；学籍为“张山”',
      en: 'The same ID number carries different names: household, head count "张三"; enrollment "张山"',
    });
    const spaced = only([
      hh(kid, '张三'),
      enrol(kid, SCHOOL_A, '张\u3000三'),
      count(kid, true, SCHOOL_A, ' 张 三 '),
    ]);
    expect(spaced.outcome).toBe('CONSISTENT');
  });

  it('is IDENTITY_MISMATCH when rows give different birth dates or sexes', () => {
    const birth = only([
      hh(kid),
      { ...enrol(kid), record: { ...enrol(kid).record, birthDate: '2016-03-21' } },
    ]);
    expect(birth.outcome).toBe('IDENTITY_MISMATCH');
    expect(birth.reasons[0]!.zh).toBe('同一身份证号在不同名单中出生日期不一致：2016-03-12、2016-03-21');
    const sex = only([hh(kid), { ...enrol(kid), record: { ...enrol(kid).record, sex: 'F' } }]);
    expect(sex.outcome).toBe('IDENTITY_MISMATCH');
    expect(sex.reasons[0]!.en).toContain('different sex');
  });

  it('is DUPLICATE_ENROLLMENT when two schools have the child enrolled', () => {
    const r = only([hh(kid), enrol(kid, SCHOOL_B), enrol(kid, SCHOOL_A), count(kid, true)]);
    expect(r.outcome).toBe('DUPLICATE_ENROLLMENT');
    expect(r.school).toBe('5301240001'); // the first by code
    expect(r.reasons[0]).toEqual({
      zh: '在 2 所学校都有学籍：富民县第一小学、富民县第二小学',
      en: 'Enrolled at 2 schools: 富民县第一小学; 富民县第二小学',
    });
  });

  it('is not a duplicate when the same school is named once by code and once by name only', () => {
    const nameOnly = rowOf(
      'enrollment',
      kid,
      { name: '张三', schoolName: '富民县第一小学' },
      { uploadId: 'xj2.csv' },
    );
    const r = only([hh(kid), enrol(kid), nameOnly, count(kid, true)]);
    expect(r.outcome).toBe('CONSISTENT');
  });

  it('is DEFERRED when an approved 缓学/休学 covers the check date (open-ended too), not when it lapsed', () => {
    const deferral = (from: string, until?: string) =>
      rowOf(
        'deferral',
        kid,
        { name: '张三', type: 'DEFERRED', from, ...(until ? { until } : {}) },
        { uploadId: 'hx.csv' },
      );
    const covered = only([hh(kid), deferral('2025-09-01', '2026-08-31')]);
    expect(covered.outcome).toBe('DEFERRED');
    expect(covered.reasons[0]!.zh).toBe('已批准缓学（2025-09-01 至 2026-08-31），比对日 2025-09-08 在期限内');
    expect(covered.reasons).toHaveLength(1);
    expect(only([hh(kid), deferral('2025-09-08', '2025-09-08')]).outcome).toBe('DEFERRED');
    expect(only([hh(kid), deferral('2025-03-01')]).outcome).toBe('DEFERRED');
    const lapsed = only([hh(kid), deferral('2024-09-01', '2025-08-31')]);
    expect(lapsed.outcome).toBe('NOT_ENROLLED');
    expect(lapsed.reasons.map((x) => x.zh)).toContain(
      '缓学期限（2024-09-01 至 2025-08-31）不含比对日 2025-09-08',
    );
    expect(only([hh(kid), deferral('2025-09-09', '2026-08-31')]).outcome).toBe('NOT_ENROLLED');
  });
});

describe('precedence: IDENTITY_MISMATCH, then DUPLICATE_ENROLLMENT, then DEFERRED, then the rest', () => {
  const suspended = rowOf('deferral', kid, {
    name: '张三',
    type: 'SUSPENDED',
    from: '2025-09-01',
    until: '2026-01-31',
  });

  it('puts an identity mismatch above a duplicate enrollment and a deferral', () => {
    const r = only([hh(kid, '张三'), enrol(kid, SCHOOL_A, '张珊'), enrol(kid, SCHOOL_B), suspended]);
    expect(r.outcome).toBe('IDENTITY_MISMATCH');
  });

  it('puts a duplicate enrollment above a deferral', () => {
    expect(only([hh(kid), enrol(kid, SCHOOL_A), enrol(kid, SCHOOL_B), suspended]).outcome).toBe(
      'DUPLICATE_ENROLLMENT',
    );
  });

  it('puts a deferral above an enrolled child marked absent', () => {
    const r = only([hh(kid), enrol(kid), count(kid, false), suspended]);
    expect(r.outcome).toBe('DEFERRED');
    expect(r.reasons.map((x) => x.zh)).toEqual([
      '已批准休学（2025-09-01 至 2026-01-31），比对日 2025-09-08 在期限内',
      '学籍在富民县第一小学，在校清点名单标为未到校',
    ]);
  });
});

describe('the age window (适龄)', () => {
  it('takes a child born on the cut-off date six years earlier, not one born the day after', () => {
    const onCutoff = idNumber('2019-08-31', 1);
    const dayAfter = idNumber('2019-09-01', 3);
    const { results, counts } = compare([hh(onCutoff), hh(dayAfter)]);
    expect(results.map((r) => r.idNumber)).toEqual([onCutoff]);
    expect(counts.outOfWindow).toBe(1);
  });

  it('takes a child who is 15 on the check date, not one who turned 16', () => {
    const fifteen = idNumber('2009-09-09', 1); // 16 only tomorrow
    const sixteen = idNumber('2009-09-08', 3); // 16 today
    const { results, counts } = compare([hh(fifteen), hh(sixteen)]);
    expect(results.map((r) => r.idNumber)).toEqual([fifteen]);
    expect(counts.outOfWindow).toBe(1);
  });

  it('follows the region settings (minimum age, maximum age, cut-off)', () => {
    const born = idNumber('2019-09-15', 1);
    expect(compare([hh(born)], { entryCutoff: '09-30' }).results).toHaveLength(1);
    expect(compare([hh(idNumber('2009-09-08', 3))], { maxAge: 16 }).results).toHaveLength(1);
    expect(compare([hh(idNumber('2018-08-31', 3))], { minAge: 7 }).results).toHaveLength(1);
    expect(compare([hh(idNumber('2018-09-01', 3))], { minAge: 7 }).results).toHaveLength(0);
  });

  it("uses the cut-off of the school year the check date falls in (a March check uses last autumn's)", () => {
    expect(entryCutoffDate('2025-09-08', '08-31')).toBe('2025-08-31');
    expect(entryCutoffDate('2025-08-31', '08-31')).toBe('2025-08-31');
    expect(entryCutoffDate('2026-03-09', '08-31')).toBe('2025-08-31');
    expect(entryCutoffDate('2025-09-08', '09-30')).toBe('2025-09-30');
    const starts = compare([hh(idNumber('2019-09-01', 1)), hh(idNumber('2019-08-31', 3))], {
      asOf: '2026-03-09',
    });
    expect(starts.results.map((r) => r.birthDate)).toEqual(['2019-08-31']);
  });

  it('does not count a child born after the check date', () => {
    expect(compare([hh(idNumber('2025-10-01', 1))]).counts.outOfWindow).toBe(1);
  });
});

describe('flags', () => {
  it('marks a child enrolled and present here but in no residence roster as a migrant (随迁), still consistent', () => {
    const { results } = compare([hh(other, '李四'), enrol(kid), count(kid, true)]);
    const r = results.find((x) => x.idNumber === kid)!;
    expect(r.outcome).toBe('CONSISTENT');
    expect(r.flags).toEqual(['migrant']);
    expect(r.reasons.map((x) => x.en)).toContain(
      "Not in the region's household or other residence rosters: registered elsewhere (migrant child)",
    );
  });

  it('does not call anyone a migrant when no residence roster took part', () => {
    expect(only([enrol(kid), count(kid, true)]).flags).toEqual([]);
  });

  it('marks priority (脱贫/监测), disability, left-behind and boarding children', () => {
    const r = only([
      hh(kid),
      enrol(kid, SCHOOL_A, '张三', { boarding: true }),
      count(kid, true),
      rowOf('poverty', kid, { name: '张三', category: 'MARGINAL' }),
      rowOf('disability', kid, { name: '张三', category: 'HEARING', level: 3 }),
      rowOf('assistance', kid, { name: '张三', category: 'LEFT_BEHIND' }),
      rowOf('assistance', kid, { name: '张三', category: 'DIBAO' }, { line: 3 }),
    ]);
    expect(r.flags).toEqual(['priority', 'disability', 'left_behind', 'boarding']);
    expect(only([hh(kid), rowOf('assistance', kid, { name: '张三', category: 'DIBAO' })]).flags).toEqual([]);
  });

  it('counts a child only in a poverty roster as resident (not enrolled, not a migrant)', () => {
    const r = only([rowOf('poverty', kid, { name: '张三', category: 'UNSTABLE' })]);
    expect(r.outcome).toBe('NOT_ENROLLED');
    expect(r.flags).toEqual(['priority']);
  });
});

describe('evidence and schools', () => {
  it('lists every row that took part, once, in kind, upload and line order', () => {
    const r = only([
      count(kid, true, SCHOOL_A, '张三', 40),
      enrol(kid),
      hh(kid),
      count(kid, true, SCHOOL_A, '张三', 40), // delivered twice
      rowOf(
        'headcount',
        kid,
        { name: '张三', ...SCHOOL_A, present: true },
        { uploadId: 'zx-2.csv', line: 7 },
      ),
      rowOf('attendance', kid, { name: '张三', date: '2025-09-08', status: 'PRESENT' }),
    ]);
    expect(r.evidence).toEqual([
      { kind: 'household', uploadId: 'hh.csv', line: 5 },
      { kind: 'enrollment', uploadId: 'xj.xlsx', line: 2 },
      { kind: 'headcount', uploadId: 'zx-2.csv', line: 7 },
      { kind: 'headcount', uploadId: 'zx.csv', line: 40 },
    ]);
  });

  it('takes the school from the uploading school when the rows carry no school code', () => {
    const r = only([
      hh(kid),
      rowOf('enrollment', kid, { name: '张三' }, { org: '5301240009' }),
      rowOf('headcount', kid, { name: '张三', present: false }, { org: '5301240009' }),
    ]);
    expect(r).toMatchObject({ outcome: 'ENROLLED_ABSENT', school: '5301240009' });
  });

  it('resolves a school named without a code to the code written beside that name elsewhere', () => {
    const { results } = compare([
      hh(kid),
      rowOf('enrollment', kid, { name: '张三', schoolName: '富民县第一小学' }),
      hh(other, '李四'),
      enrol(other, SCHOOL_A, '李四'),
      count(other, true, SCHOOL_A, '李四'),
    ]);
    expect(results.find((r) => r.idNumber === kid)).toMatchObject({
      outcome: 'ENROLLED_ABSENT', // the school's head count leaves the child out
      school: '5301240001',
      schoolName: '富民县第一小学',
    });
  });

  it('sorts by school, then outcome, then ID; counts per outcome and per school add up', () => {
    const ids = [1, 3, 5, 7, 9].map((n) => idNumber('2014-02-02', n));
    const rows = [
      ...ids.map((id) => hh(id)),
      enrol(ids[0]!, SCHOOL_B),
      count(ids[0]!, true, SCHOOL_B),
      enrol(ids[1]!, SCHOOL_A),
      count(ids[1]!, false, SCHOOL_A),
      enrol(ids[2]!, SCHOOL_A),
      count(ids[2]!, true, SCHOOL_A),
      enrol(ids[3]!, SCHOOL_A),
      count(ids[3]!, true, SCHOOL_A),
    ];
    const { results, counts, bySchool } = compare(rows);
    expect(results.map((r) => [r.school ?? '', r.outcome, r.idNumber])).toEqual([
      ['5301240001', 'CONSISTENT', ids[2]],
      ['5301240001', 'CONSISTENT', ids[3]],
      ['5301240001', 'ENROLLED_ABSENT', ids[1]],
      ['5301240002', 'CONSISTENT', ids[0]],
      ['', 'NOT_ENROLLED', ids[4]],
    ]);
    expect(counts).toMatchObject({ CONSISTENT: 3, ENROLLED_ABSENT: 1, NOT_ENROLLED: 1, outOfWindow: 0 });
    expect(
      bySchool.map((s) => [
        s.school,
        s.schoolName,
        s.counts.CONSISTENT,
        s.counts.ENROLLED_ABSENT,
        s.counts.NOT_ENROLLED,
      ]),
    ).toEqual([
      ['5301240001', '富民县第一小学', 2, 1, 0],
      ['5301240002', '富民县第二小学', 1, 0, 0],
      ['', undefined, 0, 0, 1],
    ]);
  });

  it('never writes the full ID number into a reason', () => {
    const { results } = compare([
      hh(kid, '张三'),
      enrol(kid, SCHOOL_A, '张山'),
      enrol(kid, SCHOOL_B),
      count(kid, false),
    ]);
    for (const r of results)
      for (const reason of r.reasons) expect(`${reason.zh}${reason.en}`).not.toContain(kid);
  });
});

describe('recomputation', () => {
  it('gives identical results for the same rows in any order', () => {
    const random = seeded(7);
    const rows: IntakeRow[] = [];
    for (let n = 0; n < 300; n++) {
      const id = idNumber(`201${n % 10}-0${1 + (n % 9)}-1${n % 10}`, n);
      const school = n % 3 === 0 ? SCHOOL_A : SCHOOL_B;
      const name = `学生${n}`;
      if (n % 11 !== 0) rows.push(rowOf('household', id, { name }, { uploadId: 'hh.csv', line: n + 2 }));
      if (n % 7 !== 0)
        rows.push(
          rowOf(
            'enrollment',
            id,
            { name, ...school, grade: `${1 + (n % 9)}年级` },
            { uploadId: 'xj.xlsx', line: n + 2 },
          ),
        );
      if (n % 13 === 0)
        rows.push(
          rowOf(
            'enrollment',
            id,
            { name, ...SCHOOL_A, grade: '一年级' },
            { uploadId: 'xj-a.xlsx', line: n + 2 },
          ),
        );
      if (n % 5 !== 0)
        rows.push(
          rowOf(
            'headcount',
            id,
            { name: n % 17 === 0 ? `学 生${n}x` : name, ...school, present: n % 6 !== 0 },
            { uploadId: `zx-${school.schoolCode}.csv`, line: n + 2 },
          ),
        );
      if (n % 19 === 0)
        rows.push(
          rowOf(
            'deferral',
            id,
            { name, type: 'DEFERRED', from: '2025-09-01', until: '2026-08-31' },
            { uploadId: 'hx.csv', line: n + 2 },
          ),
        );
      if (n % 4 === 0)
        rows.push(rowOf('poverty', id, { name, category: 'UNSTABLE' }, { uploadId: 'p.csv', line: n + 2 }));
      if (n % 9 === 0)
        rows.push(
          rowOf('assistance', id, { name, category: 'LEFT_BEHIND' }, { uploadId: 'a.csv', line: n + 2 }),
        );
    }
    const first = compare(rows);
    expect(new Set(first.results.map((r) => r.outcome)).size).toBeGreaterThanOrEqual(6);
    for (let round = 0; round < 4; round++) {
      const again = compare(shuffled(rows, random));
      expect(again).toEqual(first);
    }
    expect(compare([...rows, ...shuffled(rows, random)])).toEqual(first); // every row delivered twice
  });
});

describe('settings', () => {
  it('refuses settings it cannot use', () => {
    expect(() => createComparison({ ...SETTINGS, asOf: '2025-02-30' })).toThrow(/asOf/);
    expect(() => createComparison({ ...SETTINGS, entryCutoff: '02-29' })).toThrow(/entryCutoff/);
    expect(() => createComparison({ ...SETTINGS, minAge: 16, maxAge: 15 })).toThrow(/minAge/);
    expect(() => createComparison({ ...SETTINGS, region: '5301' })).toThrow(/region/);
  });
});

describe('scale', () => {
  it('classifies 200,000 children from 600,000 rows in one pass (a benchmark, not timed)', () => {
    const comparison = createComparison(SETTINGS);
    const N = 200_000;
    const started = performance.now();
    for (let n = 0; n < N; n++) {
      const day = new Date(Date.UTC(2011, 0, 1) + (n % 3000) * 86_400_000).toISOString().slice(0, 10);
      const id = idNumber(day, Math.floor(n / 3000), '530124');
      const school = { schoolCode: String(5301240000 + (n % 120)), schoolName: `学校${n % 120}` };
      const name = `学生${n % 1000}`;
      const line = n + 2;
      if (n % 50 !== 1) comparison.add(rowOf('household', id, { name }, { uploadId: 'hh.csv', line }));
      if (n % 50 !== 2)
        comparison.add(
          rowOf('enrollment', id, { name, ...school, grade: '三年级' }, { uploadId: 'xj.csv', line }),
        );
      if (n % 50 !== 3)
        comparison.add(
          rowOf('headcount', id, { name, ...school, present: n % 25 !== 4 }, { uploadId: 'zx.csv', line }),
        );
    }
    const { results, counts } = comparison.finish();
    const seconds = (performance.now() - started) / 1000;
    const total = Object.values(counts).reduce((a, b) => a + b, 0) - counts.presenceUnchecked;
    expect(total).toBe(N);
    expect(results.length).toBe(N - counts.outOfWindow);
    expect(counts.ENROLLED_ABSENT).toBeGreaterThan(0);
    expect(seconds).toBeGreaterThan(0); // the duration is in the test report; bench/ has the figures
  }, 15_000);
});
