/**
 * 控辍保学统计 — the numbers bureaus report (docs/domain.md §6): 动态清零 progress per school,
 * township and county, overdue items, 复学 and 巩固 counts, 送教上门 visits, the school-year table per
 * school (安泽 2023: 转入, 转出, 休学, 复学, 辍学, 毕业, every June), 辍学率 and 巩固率.
 *
 * Case figures are replayed from each case's history (ledgers.ts), so the statistics of a past period come
 * out the same when recomputed later. Everything 学籍 knows and cases do not (enrolment, transfers,
 * 休学, graduation, the first-grade cohort) comes in as plain rows the service fills from rosters.
 * Percentages are rounded to 2 decimals; a division by zero or a missing denominator is null.
 */
import { z } from 'zod';
import { addDays } from '../../../shared/dates';
import { childKeySchema, localDateSchema } from '../../../shared/events/envelope';
import { OVERDUE_ITEM_NAMES_ZH, type OverdueItem, overdueItemSchema } from '../../../shared/events/vocab';
import { cells, padEnd, padStart } from '../../../shared/text-width';
import { type CaseRecord, isOpen } from './case';
import {
  DROPOUT_LEDGER_STATES,
  isOpenOn,
  overdueAsOf,
  type StateStep,
  SUSPECTED_LEDGER_STATES,
  stateAsOf,
  stateSteps,
} from './ledgers';

// ── inputs from 学籍 ──────────────────────────────────────────────────────────────────────────────────

/** 在校生数 — pupils on a school's 学籍 roster (the denominator of 辍学率). */
export const enrollmentCountSchema = z.strictObject({
  /** 学校标识码 (or the school's name where the roster has no code), as cases name the school. */
  school: z.string().min(1),
  schoolName: z.string().optional(),
  township: z.string().optional(),
  enrolled: z.number().int().min(0),
});
export type EnrollmentCount = z.infer<typeof enrollmentCountSchema>;

/** 学籍变动 — the columns of the school-year statistics table (安泽 2023 §二3; docs/domain.md §6.3). */
export const schoolYearChangeKindSchema = z.enum([
  'TRANSFER_IN',
  'TRANSFER_OUT',
  'SUSPENSION',
  'RESUMPTION',
  'DROPOUT',
  'GRADUATION',
]);
export type SchoolYearChangeKind = z.infer<typeof schoolYearChangeKindSchema>;

export const SCHOOL_YEAR_CHANGE_NAMES_ZH = {
  TRANSFER_IN: '转入',
  TRANSFER_OUT: '转出',
  SUSPENSION: '休学',
  RESUMPTION: '复学',
  DROPOUT: '辍学',
  GRADUATION: '毕业',
} as const satisfies Record<SchoolYearChangeKind, string>;

/**
 * 学籍变动记录 — one pupil's change at one school during the school year: from a 学籍变动 export, from
 * comparing the 学籍 rosters of the year's start and end ({@link schoolYearChangesFromRosters}), or from
 * a 休学 roster. A child is counted once per school and kind, so a 复学 or 辍学 that is both a row here and
 * a case counts once.
 */
export const schoolYearChangeRowSchema = z.strictObject({
  school: z.string().min(1),
  schoolName: z.string().optional(),
  township: z.string().optional(),
  childKey: childKeySchema,
  kind: schoolYearChangeKindSchema,
  date: localDateSchema.optional(),
});
export type SchoolYearChangeRow = z.infer<typeof schoolYearChangeRowSchema>;

export interface SchoolYearInput {
  /** The school year, e.g. 2024-09-01 to 2025-08-31. */
  from: string;
  to: string;
  changes: readonly SchoolYearChangeRow[];
  /** 学年初在校生数; the input's `enrollment` when left out. */
  enrollment?: readonly EnrollmentCount[];
}

/**
 * 巩固率 cohort — one unit's (county, township or school) pupils of one graduating class: 初中毕业年级在校生数
 * and 该年级入小学一年级时的学生数 (docs/domain.md §6.4; 临沧 2020 target ≥ 95%).
 */
