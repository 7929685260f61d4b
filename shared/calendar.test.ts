import { describe, expect, it } from 'vitest';
import {
  addWorkingDays,
  CalendarNotCoveredError,
  type CalendarOverrides,
  calendarCoverage,
  calendarOverridesSchema,
  createCalendar,
  isWorkingDay,
  listWorkingDays,
  nextWorkingDay,
  workingDaysBetween,
} from './calendar';

// A made-up schedule for these tests, NOT the real 2027 notice: 元旦 reaching back into
// 2026-12-31, a 国庆 week and one make-up Sunday.
const MADE_UP_2027: CalendarOverrides = {
  years: {
    '2027': {
      holidays: [
        '2026-12-31',
        '2027-01-01',
        '2027-01-02',
        '2027-01-03',
        '2027-10-01',
        '2027-10-02',
        '2027-10-03',
        '2027-10-04',
        '2027-10-05',
        '2027-10-06',
        '2027-10-07',
      ],
      workdays: ['2027-09-26', '2027-10-09'],
    },
  },
};

describe('the default calendar (chinese-days data)', () => {
  it('covers the official schedules from 2004 to 2026', () => {
    expect(calendarCoverage()).toEqual({ firstYear: 2004, lastYear: 2026 });
  });

  it('treats an ordinary weekday as a working day and an ordinary weekend as not', () => {
    expect(isWorkingDay('2025-09-12')).toBe(true); // Friday
    expect(isWorkingDay('2025-09-20')).toBe(false); // Saturday
    expect(isWorkingDay('2025-09-21')).toBe(false); // Sunday
  });

  it('treats a 调休 make-up Sunday or Saturday as a working day', () => {
    expect(isWorkingDay('2025-09-28')).toBe(true); // Sunday before 国庆 2025
    expect(isWorkingDay('2025-10-11')).toBe(true); // Saturday after 国庆 2025
    expect(isWorkingDay('2024-10-12')).toBe(true); // Saturday after 国庆 2024
    expect(isWorkingDay('2025-02-08')).toBe(true); // Saturday after 春节 2025
  });

  it('treats every day of 国庆 and 中秋 2025 (1–8 October), weekdays included, as not working', () => {
    for (let day = 1; day <= 8; day++) {
      expect(isWorkingDay(`2025-10-0${day}`)).toBe(false);
    }
    expect(isWorkingDay('2025-10-09')).toBe(true);
  });

  it('agrees with chinese-days itself on every day it covers', async () => {
    // chinese-days builds its tables at load time with local-time date maths, so west of
    // Greenwich its own answers are a day off: load and ask it in China's zone.
    const previous = process.env.TZ;
    process.env.TZ = 'Asia/Shanghai'; // Node re-reads TZ when it is assigned
    try {
      const { default: chineseDays } = await import('chinese-days');
      const disagreements = listDays('2004-01-01', '2026-12-31').filter(
        (day) => isWorkingDay(day) !== chineseDays.isWorkday(day),
      );
      expect(disagreements).toEqual([]);
    } finally {
      restoreTimeZone(previous);
    }
  });

  it('gives the same answers whatever the host time zone', () => {
    for (const zone of ['America/Los_Angeles', 'Pacific/Kiritimati', 'UTC']) {
      withTimeZone(zone, () => {
        expect(isWorkingDay('2025-09-27')).toBe(false); // Saturday
        expect(isWorkingDay('2025-09-28')).toBe(true); // 调休 Sunday
        expect(addWorkingDays('2025-09-30', 1)).toBe('2025-10-09');
      });
    }
  });
});

describe('nextWorkingDay', () => {
  it('finds a make-up Sunday after an ordinary Saturday', () => {
    expect(nextWorkingDay('2025-09-26')).toBe('2025-09-28'); // Fri → Sun 调休
  });

  it('jumps over a holiday week', () => {
    expect(nextWorkingDay('2025-09-30')).toBe('2025-10-09');
  });

  it('is always strictly after the date, even on a working day', () => {
    expect(nextWorkingDay('2025-09-15')).toBe('2025-09-16');
  });
});

