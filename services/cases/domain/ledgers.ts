/**
 * 控辍保学台账 — the three ledgers the Ministry asks for (适龄儿童台账, 疑似辍学学生台账, 辍学学生台账) as of
 * any date, replayed from each case's history, and the frozen snapshots that make a reported figure
 * reproducible (docs/domain.md §4.7, §6.1).
 *
 * A ledger as of a date is computed from the history entries recorded on or before that date (their `at`,
 * read as a China date), never from the case's current state: a figure reported for 10-15 must come out
 * the same when it is recomputed in December. 动态销号: a row leaves an open ledger only through a recorded
 * history entry — the closing (or 复学) action with its details — and that entry travels with the row.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { todayInChina } from '../../../shared/dates';
import { type EvidenceRef, evidenceRefSchema } from '../../../shared/events/catalogue';
import { childKeySchema, localDateSchema, maskedIdSchema } from '../../../shared/events/envelope';
import {
  CASE_STATE_NAMES_ZH,
  type CaseState,
  type ClosedAs,
  caseStateSchema,
  causeCategorySchema,
  closedAsSchema,
  OUTCOME_NAMES_ZH,
  outcomeCodeSchema,
  suspicionSourceSchema,
} from '../../../shared/events/vocab';
import { actorSchema } from '../../../shared/org';
import {
  type ReportingCadence,
  type ReportingLevel,
  type ReportingPeriod,
  reportingLevelSchema,
} from '../../../shared/region-settings';
import type { CaseRecord } from './case';
import { FOUR_STEPS, type HistoryEntry, isOpen, type OverdueRecord, type ReportLine } from './case';

// ── replaying a case ─────────────────────────────────────────────────────────────────────────────────

/** The China (UTC+8) calendar date of an ISO timestamp: the day a history entry counts for. */
export function chinaDateOf(at: string): string {
  return todayInChina(new Date(at));
}

/** One recorded change of state, with the state it left (as replayed, not as the entry claims). */
export interface StateStep {
  entry: HistoryEntry;
  /** China date of `entry.at`. */
  date: string;
  before: CaseState;
  after: CaseState;
}

/**
 * The state the case starts in: the `from` of its first state change, SUSPECTED when that entry has none
 * (the opening entry), the current state when the history records no state change at all.
 */
function initialState(record: CaseRecord, changes: readonly HistoryEntry[]): CaseState {
  const first = changes[0];
  if (!first) return record.state;
  return first.from ?? 'SUSPECTED';
}

/**
 * The case's state changes in the order they were made. Ordered by `version` (the optimistic lock makes it
 * strictly increasing), so two changes within the same second keep their order.
 */
export function stateSteps(record: CaseRecord): StateStep[] {
  const changes = record.history.filter((e) => e.to !== undefined).toSorted((a, b) => a.version - b.version);
  let state = initialState(record, changes);
  return changes.map((entry) => {
    const step = { entry, date: chinaDateOf(entry.at), before: state, after: entry.to! };
    state = step.after;
    return step;
  });
}

/**
 * 某日状态 — the case's state at the end of `date` (China time), replayed from its history; undefined
 * when the case was not yet open that day (`openedOn` is after it).
 */
export function stateAsOf(record: CaseRecord, date: string): CaseState | undefined {
  if (record.openedOn > date) return undefined;
  const steps = stateSteps(record);
  let state = steps[0]?.before ?? record.state;
  for (const step of steps) if (step.date <= date) state = step.after;
  return state;
}

/** Whether the case was open (opened, not in a terminal state) at the end of `date`. */
export function isOpenOn(record: CaseRecord, date: string): boolean {
  const state = stateAsOf(record, date);
  return state !== undefined && isOpen(state);
}

// ── the ledgers' rows ────────────────────────────────────────────────────────────────────────────────

/** 疑似辍学学生台账 — states in which a case stands on the suspected-dropout ledger. */
export const SUSPECTED_LEDGER_STATES: readonly CaseState[] = ['SUSPECTED', 'VERIFYING'];

