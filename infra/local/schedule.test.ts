import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CronSchedule,
  createManualClock,
  createScheduler,
  nextFireTime,
  parseScheduleExpression,
  type Schedule,
  ScheduleExpressionError,
} from './schedule';

const at = (iso: string) => new Date(iso);
/** The next fire of `expr` strictly after `after`, as an ISO string (or undefined). */
const next = (expr: string, after: string, anchor?: string) =>
  nextFireTime(parseScheduleExpression(expr), at(after), anchor ? at(anchor) : undefined)?.toISOString();
/** The first `count` fires of `expr` after `after`. */
const fires = (expr: string, after: string, count: number) => {
  const schedule: Schedule = parseScheduleExpression(expr);
  const out: string[] = [];
  let t: Date | undefined = at(after);
  while (out.length < count && t) {
    t = nextFireTime(schedule, t);
    if (t) out.push(t.toISOString());
  }
  return out;
};

// Calendar used below: 2025-09-01 is a Monday, so 2025-09-05 is a Friday and 2025-09-08 a Monday.

describe('the AWS user-guide cron examples', () => {
  it('runs cron(0 10 * * ? *) at 10:00 UTC every day', () => {
    expect(next('cron(0 10 * * ? *)', '2025-09-05T09:59:59Z')).toBe('2025-09-05T10:00:00.000Z');
    expect(next('cron(0 10 * * ? *)', '2025-09-05T10:00:00Z')).toBe('2025-09-06T10:00:00.000Z');
  });

  it('runs cron(15 12 * * ? *) at 12:15 UTC every day', () => {
    expect(next('cron(15 12 * * ? *)', '2025-09-05T12:15:30Z')).toBe('2025-09-06T12:15:00.000Z');
  });

  it('fires a weekday 18:00 cron on Friday and then on Monday', () => {
    expect(fires('cron(0 18 ? * MON-FRI *)', '2025-09-05T17:00:00Z', 2)).toEqual([
      '2025-09-05T18:00:00.000Z',
      '2025-09-08T18:00:00.000Z',
    ]);
  });

  it('runs cron(0 8 1 * ? *) at 08:00 on the first of every month, across the year end', () => {
    expect(next('cron(0 8 1 * ? *)', '2025-09-05T00:00:00Z')).toBe('2025-10-01T08:00:00.000Z');
    expect(next('cron(0 8 1 * ? *)', '2025-12-15T00:00:00Z')).toBe('2026-01-01T08:00:00.000Z');
  });

  it('runs cron(0/10 * ? * MON-FRI *) every 10 minutes on weekdays, skipping the weekend', () => {
    expect(next('cron(0/10 * ? * MON-FRI *)', '2025-09-05T10:01:00Z')).toBe('2025-09-05T10:10:00.000Z');
    expect(next('cron(0/10 * ? * MON-FRI *)', '2025-09-05T23:55:00Z')).toBe('2025-09-08T00:00:00.000Z');
  });

  it('runs cron(0/5 8-17 ? * MON-FRI *) every 5 minutes from 08:00 to 17:55 on weekdays', () => {
    expect(next('cron(0/5 8-17 ? * MON-FRI *)', '2025-09-08T08:02:00Z')).toBe('2025-09-08T08:05:00.000Z');
    expect(next('cron(0/5 8-17 ? * MON-FRI *)', '2025-09-05T17:50:00Z')).toBe('2025-09-05T17:55:00.000Z');
    expect(next('cron(0/5 8-17 ? * MON-FRI *)', '2025-09-05T17:55:00Z')).toBe('2025-09-08T08:00:00.000Z');
  });

  it('runs cron(0 9 ? * 2#1 *) at 09:00 on the first Monday of each month', () => {
    expect(next('cron(0 9 ? * 2#1 *)', '2025-08-31T00:00:00Z')).toBe('2025-09-01T09:00:00.000Z');
    // October 2025 starts on a Wednesday, so its first Monday is the 6th.
    expect(next('cron(0 9 ? * 2#1 *)', '2025-09-05T00:00:00Z')).toBe('2025-10-06T09:00:00.000Z');
  });
});