export const consolidationCohortSchema = z.strictObject({
  unit: z.string().min(1),
  unitName: z.string().optional(),
  /** The year the class finishes 初中 (九年级). */
  graduationYear: z.number().int().min(2000).max(2100),
  graduating: z.number().int().min(0),
  enteredGradeOne: z.number().int().min(0),
});
export type ConsolidationCohort = z.infer<typeof consolidationCohortSchema>;

/** A pupil on a 学籍 roster, keyed by pseudonym, as the stats need them. */
export interface RosterPupil {
  childKey: string;
  school: string;
  schoolName?: string;
  township?: string;
  /** In the school's final grade (六年级, 九年级): leaves by graduating at the year's end. */
  graduating?: boolean;
}

/** 在校生数 per school from one 学籍 roster (a child listed twice at one school counts once). */
export function enrollmentCounts(pupils: readonly RosterPupil[]): EnrollmentCount[] {
  const bySchool = new Map<string, { first: RosterPupil; children: Set<string> }>();
  for (const p of pupils) {
    const entry = bySchool.get(p.school) ?? { first: p, children: new Set<string>() };
    entry.children.add(p.childKey);
    bySchool.set(p.school, entry);
  }
  return [...bySchool.entries()].map(([school, { first, children }]) =>
    withoutUndefined({
      school,
      schoolName: first.schoolName,
      township: first.township,
      enrolled: children.size,
    }),
  );
}

/**
 * 学籍变动 from two 学籍 rosters of one school year — `start` taken after the autumn term began, `end`
 * before the summer holidays (grades do not change in between):
 * - 转入: on the end roster of a school, not on its start roster;
 * - 转出: on the start roster of a school, not on its end roster (to another school here or elsewhere);
 * - 毕业: on the end roster in a graduating grade;
 * - 休学: a 休学 roster's rows that begin within the year.
 * 复学 and 辍学 come from the cases; add rows of those kinds from a 学籍变动 export if there is one.
 */
export function schoolYearChangesFromRosters(input: {
  from: string;
  to: string;
  start: readonly RosterPupil[];
  end: readonly RosterPupil[];
  suspensions?: readonly (RosterPupil & { from: string })[];
}): SchoolYearChangeRow[] {
  const at = (p: RosterPupil) => `${p.school}\u0000${p.childKey}`;
  const startKeys = new Set(input.start.map(at));
  const endKeys = new Set(input.end.map(at));
  const rows: SchoolYearChangeRow[] = [];
  const row = (p: RosterPupil, kind: SchoolYearChangeKind, date?: string): SchoolYearChangeRow =>
    withoutUndefined({
      school: p.school,
      schoolName: p.schoolName,
      township: p.township,
      childKey: p.childKey,
      kind,
      date,
    });
  for (const p of input.end) {
    if (!startKeys.has(at(p))) rows.push(row(p, 'TRANSFER_IN'));
    if (p.graduating) rows.push(row(p, 'GRADUATION', input.to));
  }
  for (const p of input.start) if (!endKeys.has(at(p))) rows.push(row(p, 'TRANSFER_OUT'));
  for (const s of input.suspensions ?? []) {
    if (s.from >= input.from && s.from <= input.to) rows.push(row(s, 'SUSPENSION', s.from));
  }
  return rows;
}

// ── results ──────────────────────────────────────────────────────────────────────────────────────────

export interface StatsPeriod {
  from: string;
  to: string;
}

/**
 * 案件统计 — one unit's case figures. They add up: openAtPeriodStart + openedInPeriod + reopenedInPeriod −
 * closedInPeriod = openAtPeriodEnd, and openSuspected + openDropouts + openFollowUp = openNow.
 */
