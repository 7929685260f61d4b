import { z } from 'zod';
import { canAccess, coversRegion } from '../../../shared/authz';
import { childKeyer } from '../../../shared/aws/pseudonym-secret';
import { publishEvents } from '../../../shared/aws/publish';
import { listWorkingDays } from '../../../shared/calendar';
import { localDateSchema } from '../../../shared/events/envelope';
import { parseIdNumber } from '../../../shared/id-number';
import { schoolCodeSchema } from '../../../shared/org';
import { attendanceStatusSchema } from '../../../shared/rosters/records';
import { badRequest, forbidden } from '../../../shared/runtime/errors';
import { httpHandler, reply } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { scheduledHandler as scheduled } from '../../../shared/runtime/scheduled';
import { defaultPeriod } from '../../../shared/term';
import {
  enrolledSchools,
  putSchoolDay,
  recordedDays,
  rosterAttendance,
  type StoredAttendance,
} from '../adapters/attendance-repo';
import { flowContextFromEnv } from '../adapters/case-flow';
import { latestCaseOfChild } from '../adapters/cases-repo';
import { lookbackStart, runAttendanceCheck } from '../domain/attendance-check';

const observability = createObservability('cases');
const { logger, metrics } = observability;

const schoolDaySchema = z.strictObject({
  /** The school whose day this is (default: the caller's own school). */
  school: schoolCodeSchema.optional(),
  date: localDateSchema,
  records: z
    .array(
      z.strictObject({
        idNumber: z.string().min(1).max(40),
        name: z.string().trim().min(1).max(50),
        status: attendanceStatusSchema,
        leaveApproved: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(5000),
});

/**
 * POST /attendance — a school records one day's attendance (every pupil, 东川 2025 §二(三)3: by 15:00).
 * Sending the day again replaces it. Every row is checked first; one bad ID number refuses the day
 * with the list of rows to fix, and nothing is stored.
 */
export const recordHandler = httpHandler({
  observability,
  roles: ['school', 'county'],
  input: { body: schoolDaySchema },
  handle: async ({ caller, body }) => {
    const ctx = flowContextFromEnv();
    const school = body.school ?? (caller.role === 'school' ? caller.org : undefined);
    if (!school)
      throw badRequest('SCHOOL_REQUIRED', {
        zh: '请在 school 字段填写学校标识码（10 位）。',
        en: 'Give the school (its 10-digit 学校标识码) in the school field.',
      });
    // A school records its own days; a bureau covering the region any school's. School codes do not say
    // which township a school is in, so a township cannot be checked against the school and records none.
    const allowed =
      caller.role === 'school'
        ? canAccess(caller, { region: ctx.region, school })
        : coversRegion(caller, ctx.region)
          ? { allowed: true as const }
          : canAccess(caller, { region: ctx.region, school });
    if (!allowed.allowed) throw forbidden(allowed.reason.code, allowed.reason);
    if (body.date > ctx.today())
      throw badRequest('DATE_IN_FUTURE', {
        zh: `考勤日期 ${body.date} 晚于今天，不能预先登记。`,
        en: `The attendance date ${body.date} is after today; a day cannot be recorded in advance.`,
      });
    const keyOf = await childKeyer();
    const problems: { row: number; zh: string; en: string }[] = [];
    const rows: StoredAttendance[] = [];
    body.records.forEach((r, i) => {
      const id = parseIdNumber(r.idNumber, { today: ctx.today() });
      if (!id.ok) {
        problems.push({
          row: i + 1,
          zh: `第 ${i + 1} 条：${id.error.zh}`,
          en: `Record ${i + 1}: ${id.error.en}`,
        });
        return;
      }
      rows.push({
        idNumber: id.id,
        childKey: keyOf(id.id),
        name: r.name,
        date: body.date,
        status: r.status,
        leaveApproved: r.leaveApproved,
        schoolCode: school,
        evidence: { uploadId: `att-${school}-${body.date}`, line: i + 1 },
      });
    });
    if (problems.length > 0)
      throw badRequest(
        'INVALID_RECORDS',
        {
          zh: `${problems.length} 条记录有误，整天的考勤未保存；请改正后重新提交。`,
          en: `${problems.length} record(s) are invalid; the day was not stored. Fix them and send the day again.`,
        },
        problems.slice(0, 100),
      );
    const { replaced } = await putSchoolDay(ctx.region, {
      school,
      date: body.date,
      rows,
      recordedAt: ctx.now().toISOString(),
      recordedBy: caller.sub,
    });
    return reply(replaced ? 200 : 201, { school, date: body.date, records: rows.length, replaced });
  },
});

/**
 * Runs the attendance rule for a day: reads the window's attendance, publishes dropout.suspected for
 * new streaks (the cases consumer opens the cases) and attendance.missing for schools without a
 * record. Safe to run twice: events keep their ids and a streak already on a case is not sent again.
 */
async function checkAttendance(asOf: string) {
  const ctx = flowContextFromEnv();
  const from = lookbackStart(asOf);
  const dates = listWorkingDays(from, asOf, ctx.calendar);
  const rows: StoredAttendance[] = [];
  for await (const day of recordedDays(ctx.region, from, asOf)) rows.push(...day.rows);
  for await (const row of rosterAttendance(dates)) rows.push(row);
  const expected = await enrolledSchools(defaultPeriod(asOf));
  const result = runAttendanceCheck({
    region: ctx.region,
    asOf,
    threshold: ctx.settings.absenceThreshold,
    rows,
    expectedSchools: expected,
    at: ctx.now().toISOString(),
    calendar: ctx.calendar,
  });
  const fresh = [];
  for (const detail of result.suspected) {
    const latest = await latestCaseOfChild(detail.child.childKey);
    if (!latest?.record.signals.some((s) => s.signalId === detail.eventId)) fresh.push(detail);
  }
  await publishEvents([
    ...fresh.map((detail) => ({ detailType: 'dropout.suspected' as const, detail })),
    ...result.missing.map((detail) => ({ detailType: 'attendance.missing' as const, detail })),
  ]);
  metrics.addMetric('AttendanceStreaks', 'Count', fresh.length);
  metrics.addMetric('AttendanceMissing', 'Count', result.missing.length);
  logger.info('attendance checked', {
    asOf,
    rows: rows.length,
    streaks: result.suspected.length,
    newSignals: fresh.length,
    missingSchools: result.missing.length,
  });
  return {
    asOf,
    streaks: result.suspected.length,
    newSignals: fresh.length,
    missingSchools: result.missing.map((m) => m.school),
  };
}

/** The daily schedule (at the region's cut-off time, every day; the rule itself skips non-working days). */
export const scheduledHandler = scheduled({
  observability,
  handle: async () => checkAttendance(flowContextFromEnv().today()),
});

/** POST /checks/attendance {asOf?} — runs (or re-runs) the rule for a day: county bureau or ops. */
export const runHandler = httpHandler({
  observability,
  roles: ['county', 'ops'],
  wholeRegion: true,
  input: { body: z.strictObject({ asOf: localDateSchema.optional() }).default({}) },
  handle: async ({ body }) => checkAttendance(body.asOf ?? flowContextFromEnv().today()),
});
