import { describe, expect, it } from 'vitest';
import { idNumber, rowOf, SCHOOL_A, SCHOOL_B } from '../../../test/fixtures/roster-rows';
import { determineSubsidies, type SchoolInfo } from './determine';
import { nationalBaseline } from './policies/national-baseline';
import { totalsView } from './totals-view';

const schools = new Map<string, SchoolInfo>([
  [SCHOOL_A.schoolCode, { rural: true, township: '530124100' }],
  [SCHOOL_B.schoolCode, { rural: true, township: '530124101' }],
]);
const pupil = (birth: string, seq: number, school: typeof SCHOOL_A) =>
  rowOf('enrollment', idNumber(birth, seq), { name: '学生', ...school, grade: '三年级', boarding: false });

const { totals } = determineSubsidies({
  policy: nationalBaseline,
  semester: '2025-autumn',
  schools,
  rows: [
    pupil('2016-03-12', 11, SCHOOL_A),
    pupil('2016-04-12', 13, SCHOOL_A),
    pupil('2016-05-12', 15, SCHOOL_B),
  ],
});
const stored = {
  byBenefit: totals.byBenefit,
  byTownship: totals.byTownship,
  amountFen: totals.amountFen,
  heldFen: totals.heldFen,
};

describe('totals in the caller’s scope', () => {
  it('gives the county everything, in 分 and in 元', () => {
    const view = totalsView(stored, totals.bySchool, { kind: 'region', prefix: '530124' });
    expect(view).toMatchObject({ amountFen: 150_000, amountYuan: '1500.00', heldYuan: '0.00' });
    expect(view.bySchool.map((s) => [s.school, s.amountYuan])).toEqual([
      [SCHOOL_A.schoolCode, '1000.00'],
      [SCHOOL_B.schoolCode, '500.00'],
    ]);
    expect(view.byTownship).toHaveLength(2);
    expect(view.byBenefit.find((b) => b.benefit === 'NUTRITION_MEAL')).toMatchObject({
      amountYuan: '1500.00',
    });
  });

  it('gives a school its own figures only, and zeros to a school that pays nothing', () => {
    const view = totalsView(stored, totals.bySchool, { kind: 'school', school: SCHOOL_B.schoolCode });
    expect(view).toMatchObject({ amountFen: 50_000, byTownship: [] });
    expect(view.bySchool.map((s) => s.school)).toEqual([SCHOOL_B.schoolCode]);
    const none = totalsView(stored, totals.bySchool, { kind: 'school', school: '5301249999' });
    expect(none).toMatchObject({ amountFen: 0, bySchool: [], byTownship: [] });
    expect(none.byBenefit.every((b) => b.amountFen === 0 && b.eligible === 0)).toBe(true);
  });

  it('gives a township its own row and its schools', () => {
    const view = totalsView(stored, totals.bySchool, { kind: 'township', township: '530124100' });
    expect(view.amountFen).toBe(100_000);
    expect(view.bySchool.map((s) => s.school)).toEqual([SCHOOL_A.schoolCode]);
    expect(view.byTownship.map((t) => t.township)).toEqual(['530124100']);
  });
});
