/**
 * EventBridge scheduled rules for the local cloud: parses a rule's `ScheduleExpression`
 * (`rate(...)` / `cron(...)`), computes its fire instants, and runs them on a clock that tests
 * can replace.
 *
 * Semantics follow the EventBridge user guide ("Using cron and rate expressions to schedule
 * rules"):
 * - cron has six fields `Minutes Hours Day-of-month Month Day-of-week Year`, evaluated in UTC at
 *   minute resolution; exactly one of Day-of-month / Day-of-week is `?`; Day-of-week counts
 *   1-7 = SUN-SAT; `L`, `W`, `LW`, `nL` and `n#k` behave as in Quartz, which EventBridge's syntax
 *   is modelled on.
 * - `rate(value unit)` takes a positive integer and `minute|hour|day` (singular exactly when the
 *   value is 1); it runs from rule creation, so its fires are `anchor + k·period` (k ≥ 1).
 */

export type RateUnit = 'minute' | 'hour' | 'day';

export interface RateSchedule {
  readonly kind: 'rate';
  readonly expression: string;
  readonly value: number;
  readonly unit: RateUnit;
  readonly periodMs: number;
}

/** One comma-separated item of the Day-of-month field. */
export type DayOfMonthRule =
  | { readonly type: 'days'; readonly days: readonly number[] }
  /** `L` (offset 0) or `L-n`: the last day of the month, minus `offset` days. */
  | { readonly type: 'last'; readonly offset: number }
  /** `LW`: the last weekday (MON-FRI) of the month. */
  | { readonly type: 'lastWeekday' }
  /** `15W`: the weekday nearest to the 15th, never leaving the month. */
  | { readonly type: 'nearestWeekday'; readonly day: number };

/** One comma-separated item of the Day-of-week field; days are 1-7 = SUN-SAT. */
export type DayOfWeekRule =
  | { readonly type: 'days'; readonly days: readonly number[] }
  /** `5L`: the last Thursday of the month. */
  | { readonly type: 'last'; readonly day: number }
  /** `6#3`: the third Friday of the month. */
  | { readonly type: 'nth'; readonly day: number; readonly nth: number };

export interface CronSchedule {
  readonly kind: 'cron';
  readonly expression: string;
  /** Sorted, de-duplicated allowed values. */
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly months: readonly number[];
  readonly years: readonly number[];
  /** `null` when the field is `?`. */
  readonly dayOfMonth: readonly DayOfMonthRule[] | null;
  /** `null` when the field is `?`. */
  readonly dayOfWeek: readonly DayOfWeekRule[] | null;
}

export type Schedule = RateSchedule | CronSchedule;

/** A malformed schedule expression; `field` names the offending part (e.g. `Day-of-week`, `unit`). */
export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
  constructor(
    readonly expression: string,
    readonly field: string,
    detail: string,
  ) {
    super(`Invalid schedule expression "${expression}": ${field}: ${detail}`);
  }
}

const MINUTE_MS = 60_000;
const RATE_UNIT_MS: Record<RateUnit, number> = { minute: MINUTE_MS, hour: 3_600_000, day: 86_400_000 };

export function parseScheduleExpression(expr: string): Schedule {
  const text = expr.trim();
  const rate = /^rate\((.*)\)$/s.exec(text);
  if (rate) return parseRate(text, rate[1] ?? '');
  const cron = /^cron\((.*)\)$/s.exec(text);
  if (cron) return parseCron(text, cron[1] ?? '');
  throw new ScheduleExpressionError(expr, 'expression', 'expected "rate(value unit)" or "cron(fields)"');
}

