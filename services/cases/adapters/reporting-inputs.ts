/**
 * What the ledgers and statistics read besides the cases: the children of the latest comparison
 * (适龄儿童台账) and the pupils of the current 学籍 rosters of a term (在校生数, school-year changes,
 * 巩固率). Both are owned by other services and only read here.
 */
import type { EnrollmentRecord } from '../../../shared/rosters/records';
import { gradeNumber } from '../../../shared/rosters/values';
import { comparisonResultPages, latestComparison } from '../../comparison/port';
import { listCurrentRosters, rowPages } from '../../roster-intake/port';
import type { AgeCohortRow } from '../domain/ledgers';

/** A 学籍 pupil with the grade as a number (1–9) when the roster says it. */
export interface EnrolledPupil {
  childKey: string;
  school: string;
  schoolName?: string;
  grade?: number;
}

const SCHOOL = /^\d{10}$/;

export async function latestAgeCohort(region: string): Promise<AgeCohortRow[]> {
  const run = await latestComparison(region);
  if (!run) return [];
  const rows: AgeCohortRow[] = [];
  for await (const page of comparisonResultPages(run.id)) {
    for (const r of page) {
      rows.push({
        childKey: r.childKey,
        maskedId: r.maskedId,
        idNumber: r.idNumber,
        name: r.name,
        school: r.school,
        schoolName: r.schoolName,
        township: r.township,
        outcome: r.outcome,
        evidence: r.evidence.map((e) => ({ uploadId: e.uploadId, line: e.line })),
      });
    }
  }
  return rows;
}

/** The pupils of the term's current 学籍 rosters (a county-wide export counts each school's rows). */
export async function enrolledPupils(term: string): Promise<EnrolledPupil[]> {
  const rosters = (await listCurrentRosters(term)).filter((r) => r.kind === 'enrollment');
  const pupils: EnrolledPupil[] = [];
  for (const roster of rosters) {
    for await (const page of rowPages(roster.uploadId)) {
      for (const row of page) {
        const r = row.record as unknown as EnrollmentRecord;
        const school = r.schoolCode ?? (SCHOOL.test(row.org) ? row.org : undefined);
        if (!school) continue;
        pupils.push({
          childKey: row.childKey,
          school,
          schoolName: r.schoolName,
          grade: r.grade ? gradeNumber(r.grade) : undefined,
        });
      }
    }
  }
  return pupils;
}
