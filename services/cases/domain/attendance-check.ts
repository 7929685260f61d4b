/**
 * 每日考勤核查 — the daily run of the attendance rule for a region (东川 2025 §二(三)): students whose
 * unexcused-absence streak reached the threshold become suspected dropouts, and schools that had not
 * recorded the day's attendance by the cut-off are flagged. Pure: rows in, events out.
 */
import { isWorkingDay, type WorkingCalendar } from '../../../shared/calendar';
import { addDays } from '../../../shared/dates';
import { deriveEventId } from '../../../shared/events/envelope';
import type { EventDetail } from '../../../shared/events/publishable';
import { type AttendanceDay, computeAbsenceStreaks } from './absence-streaks';

/** How far back the rule reads (calendar days): a streak of about 30 working days, past any threshold. */
export const LOOKBACK_DAYS = 45;

export function lookbackStart(asOf: string): string {
  return addDays(asOf, -LOOKBACK_DAYS);
}

/** An attendance row with the child's pseudonym and where it came from (roster upload and line). */
export type CheckedAttendance = AttendanceDay & {
  childKey: string;
  evidence: { uploadId: string; line: number };
};

export interface AttendanceCheckInput {
  region: string;
  asOf: string;
  threshold: number;
  rows: Iterable<CheckedAttendance>;
  /** Schools that must record every working day (those with a current 学籍 roster). */
  expectedSchools: Iterable<string>;
  at: string;
  calendar?: WorkingCalendar;
}

export interface AttendanceCheckResult {
  suspected: Extract<EventDetail<'dropout.suspected'>, { source: 'ATTENDANCE' }>[];
  missing: EventDetail<'attendance.missing'>[];
}

const SCHOOL = /^\d{10}$/;

export function runAttendanceCheck(input: AttendanceCheckInput): AttendanceCheckResult {
  const { region, asOf, at, calendar } = input;
  const rows = [...input.rows];
  const byId = new Map<string, CheckedAttendance>();
  const recordedToday = new Set<string>();
  for (const r of rows) {
    const seen = byId.get(r.idNumber);
    // The latest row that names the child (a stored present day keeps only the ID number).
    if (!seen || (r.childKey !== '' && (r.date >= seen.date || seen.childKey === '')))
      byId.set(r.idNumber, r);
    if (r.date === asOf && r.schoolCode) recordedToday.add(r.schoolCode);
  }

  const suspected: AttendanceCheckResult['suspected'] = [];
  for (const streak of computeAbsenceStreaks(rows, { asOf, threshold: input.threshold, calendar })) {
    const latest = byId.get(streak.idNumber)!;
    suspected.push({
      schemaVersion: 1,
      // One signal per streak: the same streak seen again on a later day keeps its id.
      eventId: deriveEventId('dropout.suspected', latest.childKey, 'ATTENDANCE', streak.firstAbsent),
      occurredAt: at,
      region,
      child: { childKey: latest.childKey, maskedId: streak.maskedId },
      school: latest.schoolCode && SCHOOL.test(latest.schoolCode) ? latest.schoolCode : undefined,
      priority: false,
      asOf,
      source: 'ATTENDANCE',
      streak: {
        days: streak.streakWorkingDays,
        firstAbsent: streak.firstAbsent,
        lastAbsent: streak.lastAbsent,
      },
      evidence: rows
        .filter(
          (r) =>
            r.idNumber === streak.idNumber && r.date >= streak.firstAbsent && r.date <= streak.lastAbsent,
        )
        .map((r) => r.evidence)
        .slice(0, 50),
    });
  }

  const missing: EventDetail<'attendance.missing'>[] = [];
  if (isWorkingDay(asOf, calendar)) {
    for (const school of [...new Set(input.expectedSchools)].sort()) {
      if (recordedToday.has(school)) continue;
      missing.push({
        schemaVersion: 1,
        eventId: deriveEventId('attendance.missing', school, asOf),
        occurredAt: at,
        region,
        school,
        date: asOf,
      });
    }
  }
  return { suspected, missing };
}
