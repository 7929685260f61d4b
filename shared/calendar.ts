/**
 * 工作日历 — China's working-day calendar: Monday to Friday, minus 法定节假日 (public
 * holidays), plus 调休 上班 days (make-up working Saturdays and Sundays), as set each year
 * by the State Council's notice (国务院办公厅关于 Y 年部分节假日安排的通知).
 *
 * Absence streaks and deadlines count working days (东川 2025 §二(三)2: 3 working days of
 * unexcused absence make a suspected dropout), so a wrong working day makes a case wrong.
 * That is why a date in a year whose official schedule is not loaded throws
 * CalendarNotCoveredError instead of being treated as an ordinary year.
 *
 * Dates are 'YYYY-MM-DD' calendar dates in China (Asia/Shanghai). Arithmetic is done on
 * UTC dates, so the host's time zone never shifts a day.
 *
 * A year counts as covered once its notice is loaded. The last days of December of the
 * last covered year can still change when the next year's notice moves a 元旦 day into
 * them (it happened for 2007, 2008, 2012, 2019 and 2023), so load each notice when it appears.
 *
 * The default data is the holiday table of the `chinese-days` package, read from its JSON
 * rather than through its functions: under plain Node its CommonJS entry has no named ESM
 * exports, and its functions build their tables with local-time date maths, so on a host
 * west of Greenwich (TZ=America/…) they answer a day off.
 */
import chineseDaysData from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import { z } from 'zod';
import { isRealDate } from './dates';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A working-day calendar: which years are loaded and their 放假 and 调休 上班 dates. */
export type WorkingCalendar = {
  /** Years whose official schedule is loaded; always one contiguous range. */
  readonly years: ReadonlySet<number>;
  /** 放假 dates (holidays, including the weekend days inside a holiday block). */
  readonly holidays: ReadonlySet<string>;
  /** 调休 上班 dates (make-up working days on a Saturday or Sunday). */
  readonly workdays: ReadonlySet<string>;
};

export type CalendarCoverage = { firstYear: number; lastYear: number };

/** A date in a year whose official holiday schedule is not loaded into the calendar. */
export class CalendarNotCoveredError extends Error {
  override readonly name = 'CalendarNotCoveredError';
  readonly code = 'CALENDAR_NOT_COVERED';
  readonly year: number;
  readonly date: string;
  readonly zh: string;
  readonly en: string;

  constructor(date: string, coverage: CalendarCoverage) {
    const year = Number(date.slice(0, 4));
    const zh =
      `未加载 ${year} 年的国务院节假日安排，无法判断 ${date} 是否为工作日（已加载 ${coverage.firstYear}–${coverage.lastYear} 年）。` +
      `请按国务院办公厅《关于 ${year} 年部分节假日安排的通知》在日历覆盖配置中添加该年的放假日期和调休上班日期，或升级 chinese-days 数据包。`;
    const en =
      `The official holiday schedule for ${year} is not loaded, so whether ${date} is a working day is unknown ` +
      `(loaded: ${coverage.firstYear}–${coverage.lastYear}). Add the year's holidays and make-up working days from ` +
      `the State Council notice for ${year} to the calendar overrides, or upgrade the chinese-days package.`;
    super(`${en} / ${zh}`);
    this.year = year;
    this.date = date;
    this.zh = zh;
    this.en = en;
  }
}

const isoDate = z.string().refine(isRealDate, {
  error: 'expected a real date YYYY-MM-DD, e.g. 2027-10-01 / 应为真实存在的日期 YYYY-MM-DD，如 2027-10-01',
});

const yearScheduleSchema = z
  .object({
    /** 放假 dates of the notice, each day of each holiday block, weekend days included. */
    holidays: z.array(isoDate),
    /** 调休 上班 dates of the notice: the Saturdays and Sundays that are working days. */
    workdays: z.array(isoDate),
  })
  .strict();

