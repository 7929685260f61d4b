import { describe, expect, it } from 'vitest';
import { idNumber, rowOf, SCHOOL_A, SCHOOL_B } from '../../../test/fixtures/roster-rows';
import { asPrevious, type Binding, carryBindings } from './bindings';
import { determineSubsidies, type SubsidyDecision, type SubsidyRow } from './determine';
import { nationalBaseline } from './policies/national-baseline';

const id = idNumber('2016-03-12', 11);
const BOARDING = 'BOARDING_LIVING_ALLOWANCE';
const at = (school: typeof SCHOOL_A, uploadId: string): SubsidyRow[] => [
  rowOf('enrollment', id, { name: '学生', ...school, grade: '三年级', boarding: true }, { uploadId }),
  rowOf('assistance', id, { name: '学生', category: 'DIBAO' }, { uploadId: '低保.csv', line: 4 }),
];

/** One run of the service: the engine given the previous run's bindings, and the bindings it leaves. */
function serviceRun(rows: SubsidyRow[], previous: Binding[], openCases: string[] = []) {
  const result = determineSubsidies({
    policy: nationalBaseline,
    semester: '2025-autumn',
    rows,
    openCases,
    previous: asPrevious(previous),
  });
  const boarding = result.decisions.find((d) => d.benefit === BOARDING)!;
  return { boarding, bindings: carryBindings(previous, result.decisions) };
}

describe('bindings — who pays this semester, carried from run to run', () => {
  it('keeps the first school paying after a transfer, even across a run in which the child was held', () => {
    const first = serviceRun(at(SCHOOL_A, 'a.csv'), []);
    expect(first.boarding).toMatchObject({
      status: 'ELIGIBLE',
      amountFen: 50_000,
      payerSchool: SCHOOL_A.schoolCode,
    });

    // Transferred to B with an open dropout case: held, and the binding to A is not given up.
    const held = serviceRun(at(SCHOOL_B, 'b.csv'), first.bindings, [`c_${id}`]);
    expect(held.boarding.status).toBe('ON_HOLD');
    expect(held.bindings.find((b) => b.benefit === BOARDING)?.payerSchool).toBe(SCHOOL_A.schoolCode);

    // Back at school in B: A still pays, B does not pay again.
    const third = serviceRun(at(SCHOOL_B, 'b.csv'), held.bindings);
    expect(third.boarding).toMatchObject({
      status: 'ELIGIBLE',
      amountFen: 50_000,
      school: SCHOOL_B.schoolCode,
      payerSchool: SCHOOL_A.schoolCode,
    });
    expect(third.boarding.reason.code).toBe('PAID_BY_PREVIOUS_SCHOOL');
  });

  it('keeps a binding for a child missing from a run, and drops it when the paying school decides no', () => {
    const first = serviceRun(at(SCHOOL_A, 'a.csv'), []);
    const missing = serviceRun([], first.bindings);
    expect(missing.bindings).toEqual(first.bindings);

    // Still at A, the 低保 row gone: A re-decides INELIGIBLE, so a later school is not bound to pay nothing.
    const enrollmentOnly = at(SCHOOL_A, 'a.csv').slice(0, 1);
    const ineligible = serviceRun(enrollmentOnly, first.bindings);
    expect(ineligible.boarding.status).toBe('INELIGIBLE');
    expect(ineligible.bindings.find((b) => b.benefit === BOARDING)).toBeUndefined();
  });

  it('binds one payment per child and benefit', () => {
    const d = (payerSchool: string, amountFen: number) =>
      ({ childKey: 'c_x', benefit: BOARDING, status: 'ELIGIBLE', amountFen, payerSchool }) as SubsidyDecision;
    expect(carryBindings([d('A', 1)], [d('B', 2)])).toEqual([
      { childKey: 'c_x', benefit: BOARDING, amountFen: 2, payerSchool: 'B', payerSchoolName: undefined },
    ]);
  });
});