export interface CaseFigures {
  /** Open at the end of the day before the period. */
  openAtPeriodStart: number;
  openedInPeriod: number;
  /** 缓学 cases that reopened when their end date passed without return. */
  reopenedInPeriod: number;
  closedInPeriod: number;
  openAtPeriodEnd: number;
  /** 动态清零: open at the end of asOf — the number that should be zero. */
  openNow: number;
  /** Of openNow: on the 疑似辍学 ledger, on the 辍学 ledger, back at school in follow-up (复学, 巩固). */
  openSuspected: number;
  openDropouts: number;
  openFollowUp: number;
  /** Overdue items standing on asOf. */
  overdue: number;
  /** Cases that reached 复学 (RETURNED) / 巩固 (RETAINED) in the period. */
  returnedInPeriod: number;
  retainedInPeriod: number;
  /** 送教上门 visits made in the period. */
  homeTeachingVisits: number;
  /** Children confirmed as dropouts in the period (each child once). */
  dropoutsInPeriod: number;
  /** 在校生数; null without enrolment data. */
  enrolled: number | null;
  /** 辍学率 = dropoutsInPeriod / enrolled, in %. */
  dropoutRatePct: number | null;
  /** 结案率 — closedInPeriod / (openAtPeriodStart + openedInPeriod + reopenedInPeriod), in %. */
  clearancePct: number | null;
}

export interface UnitFigures extends CaseFigures {
  /** 学校标识码 or 乡镇 code; '' for cases without a school or township. */
  code: string;
  name?: string;
  /** A school's township. */
  township?: string;
}

export interface OverdueStats {
  total: number;
  byItem: Record<OverdueItem, number>;
  /** By escalation level (0 = the first responsible person), ascending. */
  byLevel: { level: number; count: number }[];
  cells: { item: OverdueItem; level: number; count: number }[];
}

export interface HomeTeachingStats {
  /** 送教上门 placements in force at some time in the period. */
  cases: number;
  /** Of them, those visited at least once in the period. */
  casesVisited: number;
  visits: number;
}

/** 学年统计表 — one school's (or township's, or the county's) row. */
export interface SchoolYearFigures {
  code: string;
  name?: string;
  township?: string;
  enrolledAtStart: number | null;
  transferIn: number;
  transferOut: number;
  suspension: number;
  resumption: number;
  dropout: number;
  graduation: number;
  /** 辍学率 = dropout / enrolledAtStart, in %. */
  dropoutRatePct: number | null;
}

export interface SchoolYearStats {
  from: string;
  to: string;
  schools: SchoolYearFigures[];
  townships: SchoolYearFigures[];
  total: SchoolYearFigures;
}

export interface ConsolidationStats {
  cohorts: (ConsolidationCohort & { ratePct: number | null })[];
  /** Per graduating class, summed over the units given (give disjoint units: all schools, or the county). */
  totals: { graduationYear: number; graduating: number; enteredGradeOne: number; ratePct: number | null }[];
}

export interface Stats {
  asOf: string;
  period: StatsPeriod;
  county: CaseFigures;
  townships: UnitFigures[];
  schools: UnitFigures[];
  overdue: OverdueStats;
  homeTeaching: HomeTeachingStats;
  schoolYear?: SchoolYearStats;
  consolidation?: ConsolidationStats;
}

export interface StatsInput {
  records: readonly CaseRecord[];
  asOf: string;
  period: StatsPeriod;
  /** 在校生数 per school at the period's start. */
  enrollment?: readonly EnrollmentCount[];
  schoolYear?: SchoolYearInput;
  /** 巩固率 inputs, one per unit and graduating class. */
  cohorts?: readonly ConsolidationCohort[];
}

// ── computing ────────────────────────────────────────────────────────────────────────────────────────

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** numerator / denominator in %, 2 decimals; null when the denominator is missing or zero. */
export function percent(numerator: number, denominator: number | null): number | null {
  if (denominator === null || denominator === 0) return null;
  return Math.round((numerator / denominator) * 10_000) / 100;
}

const within = (date: string, p: StatsPeriod) => date >= p.from && date <= p.to;

const FOLLOW_UP_STATES = ['RETURNED', 'RETAINED'] as const;

/** Steps of a period: state changes recorded in it. */
const stepsIn = (steps: readonly StateStep[], p: StatsPeriod) => steps.filter((s) => within(s.date, p));

/** 确认辍学 in the period: a step onto the dropout ledger (a first confirmation, or absent again in follow-up). */
const becameDropout = (s: StateStep) =>
  DROPOUT_LEDGER_STATES.includes(s.after) && !DROPOUT_LEDGER_STATES.includes(s.before);