describe('cron field syntax', () => {
  it('fires on whole minutes, strictly after the given instant', () => {
    expect(next('cron(* * * * ? *)', '2025-09-05T09:59:59.999Z')).toBe('2025-09-05T10:00:00.000Z');
    expect(next('cron(* * * * ? *)', '2025-09-05T10:00:00.000Z')).toBe('2025-09-05T10:01:00.000Z');
  });

  it('reads */5 as every fifth minute from 0', () => {
    expect(fires('cron(*/5 * * * ? *)', '2025-09-05T10:01:30Z', 3)).toEqual([
      '2025-09-05T10:05:00.000Z',
      '2025-09-05T10:10:00.000Z',
      '2025-09-05T10:15:00.000Z',
    ]);
  });

  it('reads 1/10 as the 1st, 11th, 21st… minute, as the AWS guide describes', () => {
    expect(fires('cron(1/10 * * * ? *)', '2025-09-05T10:00:00Z', 3)).toEqual([
      '2025-09-05T10:01:00.000Z',
      '2025-09-05T10:11:00.000Z',
      '2025-09-05T10:21:00.000Z',
    ]);
  });

  it('reads lists and ranges with steps', () => {
    expect(fires('cron(0 6,12-18/3 * * ? *)', '2025-09-05T00:00:00Z', 4)).toEqual([
      '2025-09-05T06:00:00.000Z',
      '2025-09-05T12:00:00.000Z',
      '2025-09-05T15:00:00.000Z',
      '2025-09-05T18:00:00.000Z',
    ]);
  });

  it('reads month names JAN-DEC and weekday names SUN-SAT, in any case', () => {
    expect(next('cron(0 0 1 JAN,jul ? *)', '2025-09-05T00:00:00Z')).toBe('2026-01-01T00:00:00.000Z');
    expect(next('cron(0 0 ? * sun *)', '2025-09-05T00:00:00Z')).toBe('2025-09-07T00:00:00.000Z');
  });

  it('numbers the days of the week 1-7 = SUN-SAT', () => {
    expect(next('cron(0 0 ? * 1 *)', '2025-09-05T00:00:00Z')).toBe('2025-09-07T00:00:00.000Z');
    expect(next('cron(0 0 ? * 7 *)', '2025-09-05T00:00:00Z')).toBe('2025-09-06T00:00:00.000Z');
    expect(next('cron(0 0 ? * 2-6 *)', '2025-09-06T00:00:00Z')).toBe('2025-09-08T00:00:00.000Z');
  });

  it('evaluates in UTC whatever the process time zone', () => {
    const schedule = parseScheduleExpression('cron(30 23 * * ? *)') as CronSchedule;
    expect(schedule.hours).toEqual([23]);
    expect(nextFireTime(schedule, at('2025-09-05T23:00:00Z'))?.getTime()).toBe(Date.UTC(2025, 8, 5, 23, 30));
  });

  it('honours the Year field and reports no fire once its years are past', () => {
    expect(next('cron(0 0 1 1 ? 2026-2027)', '2025-09-05T00:00:00Z')).toBe('2026-01-01T00:00:00.000Z');
    expect(next('cron(0 0 1 1 ? 2026-2027)', '2027-01-01T00:00:00Z')).toBeUndefined();
    expect(next('cron(0 10 * * ? 2020)', '2025-09-05T00:00:00Z')).toBeUndefined();
  });

  it('reports no fire for a day that never exists', () => {
    expect(next('cron(0 0 30 FEB ? *)', '2025-09-05T00:00:00Z')).toBeUndefined();
  });
});