function parseRate(expression: string, inner: string): RateSchedule {
  const fail = (field: string, detail: string) => new ScheduleExpressionError(expression, field, detail);
  const parts = inner.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 2) throw fail('rate', `expected "value unit", got ${parts.length} part(s)`);
  const [valueText = '', unitText = ''] = parts;
  if (!/^\d+$/.test(valueText)) throw fail('value', `"${valueText}" is not a positive integer`);
  const value = Number(valueText);
  if (value < 1 || !Number.isSafeInteger(value))
    throw fail('value', `"${valueText}" is not a positive integer`);
  const match = /^(minute|hour|day)(s?)$/.exec(unitText);
  if (!match) throw fail('unit', `"${unitText}" is not one of minute | minutes | hour | hours | day | days`);
  const unit = match[1] as RateUnit;
  const plural = match[2] === 's';
  if (value === 1 && plural) throw fail('unit', `a value of 1 takes the singular unit "${unit}"`);
  if (value > 1 && !plural) throw fail('unit', `a value above 1 takes the plural unit "${unit}s"`);
  return { kind: 'rate', expression, value, unit, periodMs: value * RATE_UNIT_MS[unit] };
}

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const nameMap = (names: readonly string[]) => Object.fromEntries(names.map((n, i) => [n, i + 1]));