interface CaseNumbers {
  figures: Omit<CaseFigures, 'enrolled' | 'dropoutRatePct' | 'clearancePct' | 'dropoutsInPeriod'>;
  droppedOut: boolean;
}

function caseNumbers(record: CaseRecord, asOf: string, period: StatsPeriod, overdue: number): CaseNumbers {
  const steps = stateSteps(record);
  const inPeriod = stepsIn(steps, period);
  const now = stateAsOf(record, asOf);
  const open = now !== undefined && isOpen(now);
  const placement = record.placement;
  return {
    figures: {
      openAtPeriodStart: Number(isOpenOn(record, addDays(period.from, -1))),
      openedInPeriod: Number(within(record.openedOn, period)),
      reopenedInPeriod: inPeriod.filter((s) => !isOpen(s.before) && isOpen(s.after)).length,
      closedInPeriod: inPeriod.filter((s) => isOpen(s.before) && !isOpen(s.after)).length,
      openAtPeriodEnd: Number(isOpenOn(record, period.to)),
      openNow: Number(open),
      openSuspected: Number(open && SUSPECTED_LEDGER_STATES.includes(now)),
      openDropouts: Number(open && DROPOUT_LEDGER_STATES.includes(now)),
      openFollowUp: Number(open && (FOLLOW_UP_STATES as readonly string[]).includes(now)),
      overdue,
      returnedInPeriod: Number(inPeriod.some((s) => s.after === 'RETURNED')),
      retainedInPeriod: Number(inPeriod.some((s) => s.after === 'RETAINED')),
      homeTeachingVisits:
        placement?.kind === 'HOME_TEACHING' ? placement.visits.filter((d) => within(d, period)).length : 0,
    },
    droppedOut: inPeriod.some(becameDropout),
  };
}

type Tally = CaseNumbers['figures'] & { dropouts: Set<string> };

function emptyTally(): Tally {
  return {
    openAtPeriodStart: 0,
    openedInPeriod: 0,
    reopenedInPeriod: 0,
    closedInPeriod: 0,
    openAtPeriodEnd: 0,
    openNow: 0,
    openSuspected: 0,
    openDropouts: 0,
    openFollowUp: 0,
    overdue: 0,
    returnedInPeriod: 0,
    retainedInPeriod: 0,
    homeTeachingVisits: 0,
    dropouts: new Set(),
  };
}

function addTo(tally: Tally, n: CaseNumbers, childKey: string): void {
  for (const key of Object.keys(n.figures) as (keyof CaseNumbers['figures'])[]) tally[key] += n.figures[key];
  if (n.droppedOut) tally.dropouts.add(childKey);
}

function finish(tally: Tally, enrolled: number | null): CaseFigures {
  const { dropouts, ...counts } = tally;
  return {
    ...counts,
    dropoutsInPeriod: dropouts.size,
    enrolled,
    dropoutRatePct: percent(dropouts.size, enrolled),
    clearancePct: percent(
      counts.closedInPeriod,
      counts.openAtPeriodStart + counts.openedInPeriod + counts.reopenedInPeriod,
    ),
  };
}

const schoolKey = (r: { school?: string; schoolName?: string }) => r.school ?? r.schoolName ?? '';

interface UnitInfo {
  name?: string;
  township?: string;
}

/** Remembers each school's name and township from whichever input names them first. */
function noteSchool(units: Map<string, UnitInfo>, code: string, info: UnitInfo): void {
  const known = units.get(code) ?? {};
  units.set(code, {
    name: known.name ?? info.name,
    township: known.township ?? info.township,
  });
}

function sumEnrolled(
  rows: readonly EnrollmentCount[],
  keep: (row: EnrollmentCount) => boolean,
): number | null {
  const chosen = rows.filter(keep);
  return chosen.length === 0 ? null : chosen.reduce((n, r) => n + r.enrolled, 0);
}

