import { describe, expect, it } from 'vitest';
import { regionSettingsSchema } from '../../../shared/region-settings';
import { threeLineReports } from './three-line-report';
import { openCase } from './transitions';

const rules = regionSettingsSchema.parse({}).cases;

function opened(householdCounty?: string) {
  return openCase({
    caseId: `case-${'a'.repeat(32)}-1`,
    region: '530124',
    child: { childKey: `c_${'a'.repeat(32)}`, maskedId: '5301**********0061' },
    name: '李四',
    school: '2153012401',
    householdCounty,
    priority: false,
    signal: {
      source: 'ATTENDANCE',
      receivedOn: '2025-10-09',
      signalId: 's1',
      streak: { days: 3, firstAbsent: '2025-09-29', lastAbsent: '2025-10-09' },
      evidence: [],
    },
    actor: { role: 'ops', org: '530124' },
    now: '2025-10-09T08:00:00.000Z',
    today: '2025-10-09',
    rules,
  });
}

describe('三线报告', () => {
  it('produces the three lines when a case opens, with the absence and no name for masked roles', () => {
    const reports = threeLineReports(opened(), { full: false });
    expect(reports.map((r) => [r.line, r.producedOn, r.acknowledgedOn])).toEqual([
      ['PROVINCE_PLATFORM', '2025-10-09', undefined],
      ['TOWNSHIP', '2025-10-09', undefined],
      ['COUNTY_BUREAU', '2025-10-09', undefined],
    ]);
    expect(reports[0]!.content).toMatchObject({
      maskedId: '5301**********0061',
      absence: { days: 3, firstAbsent: '2025-09-29' },
      sourceZh: '考勤发现（连续缺勤）',
    });
    expect(reports[0]!.content.name).toBeUndefined();
    expect(threeLineReports(opened(), { full: true })[0]!.content.name).toBe('李四');
  });

  it('adds a notice to the 户籍 county for a child registered elsewhere', () => {
    expect(threeLineReports(opened('530124'), { full: true })).toHaveLength(3);
    const reports = threeLineReports(opened('530381'), { full: true });
    expect(reports).toHaveLength(4);
    expect(reports[3]).toMatchObject({
      line: 'HOUSEHOLD_COUNTY',
      recipientZh: '户籍所在县（530381）教育行政部门',
    });
  });
});
