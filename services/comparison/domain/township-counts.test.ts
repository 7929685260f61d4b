import { describe, expect, it } from 'vitest';
import type { ChildResult } from './classify';
import { countByTownship } from './township-counts';

let seq = 0;
const result = (outcome: ChildResult['outcome'], township?: string, school?: string): ChildResult => ({
  idNumber: '530124201403030011',
  maskedId: '5301**********0011',
  childKey: `k-${++seq}`,
  name: '某',
  birthDate: '2014-03-03',
  outcome,
  flags: [],
  school,
  schoolName: school ? `学校${school}` : undefined,
  township,
  presenceChecked: true,
  evidence: [],
  reasons: [],
});

describe('countByTownship — 乡镇汇总', () => {
  it("counts a shared school's children separately for each township", () => {
    const byTownship = countByTownship([
      result('CONSISTENT', '530124100', '2153012401'),
      result('ENROLLED_ABSENT', '530124100', '2153012401'),
      result('CONSISTENT', '530124101', '2153012401'),
      result('NOT_ENROLLED', '530124101'),
      result('CONSISTENT', undefined, '2153012402'),
    ]);
    expect(byTownship.map((t) => t.township)).toEqual(['530124100', '530124101']);
    const [first, second] = byTownship;
    expect(first!.counts).toMatchObject({ CONSISTENT: 1, ENROLLED_ABSENT: 1, NOT_ENROLLED: 0 });
    expect(first!.bySchool).toEqual([
      expect.objectContaining({ school: '2153012401', counts: expect.objectContaining({ CONSISTENT: 1 }) }),
    ]);
    expect(second!.bySchool.map((s) => [s.school, s.counts.CONSISTENT, s.counts.NOT_ENROLLED])).toEqual([
      ['2153012401', 1, 0],
      ['', 0, 1],
    ]);
  });

  it('puts no child without a township into any township', () => {
    expect(countByTownship([result('CONSISTENT', undefined, '2153012402')])).toEqual([]);
  });
});