const byCode = <T extends { code: string; township?: string }>(a: T, b: T) => {
  const ka = `${a.township ?? ''}\u0000${a.code}`;
  const kb = `${b.township ?? ''}\u0000${b.code}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

function overdueStats(items: readonly { item: OverdueItem; escalationLevel: number }[]): OverdueStats {
  const byItem = Object.fromEntries(overdueItemSchema.options.map((i) => [i, 0])) as Record<
    OverdueItem,
    number
  >;
  const levels = new Map<number, number>();
  const cells = new Map<string, { item: OverdueItem; level: number; count: number }>();
  for (const o of items) {
    byItem[o.item]++;
    levels.set(o.escalationLevel, (levels.get(o.escalationLevel) ?? 0) + 1);
    const key = `${o.item}:${o.escalationLevel}`;
    const cell = cells.get(key) ?? { item: o.item, level: o.escalationLevel, count: 0 };
    cell.count++;
    cells.set(key, cell);
  }
  const order = overdueItemSchema.options;
  return {
    total: items.length,
    byItem,
    byLevel: [...levels.entries()].sort(([a], [b]) => a - b).map(([level, count]) => ({ level, count })),
    cells: [...cells.values()].sort(
      (a, b) => order.indexOf(a.item) - order.indexOf(b.item) || a.level - b.level,
    ),
  };
}

function homeTeachingStats(records: readonly CaseRecord[], period: StatsPeriod): HomeTeachingStats {
  let cases = 0;
  let casesVisited = 0;
  let visits = 0;
  for (const r of records) {
    const p = r.placement;
    if (p?.kind !== 'HOME_TEACHING' || p.since > period.to) continue;
    const placedBefore = stateAsOf(r, addDays(period.from, -1)) === 'PLACED';
    const placedDuring = stepsIn(stateSteps(r), period).some((s) => s.after === 'PLACED');
    if (!placedBefore && !placedDuring) continue;
    cases++;
    const done = p.visits.filter((d) => within(d, period)).length;
    visits += done;
    if (done > 0) casesVisited++;
  }
  return { cases, casesVisited, visits };
}

type YearCounts = Record<SchoolYearChangeKind, Set<string>>;

const emptyYearCounts = (): YearCounts =>
  Object.fromEntries(schoolYearChangeKindSchema.options.map((k) => [k, new Set<string>()])) as YearCounts;

function yearFigures(
  code: string,
  info: UnitInfo,
  counts: YearCounts,
  enrolledAtStart: number | null,
): SchoolYearFigures {
  return withoutUndefined({
    code,
    name: info.name,
    township: info.township,
    enrolledAtStart,
    transferIn: counts.TRANSFER_IN.size,
    transferOut: counts.TRANSFER_OUT.size,
    suspension: counts.SUSPENSION.size,
    resumption: counts.RESUMPTION.size,
    dropout: counts.DROPOUT.size,
    graduation: counts.GRADUATION.size,
    dropoutRatePct: percent(counts.DROPOUT.size, enrolledAtStart),
  });
}

function schoolYearStats(
  input: SchoolYearInput,
  records: readonly CaseRecord[],
  fallbackEnrollment: readonly EnrollmentCount[] | undefined,
  units: Map<string, UnitInfo>,
): SchoolYearStats {
  const year = { from: input.from, to: input.to };
  const enrollment = input.enrollment ?? fallbackEnrollment;
  const bySchool = new Map<string, YearCounts>();
  const countsOf = (code: string) => {
    const counts = bySchool.get(code) ?? emptyYearCounts();
    bySchool.set(code, counts);
    return counts;
  };
  // Keys are child plus school, so the county's totals count a child who changed at two schools twice —
  // as the table does (a transfer is a 转出 at one school and a 转入 at the other).
  for (const c of input.changes) {
    noteSchool(units, c.school, { name: c.schoolName, township: c.township });
    countsOf(c.school)[c.kind].add(c.childKey);
  }
  for (const r of records) {
    const steps = stepsIn(stateSteps(r), year);
    if (steps.some(becameDropout)) countsOf(schoolKey(r)).DROPOUT.add(r.child.childKey);
    if (steps.some((s) => s.after === 'RETURNED')) {
      // 复学 counts at the school the child went back to.
      const school = r.returned?.school ?? schoolKey(r);
      noteSchool(units, school, { township: r.township });
      countsOf(school).RESUMPTION.add(r.child.childKey);
    }
  }
  for (const e of enrollment ?? []) countsOf(e.school);

  const enrolledOf = (keep: (e: EnrollmentCount) => boolean) =>
    enrollment ? sumEnrolled(enrollment, keep) : null;
  const schools = [...bySchool.entries()]
    .map(([code, counts]) =>
      yearFigures(
        code,
        units.get(code) ?? {},
        counts,
        enrolledOf((e) => e.school === code),
      ),
    )
    .sort(byCode);

  const merge = (codes: readonly string[]): YearCounts => {
    const merged = emptyYearCounts();
    for (const code of codes) {
      const counts = bySchool.get(code)!;
      for (const kind of schoolYearChangeKindSchema.options) {
        for (const child of counts[kind]) merged[kind].add(`${code}\u0000${child}`);
      }
    }
    return merged;
  };
  const townshipOf = (code: string) => units.get(code)?.township ?? '';
  const townshipCodes = [...new Set([...bySchool.keys()].map(townshipOf))].sort();
  const townships = townshipCodes.map((t) =>
    yearFigures(
      t,
      {},
      merge([...bySchool.keys()].filter((code) => townshipOf(code) === t)),
      enrolledOf((e) => townshipOf(e.school) === t),
    ),
  );
  const total = yearFigures(
    '',
    {},
    merge([...bySchool.keys()]),
    enrolledOf(() => true),
  );
  return { from: input.from, to: input.to, schools, townships, total };
}

function consolidationStats(cohorts: readonly ConsolidationCohort[]): ConsolidationStats {
  const byYear = new Map<number, { graduating: number; enteredGradeOne: number }>();
  for (const c of cohorts) {
    const sum = byYear.get(c.graduationYear) ?? { graduating: 0, enteredGradeOne: 0 };
    sum.graduating += c.graduating;
    sum.enteredGradeOne += c.enteredGradeOne;
    byYear.set(c.graduationYear, sum);
  }
  return {
    cohorts: cohorts.map((c) => ({ ...c, ratePct: percent(c.graduating, c.enteredGradeOne) })),
    totals: [...byYear.entries()]
      .sort(([a], [b]) => a - b)
      .map(([graduationYear, s]) => ({
        graduationYear,
        ...s,
        ratePct: percent(s.graduating, s.enteredGradeOne),
      })),
  };
}

/**
 * 统计 — the figures of `GET /stats` and `npx kcbx stats` for the cases and rows given (the caller scopes
 * them to the organisation). Period figures count state changes recorded within `period`; "now" figures
 * and overdue items are as of `asOf`.
 */
export function computeStats(input: StatsInput): Stats {
  const { asOf, period } = input;
  if (period.from > period.to) throw new RangeError(`统计期起始 ${period.from} 晚于结束 ${period.to}`);
  const units = new Map<string, UnitInfo>();
  const schoolTallies = new Map<string, Tally>();
  const county = emptyTally();
  const standingOverdue: { item: OverdueItem; escalationLevel: number }[] = [];

  for (const r of input.records) {
    if (r.openedOn > period.to && r.openedOn > asOf) continue;
    const overdue = overdueAsOf(r, asOf);
    standingOverdue.push(...overdue);
    const numbers = caseNumbers(r, asOf, period, overdue.length);
    const code = schoolKey(r);
    noteSchool(units, code, { name: r.schoolName, township: r.township });
    const tally = schoolTallies.get(code) ?? emptyTally();
    schoolTallies.set(code, tally);
    addTo(tally, numbers, r.child.childKey);
    addTo(county, numbers, r.child.childKey);
  }
  const enrollment = input.enrollment;
  for (const e of enrollment ?? []) {
    noteSchool(units, e.school, { name: e.schoolName, township: e.township });
    if (!schoolTallies.has(e.school)) schoolTallies.set(e.school, emptyTally());
  }
  const enrolledOf = (keep: (e: EnrollmentCount) => boolean) =>
    enrollment ? sumEnrolled(enrollment, keep) : null;
  const townshipOf = (code: string) => units.get(code)?.township ?? '';

  const schools = [...schoolTallies.entries()]
    .map(([code, tally]): UnitFigures => {
      const info = units.get(code) ?? {};
      return withoutUndefined({
        code,
        name: info.name,
        township: info.township,
        ...finish(
          tally,
          enrolledOf((e) => e.school === code),
        ),
      });
    })
    .sort(byCode);

  const townshipTallies = new Map<string, Tally>();
  for (const [code, tally] of schoolTallies) {
    const t = townshipOf(code);
    const sum = townshipTallies.get(t) ?? emptyTally();
    townshipTallies.set(t, sum);
    for (const key of Object.keys(tally) as (keyof Tally)[]) {
      if (key === 'dropouts') for (const child of tally.dropouts) sum.dropouts.add(child);
      else sum[key] += tally[key];
    }
  }
  const townships = [...townshipTallies.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([code, tally]): UnitFigures => ({
        code,
        ...finish(
          tally,
          enrolledOf((e) => townshipOf(e.school) === code),
        ),
      }),
    );

  const stats: Stats = {
    asOf,
    period,
    county: finish(
      county,
      enrolledOf(() => true),
    ),
    townships,
    schools,
    overdue: overdueStats(standingOverdue),
    homeTeaching: homeTeachingStats(input.records, period),
  };
  if (input.schoolYear)
    stats.schoolYear = schoolYearStats(input.schoolYear, input.records, enrollment, units);
  if (input.cohorts) stats.consolidation = consolidationStats(input.cohorts);
  return stats;
}

// ── the text table ───────────────────────────────────────────────────────────────────────────────────

type TableCell = string | number | null;

const show = (value: TableCell): string => (value === null ? '—' : String(value));
const pct = (value: number | null): string => (value === null ? '—' : `${value.toFixed(2)}%`);

/** Columns aligned by terminal width (CJK characters take two cells); text left, numbers right. */
function table(headers: readonly string[], rows: readonly TableCell[][]): string {
  const text = rows.map((row) => row.map(show));
  const widths = headers.map((h, i) => Math.max(cells(h), ...text.map((row) => cells(row[i] ?? ''))));
  const numeric = headers.map((_, i) =>
    rows.every((row) => typeof row[i] !== 'string' || /^[\d.%—-]+$/.test(row[i])),
  );
  const line = (values: readonly string[], header = false) =>
    values
      .map((v, i) => (numeric[i] && !header ? padStart(v, widths[i]!) : padEnd(v, widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(headers, true),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...text.map((row) => line(row)),
  ].join('\n');
}

export interface FormatStatsOptions {
  /** 乡镇 names by code. */
  townshipNames?: Readonly<Record<string, string>>;
}

const CASE_HEADERS = [
  '单位',
  '期初在案',
  '本期新增',
  '本期重开',
  '本期结案',
  '期末在案',
  '当前在案',
  '其中疑似',
  '其中辍学',
  '其中复学巩固',
  '结案率',
];
const WORK_HEADERS = [
  '单位',
  '逾期事项',
  '本期复学',
  '本期巩固',
  '送教上门次数',
  '在校生数',
  '本期辍学',
  '辍学率',
];
const YEAR_HEADERS = ['单位', '学年初在校生', '转入', '转出', '休学', '复学', '辍学', '毕业', '辍学率'];

const caseCells = (f: CaseFigures): TableCell[] => [
  f.openAtPeriodStart,
  f.openedInPeriod,
  f.reopenedInPeriod,
  f.closedInPeriod,
  f.openAtPeriodEnd,
  f.openNow,
  f.openSuspected,
  f.openDropouts,
  f.openFollowUp,
  pct(f.clearancePct),
];
const workCells = (f: CaseFigures): TableCell[] => [
  f.overdue,
  f.returnedInPeriod,
  f.retainedInPeriod,
  f.homeTeachingVisits,
  f.enrolled,
  f.dropoutsInPeriod,
  pct(f.dropoutRatePct),
];
const yearCells = (f: SchoolYearFigures): TableCell[] => [
  f.enrolledAtStart,
  f.transferIn,
  f.transferOut,
  f.suspension,
  f.resumption,
  f.dropout,
  f.graduation,
  pct(f.dropoutRatePct),
];

/**
 * Rows school by school under their township, each township followed by its 小计 and the whole by 合计 —
 * the layout of the bureaus' own tables.
 */
function grouped<T extends { code: string; name?: string; township?: string }>(
  schools: readonly T[],
  townships: readonly (T & { code: string })[],
  total: T,
  cellsOf: (f: T) => TableCell[],
  townshipName: (code: string) => string,
): TableCell[][] {
  const rows: TableCell[][] = [];
  for (const t of townships) {
    for (const s of schools.filter((s) => (s.township ?? '') === t.code)) {
      rows.push([`  ${s.name ?? (s.code || '（无学校）')}`, ...cellsOf(s)]);
    }
    rows.push([`${townshipName(t.code)} 小计`, ...cellsOf(t)]);
  }
  rows.push(['合计', ...cellsOf(total)]);
  return rows;
}

/** `npx kcbx stats` — the statistics as aligned text tables with Chinese headers. */
export function formatStatsTable(stats: Stats, options: FormatStatsOptions = {}): string {
  const names = options.townshipNames ?? {};
  const townshipName = (code: string) => (code === '' ? '（无乡镇）' : (names[code] ?? code));
  const countyUnit = { code: '', ...stats.county };
  const out: string[] = [
    `控辍保学统计  截至 ${stats.asOf}  统计期 ${stats.period.from} 至 ${stats.period.to}`,
    '',
    '一、动态清零（案件）',
    table(CASE_HEADERS, grouped(stats.schools, stats.townships, countyUnit, caseCells, townshipName)),
    '',
    '二、工作成效与辍学率',
    table(WORK_HEADERS, grouped(stats.schools, stats.townships, countyUnit, workCells, townshipName)),
    '',
    '三、逾期事项（按事项和升级层级）',
  ];
  const levels = stats.overdue.byLevel.map((l) => l.level);
  const countAt = (item: OverdueItem, level: number) =>
    stats.overdue.cells.find((c) => c.item === item && c.level === level)?.count ?? 0;
  out.push(
    table(
      ['事项', ...levels.map((l) => `第${l}级`), '合计'],
      [
        ...overdueItemSchema.options.map((item) => [
          OVERDUE_ITEM_NAMES_ZH[item],
          ...levels.map((l) => countAt(item, l)),
          stats.overdue.byItem[item],
        ]),
        ['合计', ...stats.overdue.byLevel.map((l) => l.count), stats.overdue.total],
      ],
    ),
    '',
    '四、送教上门',
    table(
      ['送教上门安置案件', '本期有送教的案件', '本期送教次数'],
      [[stats.homeTeaching.cases, stats.homeTeaching.casesVisited, stats.homeTeaching.visits]],
    ),
  );
  if (stats.schoolYear) {
    const y = stats.schoolYear;
    out.push(
      '',
      `五、学年统计表（${y.from} 至 ${y.to}）`,
      table(YEAR_HEADERS, grouped(y.schools, y.townships, y.total, yearCells, townshipName)),
    );
  }
  if (stats.consolidation) {
    const c = stats.consolidation;
    out.push(
      '',
      '六、巩固率（初中毕业年级在校生数 ÷ 该年级入小学一年级时的学生数）',
      table(
        ['单位', '毕业年份', '毕业年级在校生数', '入小学一年级时学生数', '巩固率'],
        [
          ...c.cohorts.map((k) => [
            k.unitName ?? k.unit,
            String(k.graduationYear),
            k.graduating,
            k.enteredGradeOne,
            pct(k.ratePct),
          ]),
          ...c.totals.map((t) => [
            '合计',
            String(t.graduationYear),
            t.graduating,
            t.enteredGradeOne,
            pct(t.ratePct),
          ]),
        ],
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
