import { describe, expect, it } from 'vitest';
import { CalendarNotCoveredError } from '../../../shared/calendar';
import { checkDigit, maskIdNumber } from '../../../shared/id-number';
import type { AttendanceStatus } from '../../../shared/rosters/records';
import {
  type AttendanceDay,
  classifyAttendance,
  computeAbsenceStreaks,
  lastRecordedDays,
} from './absence-streaks';

const id = (seq: number) => {
  const first17 = `53012420150101${String(seq).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
};
const A = id(11);
const B = id(12);
const C = id(13);

const SCHOOL = { schoolCode: '5301240001', schoolName: '富民县第一小学' };

/** One row per date for one student; 'U' 旷课, 'P' present, 'S+' approved 病假, 'S-' unapproved 病假. */
function log(idNumber: string, days: Record<string, string>, school = SCHOOL): AttendanceDay[] {
  const codes: Record<string, [AttendanceStatus, boolean?]> = {
    U: ['ABSENT_UNEXCUSED'],
    A: ['ABSENT'],
    P: ['PRESENT'],
    L: ['LATE'],
    E: ['LEFT_EARLY'],
    'S+': ['SICK_LEAVE', true],
    'S-': ['SICK_LEAVE', false],
    'S?': ['SICK_LEAVE'],
    'J+': ['PERSONAL_LEAVE', true],
    'Q-': ['LEAVE', false],
  };
  return Object.entries(days).map(([date, code]) => {
    const [status, leaveApproved] = codes[code]!;
    return { idNumber, name: `学生${idNumber.slice(-4)}`, date, status, leaveApproved, ...school };
  });
}

/** A classmate present every day, so the school has recorded each of these days. */
const classmate = (dates: string[]) => log(C, Object.fromEntries(dates.map((d) => [d, 'P'])));

describe('classifyAttendance', () => {
  it('counts 旷课, unrecorded absence and leave without approval; approved leave is excused', () => {
    expect(classifyAttendance('ABSENT_UNEXCUSED')).toBe('UNEXCUSED');
    expect(classifyAttendance('ABSENT_UNEXCUSED', true)).toBe('UNEXCUSED');
    expect(classifyAttendance('ABSENT')).toBe('UNEXCUSED');
    expect(classifyAttendance('ABSENT', true)).toBe('EXCUSED');
    for (const leave of ['PERSONAL_LEAVE', 'SICK_LEAVE', 'LEAVE'] as const) {
      expect(classifyAttendance(leave, true)).toBe('EXCUSED');
      expect(classifyAttendance(leave, false)).toBe('UNEXCUSED');
      expect(classifyAttendance(leave)).toBe('UNEXCUSED');
    }
    for (const here of ['PRESENT', 'LATE', 'LEFT_EARLY'] as const)
      expect(classifyAttendance(here)).toBe('PRESENT');
  });
});

describe('computeAbsenceStreaks', () => {
  it('counts across a weekend: Thu, Fri, Mon are 3 consecutive working days', () => {
    const records = log(A, { '2025-09-17': 'P', '2025-09-18': 'U', '2025-09-19': 'U', '2025-09-22': 'U' });
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-22', threshold: 3 })).toEqual([
      {
        idNumber: A,
        maskedId: maskIdNumber(A),
        name: `学生${A.slice(-4)}`,
        school: '富民县第一小学',
        streakWorkingDays: 3,
        firstAbsent: '2025-09-18',
        lastAbsent: '2025-09-22',
      },
    ]);
    // asOf on the Sunday: the streak is judged on the last recorded working day, Friday (2 days).
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-21', threshold: 3 })).toEqual([]);
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-21', threshold: 2 })[0]).toMatchObject({
      streakWorkingDays: 2,
      lastAbsent: '2025-09-19',
    });
  });

  it('counts across 国庆 2025 with the make-up Sunday 2025-09-28; holidays neither count nor break', () => {
    // Working days: 09-26 Fri, 09-28 Sun (调休), 09-29, 09-30, [10-01..10-08 holiday], 10-09, 10-10.
    const records = log(A, {
      '2025-09-25': 'P',
      '2025-09-26': 'U',
      '2025-09-28': 'U',
      '2025-09-29': 'U',
      '2025-09-30': 'U',
      '2025-10-09': 'U',
      '2025-10-10': 'U',
    });
    expect(computeAbsenceStreaks(records, { asOf: '2025-10-10', threshold: 3 })).toMatchObject([
      { idNumber: A, streakWorkingDays: 6, firstAbsent: '2025-09-26', lastAbsent: '2025-10-10' },
    ]);
    // Without the make-up Sunday recorded, the streak stops there: 09-29 … 10-10 is 4 days.
    const noSunday = records.filter((r) => r.date !== '2025-09-28');
    expect(computeAbsenceStreaks(noSunday, { asOf: '2025-10-10', threshold: 3 })).toMatchObject([
      { streakWorkingDays: 4, firstAbsent: '2025-09-29' },
    ]);
  });

  it('counts a 调休 Saturday (2024-10-12) as a school day', () => {
    const records = log(A, { '2024-10-10': 'P', '2024-10-11': 'U', '2024-10-12': 'U', '2024-10-14': 'U' });
    expect(computeAbsenceStreaks(records, { asOf: '2024-10-14', threshold: 3 })).toMatchObject([
      { streakWorkingDays: 3, firstAbsent: '2024-10-11', lastAbsent: '2024-10-14' },
    ]);
    // Present on the make-up Saturday: it breaks the streak like any school day.
    const present = log(A, { '2024-10-11': 'U', '2024-10-12': 'P', '2024-10-14': 'U', '2024-10-15': 'U' });
    expect(computeAbsenceStreaks(present, { asOf: '2024-10-15', threshold: 3 })).toEqual([]);
  });

  it('ignores records dated on a non-working day', () => {
    // 2025-10-03 is a 国庆 holiday and 2025-09-27 a Saturday: a 旷课 there is ignored, not counted.
    const records = log(A, {
      '2025-09-26': 'U',
      '2025-09-27': 'U',
      '2025-09-28': 'U',
      '2025-10-03': 'U',
      '2025-10-09': 'P',
    });
    expect(computeAbsenceStreaks(records, { asOf: '2025-10-08', threshold: 2 })).toMatchObject([
      { streakWorkingDays: 2, firstAbsent: '2025-09-26', lastAbsent: '2025-09-28' },
    ]);
  });

  it('ends the streak on a day of approved leave; unapproved leave counts', () => {
    const approved = log(A, { '2025-09-15': 'U', '2025-09-16': 'S+', '2025-09-17': 'U', '2025-09-18': 'U' });
    expect(computeAbsenceStreaks(approved, { asOf: '2025-09-18', threshold: 3 })).toEqual([]);
    const approvedPersonal = log(A, {
      '2025-09-15': 'U',
      '2025-09-16': 'J+',
      '2025-09-17': 'U',
      '2025-09-18': 'U',
    });
    expect(computeAbsenceStreaks(approvedPersonal, { asOf: '2025-09-18', threshold: 3 })).toEqual([]);
    const unapproved = log(A, {
      '2025-09-15': 'S-',
      '2025-09-16': 'S?',
      '2025-09-17': 'Q-',
      '2025-09-18': 'A',
    });
    expect(computeAbsenceStreaks(unapproved, { asOf: '2025-09-18', threshold: 3 })).toMatchObject([
      { streakWorkingDays: 4, firstAbsent: '2025-09-15' },
    ]);
  });

  it('ends the streak on a day present, late or left early', () => {
    for (const here of ['P', 'L', 'E']) {
      const records = log(A, { '2025-09-15': 'U', '2025-09-16': here, '2025-09-17': 'U', '2025-09-18': 'U' });
      expect(computeAbsenceStreaks(records, { asOf: '2025-09-18', threshold: 3 })).toEqual([]);
    }
  });

  it('treats a working day without a record for the student as not an absence: it ends the streak', () => {
    const dates = ['2025-09-15', '2025-09-16', '2025-09-17', '2025-09-18'];
    const records = [
      ...log(A, { '2025-09-15': 'U', '2025-09-17': 'U', '2025-09-18': 'U' }),
      ...classmate(dates),
    ];
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-18', threshold: 2 })).toMatchObject([
      { idNumber: A, streakWorkingDays: 2, firstAbsent: '2025-09-17' },
    ]);
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-18', threshold: 3 })).toEqual([]);
  });

  it('judges each school on its last recorded working day ≤ asOf', () => {
    const other = { schoolCode: '5301240002', schoolName: '富民县第二小学' };
    const records = [
      ...log(A, { '2025-09-15': 'U', '2025-09-16': 'U', '2025-09-17': 'U' }),
      // School 1 also recorded 09-18, when A has no row: A's streak is over.
      ...classmate(['2025-09-18']),
      // School 2 has not sent 09-18 yet: B is judged on 09-17.
      ...log(B, { '2025-09-15': 'U', '2025-09-16': 'U', '2025-09-17': 'U' }, other),
    ];
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-18', threshold: 3 })).toMatchObject([
      { idNumber: B, school: '富民县第二小学', lastAbsent: '2025-09-17' },
    ]);
    expect([...lastRecordedDays(records, { asOf: '2025-09-18' })]).toEqual([
      ['5301240001', { school: '富民县第一小学', lastRecorded: '2025-09-18' }],
      ['5301240002', { school: '富民县第二小学', lastRecorded: '2025-09-17' }],
    ]);
  });

  it('lets the worst record of a day win', () => {
    const records = [
      ...log(A, { '2025-09-15': 'U', '2025-09-16': 'P', '2025-09-17': 'U' }),
      ...log(A, { '2025-09-16': 'U', '2025-09-17': 'S+' }),
    ];
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-17', threshold: 3 })).toMatchObject([
      { streakWorkingDays: 3, firstAbsent: '2025-09-15' },
    ]);
  });

  it('reads the threshold as "at least N": 3 for 东川, 4 for 富民 (连续超过3个工作日)', () => {
    const records = log(A, { '2025-09-15': 'P', '2025-09-16': 'U', '2025-09-17': 'U', '2025-09-18': 'U' });
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-18', threshold: 3 })).toHaveLength(1);
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-18', threshold: 4 })).toEqual([]);
    const four = [...records, ...log(A, { '2025-09-19': 'U' })];
    expect(computeAbsenceStreaks(four, { asOf: '2025-09-19', threshold: 4 })).toMatchObject([
      { streakWorkingDays: 4 },
    ]);
  });

  it('reads the log as of a day in its middle: later records are ignored', () => {
    const records = log(A, {
      '2025-09-15': 'U',
      '2025-09-16': 'U',
      '2025-09-17': 'U',
      '2025-09-18': 'P',
      '2025-09-19': 'U',
    });
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-17', threshold: 3 })).toMatchObject([
      { streakWorkingDays: 3, lastAbsent: '2025-09-17' },
    ]);
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-16', threshold: 3 })).toEqual([]);
    expect(computeAbsenceStreaks(records, { asOf: '2025-09-19', threshold: 1 })).toMatchObject([
      { streakWorkingDays: 1, firstAbsent: '2025-09-19' },
    ]);
  });

  it('orders by school, then ID number, whatever the input order', () => {
    const s1 = { schoolCode: '5301240001', schoolName: '甲校' };
    const s2 = { schoolCode: '5301240002', schoolName: '乙校' };
    const days = { '2025-09-15': 'U', '2025-09-16': 'U', '2025-09-17': 'U' };
    const records = [...log(C, days, s2), ...log(B, days, s1), ...log(A, days, s2), ...log(id(10), days, s1)];
    const order = (rs: AttendanceDay[]) =>
      computeAbsenceStreaks(rs, { asOf: '2025-09-17', threshold: 3 }).map((s) => [s.school, s.idNumber]);
    expect(order(records)).toEqual([
      ['甲校', id(10)],
      ['甲校', B],
      ['乙校', A],
      ['乙校', C],
    ]);
    expect(order([...records].reverse())).toEqual(order(records));
  });

  it('refuses a bad threshold, a malformed asOf and an asOf outside the calendar', () => {
    expect(() => computeAbsenceStreaks([], { asOf: '2025-09-17', threshold: 0 })).toThrow(RangeError);
    expect(() => computeAbsenceStreaks([], { asOf: '2025-09-17', threshold: 2.5 })).toThrow(RangeError);
    expect(() => computeAbsenceStreaks([], { asOf: '2025-02-30', threshold: 3 })).toThrow(RangeError);
    expect(() => computeAbsenceStreaks([], { asOf: '2031-09-01', threshold: 3 })).toThrow(
      CalendarNotCoveredError,
    );
  });
});