/**
 * 节假日安排覆盖 — the State Council's yearly notice, entered by hand when it is published
 * (usually in November) and the package has not caught up yet. Each year adds that year,
 * or replaces the package's data for it.
 *
 * The notice for year Y spans 1 December Y−1 to 30 November Y: the 元旦 of Y can reach back
 * into late December (the 2019 notice made 2018-12-29 a working day and 2018-12-30/31
 * holidays), and no notice sets a date in its own December. So December dates go under the
 * next year.
 */
export const calendarOverridesSchema = z
  .object({
    years: z.record(
      z
        .string()
        .regex(/^\d{4}$/, { error: 'a year has 4 digits, e.g. "2027" / 年份应为 4 位数字，如 "2027"' }),
      yearScheduleSchema,
    ),
  })
  .strict()
  .superRefine((overrides, ctx) => {
    for (const [yearText, schedule] of Object.entries(overrides.years)) {
      const year = Number(yearText);
      const check = (kind: 'holidays' | 'workdays', date: string, index: number) => {
        const path = ['years', yearText, kind, index];
        if (!isRealDate(date)) return; // already reported by isoDate
        if (noticeYearOf(date) !== year) {
          ctx.addIssue({
            code: 'custom',
            path,
            message:
              `${date} is not in the ${year} notice, which spans ${year - 1}-12-01 to ${year}-11-30; ` +
              `put it under "${noticeYearOf(date)}" / ${date} 不属于 ${year} 年的通知（${year - 1}-12-01 至 ${year}-11-30），请放在 "${noticeYearOf(date)}" 年下`,
          });
        }
        if (kind === 'workdays' && !isWeekend(date)) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `${date} is a weekday; 调休 make-up working days fall on a Saturday or Sunday — check for a typo / ${date} 不是周末，调休上班日应为周六或周日，请核对`,
          });
        }
      };
      for (const [i, date] of schedule.holidays.entries()) check('holidays', date, i);
      for (const [i, date] of schedule.workdays.entries()) check('workdays', date, i);
      const holidays = new Set(schedule.holidays);
      for (const [i, date] of schedule.workdays.entries()) {
        if (holidays.has(date)) {
          ctx.addIssue({
            code: 'custom',
            path: ['years', yearText, 'workdays', i],
            message: `${date} is listed both as a holiday and as a working day / ${date} 同时列为放假和上班`,
          });
        }
      }
    }
  });

export type CalendarOverrides = z.infer<typeof calendarOverridesSchema>;

const packageDataSchema = z.object({
  holidays: z.record(z.string(), z.string()),
  workdays: z.record(z.string(), z.string()),
});

/**
 * Builds a working-day calendar from the chinese-days data plus `overrides` (validated with
 * calendarOverridesSchema; a ZodError says what is wrong). An override year Y replaces every
 * package date of the Y notice (1 December Y−1 to 30 November Y). Throws if the loaded years
 * would not be one contiguous range.
 */
export function createCalendar(overrides?: CalendarOverrides): WorkingCalendar {
  const base = packageDataSchema.parse(chineseDaysData);
  const holidays = new Set(Object.keys(base.holidays));
  const workdays = new Set(Object.keys(base.workdays));
  const years = new Set([...holidays, ...workdays].map(noticeYearOf));

  const parsed = overrides === undefined ? undefined : calendarOverridesSchema.parse(overrides);
  const overrideYears = Object.entries(parsed?.years ?? {}).map(
    ([year, schedule]) => [Number(year), schedule] as const,
  );
  for (const [year, schedule] of overrideYears.sort(([a], [b]) => a - b)) {
    for (const set of [holidays, workdays]) {
      for (const date of set) if (noticeYearOf(date) === year) set.delete(date);
    }
    for (const date of schedule.holidays) {
      workdays.delete(date);
      holidays.add(date);
    }
    for (const date of schedule.workdays) {
      holidays.delete(date);
      workdays.add(date);
    }
    years.add(year);
  }

  const sorted = [...years].sort((a, b) => a - b);
  const gap = sorted.find((year, i) => i > 0 && year !== sorted[i - 1]! + 1);
  if (gap !== undefined) {
    throw new RangeError(
      `Calendar overrides leave a gap before ${gap}: add every year in between / 日历覆盖配置在 ${gap} 年之前缺少年份，请补齐中间各年`,
    );
  }
  return { years, holidays, workdays };
}

