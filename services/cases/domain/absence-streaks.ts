/**
 * 连续旷课 — the attendance rule (docs/domain.md §3.2): a student with N or more consecutive working
 * days of unexcused absence (absent with no approved leave) becomes a suspected dropout. N is the
 * region's `absenceThreshold`, read as "at least N": 东川 2025 "3天及以上" → 3, 富民 2019
 * "连续超过3个工作日" → 4. Pure: records in, streaks out; the calendar is the shared China one.
 *
 * How a day is read, rule by rule (each has a test):
 * - Working days only. Weekends and public holidays neither count nor break a streak; a 调休 make-up
 *   working Saturday or Sunday counts like any school day. A record dated on a non-working day is
 *   ignored (a school that logs a holiday did not make it a school day), as is a record in a year the
 *   calendar does not cover (it cannot be placed) and a record after `asOf`.
 * - Unexcused: 旷课 (ABSENT_UNEXCUSED) always; 缺勤 without a recorded reason (ABSENT) and any leave —
 *   事假, 病假, or 请假 of no stated type — unless the row says the leave was approved
 *   (`leaveApproved: true`). Leave that is unapproved, pending or of unknown approval is "absent with
 *   no approved leave", so it counts.
 * - Excused: approved leave (or ABSENT with `leaveApproved: true`, an approved 请假条). It is not an
 *   unexcused absence and ENDS the streak.
 * - Present: PRESENT, LATE, LEFT_EARLY end the streak.
 * - A working day with no record for the student is not an absence, so it also ENDS the streak: the
 *   rule asks for consecutive working days each of which is an unexcused absence, and a day nobody
 *   recorded is not one. A school that did not record a day is the missing-record flag's business
 *   (attendance cut-off), not a reason to guess absences.
 * - Several records for the same student and day (two files, or an upload and a correction): the
 *   worst wins — unexcused over excused over present — so a 旷课 is never hidden by another row.
 *
 * Where the streak ends: "the streak on asOf" is counted back from the last working day ≤ asOf on which
 * the student's school recorded any attendance (the school of the student's latest record). A log that
 * ends on 2025-10-09 read as of 2025-10-10 therefore judges 10-09; a school that has not yet sent
 * 10-10 is judged on what it sent, and {@link lastRecordedDays} tells the caller which schools lag.
 */
import {
  type CalendarCoverage,
  calendarCoverage,
  isWorkingDay,
  type WorkingCalendar,
} from '../../../shared/calendar';
import { addDays } from '../../../shared/dates';
import { maskIdNumber } from '../../../shared/id-number';
import type { AttendanceStatus } from '../../../shared/rosters/records';

/** One attendance row: the ID number plus the fields of an `attendance` record the rule reads. */
export interface AttendanceDay {
  idNumber: string;
  name: string;
  date: string;
  status: AttendanceStatus;
  leaveApproved?: boolean;
  schoolCode?: string;
  schoolName?: string;
}

/** A student whose unexcused-absence streak on `asOf` reached the threshold. */
export interface AbsenceStreak {
  idNumber: string;
  maskedId: string;
  name: string;
  /** The school's name, else its code, else '' (from the student's latest record). */
  school: string;
  streakWorkingDays: number;
  /** First and last working day of the streak (YYYY-MM-DD). */
  firstAbsent: string;
  lastAbsent: string;
}

export interface AbsenceStreakOptions {
  /** The day the rule is run for (YYYY-MM-DD); records after it are ignored. */
  asOf: string;
  /** At least this many consecutive working days (region setting absenceThreshold, default 3). */
  threshold: number;
  calendar?: WorkingCalendar;
}

/** How one record reads for the rule. */
export type AttendanceDayKind = 'UNEXCUSED' | 'EXCUSED' | 'PRESENT';

const SEVERITY: Record<AttendanceDayKind, number> = { PRESENT: 0, EXCUSED: 1, UNEXCUSED: 2 };

/** Unexcused, excused (approved leave) or present — see the module comment. */
export function classifyAttendance(status: AttendanceStatus, leaveApproved?: boolean): AttendanceDayKind {
  switch (status) {
    case 'PRESENT':
    case 'LATE':
    case 'LEFT_EARLY':
      return 'PRESENT';
    case 'ABSENT_UNEXCUSED':
      return 'UNEXCUSED';
    case 'ABSENT':
    case 'PERSONAL_LEAVE':
    case 'SICK_LEAVE':
    case 'LEAVE':
      return leaveApproved === true ? 'EXCUSED' : 'UNEXCUSED';
  }
}

const schoolKeyOf = (r: AttendanceDay) => r.schoolCode ?? r.schoolName ?? '';
const schoolLabelOf = (r: AttendanceDay) => r.schoolName ?? r.schoolCode ?? '';

