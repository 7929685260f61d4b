/**
 * 三线报告 — the reports a suspected dropout calls for (docs/domain.md §3.4): the province platform
 * (云南省政府救助平台 控辍保学 port), a written report to the township government and one to the county
 * education bureau; for a child whose 户籍 is in another county, a notice from this county's bureau to
 * that county's. The system produces them when the case opens (one structured record per line) and marks
 * a line done when it is acknowledged (ACKNOWLEDGE_REPORT).
 */
import { CASE_STATE_NAMES_ZH, SUSPICION_SOURCE_NAMES_ZH } from '../../../shared/events/vocab';
import { type CaseRecord, REPORT_LINE_NAMES_ZH, type ReportLine } from './case';

export interface ThreeLineReport {
  line: ReportLine | 'HOUSEHOLD_COUNTY';
  /** Who receives it. */
  recipientZh: string;
  producedOn: string;
  acknowledgedOn?: string;
  /** The report's content: what a 辍学情况报告单 states (the name only for roles that see it). */
  content: {
    caseId: string;
    maskedId: string;
    name?: string;
    school?: string;
    schoolName?: string;
    township?: string;
    householdCounty?: string;
    openedOn: string;
    sourceZh: string;
    absence?: { days: number; firstAbsent: string; lastAbsent: string };
    stateZh: string;
  };
}

const LINES: readonly ReportLine[] = ['PROVINCE_PLATFORM', 'TOWNSHIP', 'COUNTY_BUREAU'];

/** Whether the child's 户籍 lies in another county than the one working the case. */
export function isNonLocal(record: CaseRecord): boolean {
  return record.householdCounty !== undefined && record.householdCounty !== record.region;
}

export function threeLineReports(record: CaseRecord, { full }: { full: boolean }): ThreeLineReport[] {
  const first = record.signals[0];
  const content: ThreeLineReport['content'] = {
    caseId: record.caseId,
    maskedId: record.child.maskedId,
    name: full ? record.name : undefined,
    school: record.school,
    schoolName: record.schoolName,
    township: record.township,
    householdCounty: record.householdCounty,
    openedOn: record.openedOn,
    sourceZh: SUSPICION_SOURCE_NAMES_ZH[record.source],
    absence: record.signals.find((s) => s.streak)?.streak,
    stateZh: CASE_STATE_NAMES_ZH[record.state],
  };
  const reports: ThreeLineReport[] = LINES.map((line) => ({
    line,
    recipientZh: REPORT_LINE_NAMES_ZH[line],
    producedOn: record.threeLineReport[line]?.producedOn ?? first?.receivedOn ?? record.openedOn,
    acknowledgedOn: record.threeLineReport[line]?.acknowledgedOn,
    content,
  }));
  if (isNonLocal(record)) {
    reports.push({
      line: 'HOUSEHOLD_COUNTY',
      recipientZh: `户籍所在县（${record.householdCounty}）教育行政部门`,
      producedOn: record.threeLineReport.COUNTY_BUREAU?.producedOn ?? record.openedOn,
      content,
    });
  }
  return reports;
}