describe('addWorkingDays', () => {
  it('counts working days across 国庆 2025, including the make-up Saturday', () => {
    expect(addWorkingDays('2025-09-30', 1)).toBe('2025-10-09');
    expect(addWorkingDays('2025-09-30', 2)).toBe('2025-10-10');
    expect(addWorkingDays('2025-09-30', 3)).toBe('2025-10-11'); // Saturday 调休
    expect(addWorkingDays('2025-09-30', 4)).toBe('2025-10-13');
  });

  it('starts counting from the next working day when given a holiday', () => {
    expect(addWorkingDays('2025-10-03', 1)).toBe('2025-10-09');
  });

  it('with n = 0 returns the date itself if it is a working day, else the next working day', () => {
    expect(addWorkingDays('2025-09-30', 0)).toBe('2025-09-30');
    expect(addWorkingDays('2025-10-01', 0)).toBe('2025-10-09');
    expect(addWorkingDays('2025-09-27', 0)).toBe('2025-09-28');
  });

  it('rejects a negative or fractional n', () => {
    expect(() => addWorkingDays('2025-09-30', -1)).toThrow(RangeError);
    expect(() => addWorkingDays('2025-09-30', 1.5)).toThrow(RangeError);
  });

  it('is the inverse of workingDaysBetween', () => {
    for (const start of ['2025-09-26', '2025-09-27', '2025-09-30', '2025-10-05']) {
      for (const n of [1, 2, 3, 5, 10]) {
        expect(workingDaysBetween(start, addWorkingDays(start, n))).toBe(n);
      }
    }
  });
});

describe('workingDaysBetween', () => {
  it('counts the working days in (from, to]: Friday to Monday across a weekend is 1', () => {
    expect(workingDaysBetween('2025-09-12', '2025-09-15')).toBe(1);
  });

  it('excludes from and includes to', () => {
    expect(workingDaysBetween('2025-09-15', '2025-09-16')).toBe(1);
    expect(workingDaysBetween('2025-09-15', '2025-09-15')).toBe(0);
  });

  it('counts a make-up Sunday and skips a holiday week', () => {
    expect(workingDaysBetween('2025-09-26', '2025-10-10')).toBe(5); // 28, 29, 30 Sep, 9, 10 Oct
  });

  it('refuses a range that ends before it starts', () => {
    expect(() => workingDaysBetween('2025-09-16', '2025-09-15')).toThrow(RangeError);
  });
});

