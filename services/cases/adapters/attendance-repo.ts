/**
 * Attendance as the daily rule reads it, from two sources:
 * - a school's day recorded through `POST /attendance` (owned by cases):
 *     pk ATTENDANCE#<school>  sk <date>   gsi1 ATTENDANCE#<region> / <date>#<school>
 *   one item per school and day; recording the day again replaces it (a correction);
 * - accepted `attendance` rosters (owned by roster-intake, read only here): the current roster of
 *   each school for the term, and for each single day in the window.
 * Items expire after 400 days, like comparison results.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, env } from '../../../shared/aws/clients';
import { queryPages } from '../../../shared/aws/dynamo';
import type { AttendanceRecord } from '../../../shared/rosters/records';
import { defaultPeriod } from '../../../shared/term';
import { listCurrentRosters, rowPages } from '../../roster-intake/port';
import type { CheckedAttendance } from '../domain/attendance-check';

const table = () => env('KCBX_TABLE');
const TTL_DAYS = 400;

/** One student's row of a school's day, as stored (the table is encrypted with the region's key). */
export type StoredAttendance = CheckedAttendance;

export interface SchoolDay {
  school: string;
  date: string;
  rows: StoredAttendance[];
  recordedAt: string;
  recordedBy: string;
}

export async function putSchoolDay(region: string, day: SchoolDay): Promise<{ replaced: boolean }> {
  const res = await dynamo().send(
    new PutCommand({
      TableName: table(),
      Item: {
        pk: `ATTENDANCE#${day.school}`,
        sk: day.date,
        type: 'attendance-day',
        gsi1pk: `ATTENDANCE#${region}`,
        gsi1sk: `${day.date}#${day.school}`,
        expiresAt: Math.floor(Date.now() / 1000) + TTL_DAYS * 86400,
        ...day,
      },
      ReturnValues: 'ALL_OLD',
    }),
  );
  return { replaced: Boolean(res.Attributes) };
}

export async function getSchoolDay(school: string, date: string): Promise<SchoolDay | undefined> {
  const res = await dynamo().send(
    new GetCommand({
      TableName: table(),
      Key: { pk: `ATTENDANCE#${school}`, sk: date },
      ConsistentRead: true,
    }),
  );
  return res.Item as SchoolDay | undefined;
}

/** Every recorded day of the region between two dates (inclusive), as attendance rows. */
export async function* recordedDays(region: string, from: string, to: string): AsyncGenerator<SchoolDay> {
  const pages = queryPages({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': `ATTENDANCE#${region}`, ':from': from, ':to': `${to}#~` },
  });
  for await (const page of pages) for (const item of page) yield item as unknown as SchoolDay;
}

/** The rows of the current accepted attendance rosters of the term and of each date in the window. */
export async function* rosterAttendance(dates: readonly string[]): AsyncGenerator<StoredAttendance> {
  const periods = new Set<string>(dates);
  for (const d of dates) periods.add(defaultPeriod(d));
  const first = dates[0] ?? '';
  const last = dates.at(-1) ?? '';
  for (const period of periods) {
    const rosters = (await listCurrentRosters(period)).filter((r) => r.kind === 'attendance');
    for (const roster of rosters) {
      for await (const page of rowPages(roster.uploadId)) {
        for (const row of page) {
          const r = row.record as unknown as AttendanceRecord;
          if (r.date < first || r.date > last) continue;
          yield {
            idNumber: row.idNumber,
            childKey: row.childKey,
            name: r.name,
            date: r.date,
            status: r.status,
            leaveApproved: r.leaveApproved,
            schoolCode: r.schoolCode ?? (/^\d{10}$/.test(row.org) ? row.org : undefined),
            schoolName: r.schoolName,
            evidence: { uploadId: row.uploadId, line: row.line },
          };
        }
      }
    }
  }
}

/** The schools of the region that are expected to record attendance: those with a current 学籍 roster. */
export async function enrolledSchools(period: string): Promise<string[]> {
  const rosters = await listCurrentRosters(period);
  return [
    ...new Set(rosters.filter((r) => r.kind === 'enrollment' && /^\d{10}$/.test(r.org)).map((r) => r.org)),
  ];
}