/**
 * 辍学学生台账 — states in which a case stands on the dropout ledger: confirmed and not yet back at school
 * (劝返, the 四步法 and 分类安置). RETURNED and RETAINED are 复学 and 巩固: the row has been 销号 from the
 * dropout ledger by the 复学 action, though the case stays open for its follow-up.
 */
export const DROPOUT_LEDGER_STATES: readonly CaseState[] = [
  'CONFIRMED',
  'PERSUADING',
  ...FOUR_STEPS,
  'PLACED',
];

export const ledgerKindSchema = z.enum(['AGE_COHORT', 'SUSPECTED', 'DROPOUT']);
export type LedgerKind = z.infer<typeof ledgerKindSchema>;

export const LEDGER_NAMES_ZH = {
  AGE_COHORT: '适龄儿童台账',
  SUSPECTED: '疑似辍学学生台账',
  DROPOUT: '辍学学生台账',
} as const satisfies Record<LedgerKind, string>;

/**
 * 销号依据 — the history entry that took a case off a ledger (or closed it): which action, when, to which
 * state, and what it rests on. `details` is the action's payload as recorded, so the row can be traced to
 * the document or explanation without reading the case.
 */
export const ledgerExitSchema = z.strictObject({
  version: z.number().int().min(1),
  action: z.string(),
  /** The organisation that recorded it (the person is in the case history, not on the ledger). */
  actor: actorSchema,
  at: z.iso.datetime(),
  /** China date of `at`: the day the row left the ledger. */
  date: localDateSchema,
  from: caseStateSchema,
  to: caseStateSchema,
  /** 结案类型, when the entry closed the case. */
  closedAs: closedAsSchema.optional(),
  /** 文书编号 (approval, 复学 certificate …) when the action names one. */
  documentRef: z.string().optional(),
  /** 说明 — the explanation or note the action carries. */
  explanation: z.string().optional(),
  details: z.record(z.string(), z.unknown()),
});
export type LedgerExit = z.infer<typeof ledgerExitSchema>;

/**
 * 台账行 — one row of one ledger. Rows carry the masked ID always and the full ID when the case or the
 * comparison row holds it: the caller decides which to show (the role's idVisibility).
 */
export const ledgerRowSchema = z.strictObject({
  ledger: ledgerKindSchema,
  childKey: childKeySchema,
  maskedId: maskedIdSchema,
  idNumber: z.string().optional(),
  name: z.string().optional(),
  school: z.string().optional(),
  schoolName: z.string().optional(),
  township: z.string().optional(),
  /** 适龄儿童台账: the child's 四查三比对 outcome. */
  outcome: outcomeCodeSchema.optional(),
  /** The case this row stands for (适龄儿童台账: the child's case, if any). */
  caseId: z.string().optional(),
  /** The case's state at the end of asOf. */
  state: caseStateSchema.optional(),
  openedOn: localDateSchema.optional(),
  source: suspicionSourceSchema.optional(),
  causeCategory: causeCategorySchema.optional(),
  priority: z.boolean().optional(),
  /** The day the case last came onto this ledger (疑似: opened; 辍学: confirmed, or re-confirmed). */
  enteredOn: localDateSchema.optional(),
  /** The source rows (upload and line) the row rests on: the comparison's and the case's signals'. */
  evidence: z.array(evidenceRefSchema),
  /** 销号: present on rows that left the ledger, and on 适龄儿童 rows whose case is closed. */
  exit: ledgerExitSchema.optional(),
});
export type LedgerRow = z.infer<typeof ledgerRowSchema>;

/**
 * 适龄儿童 — one compulsory-age child as the comparison classified them (the service fills these from the
 * comparison results: ChildResult without the reasons; evidence without the roster kind).
 */
export const ageCohortRowSchema = z.strictObject({
  childKey: childKeySchema,
  maskedId: maskedIdSchema,
  idNumber: z.string().optional(),
  name: z.string().optional(),
  school: z.string().optional(),
  schoolName: z.string().optional(),
  township: z.string().optional(),
  outcome: outcomeCodeSchema,
  evidence: z.array(evidenceRefSchema),
});
export type AgeCohortRow = z.infer<typeof ageCohortRowSchema>;