describe('listWorkingDays', () => {
  it('lists the working days in [from, to], both ends included', () => {
    expect(listWorkingDays('2025-09-26', '2025-10-12')).toEqual([
      '2025-09-26',
      '2025-09-28',
      '2025-09-29',
      '2025-09-30',
      '2025-10-09',
      '2025-10-10',
      '2025-10-11',
    ]);
  });

  it('has one more day than workingDaysBetween when from is a working day', () => {
    expect(listWorkingDays('2025-09-26', '2025-10-12')).toHaveLength(
      workingDaysBetween('2025-09-26', '2025-10-12') + 1,
    );
  });

  it('handles 29 February', () => {
    expect(listWorkingDays('2024-02-28', '2024-03-01')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
  });
});

describe('a year that is not loaded', () => {
  it('throws CalendarNotCoveredError instead of guessing', () => {
    expect(() => isWorkingDay('2027-03-01')).toThrow(CalendarNotCoveredError);
    expect(() => isWorkingDay('2003-12-31')).toThrow(CalendarNotCoveredError);
  });

  it('says in Chinese and English which year is missing and how to add it', () => {
    let error: unknown;
    try {
      isWorkingDay('2027-03-01');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CalendarNotCoveredError);
    const notCovered = error as CalendarNotCoveredError;
    expect(notCovered.year).toBe(2027);
    expect(notCovered.code).toBe('CALENDAR_NOT_COVERED');
    expect(notCovered.zh).toContain('未加载 2027 年的国务院节假日安排');
    expect(notCovered.zh).toContain('调休上班日期');
    expect(notCovered.en).toContain('The official holiday schedule for 2027 is not loaded');
    expect(notCovered.en).toContain('calendar overrides');
    expect(notCovered.message).toContain(notCovered.en);
  });

  it('also stops a range or a deadline that runs into it', () => {
    expect(() => addWorkingDays('2026-12-30', 5)).toThrow(CalendarNotCoveredError);
    expect(() => listWorkingDays('2026-12-01', '2027-01-10')).toThrow(CalendarNotCoveredError);
  });
});

describe('createCalendar with overrides', () => {
  it('adds a whole year from the State Council notice', () => {
    const calendar = createCalendar(MADE_UP_2027);
    expect(calendarCoverage(calendar)).toEqual({ firstYear: 2004, lastYear: 2027 });
    expect(isWorkingDay('2027-01-01', calendar)).toBe(false); // holiday Friday
    expect(isWorkingDay('2027-01-04', calendar)).toBe(true); // ordinary Monday
    expect(isWorkingDay('2027-09-26', calendar)).toBe(true); // make-up Sunday
    expect(isWorkingDay('2027-10-10', calendar)).toBe(false); // ordinary Sunday
    expect(addWorkingDays('2027-09-30', 1, calendar)).toBe('2027-10-08');
  });

  it('applies a notice date that reaches back into December of the year before', () => {
    expect(isWorkingDay('2026-12-31')).toBe(true);
    expect(isWorkingDay('2026-12-31', createCalendar(MADE_UP_2027))).toBe(false);
  });

  it('replaces a covered year instead of merging with it', () => {
    const calendar = createCalendar({ years: { '2025': { holidays: ['2025-10-01'], workdays: [] } } });
    expect(isWorkingDay('2025-10-01', calendar)).toBe(false);
    expect(isWorkingDay('2025-10-02', calendar)).toBe(true);
    expect(isWorkingDay('2025-09-28', calendar)).toBe(false);
    expect(isWorkingDay('2024-10-12', calendar)).toBe(true); // other years untouched
  });

  it('leaves the default calendar alone', () => {
    createCalendar(MADE_UP_2027);
    expect(() => isWorkingDay('2027-01-04')).toThrow(CalendarNotCoveredError);
  });

  it('refuses overrides that would leave a year in between unloaded', () => {
    expect(() => createCalendar({ years: { '2028': { holidays: ['2028-01-01'], workdays: [] } } })).toThrow(
      /gap before 2028/,
    );
  });

  it('validates the overrides with calendarOverridesSchema', () => {
    expect(() => createCalendar({ years: { '2027': { holidays: ['2027-02-30'], workdays: [] } } })).toThrow(
      /real date/,
    );
  });
});

describe('calendarOverridesSchema', () => {
  const issues = (input: unknown) => {
    const result = calendarOverridesSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((issue) => issue.message);
  };

  it('accepts a notice with holidays and make-up working days', () => {
    expect(issues(MADE_UP_2027)).toEqual([]);
  });

  it('rejects a make-up working day that is not a Saturday or Sunday, which is a typo', () => {
    expect(issues({ years: { '2027': { holidays: [], workdays: ['2027-09-27'] } } })).toEqual([
      expect.stringContaining('is a weekday'),
    ]);
  });

  it('rejects a date listed both as a holiday and as a working day', () => {
    expect(issues({ years: { '2027': { holidays: ['2027-10-09'], workdays: ['2027-10-09'] } } })).toEqual([
      expect.stringContaining('both as a holiday and as a working day'),
    ]);
  });

  it('rejects a date outside the notice year, pointing to the year it belongs under', () => {
    expect(issues({ years: { '2027': { holidays: ['2027-12-31'], workdays: [] } } })).toEqual([
      expect.stringContaining('put it under "2028"'),
    ]);
    expect(issues({ years: { '2027': { holidays: ['2025-10-01'], workdays: [] } } })).toHaveLength(1);
  });

  it('rejects malformed years, dates and unknown fields', () => {
    expect(issues({ years: { '27': { holidays: [], workdays: [] } } })).not.toEqual([]);
    expect(issues({ years: { '2027': { holidays: ['2027/10/01'], workdays: [] } } })).not.toEqual([]);
    expect(issues({ years: { '2027': { holidays: [], workdays: [], notes: 'x' } } })).not.toEqual([]);
    expect(issues({ years: { '2027': { holidays: [] } } })).not.toEqual([]);
  });
});

describe('dates', () => {
  it('rejects a date that is not a real YYYY-MM-DD date', () => {
    expect(() => isWorkingDay('2025-02-29')).toThrow(RangeError);
    expect(() => isWorkingDay('2025-9-1')).toThrow(RangeError);
  });

  it('crosses a year boundary, honouring the make-up Sunday after 元旦 2026', () => {
    expect(addWorkingDays('2025-12-31', 1)).toBe('2026-01-04');
  });
});

function listDays(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

function withTimeZone(zone: string, run: () => void): void {
  const previous = process.env.TZ;
  process.env.TZ = zone; // Node re-reads TZ when it is assigned
  try {
    run();
  } finally {
    restoreTimeZone(previous);
  }
}

function restoreTimeZone(previous: string | undefined): void {
  if (previous === undefined) delete process.env.TZ;
  else process.env.TZ = previous;
}