const MINUTES: FieldSpec = { label: 'Minutes', min: 0, max: 59 };
const HOURS: FieldSpec = { label: 'Hours', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { label: 'Day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = { label: 'Month', min: 1, max: 12, names: nameMap(MONTH_NAMES) };
const DAY_OF_WEEK: FieldSpec = { label: 'Day-of-week', min: 1, max: 7, names: nameMap(DAY_NAMES) };
const YEAR: FieldSpec = { label: 'Year', min: 1970, max: 2199 };

function parseCron(expression: string, inner: string): CronSchedule {
  const fields = inner.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(
      expression,
      'cron',
      `expected 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), got ${fields.length}`,
    );
  }
  const [minutes = '', hours = '', dom = '', month = '', dow = '', year = ''] = fields;
  const ctx = (spec: FieldSpec, text: string) => new FieldContext(expression, spec, text);
  const dayOfMonth = dom === '?' ? null : parseDayOfMonth(ctx(DAY_OF_MONTH, dom));
  const dayOfWeek = dow === '?' ? null : parseDayOfWeek(ctx(DAY_OF_WEEK, dow));
  if ((dayOfMonth === null) === (dayOfWeek === null)) {
    throw new ScheduleExpressionError(
      expression,
      'Day-of-month/Day-of-week',
      dayOfMonth === null
        ? 'only one of the two may be "?"'
        : `"${dom}" and "${dow}" cannot both be set; exactly one must be "?"`,
    );
  }
  return {
    kind: 'cron',
    expression,
    minutes: parseNumeric(ctx(MINUTES, minutes)),
    hours: parseNumeric(ctx(HOURS, hours)),
    months: parseNumeric(ctx(MONTH, month)),
    years: parseNumeric(ctx(YEAR, year)),
    dayOfMonth,
    dayOfWeek,
  };
}

class FieldContext {
  constructor(
    readonly expression: string,
    readonly spec: FieldSpec,
    readonly text: string,
  ) {}

  fail(detail: string): ScheduleExpressionError {
    return new ScheduleExpressionError(this.expression, this.spec.label, `"${this.text}": ${detail}`);
  }

  items(): string[] {
    const items = this.text.split(',');
    if (items.some((item) => item === '')) throw this.fail('empty list item');
    return items;
  }

  value(token: string): number {
    const { min, max, names } = this.spec;
    const named = names?.[token.toUpperCase()];
    if (named !== undefined) return named;
    if (!/^\d+$/.test(token)) {
      const hint = names ? ` or ${Object.keys(names)[0]}-${Object.keys(names).at(-1)}` : '';
      throw this.fail(`"${token}" is not a number in ${min}-${max}${hint}`);
    }
    const value = Number(token);
    if (value < min || value > max) throw this.fail(`${value} is out of range ${min}-${max}`);
    return value;
  }

  /** `*`, `a`, `a-b`, `*\/s`, `a/s`, `a-b/s` → the values it covers. */
  range(item: string): number[] {
    const { min, max } = this.spec;
    const match = /^(\*|[A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(?:\/(\d+))?$/.exec(item);
    if (!match) throw this.fail(`cannot read "${item}"`);
    const [, startText = '', endText, stepText] = match;
    if (startText === '*' && endText !== undefined) throw this.fail(`cannot read "${item}"`);
    const start = startText === '*' ? min : this.value(startText);
    const end = endText !== undefined ? this.value(endText) : startText === '*' || stepText ? max : start;
    if (start > end) throw this.fail(`range ${item} runs backwards`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) throw this.fail(`increment in "${item}" must be at least 1`);
    const out: number[] = [];
    for (let v = start; v <= end; v += step) out.push(v);
    return out;
  }
}

const sortedUnique = (values: Iterable<number>) => [...new Set(values)].sort((a, b) => a - b);

function parseNumeric(ctx: FieldContext): number[] {
  if (ctx.text === '?') throw ctx.fail('"?" is only allowed in Day-of-month or Day-of-week');
  return sortedUnique(ctx.items().flatMap((item) => ctx.range(item)));
}

function parseDayOfMonth(ctx: FieldContext): DayOfMonthRule[] {
  const rules: DayOfMonthRule[] = [];
  const days: number[] = [];
  for (const item of ctx.items()) {
    const upper = item.toUpperCase();
    if (upper === 'L') {
      rules.push({ type: 'last', offset: 0 });
      continue;
    }
    if (upper === 'LW') {
      rules.push({ type: 'lastWeekday' });
      continue;
    }
    const lastOffset = /^L-(\d+)$/.exec(upper);
    if (lastOffset) {
      const offset = Number(lastOffset[1]);
      if (offset > 30) throw ctx.fail(`offset in "${item}" must be 0-30`);
      rules.push({ type: 'last', offset });
      continue;
    }
    const nearest = /^(\d+)W$/.exec(upper);
    if (nearest) {
      rules.push({ type: 'nearestWeekday', day: ctx.value(nearest[1] ?? '') });
      continue;
    }
    if (/[A-Z#]/.test(upper)) throw ctx.fail(`cannot read "${item}" (allowed: , - * ? / L W)`);
    days.push(...ctx.range(item));
  }
  if (days.length > 0) rules.unshift({ type: 'days', days: sortedUnique(days) });
  return rules;
}

function parseDayOfWeek(ctx: FieldContext): DayOfWeekRule[] {
  const items = ctx.items();
  const rules: DayOfWeekRule[] = [];
  const days: number[] = [];
  for (const item of items) {
    const upper = item.toUpperCase();
    if (upper === 'L') {
      days.push(7); // `L` alone is the last day of the week: Saturday
      continue;
    }
    const nth = /^([A-Z0-9]+)#(.*)$/.exec(upper);
    if (nth) {
      if (items.length > 1) throw ctx.fail('"#" allows only a single expression in Day-of-week');
      const n = nth[2] ?? '';
      if (!/^[1-5]$/.test(n)) throw ctx.fail(`occurrence in "${item}" must be 1-5`);
      rules.push({ type: 'nth', day: ctx.value(nth[1] ?? ''), nth: Number(n) });
      continue;
    }
    const last = /^([A-Z0-9]+)L$/.exec(upper);
    if (last) {
      rules.push({ type: 'last', day: ctx.value(last[1] ?? '') });
      continue;
    }
    days.push(...ctx.range(item));
  }
  if (days.length > 0) rules.unshift({ type: 'days', days: sortedUnique(days) });
  return rules;
}

const EPOCH = new Date(0);

/**
 * The first fire instant strictly after `after`, or undefined when there is none (e.g. the cron's
 * years are all past). Cron instants are whole UTC minutes. Rate instants are `anchor + k·period`
 * for k ≥ 1, `anchor` being the rule's creation (default: the epoch).
 */
export function nextFireTime(schedule: Schedule, after: Date, anchor: Date = EPOCH): Date | undefined {
  const t = after.getTime();
  if (Number.isNaN(t)) throw new Error('nextFireTime: `after` is an invalid Date');
  if (schedule.kind === 'rate') {
    const a = anchor.getTime();
    if (Number.isNaN(a)) throw new Error('nextFireTime: `anchor` is an invalid Date');
    const k = Math.max(1, Math.floor((t - a) / schedule.periodMs) + 1);
    return new Date(a + k * schedule.periodMs);
  }
  return nextCronTime(schedule, t);
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1-7 = SUN-SAT, as in the Day-of-week field. */
const weekday = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
const isWeekend = (dow: number) => dow === 1 || dow === 7;

function nearestWeekday(year: number, month: number, target: number, lastDay: number): number | undefined {
  if (target > lastDay) return undefined; // e.g. 31W in a 30-day month never fires
  const dow = weekday(year, month, target);
  if (dow === 7) return target === 1 ? 3 : target - 1; // Saturday → Friday, or Monday the 3rd
  if (dow === 1) return target === lastDay ? target - 2 : target + 1; // Sunday → Monday, or Friday
  return target;
}

function dayMatches(cron: CronSchedule, year: number, month: number, day: number, lastDay: number): boolean {
  if (cron.dayOfMonth) {
    return cron.dayOfMonth.some((rule) => {
      switch (rule.type) {
        case 'days':
          return rule.days.includes(day);
        case 'last':
          return day === lastDay - rule.offset;
        case 'lastWeekday': {
          let d = lastDay;
          while (isWeekend(weekday(year, month, d))) d--;
          return day === d;
        }
        case 'nearestWeekday':
          return day === nearestWeekday(year, month, rule.day, lastDay);
      }
      return false;
    });
  }
  const dow = weekday(year, month, day);
  return (cron.dayOfWeek ?? []).some((rule) => {
    switch (rule.type) {
      case 'days':
        return rule.days.includes(dow);
      case 'last':
        return dow === rule.day && day + 7 > lastDay;
      case 'nth':
        return dow === rule.day && Math.ceil(day / 7) === rule.nth;
    }
    return false;
  });
}

function nextCronTime(cron: CronSchedule, afterMs: number): Date | undefined {
  const from = new Date(Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  const y0 = from.getUTCFullYear();
  const mo0 = from.getUTCMonth() + 1;
  const d0 = from.getUTCDate();
  const h0 = from.getUTCHours();
  const mi0 = from.getUTCMinutes();
  for (const year of cron.years) {
    if (year < y0) continue;
    for (const month of cron.months) {
      const sameMonth = year === y0 && month === mo0;
      if (year === y0 && month < mo0) continue;
      const lastDay = daysInMonth(year, month);
      for (let day = sameMonth ? d0 : 1; day <= lastDay; day++) {
        if (!dayMatches(cron, year, month, day, lastDay)) continue;
        const sameDay = sameMonth && day === d0;
        for (const hour of cron.hours) {
          if (sameDay && hour < h0) continue;
          const sameHour = sameDay && hour === h0;
          const minute = cron.minutes.find((m) => !sameHour || m >= mi0);
          if (minute !== undefined) return new Date(Date.UTC(year, month - 1, day, hour, minute));
        }
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Scheduler

export interface Clock {
  now(): Date;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => new Date(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export type FireFn = (at: Date) => Promise<void> | void;

export interface SchedulerOptions {
  clock?: Clock;
  /** Called when a fire callback throws or rejects; later fires go on. Default: console.error. */
  onError?: (err: unknown, name: string) => void;
}

export interface AddOptions {
  /** Start of a rate schedule (rule creation). Default: the clock's now at `add`. */
  anchor?: Date;
}

export interface Scheduler {
  /** Registers a rule; throws ScheduleExpressionError on a malformed expression or a duplicate name. */
  add(name: string, expr: string, fire: FireFn, options?: AddOptions): void;
  /** The next instant the named rule will fire, if any. */
  next(name: string): Date | undefined;
  /** Cancels every pending fire; fires already running finish. */
  stop(): void;
}

/** setTimeout overflows above 2^31-1 ms (~24.8 days); longer waits re-arm on waking. */
const MAX_DELAY_MS = 2_147_483_647;

export function createScheduler(options: SchedulerOptions = {}): Scheduler {
  const clock = options.clock ?? realClock;
  const onError =
    options.onError ?? ((err, name) => console.error(`[schedule] rule ${name} failed to fire:`, err));
  const rules = new Map<string, { due: Date | undefined; handle: unknown }>();
  let stopped = false;

  const arm = (name: string, schedule: Schedule, anchor: Date, fire: FireFn, due: Date | undefined) => {
    const rule = { due, handle: undefined as unknown };
    rules.set(name, rule);
    if (due === undefined || stopped) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, due.getTime() - clock.now().getTime()));
    rule.handle = clock.setTimeout(async () => {
      if (stopped || rules.get(name) !== rule) return;
      const now = clock.now();
      if (now < due) {
        arm(name, schedule, anchor, fire, due); // woke early (long wait split up)
        return;
      }
      // Re-arm before firing: like EventBridge, one slow target does not delay the next fire. After a
      // long stall (laptop sleep) the missed instants collapse into this single late fire.
      const after = now.getTime() > due.getTime() ? now : due;
      arm(name, schedule, anchor, fire, nextFireTime(schedule, after, anchor));
      try {
        await fire(due);
      } catch (err) {
        try {
          onError(err, name);
        } catch {
          // an onError that throws must not stop the schedule either
        }
      }
    }, delay);
  };

  return {
    add(name, expr, fire, addOptions = {}) {
      if (rules.has(name)) throw new Error(`Scheduled rule "${name}" is already registered`);
      const schedule = parseScheduleExpression(expr);
      const now = clock.now();
      const anchor = addOptions.anchor ?? now;
      arm(name, schedule, anchor, fire, nextFireTime(schedule, now, anchor));
    },
    next(name) {
      return rules.get(name)?.due;
    },
    stop() {
      stopped = true;
      for (const rule of rules.values()) if (rule.handle !== undefined) clock.clearTimeout(rule.handle);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Manual clock for tests

export interface ManualClock extends Clock {
  /** Moves time forward to `date`, running every timer due by then in due order and awaiting each. */
  advanceTo(date: Date): Promise<void>;
  advanceBy(ms: number): Promise<void>;
  /** Number of timers waiting. */
  pending(): number;
}

export function createManualClock(start: Date): ManualClock {
  let now = start.getTime();
  let seq = 0;
  const timers = new Map<number, { due: number; seq: number; fn: () => unknown }>();

  const clock: ManualClock = {
    now: () => new Date(now),
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { due: now + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: id, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    async advanceTo(date) {
      const target = date.getTime();
      if (Number.isNaN(target)) throw new Error('advanceTo: invalid Date');
      if (target < now) throw new Error(`advanceTo: ${date.toISOString()} is before the clock's now`);
      for (let runs = 0; ; runs++) {
        if (runs > 100_000) throw new Error('advanceTo: more than 100000 timers ran; a timer loop?');
        let nextId: number | undefined;
        let next: { due: number; seq: number; fn: () => unknown } | undefined;
        for (const [id, timer] of timers) {
          if (timer.due > target) continue;
          if (!next || timer.due < next.due || (timer.due === next.due && timer.seq < next.seq)) {
            next = timer;
            nextId = id;
          }
        }
        if (!next || nextId === undefined) break;
        timers.delete(nextId);
        now = next.due;
        await next.fn();
      }
      now = target;
    },
    advanceBy(ms) {
      return clock.advanceTo(new Date(now + ms));
    },
    pending: () => timers.size,
  };
  return clock;
}