/** The three ledgers as of one date, and the rows that have left the two open ledgers (动态销号). */
export interface Ledgers {
  asOf: string;
  ageCohort: LedgerRow[];
  suspected: LedgerRow[];
  dropouts: LedgerRow[];
  /** 已销号 — rows that left the ledger on or before asOf (and on or after `clearedSince`), with their exit. */
  cleared: { suspected: LedgerRow[]; dropouts: LedgerRow[] };
}

export interface BuildLedgersInput {
  records: readonly CaseRecord[];
  /** The comparison's children; without them the 适龄儿童台账 is empty. */
  children?: readonly AgeCohortRow[];
  asOf: string;
  /** Keep only rows cleared on or after this date in `cleared` (e.g. the start of the school year). */
  clearedSince?: string;
}

const stringField = (details: Record<string, unknown>, ...keys: string[]): string | undefined => {
  for (const key of keys) {
    const value = details[key];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
};

/** 结案类型 of a step, when it ended the case: the terminal state, or for CLOSED the state closed from. */
function closedAsOf(step: StateStep): ClosedAs | undefined {
  if (isOpen(step.after)) return undefined;
  const claimed = step.after === 'CLOSED' ? (step.entry.details.closedAs ?? step.before) : step.after;
  const parsed = closedAsSchema.safeParse(claimed);
  return parsed.success ? parsed.data : undefined;
}

function exitOf(step: StateStep): LedgerExit {
  const { entry } = step;
  const exit: LedgerExit = {
    version: entry.version,
    action: entry.action,
    actor: { role: entry.actor.role, org: entry.actor.org },
    at: entry.at,
    date: step.date,
    from: step.before,
    to: step.after,
    details: entry.details,
  };
  const closedAs = closedAsOf(step);
  if (closedAs) exit.closedAs = closedAs;
  const documentRef = stringField(entry.details, 'documentRef', 'document', 'approvalRef');
  if (documentRef) exit.documentRef = documentRef;
  // `zh` is the system's own wording on automatic changes (a 缓学 that ended, absent again).
  const explanation = stringField(entry.details, 'explanation', 'note', 'zh');
  if (explanation) exit.explanation = explanation;
  return exit;
}

/** How a case stood towards one ledger at the end of asOf. */
interface LedgerStanding {
  on: boolean;
  /** The day of the last arrival on the ledger (or openedOn when it started there). */
  enteredOn?: string;
  /** The step that last took it off the ledger, when it is off now. */
  exit?: StateStep;
}

function standing(record: CaseRecord, asOf: string, states: readonly CaseState[]): LedgerStanding {
  if (record.openedOn > asOf) return { on: false };
  const steps = stateSteps(record);
  const start = steps[0]?.before ?? record.state;
  const result: LedgerStanding = { on: states.includes(start) };
  if (result.on) result.enteredOn = record.openedOn;
  for (const step of steps) {
    if (step.date > asOf) continue;
    const was = states.includes(step.before);
    const is = states.includes(step.after);
    if (!was && is) {
      result.enteredOn = step.date;
      result.exit = undefined;
    } else if (was && !is) {
      result.exit = step;
    }
    result.on = is;
  }
  if (result.on) result.exit = undefined;
  return result;
}

/**
 * 结案依据 — the entry that closed the case, when it is closed at the end of asOf (a case reopened since,
 * e.g. a 缓学 whose end date passed, has none).
 */
export function closureAsOf(record: CaseRecord, asOf: string): LedgerExit | undefined {
  if (record.openedOn > asOf) return undefined;
  let last: StateStep | undefined;
  for (const step of stateSteps(record)) if (step.date <= asOf) last = step;
  return last && !isOpen(last.after) ? exitOf(last) : undefined;
}

/** The case's source rows known by asOf, without repeats, in the order the signals came. */
function caseEvidence(record: CaseRecord, asOf: string): EvidenceRef[] {
  const refs: EvidenceRef[] = [];
  for (const signal of record.signals) {
    if (signal.receivedOn <= asOf) refs.push(...signal.evidence);
  }
  return uniqueEvidence(refs);
}

function uniqueEvidence(refs: Iterable<EvidenceRef>): EvidenceRef[] {
  const seen = new Set<string>();
  const out: EvidenceRef[] = [];
  for (const ref of refs) {
    const key = `${ref.uploadId}#${ref.line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ uploadId: ref.uploadId, line: ref.line });
  }
  return out;
}

const withoutUndefined = <T extends object>(row: T): T =>
  Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) as T;

function caseRow(record: CaseRecord, ledger: LedgerKind, asOf: string, s: LedgerStanding): LedgerRow {
  return withoutUndefined({
    ledger,
    childKey: record.child.childKey,
    maskedId: record.child.maskedId,
    idNumber: record.idNumber,
    name: record.name,
    school: record.school,
    schoolName: record.schoolName,
    township: record.township,
    caseId: record.caseId,
    state: stateAsOf(record, asOf),
    openedOn: record.openedOn,
    source: record.source,
    causeCategory: record.causeCategory,
    priority: record.priority,
    enteredOn: s.enteredOn,
    evidence: caseEvidence(record, asOf),
    exit: s.exit && exitOf(s.exit),
  });
}

/** Rows in the order bureaus file them: township, school, then the day they came on, then case. */
export function compareLedgerRows(a: LedgerRow, b: LedgerRow): number {
  const keys = (r: LedgerRow) => [
    r.township ?? '',
    r.school ?? r.schoolName ?? '',
    r.enteredOn ?? r.openedOn ?? '',
    r.caseId ?? '',
    r.childKey,
  ];
  const [ka, kb] = [keys(a), keys(b)];
  for (let i = 0; i < ka.length; i++) {
    if (ka[i]! < kb[i]!) return -1;
    if (ka[i]! > kb[i]!) return 1;
  }
  return 0;
}

/**
 * The case a child's 适龄儿童 row points at: the one open at the end of asOf, else the most recently opened
 * one (a child has at most one open case; earlier ones are closed).
 */
function caseOfChild(cases: readonly CaseRecord[], asOf: string): CaseRecord | undefined {
  let chosen: CaseRecord | undefined;
  for (const record of cases) {
    if (record.openedOn > asOf) continue;
    if (isOpenOn(record, asOf)) return record;
    if (!chosen || record.openedOn > chosen.openedOn) chosen = record;
  }
  return chosen;
}

/**
 * 三本台账 — the Ministry's three ledgers as of `asOf`:
 * - 适龄儿童台账: every child of the comparison with their outcome, and their case (state on asOf, and the
 *   closing entry when it is closed) when they have one. Children with a case but outside the comparison
 *   (out of the age window) are on the other two ledgers only.
 * - 疑似辍学学生台账: cases in SUSPECTED or VERIFYING at the end of asOf — including cases closed or
 *   confirmed after asOf, since the state is replayed from history.
 * - 辍学学生台账: cases confirmed and not back at school (CONFIRMED, PERSUADING, the 四步法, PLACED).
 * A case that left a ledger on or before asOf is listed in `cleared` with the entry that took it off:
 * 疑似 rows leave by closing (核查 found no dropout) or by confirmation (they move to the dropout ledger);
 * 辍学 rows leave by 复学 or by closing.
 */
export function buildLedgers(input: BuildLedgersInput): Ledgers {
  const { asOf, clearedSince } = input;
  const suspected: LedgerRow[] = [];
  const dropouts: LedgerRow[] = [];
  const cleared = { suspected: [] as LedgerRow[], dropouts: [] as LedgerRow[] };
  const keep = (s: LedgerStanding) => s.exit && (!clearedSince || s.exit.date >= clearedSince);

  const casesByChild = new Map<string, CaseRecord[]>();
  for (const record of input.records) {
    const list = casesByChild.get(record.child.childKey);
    if (list) list.push(record);
    else casesByChild.set(record.child.childKey, [record]);

    const s = standing(record, asOf, SUSPECTED_LEDGER_STATES);
    if (s.on) suspected.push(caseRow(record, 'SUSPECTED', asOf, s));
    else if (keep(s)) cleared.suspected.push(caseRow(record, 'SUSPECTED', asOf, s));
    const d = standing(record, asOf, DROPOUT_LEDGER_STATES);
    if (d.on) dropouts.push(caseRow(record, 'DROPOUT', asOf, d));
    else if (keep(d)) cleared.dropouts.push(caseRow(record, 'DROPOUT', asOf, d));
  }

  const ageCohort = (input.children ?? []).map((child): LedgerRow => {
    const record = caseOfChild(casesByChild.get(child.childKey) ?? [], asOf);
    return withoutUndefined({
      ledger: 'AGE_COHORT' as const,
      childKey: child.childKey,
      maskedId: child.maskedId,
      idNumber: child.idNumber ?? record?.idNumber,
      name: child.name ?? record?.name,
      school: child.school,
      schoolName: child.schoolName,
      township: child.township,
      outcome: child.outcome,
      caseId: record?.caseId,
      state: record && stateAsOf(record, asOf),
      openedOn: record?.openedOn,
      source: record?.source,
      causeCategory: record?.causeCategory,
      priority: record?.priority,
      evidence: uniqueEvidence([...child.evidence, ...(record ? caseEvidence(record, asOf) : [])]),
      exit: record && closureAsOf(record, asOf),
    });
  });

  for (const rows of [ageCohort, suspected, dropouts, cleared.suspected, cleared.dropouts]) {
    rows.sort(compareLedgerRows);
  }
  return { asOf, ageCohort, suspected, dropouts, cleared };
}

/**
 * 台账状态 — what the row says about the child in words: the case's state on asOf (for a closed case, how
 * it was closed), or for a child without a case the comparison's outcome.
 */
export function ledgerRowStatusZh(row: LedgerRow): string {
  if (row.state) return caseStatusZh(row.state, row.exit);
  return row.outcome ? OUTCOME_NAMES_ZH[row.outcome] : '';
}

/** A case's state in words; CLOSED says what it was closed as (已结案（巩固在校）). */
export function caseStatusZh(state: CaseState, closure?: LedgerExit): string {
  if (state === 'CLOSED' && closure?.closedAs) {
    return `${CASE_STATE_NAMES_ZH.CLOSED}（${CASE_STATE_NAMES_ZH[closure.closedAs]}）`;
  }
  return CASE_STATE_NAMES_ZH[state];
}

/**
 * 销号依据 — what the exit rests on, in words: the document, the facts the action recorded (the other
 * school and who confirmed it, the school returned to, the approval's dates) and the explanation.
 */
export function exitEvidenceZh(exit: LedgerExit): string {
  const d = exit.details;
  const text = (key: string) =>
    typeof d[key] === 'string' && d[key] !== '' ? (d[key] as string) : undefined;
  const parts: string[] = [];
  if (exit.documentRef) parts.push(exit.documentRef);
  const otherSchool = text('otherSchool');
  if (otherSchool) parts.push(`就读学校：${otherSchool}`);
  const verifiedWith = text('verifiedWith');
  if (verifiedWith)
    parts.push(`核实：${verifiedWith}${text('verifiedOn') ? `（${text('verifiedOn')}）` : ''}`);
  const returnedOn = text('returnedOn');
  if (returnedOn) parts.push(`复学：${text('school') ?? ''} ${returnedOn}`.replace('： ', '：'));
  const endDate = text('endDate');
  if (endDate && text('approvedOn')) parts.push(`批准 ${text('approvedOn')}，至 ${endDate}`);
  if (exit.explanation) parts.push(exit.explanation);
  return parts.join('；');
}

/** 销号方式 — how the row left its ledger: the closure, or the state it moved on to. */
export function exitKindZh(exit: LedgerExit): string {
  if (exit.closedAs) return `结案：${CASE_STATE_NAMES_ZH[exit.closedAs]}`;
  return `转为${CASE_STATE_NAMES_ZH[exit.to]}`;
}

// ── overdue items still standing ─────────────────────────────────────────────────────────────────────

/** States in which the first home visit is still owed (before placement or the legal track). */
const FIRST_VISIT_STATES: readonly CaseState[] = ['SUSPECTED', 'VERIFYING', 'CONFIRMED', 'PERSUADING'];
/** 复学 and 巩固 follow-up: no duty of the escalation schedule is owed in these states. */
const FOLLOW_UP_STATES: readonly CaseState[] = ['RETURNED', 'RETAINED'];

/** The day the case last entered `state`, on or before asOf. */
function enteredStateOn(record: CaseRecord, state: CaseState, asOf: string): string | undefined {
  let on: string | undefined;
  for (const step of stateSteps(record)) if (step.date <= asOf && step.after === state) on = step.date;
  return on;
}

/** Whether the duty a raised record names is still owed at the end of asOf (the case is open). */
function stillOwed(record: CaseRecord, o: OverdueRecord, state: CaseState, asOf: string): boolean {
  // dutyKey is `<ITEM>` or `<ITEM>:<anchor>`: the report line, the day an idle clock started, or the
  // 四步法 step and its deadline — the anchor tells which instance of a recurring duty was raised.
  const [, anchor, deadline] = o.dutyKey.split(':');
  const after = (dates: readonly string[], since: string | undefined) =>
    dates.some((d) => d <= asOf && (since === undefined || d > since));
  switch (o.item) {
    case 'THREE_LINE_REPORT': {
      const lines = anchor
        ? [record.threeLineReport[anchor as ReportLine]]
        : Object.values(record.threeLineReport);
      const acknowledged = (l: (typeof lines)[number]) =>
        l?.acknowledgedOn !== undefined && l.acknowledgedOn <= asOf;
      return anchor ? !acknowledged(lines[0]) : lines.length < 3 || !lines.every(acknowledged);
    }
    case 'FIRST_HOME_VISIT':
      return FIRST_VISIT_STATES.includes(state) && !after(record.persuasionActions, undefined);
    case 'PERSUADING_ACTION': {
      if (state !== 'PERSUADING') return false;
      const entered = enteredStateOn(record, 'PERSUADING', asOf);
      // Back in PERSUADING after the clock started: the idle spell that was raised is over.
      if (anchor && entered && entered > anchor) return false;
      return !after(record.persuasionActions, anchor ?? o.raisedOn);
    }
    case 'HOME_TEACHING_VISIT': {
      const p = record.placement;
      if (state !== 'PLACED' || p?.kind !== 'HOME_TEACHING') return false;
      return !after(p.visits, anchor ?? o.raisedOn);
    }
    case 'FOUR_STEP_DEADLINE': {
      // Owed while the case is still at the step whose deadline passed; the next step (or compliance, which
      // takes the case off the track) settles it, and so does a 催告书 served after it, which sets a new one.
      if (anchor && state !== anchor) return false;
      if (!anchor && !(FOUR_STEPS as readonly CaseState[]).includes(state)) return false;
      const due = deadline ?? o.dueOn;
      const reminders = record.fourStep.filter((s) => s.step === anchor).flatMap((s) => s.reminders);
      return !reminders.some((r) => r.date > due && r.date <= asOf);
    }
  }
  return true;
}

/**
 * 逾期事项 on a date — the overdue duties of the case that still stand at the end of `asOf`, each at the
 * highest level it had climbed to by then. `record.overdue` is the escalation schedule's log (one record
 * per duty and level, kept after the duty is done); a duty stands when it was raised by asOf, the case is
 * open and not in 复学/巩固 follow-up, and the record shows nothing done by asOf that settles it:
 * - 三线报告 (per line): the line acknowledged;
 * - 首次家访: any logged visit or talk, or the case past persuasion (legal track, placement);
 * - 劝返工作: an action logged after the idle clock started, or the case out of PERSUADING;
 * - 送教上门: a visit after the clock started, or the case no longer placed in 送教上门;
 * - 四步法期限: the case past that step, or a 催告书 served after the deadline (it sets a new one).
 */
export function overdueAsOf(record: CaseRecord, asOf: string): OverdueRecord[] {
  const state = stateAsOf(record, asOf);
  if (state === undefined || !isOpen(state) || FOLLOW_UP_STATES.includes(state)) return [];
  const byDuty = new Map<string, OverdueRecord>();
  for (const o of record.overdue) {
    if (o.raisedOn > asOf || !stillOwed(record, o, state, asOf)) continue;
    const known = byDuty.get(o.dutyKey);
    if (!known || o.escalationLevel > known.escalationLevel) byDuty.set(o.dutyKey, o);
  }
  return [...byDuty.values()];
}

// ── reporting cadence and snapshots ──────────────────────────────────────────────────────────────────

function ymd(date: string): [number, number, number] {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`expected a date YYYY-MM-DD, got ${date}`);
  return date.split('-').map(Number) as [number, number, number];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const dateOf = (y: number, m: number, d: number) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
const lastDayOfMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const monthEnd = (y: number, m: number) => dateOf(y, m, lastDayOfMonth(y, m));

/** The month (1–12) each period containing `month` ends in, and how many months it spans. */
function periodEndMonth(period: ReportingPeriod, month: number): { endMonth: number; months: number } {
  switch (period) {
    case 'MONTH':
      return { endMonth: month, months: 1 };
    case 'QUARTER':
      return { endMonth: Math.ceil(month / 3) * 3, months: 3 };
    case 'SEMESTER':
      return { endMonth: month >= 3 && month <= 8 ? 8 : 2, months: 6 };
    case 'SCHOOL_YEAR':
      return { endMonth: 8, months: 12 };
  }
}

/** The reporting period of kind `period` that contains `date`: its first and last day. */
export function reportingPeriodOf(period: ReportingPeriod, date: string): { from: string; to: string } {
  const [y, m] = ymd(date);
  const { endMonth, months } = periodEndMonth(period, m);
  const endYear = endMonth >= m ? y : y + 1;
  const startIndex = endYear * 12 + (endMonth - 1) - (months - 1);
  const startYear = Math.floor(startIndex / 12);
  const startMonth = (startIndex % 12) + 1;
  return { from: dateOf(startYear, startMonth, 1), to: monthEnd(endYear, endMonth) };
}

/** 是否报送日 — true when `date` is the last day of a period of this kind: a snapshot is due that day. */
export function snapshotDue(period: ReportingPeriod, date: string): boolean {
  return reportingPeriodOf(period, date).to === date;
}

export interface ReportingDate {
  /** The period's last day: the ledgers are frozen as of this date. */
  date: string;
  level: ReportingLevel;
  period: ReportingPeriod;
  from: string;
}

/**
 * 报送日历 — every snapshot the region's cadence calls for with a period end between `from` and `to`
 * (inclusive), by date and then from school up to province.
 */
export function reportingDates(settings: ReportingCadence, from: string, to: string): ReportingDate[] {
  const out: ReportingDate[] = [];
  const [fy, fm] = ymd(from);
  const [ty, tm] = ymd(to);
  for (let index = fy * 12 + fm - 1; index <= ty * 12 + tm - 1; index++) {
    const date = monthEnd(Math.floor(index / 12), (index % 12) + 1);
    if (date < from || date > to) continue;
    for (const level of reportingLevelSchema.options) {
      const period = settings[level];
      if (snapshotDue(period, date)) {
        out.push({ date, level, period, from: reportingPeriodOf(period, date).from });
      }
    }
  }
  return out;
}

/** A row as a snapshot keeps it: the pseudonym and masked ID identify the child; no name, no full ID. */
const snapshotRowSchema = ledgerRowSchema.omit({ idNumber: true, name: true });
export type SnapshotRow = z.infer<typeof snapshotRowSchema>;

export const ledgerCountsSchema = z.strictObject({
  ageCohort: z.number().int().min(0),
  ageCohortWithCase: z.number().int().min(0),
  suspected: z.number().int().min(0),
  dropouts: z.number().int().min(0),
  clearedSuspected: z.number().int().min(0),
  clearedDropouts: z.number().int().min(0),
});
export type LedgerCounts = z.infer<typeof ledgerCountsSchema>;

/**
 * 台账快照 — the ledgers as reported by one organisation for one period, frozen. `contentHash` is the
 * SHA-256 of the canonical JSON of everything but `takenAt` and the hash itself, so rebuilding the ledgers
 * as of `periodEnd` from the same records on any later day gives the same hash, and a stored snapshot
 * whose rows or figures were altered no longer matches it.
 */
export const ledgerSnapshotSchema = z.strictObject({
  schemaVersion: z.literal(1),
  level: reportingLevelSchema,
  org: z.string().min(1),
  periodEnd: localDateSchema,
  takenAt: z.iso.datetime(),
  counts: ledgerCountsSchema,
  ledgers: z.strictObject({
    ageCohort: z.array(snapshotRowSchema),
    suspected: z.array(snapshotRowSchema),
    dropouts: z.array(snapshotRowSchema),
    cleared: z.strictObject({ suspected: z.array(snapshotRowSchema), dropouts: z.array(snapshotRowSchema) }),
  }),
  contentHash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});
export type LedgerSnapshot = z.infer<typeof ledgerSnapshotSchema>;

/**
 * 规范 JSON — object keys sorted by code unit, undefined members left out, no whitespace: the same value
 * always gives the same text, whatever order its keys were built in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: numbers must be finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: cannot serialise a ${typeof value}`);
}

function hashOf(snapshot: Omit<LedgerSnapshot, 'takenAt' | 'contentHash'>): string {
  return `sha256:${createHash('sha256').update(canonicalJson(snapshot), 'utf8').digest('hex')}`;
}

function contentOf(s: Omit<LedgerSnapshot, 'contentHash'>): Omit<LedgerSnapshot, 'takenAt' | 'contentHash'> {
  return {
    schemaVersion: s.schemaVersion,
    level: s.level,
    org: s.org,
    periodEnd: s.periodEnd,
    counts: s.counts,
    ledgers: s.ledgers,
  };
}

const forSnapshot = (rows: readonly LedgerRow[]): SnapshotRow[] =>
  rows.map(({ idNumber: _id, name: _name, ...row }) => row);

/** The counts a snapshot reports. */
export function countLedgers(ledgers: Ledgers): LedgerCounts {
  return {
    ageCohort: ledgers.ageCohort.length,
    ageCohortWithCase: ledgers.ageCohort.filter((r) => r.caseId !== undefined).length,
    suspected: ledgers.suspected.length,
    dropouts: ledgers.dropouts.length,
    clearedSuspected: ledgers.cleared.suspected.length,
    clearedDropouts: ledgers.cleared.dropouts.length,
  };
}

/**
 * 冻结快照 — freezes ledgers built as of the period's last day. Names and full ID numbers are left out: the
 * snapshot proves which children (by pseudonym) were counted and why; who they are stays in the case
 * records, under access control. The ledgers must be built as of `periodEnd`.
 */
export function freezeSnapshot(
  ledgers: Ledgers,
  meta: { level: ReportingLevel; org: string; periodEnd: string; takenAt: string },
): LedgerSnapshot {
  if (ledgers.asOf !== meta.periodEnd) {
    throw new RangeError(
      `台账日期 ${ledgers.asOf} 与报送期末 ${meta.periodEnd} 不一致 / the ledgers are as of ${ledgers.asOf}, not the period end ${meta.periodEnd}`,
    );
  }
  const rows = {
    ageCohort: forSnapshot(ledgers.ageCohort),
    suspected: forSnapshot(ledgers.suspected),
    dropouts: forSnapshot(ledgers.dropouts),
    cleared: {
      suspected: forSnapshot(ledgers.cleared.suspected),
      dropouts: forSnapshot(ledgers.cleared.dropouts),
    },
  };
  // A round trip through JSON makes the frozen object exactly what a store gives back (no undefined members).
  const body = JSON.parse(
    JSON.stringify({
      schemaVersion: 1 as const,
      level: meta.level,
      org: meta.org,
      periodEnd: meta.periodEnd,
      takenAt: meta.takenAt,
      counts: countLedgers(ledgers),
      ledgers: rows,
    }),
  ) as Omit<LedgerSnapshot, 'contentHash'>;
  return { ...body, contentHash: hashOf(contentOf(body)) };
}

/** 校验快照 — true when the snapshot's content still matches its hash. */
export function verifySnapshot(snapshot: LedgerSnapshot): boolean {
  return hashOf(contentOf(snapshot)) === snapshot.contentHash;
}