/** Records the rule can place: on a working day ≤ asOf, in a year the calendar covers. */
function usable(
  records: Iterable<AttendanceDay>,
  asOf: string,
  coverage: CalendarCoverage,
  calendar?: WorkingCalendar,
): AttendanceDay[] {
  const out: AttendanceDay[] = [];
  for (const r of records) {
    if (r.date > asOf) continue;
    const year = Number(r.date.slice(0, 4));
    if (year < coverage.firstYear || year > coverage.lastYear) continue;
    if (isWorkingDay(r.date, calendar)) out.push(r);
  }
  return out;
}

function checkAsOf(asOf: string, calendar?: WorkingCalendar): CalendarCoverage {
  isWorkingDay(asOf, calendar); // RangeError for a malformed date, CalendarNotCoveredError outside the data
  return calendarCoverage(calendar);
}

/**
 * The last working day ≤ asOf on which each school recorded any attendance, keyed by school code
 * (else name, else ''), with the school's display label. A school whose day is before the last
 * working day ≤ asOf has not sent its latest attendance.
 */
export function lastRecordedDays(
  records: Iterable<AttendanceDay>,
  { asOf, calendar }: { asOf: string; calendar?: WorkingCalendar },
): Map<string, { school: string; lastRecorded: string }> {
  const coverage = checkAsOf(asOf, calendar);
  const bySchool = new Map<string, { school: string; lastRecorded: string }>();
  for (const r of usable(records, asOf, coverage, calendar)) {
    const key = schoolKeyOf(r);
    const seen = bySchool.get(key);
    if (!seen || r.date > seen.lastRecorded)
      bySchool.set(key, { school: schoolLabelOf(r), lastRecorded: r.date });
  }
  return bySchool;
}

/**
 * One entry per student whose unexcused-absence streak on `asOf` is at least `threshold` working
 * days, ordered by school (code, else name; compared code unit by code unit, so the same on every
 * machine), then ID number. Throws RangeError for a malformed `asOf` or a threshold
 * that is not a whole number ≥ 1, and CalendarNotCoveredError when `asOf` is outside the calendar.
 */
export function computeAbsenceStreaks(
  records: Iterable<AttendanceDay>,
  { asOf, threshold, calendar }: AbsenceStreakOptions,
): AbsenceStreak[] {
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new RangeError(
      `The threshold must be a whole number ≥ 1, got ${threshold} / 阈值应为不小于 1 的整数`,
    );
  }
  const coverage = checkAsOf(asOf, calendar);
  const rows = usable(records, asOf, coverage, calendar);
  const schoolDay = lastRecordedDays(rows, { asOf, calendar });

  const students = new Map<string, { latest: AttendanceDay; days: Map<string, AttendanceDayKind> }>();
  for (const r of rows) {
    const kind = classifyAttendance(r.status, r.leaveApproved);
    const student = students.get(r.idNumber);
    if (!student) {
      students.set(r.idNumber, { latest: r, days: new Map([[r.date, kind]]) });
      continue;
    }
    if (r.date >= student.latest.date) student.latest = r;
    const before = student.days.get(r.date);
    if (before === undefined || SEVERITY[kind] > SEVERITY[before]) student.days.set(r.date, kind);
  }

  const streaks: (AbsenceStreak & { schoolKey: string })[] = [];
  for (const [idNumber, { latest, days }] of students) {
    const end = schoolDay.get(schoolKeyOf(latest))?.lastRecorded;
    if (end === undefined) continue;
    let count = 0;
    let first = end;
    for (let day: string | undefined = end; day !== undefined && days.get(day) === 'UNEXCUSED'; ) {
      count++;
      first = day;
      day = previousWorkingDay(day, coverage, calendar);
    }
    if (count >= threshold) {
      streaks.push({
        schoolKey: schoolKeyOf(latest),
        idNumber,
        maskedId: maskIdNumber(idNumber),
        name: latest.name,
        school: schoolLabelOf(latest),
        streakWorkingDays: count,
        firstAbsent: first,
        lastAbsent: end,
      });
    }
  }
  return streaks
    .sort((a, b) =>
      a.schoolKey !== b.schoolKey ? (a.schoolKey < b.schoolKey ? -1 : 1) : a.idNumber < b.idNumber ? -1 : 1,
    )
    .map(({ schoolKey: _, ...streak }) => streak);
}

/** The working day before `date`, or undefined once the walk would leave the calendar's years. */
function previousWorkingDay(
  date: string,
  coverage: CalendarCoverage,
  calendar?: WorkingCalendar,
): string | undefined {
  let day = date;
  do {
    day = addDays(day, -1);
    if (Number(day.slice(0, 4)) < coverage.firstYear) return undefined;
  } while (!isWorkingDay(day, calendar));
  return day;
}