describe('month ends and leap years', () => {
  it('fires L on 29 February in the leap year 2024', () => {
    expect(next('cron(0 0 L * ? *)', '2024-02-15T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('fires L on 28 February in 2023 and 2025', () => {
    expect(next('cron(0 0 L * ? *)', '2023-02-01T00:00:00Z')).toBe('2023-02-28T00:00:00.000Z');
    expect(next('cron(0 0 L 2 ? *)', '2024-03-01T00:00:00Z')).toBe('2025-02-28T00:00:00.000Z');
  });

  it('fires L on the 30th or 31st as the month has it', () => {
    expect(fires('cron(0 12 L * ? *)', '2025-04-01T00:00:00Z', 3)).toEqual([
      '2025-04-30T12:00:00.000Z',
      '2025-05-31T12:00:00.000Z',
      '2025-06-30T12:00:00.000Z',
    ]);
  });

  it('fires L-2 two days before the last day of the month', () => {
    expect(next('cron(0 0 L-2 * ? *)', '2024-02-01T00:00:00Z')).toBe('2024-02-27T00:00:00.000Z');
  });

  it('skips months without a 31st for day 31', () => {
    expect(fires('cron(0 0 31 * ? *)', '2025-04-01T00:00:00Z', 2)).toEqual([
      '2025-05-31T00:00:00.000Z',
      '2025-07-31T00:00:00.000Z',
    ]);
  });

  it('fires 29 February only in leap years', () => {
    expect(next('cron(0 0 29 2 ? *)', '2024-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('rolls the last minute of the year over into the next', () => {
    expect(next('cron(* * * * ? *)', '2025-12-31T23:59:00Z')).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('W, LW, L and # in the day fields', () => {
  it('moves 15W from a Sunday to Monday the 16th (June 2025)', () => {
    expect(next('cron(0 9 15W * ? *)', '2025-06-01T00:00:00Z')).toBe('2025-06-16T09:00:00.000Z');
  });

  it('moves 15W from a Saturday to Friday the 14th (November 2025)', () => {
    expect(next('cron(0 9 15W * ? *)', '2025-11-01T00:00:00Z')).toBe('2025-11-14T09:00:00.000Z');
  });

  it('keeps 15W on the 15th when it is a weekday (Monday 15 September 2025)', () => {
    expect(next('cron(0 9 15W * ? *)', '2025-09-01T00:00:00Z')).toBe('2025-09-15T09:00:00.000Z');
  });

  it('never moves 1W out of the month: Saturday 1 November 2025 becomes Monday the 3rd', () => {
    expect(next('cron(0 9 1W * ? *)', '2025-10-15T00:00:00Z')).toBe('2025-11-03T09:00:00.000Z');
  });

  it('fires LW on the last weekday: Friday 29 August 2025, Friday 28 November 2025', () => {
    expect(next('cron(0 17 LW * ? *)', '2025-08-01T00:00:00Z')).toBe('2025-08-29T17:00:00.000Z');
    expect(next('cron(0 17 LW * ? *)', '2025-11-01T00:00:00Z')).toBe('2025-11-28T17:00:00.000Z');
  });

  it('fires 5L on the last Thursday of the month', () => {
    expect(next('cron(0 12 ? * 5L *)', '2025-09-01T00:00:00Z')).toBe('2025-09-25T12:00:00.000Z');
    expect(next('cron(0 12 ? * THUL *)', '2025-09-26T00:00:00Z')).toBe('2025-10-30T12:00:00.000Z');
  });

  it('reads L alone in Day-of-week as Saturday', () => {
    expect(next('cron(0 0 ? * L *)', '2025-09-01T00:00:00Z')).toBe('2025-09-06T00:00:00.000Z');
  });

  it('fires 6#3 on the third Friday of the month', () => {
    expect(next('cron(0 12 ? * 6#3 *)', '2025-09-01T00:00:00Z')).toBe('2025-09-19T12:00:00.000Z');
  });

  it('skips months without a fifth Friday for FRI#5', () => {
    // September 2025 has Fridays 5, 12, 19, 26; October has a fifth on the 31st.
    expect(next('cron(0 12 ? * FRI#5 *)', '2025-09-01T00:00:00Z')).toBe('2025-10-31T12:00:00.000Z');
  });
});

describe('rate expressions', () => {
  it('reads every documented unit and its period', () => {
    const period = (expr: string) => {
      const s = parseScheduleExpression(expr);
      return s.kind === 'rate' ? s.periodMs : undefined;
    };
    expect(period('rate(1 minute)')).toBe(60_000);
    expect(period('rate(5 minutes)')).toBe(300_000);
    expect(period('rate(1 hour)')).toBe(3_600_000);
    expect(period('rate(2 hours)')).toBe(7_200_000);
    expect(period('rate(1 day)')).toBe(86_400_000);
    expect(period('rate(7 days)')).toBe(604_800_000);
  });

  it('counts periods from the anchor (rule creation): rate(5 minutes) created at 10:02:30', () => {
    const anchor = '2025-09-05T10:02:30Z';
    expect(next('rate(5 minutes)', '2025-09-05T10:10:00Z', anchor)).toBe('2025-09-05T10:12:30.000Z');
    expect(next('rate(5 minutes)', '2025-09-05T10:12:30Z', anchor)).toBe('2025-09-05T10:17:30.000Z');
  });

  it('first fires one period after the anchor, never at or before it', () => {
    const anchor = '2025-09-05T10:02:30Z';
    expect(next('rate(5 minutes)', anchor, anchor)).toBe('2025-09-05T10:07:30.000Z');
    expect(next('rate(5 minutes)', '2025-09-01T00:00:00Z', anchor)).toBe('2025-09-05T10:07:30.000Z');
  });

  it('counts from the epoch without an anchor', () => {
    expect(next('rate(1 hour)', '2025-09-05T10:30:00Z')).toBe('2025-09-05T11:00:00.000Z');
    expect(next('rate(1 day)', '2025-09-05T10:00:00Z')).toBe('2025-09-06T00:00:00.000Z');
  });
});

describe('malformed expressions', () => {
  const field = (expr: string) => {
    try {
      parseScheduleExpression(expr);
    } catch (err) {
      expect(err).toBeInstanceOf(ScheduleExpressionError);
      return (err as ScheduleExpressionError).field;
    }
    throw new Error(`${expr} parsed`);
  };

  it.each([
    ['cron(60 * * * ? *)', 'Minutes'],
    ['cron(0-60 * * * ? *)', 'Minutes'],
    ['cron(0/0 * * * ? *)', 'Minutes'],
    ['cron(? * * * ? *)', 'Minutes'],
    ['cron(0 24 * * ? *)', 'Hours'],
    ['cron(0 17-8 * * ? *)', 'Hours'],
    ['cron(0 0 32 * ? *)', 'Day-of-month'],
    ['cron(0 0 0 * ? *)', 'Day-of-month'],
    ['cron(0 0 1# * ? *)', 'Day-of-month'],
    ['cron(0 0 1,,2 * ? *)', 'Day-of-month'],
    ['cron(0 0 1 13 ? *)', 'Month'],
    ['cron(0 0 1 FOO ? *)', 'Month'],
    ['cron(0 0 ? * 8 *)', 'Day-of-week'],
    ['cron(0 0 ? * 0 *)', 'Day-of-week'],
    ['cron(0 0 ? * 3#1,6#3 *)', 'Day-of-week'],
    ['cron(0 0 ? * 2#6 *)', 'Day-of-week'],
    ['cron(0 0 ? * FUN *)', 'Day-of-week'],
    ['cron(0 0 1 1 ? 1969)', 'Year'],
    ['cron(0 0 1 1 ? 2200)', 'Year'],
    ['cron(0 0 * * MON *)', 'Day-of-month/Day-of-week'],
    ['cron(0 0 ? * ? *)', 'Day-of-month/Day-of-week'],
    ['cron(0 0 * * ?)', 'cron'],
    ['cron(0 0 * * ? * *)', 'cron'],
    ['rate(1 hours)', 'unit'],
    ['rate(5 hour)', 'unit'],
    ['rate(5 weeks)', 'unit'],
    ['rate(0 minutes)', 'value'],
    ['rate(1.5 hours)', 'value'],
    ['rate(-1 minute)', 'value'],
    ['rate(5)', 'rate'],
    ['every 5 minutes', 'expression'],
  ])('rejects %s, naming the %s field', (expr, name) => {
    expect(field(expr)).toBe(name);
  });

  it('names the expression and the field in the message', () => {
    expect(() => parseScheduleExpression('cron(0 0 ? * 8 *)')).toThrow(
      'Invalid schedule expression "cron(0 0 ? * 8 *)": Day-of-week: "8": 8 is out of range 1-7',
    );
  });
});

describe('scheduler on a manual clock', () => {
  it('fires a rate(1 hour) rule 3 times when advanced 3 hours', async () => {
    const clock = createManualClock(at('2025-09-05T10:00:00Z'));
    const scheduler = createScheduler({ clock });
    const fired: string[] = [];
    scheduler.add('hourly', 'rate(1 hour)', (when) => {
      fired.push(when.toISOString());
    });
    await clock.advanceBy(3 * 3_600_000);
    expect(fired).toEqual([
      '2025-09-05T11:00:00.000Z',
      '2025-09-05T12:00:00.000Z',
      '2025-09-05T13:00:00.000Z',
    ]);
    scheduler.stop();
  });

  it('fires a daily 01:00 cron exactly once when advanced to 2025-09-08T01:00Z and beyond', async () => {
    const clock = createManualClock(at('2025-09-07T23:30:00Z'));
    const scheduler = createScheduler({ clock });
    const fired: string[] = [];
    scheduler.add('nightly', 'cron(0 1 * * ? *)', (when) => {
      fired.push(when.toISOString());
    });
    await clock.advanceTo(at('2025-09-08T00:59:59Z'));
    expect(fired).toEqual([]);
    await clock.advanceTo(at('2025-09-08T01:00:00Z'));
    expect(fired).toEqual(['2025-09-08T01:00:00.000Z']);
    await clock.advanceTo(at('2025-09-08T01:59:00Z'));
    expect(fired).toEqual(['2025-09-08T01:00:00.000Z']);
    expect(scheduler.next('nightly')?.toISOString()).toBe('2025-09-09T01:00:00.000Z');
    scheduler.stop();
  });

  it('runs each fire with the clock at the fire instant and awaits it before moving on', async () => {
    const clock = createManualClock(at('2025-09-05T10:00:00Z'));
    const scheduler = createScheduler({ clock });
    const log: string[] = [];
    scheduler.add('a', 'rate(10 minutes)', async (when) => {
      log.push(`start ${when.toISOString()} now ${clock.now().toISOString()}`);
      await new Promise((resolve) => setImmediate(resolve));
      log.push(`end ${when.toISOString()}`);
    });
    scheduler.add('b', 'cron(15 10 * * ? *)', (when) => {
      log.push(`cron ${when.toISOString()}`);
    });
    await clock.advanceTo(at('2025-09-05T10:20:00Z'));
    expect(log).toEqual([
      'start 2025-09-05T10:10:00.000Z now 2025-09-05T10:10:00.000Z',
      'end 2025-09-05T10:10:00.000Z',
      'cron 2025-09-05T10:15:00.000Z',
      'start 2025-09-05T10:20:00.000Z now 2025-09-05T10:20:00.000Z',
      'end 2025-09-05T10:20:00.000Z',
    ]);
    expect(clock.now().toISOString()).toBe('2025-09-05T10:20:00.000Z');
    scheduler.stop();
  });

  it('keeps firing after a fire callback throws or rejects, reporting each error via onError', async () => {
    const clock = createManualClock(at('2025-09-05T10:00:00Z'));
    const errors: [unknown, string][] = [];
    const scheduler = createScheduler({ clock, onError: (err, name) => errors.push([err, name]) });
    let calls = 0;
    scheduler.add('flaky', 'rate(1 minute)', async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      if (calls === 2) return Promise.reject(new Error('rejected'));
    });
    await clock.advanceBy(3 * 60_000);
    expect(calls).toBe(3);
    expect(errors.map(([err, name]) => `${name}: ${(err as Error).message}`)).toEqual([
      'flaky: boom',
      'flaky: rejected',
    ]);
    scheduler.stop();
  });

  it('anchors a rate rule at the moment it is added, unless told otherwise', async () => {
    const clock = createManualClock(at('2025-09-05T10:02:30Z'));
    const scheduler = createScheduler({ clock });
    scheduler.add('created-now', 'rate(5 minutes)', () => {});
    scheduler.add('anchored', 'rate(5 minutes)', () => {}, { anchor: at('2025-09-05T10:00:00Z') });
    expect(scheduler.next('created-now')?.toISOString()).toBe('2025-09-05T10:07:30.000Z');
    expect(scheduler.next('anchored')?.toISOString()).toBe('2025-09-05T10:05:00.000Z');
    scheduler.stop();
  });

  it('fires nothing after stop()', async () => {
    const clock = createManualClock(at('2025-09-05T10:00:00Z'));
    const scheduler = createScheduler({ clock });
    const fire = vi.fn();
    scheduler.add('every-minute', 'rate(1 minute)', fire);
    await clock.advanceBy(60_000);
    scheduler.stop();
    await clock.advanceBy(10 * 60_000);
    expect(fire).toHaveBeenCalledTimes(1);
    expect(clock.pending()).toBe(0);
  });

  it('leaves a rule whose cron years are past unscheduled', () => {
    const clock = createManualClock(at('2025-09-05T10:00:00Z'));
    const scheduler = createScheduler({ clock });
    scheduler.add('past', 'cron(0 0 1 1 ? 2020)', () => {});
    expect(scheduler.next('past')).toBeUndefined();
    expect(clock.pending()).toBe(0);
  });

  it('rejects a malformed expression and a duplicate name when the rule is added', () => {
    const scheduler = createScheduler({ clock: createManualClock(at('2025-09-05T10:00:00Z')) });
    expect(() => scheduler.add('bad', 'cron(0 0 * * MON *)', () => {})).toThrow(ScheduleExpressionError);
    scheduler.add('ok', 'rate(1 day)', () => {});
    expect(() => scheduler.add('ok', 'rate(1 day)', () => {})).toThrow(/already registered/);
    scheduler.stop();
  });

  it('refuses to move the manual clock backwards', async () => {
    const clock = createManualClock(at('2025-09-05T10:00:00Z'));
    await expect(clock.advanceTo(at('2025-09-05T09:00:00Z'))).rejects.toThrow(/before/);
  });
});

describe('scheduler on the real clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits out delays longer than setTimeout allows (New Year from September)', async () => {
    vi.useFakeTimers({ now: at('2025-09-05T00:00:00Z') });
    const scheduler = createScheduler();
    const fired: string[] = [];
    scheduler.add('new-year', 'cron(0 0 1 1 ? *)', (when) => {
      fired.push(when.toISOString());
    });
    await vi.advanceTimersByTimeAsync(Date.UTC(2025, 11, 31, 23, 59) - Date.UTC(2025, 8, 5));
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fired).toEqual(['2026-01-01T00:00:00.000Z']);
    scheduler.stop();
  });
});
