import { describe, expect, it } from 'vitest';
import { checkDigit } from '../../../shared/id-number';
import { type CheckedAttendance, lookbackStart, runAttendanceCheck } from './attendance-check';

const SCHOOL = '2153012401';
const OTHER = '2153012402';
const id = (n: number) => {
  const first17 = `53012420140${String(100000 + n).slice(-6)}`;
  return first17 + checkDigit(first17);
};

function day(
  n: number,
  date: string,
  status: CheckedAttendance['status'],
  school = SCHOOL,
  line = 1,
): CheckedAttendance {
  return {
    idNumber: id(n),
    childKey: `c_${String.fromCharCode(97 + n).repeat(32)}`,
    name: `学生${n}`,
    date,
    status,
    schoolCode: school,
    evidence: { uploadId: `att-${school}-${date}`, line },
  };
}

const base = { region: '530124', threshold: 3, at: '2025-10-10T07:00:00.000Z' };

describe('the daily attendance check', () => {
  it('turns a streak across 国庆 and the 调休 Saturday into one suspected dropout with its evidence rows', () => {
    // 2025-09-29 (Mon), 09-30 (Tue), holiday 10-01..10-08, 10-09 (Thu): three working days absent.
    const rows = ['2025-09-29', '2025-09-30', '2025-10-09'].flatMap((d) => [
      day(1, d, 'ABSENT_UNEXCUSED'),
      day(2, d, 'PRESENT', SCHOOL, 2),
    ]);
    const { suspected, missing } = runAttendanceCheck({
      ...base,
      asOf: '2025-10-09',
      rows,
      expectedSchools: [SCHOOL],
    });
    expect(missing).toEqual([]);
    expect(suspected).toHaveLength(1);
    expect(suspected[0]).toMatchObject({
      source: 'ATTENDANCE',
      school: SCHOOL,
      child: {
        childKey: `c_${'b'.repeat(32)}`,
        maskedId: `${id(1).slice(0, 4)}**********${id(1).slice(-4)}`,
      },
      streak: { days: 3, firstAbsent: '2025-09-29', lastAbsent: '2025-10-09' },
      asOf: '2025-10-09',
    });
    expect(suspected[0]!.evidence.map((e) => e.uploadId)).toEqual([
      `att-${SCHOOL}-2025-09-29`,
      `att-${SCHOOL}-2025-09-30`,
      `att-${SCHOOL}-2025-10-09`,
    ]);
    expect(JSON.stringify(suspected)).not.toContain(id(1));
  });

  it('keeps the same event id while the same streak grows, and a new one for a new streak', () => {
    const streak = ['2025-09-22', '2025-09-23', '2025-09-24', '2025-09-25'].map((d) => day(1, d, 'ABSENT'));
    const on24 = runAttendanceCheck({ ...base, asOf: '2025-09-24', rows: streak, expectedSchools: [] });
    const on25 = runAttendanceCheck({ ...base, asOf: '2025-09-25', rows: streak, expectedSchools: [] });
    expect(on24.suspected[0]!.eventId).toBe(on25.suspected[0]!.eventId);
    expect(on25.suspected[0]!.streak.days).toBe(4);

    const later = [...streak, day(1, '2025-09-26', 'PRESENT')].concat(
      ['2025-09-29', '2025-09-30', '2025-10-09'].map((d) => day(1, d, 'ABSENT_UNEXCUSED')),
    );
    const again = runAttendanceCheck({ ...base, asOf: '2025-10-09', rows: later, expectedSchools: [] });
    expect(again.suspected[0]!.eventId).not.toBe(on25.suspected[0]!.eventId);
  });

  it('flags every expected school without a record on a working day, and none on a holiday', () => {
    const rows = [day(1, '2025-09-30', 'PRESENT')];
    const working = runAttendanceCheck({
      ...base,
      asOf: '2025-09-30',
      rows,
      expectedSchools: [OTHER, SCHOOL, OTHER],
    });
    expect(working.missing.map((m) => [m.school, m.date])).toEqual([[OTHER, '2025-09-30']]);
    const holiday = runAttendanceCheck({
      ...base,
      asOf: '2025-10-02',
      rows,
      expectedSchools: [OTHER, SCHOOL],
    });
    expect(holiday.missing).toEqual([]);
  });

  it('reads back 45 calendar days', () => {
    expect(lookbackStart('2025-10-10')).toBe('2025-08-26');
    expect(lookbackStart('2026-03-01')).toBe('2026-01-15');
  });
});