const defaultCalendar: WorkingCalendar = createCalendar();

/** First and last year whose official schedule the calendar holds (default: the package data). */
export function calendarCoverage(calendar: WorkingCalendar = defaultCalendar): CalendarCoverage {
  const sorted = [...calendar.years].sort((a, b) => a - b);
  return { firstYear: sorted[0]!, lastYear: sorted[sorted.length - 1]! };
}

/** 工作日 — true on a working day: Mon–Fri that is not 放假, or a 调休 上班 Saturday/Sunday. */
export function isWorkingDay(date: string, calendar: WorkingCalendar = defaultCalendar): boolean {
  assertDate(date);
  if (!calendar.years.has(yearOf(date))) {
    throw new CalendarNotCoveredError(date, calendarCoverage(calendar));
  }
  if (calendar.workdays.has(date)) return true;
  return !isWeekend(date) && !calendar.holidays.has(date);
}

/** The first working day strictly after `date`. */
export function nextWorkingDay(date: string, calendar: WorkingCalendar = defaultCalendar): string {
  assertDate(date);
  let day = addDays(date, 1);
  while (!isWorkingDay(day, calendar)) day = addDays(day, 1);
  return day;
}

/**
 * The n-th working day after `date` (n ≥ 0, an integer), for deadlines such as "within 3
 * working days". n = 0 gives `date` itself if it is a working day, else the next working day
 * (the first day on which the clock can start). For n ≥ 1 `date` itself never counts:
 * workingDaysBetween(date, addWorkingDays(date, n)) === n.
 */
export function addWorkingDays(date: string, n: number, calendar: WorkingCalendar = defaultCalendar): string {
  assertDate(date);
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`addWorkingDays expects a whole number n ≥ 0, got ${n}`);
  }
  if (n === 0) return isWorkingDay(date, calendar) ? date : nextWorkingDay(date, calendar);
  let day = date;
  for (let i = 0; i < n; i++) day = nextWorkingDay(day, calendar);
  return day;
}

/**
 * Number of working days in (from, to]: `from` excluded, `to` included — "how many working
 * days have passed since `from`". 0 when from = to; `to` before `from` is an error.
 */
export function workingDaysBetween(
  from: string,
  to: string,
  calendar: WorkingCalendar = defaultCalendar,
): number {
  assertRange(from, to);
  if (from === to) return 0;
  return listWorkingDays(addDays(from, 1), to, calendar).length;
}

/**
 * The working days in [from, to], both ends included, in order (e.g. the school days of a
 * month for an attendance sheet). Note the difference from workingDaysBetween, which
 * excludes `from`.
 */
export function listWorkingDays(
  from: string,
  to: string,
  calendar: WorkingCalendar = defaultCalendar,
): string[] {
  assertRange(from, to);
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    if (isWorkingDay(day, calendar)) days.push(day);
  }
  return days;
}

function assertDate(date: string): void {
  if (!isRealDate(date)) {
    throw new RangeError(`Expected a real date 'YYYY-MM-DD', got '${date}' / 应为真实存在的日期 YYYY-MM-DD`);
  }
}

function assertRange(from: string, to: string): void {
  assertDate(from);
  assertDate(to);
  if (to < from) throw new RangeError(`The range ends (${to}) before it starts (${from})`);
}

function toUtc(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

function addDays(date: string, days: number): string {
  return new Date(toUtc(date).getTime() + days * DAY_MS).toISOString().slice(0, 10);
}

function isWeekend(date: string): boolean {
  const weekday = toUtc(date).getUTCDay();
  return weekday === 0 || weekday === 6;
}

function yearOf(date: string): number {
  return Number(date.slice(0, 4));
}

/** The year of the State Council notice that sets this date: December belongs to the next 元旦. */
function noticeYearOf(date: string): number {
  return yearOf(date) + (date.slice(5, 7) === '12' ? 1 : 0);
}
