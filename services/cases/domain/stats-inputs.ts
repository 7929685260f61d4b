/**
 * The roster-based inputs of the statistics, from the 学籍 rosters the system holds:
 * - 在校生数: the period's term;
 * - the school-year table (转入, 转出, 毕业): the autumn roster against the spring roster of the year;
 * - 巩固率 (docs/domain.md §6.4): this year's 九年级 against the 一年级 of the autumn eight years earlier — known
 *   only once the system holds that roster; until then the rate is left empty, never estimated.
 */

import {
  type ConsolidationCohort,
  type EnrollmentCount,
  enrollmentCounts,
  type RosterPupil,
  type SchoolYearInput,
  schoolYearChangesFromRosters,
} from './stats';
import type { StatsPeriodSpec } from './stats-period';

export interface GradedPupil {
  childKey: string;
  school: string;
  schoolName?: string;
  /** 1–9 when the roster gives the grade. */
  grade?: number;
}

const toRosterPupil = (p: GradedPupil): RosterPupil => ({
  childKey: p.childKey,
  school: p.school,
  schoolName: p.schoolName,
  // 小学 ends with 六年级 and 初中 with 九年级; a 九年一贯制 school's 六年级 moves on inside it, which the
  // end roster then shows as staying, so it is not counted as leaving.
  graduating: p.grade === 6 || p.grade === 9,
});

export async function statsInputs(
  period: StatsPeriodSpec,
  pupils: (term: string) => Promise<GradedPupil[]>,
  unit: string,
): Promise<{
  enrollment?: EnrollmentCount[];
  schoolYear?: SchoolYearInput;
  cohorts?: ConsolidationCohort[];
}> {
  const current = await pupils(period.term);
  const sy = period.schoolYear;
  const [start, end, firstGrade] = await Promise.all([
    pupils(`${sy}-autumn`),
    pupils(`${sy + 1}-spring`),
    pupils(`${sy - 8}-autumn`),
  ]);
  const from = `${sy}-09-01`;
  const to = `${sy + 1}-08-31`;
  const graduating = current.filter((p) => p.grade === 9).length;
  const enteredGradeOne = firstGrade.filter((p) => p.grade === 1).length;
  return {
    enrollment: current.length > 0 ? enrollmentCounts(current.map(toRosterPupil)) : undefined,
    schoolYear:
      start.length > 0 && end.length > 0
        ? {
            from,
            to,
            changes: schoolYearChangesFromRosters({
              from,
              to,
              start: start.map(toRosterPupil),
              end: end.map(toRosterPupil),
            }),
          }
        : undefined,
    cohorts:
      enteredGradeOne > 0 ? [{ unit, graduationYear: sy + 1, graduating, enteredGradeOne }] : undefined,
  };
}
