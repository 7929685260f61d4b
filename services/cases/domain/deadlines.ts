/**
 * 逾期与逐级上报 — the deadlines of a case's open duties and how far each missed one has climbed the
 * chain (docs/domain.md §4.7: 动态清零, and overdue work escalates).
 *
 * Pure: the daily schedule loads each open case, calls {@link evaluateOverdue} with today's date in
 * China, publishes one `case.overdue` per raise and appends {@link toOverdueRecord} of it to
 * `record.overdue` in the same conditional write — which is what makes a second run, or a
 * redelivered schedule event, raise nothing twice.
 *
 * Dates are 'YYYY-MM-DD' China dates. Working days come from the shared China calendar, so a date in a
 * year whose State Council holiday notice is not loaded throws CalendarNotCoveredError rather than
 * guessing a deadline.
 */
import { addWorkingDays, type WorkingCalendar, workingDaysBetween } from '../../../shared/calendar';
import { addDays, todayInChina } from '../../../shared/dates';
import type { OverdueItem } from '../../../shared/events/vocab';
import { type CaseRules, CHAIN_POSITION_NAMES_ZH, type ChainPosition } from '../../../shared/region-settings';
import {
  type CaseRecord,
  type FourStep,
  isOpen,
  type OverdueRecord,
  REPORT_LINE_NAMES_ZH,
  reportLineSchema,
} from './case';

/**
 * 四步法 escalation period: a missed 责令改正 or 行政处罚 deadline climbs one level per 5 further working
 * days. The policy sets no figure; one working week gives the level that was told time to take the
 * next legal step (draft a 处罚决定书, serve a 催告书) before the level above hears of it.
 */
export const FOUR_STEP_ESCALATION_WORKING_DAYS = 5;

/**
 * 催告期 — 《中华人民共和国行政强制法》第五十四条: the authority may apply to the court for enforcement
 * once ten days have passed since the 催告书 was served and the duty is still unmet. Used when a reminder
 * records no deadline of its own (older records): its date is read as the day it was served, so the
 * guardian is on time until that date + 10 days.
 */
export const PENALTY_REMINDER_DAYS = 10;

/** Who an escalation reaches above the school: the township government or the county education bureau. */
export type EscalationTarget = ChainPosition | 'TOWNSHIP' | 'COUNTY';
/** The roles an overdue duty can be escalated to (`case.overdue` escalatedTo). */
export type EscalationRole = 'school' | 'township' | 'county';

export const ESCALATION_TARGET_NAMES_ZH = {
  ...CHAIN_POSITION_NAMES_ZH,
  TOWNSHIP: '乡（镇）人民政府',
  COUNTY: '县级教育行政部门',
} as const satisfies Record<EscalationTarget, string>;

/** How long one escalation period of a duty is: working days (China calendar) or calendar days. */
export type EscalationPeriod =
  | { periodWorkingDays: number; periodDays?: never }
  | { periodDays: number; periodWorkingDays?: never };

/** 待办事项 — one open duty of a case and the last day it is still on time. */
export type Duty = EscalationPeriod & {
  item: OverdueItem;
  /**
   * Names this duty instance: dedup against `record.overdue` is by dutyKey and level. Duties that
   * recur carry their anchor date (劝返 and 送教上门: the day the clock started; 四步法: the deadline the
   * document set), so a new idle spell or a new deadline is a new duty and is raised again.
   */
  dutyKey: string;
  /** The last day the duty is still on time (YYYY-MM-DD); it is overdue from the next day. */
  dueOn: string;
  /** Who owes it: level 0 of its escalation. */
  responsible: ChainPosition;
  /** A short Chinese description for notifications; never carries the child's data. */
  zh: string;
};

/** One escalation to publish as `case.overdue` and record on the case. */
export type OverdueRaise = OverdueRecord & {
  escalatedTo: EscalationRole;
  escalatedPosition: EscalationTarget;
  responsible: ChainPosition;
  /** Notification text: the duty, its due date and who it has reached; no child data. */
  zh: string;
};

/** How far an overdue duty has climbed: its level, and the role and person it has reached. */
export type Escalation = {
  escalationLevel: number;
  escalatedTo: EscalationRole;
  escalatedPosition: EscalationTarget;
};

/** States whose work is 复学/巩固 follow-up: its monthly 六有 record is not an overdue item. */
const FOLLOW_UP_STATES = new Set<CaseRecord['state']>(['RETURNED', 'RETAINED']);
/** States in which the first home visit is still owed (before placement or the legal track). */
const FIRST_VISIT_STATES = new Set<CaseRecord['state']>([
  'SUSPECTED',
  'VERIFYING',
  'CONFIRMED',
  'PERSUADING',
]);

/**
 * The open duties of a case with their due dates, in a stable order (三线报告 lines, 首次家访, 劝返,
 * 送教上门, 四步法). Closed and terminal states and 复学/巩固 follow-up have none.
 */
export function dutiesOf(record: CaseRecord, rules: CaseRules, calendar?: WorkingCalendar): Duty[] {
  if (!isOpen(record.state) || FOLLOW_UP_STATES.has(record.state)) return [];
  const duties: Duty[] = [];
  const visitor = schoolVisitor(record);

  // The three reports are due by the end of the Nth working day after opening (docs/domain.md §3.4; N is
  // threeLineReportWorkingDays, 1 by default). A line stays owed until acknowledged, whatever state the
  // case has moved on to; a missing line is not acknowledged.
  const reportDue = addWorkingDays(record.openedOn, rules.threeLineReportWorkingDays, calendar);
  for (const line of reportLineSchema.options) {
    if (record.threeLineReport[line]?.acknowledgedOn !== undefined) continue;
    duties.push({
      item: 'THREE_LINE_REPORT',
      dutyKey: `THREE_LINE_REPORT:${line}`,
      dueOn: reportDue,
      // A period of 0 (report on the day of opening) would never climb: one working day at least.
      periodWorkingDays: Math.max(1, rules.threeLineReportWorkingDays),
      // docs/domain.md §3.4: the school files the report; the principal answers for the school's reports.
      responsible: 'PRINCIPAL',
      zh: `三线报告：向${REPORT_LINE_NAMES_ZH[line]}报告并获确认`,
    });
  }

  if (record.persuasionActions.length === 0 && FIRST_VISIT_STATES.has(record.state)) {
    duties.push({
      item: 'FIRST_HOME_VISIT',
      dutyKey: 'FIRST_HOME_VISIT',
      dueOn: addWorkingDays(record.openedOn, rules.firstHomeVisitWorkingDays, calendar),
      periodWorkingDays: rules.firstHomeVisitWorkingDays,
      responsible: visitor,
      zh: `首次家访：立案后 ${rules.firstHomeVisitWorkingDays} 个工作日内入户家访`,
    });
  }

  if (record.state === 'PERSUADING') {
    // The idle clock restarts with every logged action, and on entering PERSUADING (a case that comes
    // back to it is not overdue for the time it spent elsewhere).
    const since = latest([...record.persuasionActions, enteredOn(record, 'PERSUADING') ?? record.openedOn]);
    duties.push({
      item: 'PERSUADING_ACTION',
      dutyKey: `PERSUADING_ACTION:${since}`,
      dueOn: addWorkingDays(since, rules.persuadingIdleWorkingDays, calendar),
      periodWorkingDays: rules.persuadingIdleWorkingDays,
      responsible: visitor,
      zh: `劝返工作：${rules.persuadingIdleWorkingDays} 个工作日内应有入户家访或谈话记录`,
    });
  }

  if (record.state === 'PLACED' && record.placement?.kind === 'HOME_TEACHING') {
    // 送教上门 at least once a week (docs/domain.md §4.5): counted in calendar days, holidays included.
    const since = latest([record.placement.since, ...record.placement.visits]);
    duties.push({
      item: 'HOME_TEACHING_VISIT',
      dutyKey: `HOME_TEACHING_VISIT:${since}`,
      dueOn: addDays(since, rules.homeTeachingVisitDays),
      periodDays: rules.homeTeachingVisitDays,
      responsible: visitor,
      zh: `送教上门：每 ${rules.homeTeachingVisitDays} 天至少送教一次并登记`,
    });
  }

  const fourStep = fourStepDuty(record);
  if (fourStep !== undefined) duties.push(fourStep);
  return duties;
}

/**
 * Where a duty stands on `today`: undefined while on time; from the day after dueOn, level 0 (the
 * responsible person), then one level up the chain per further full period of the duty's own length,
 * capped at the county.
 */
export function escalationOf(duty: Duty, today: string, calendar?: WorkingCalendar): Escalation | undefined {
  if (today <= duty.dueOn) return undefined;
  // Periods elapsed after the first overdue day: working days count only working days, so a weekend
  // or 国庆 does not push a teacher's duty to the township.
  const late =
    duty.periodWorkingDays !== undefined
      ? workingDaysBetween(duty.dueOn, today, calendar)
      : daysBetween(duty.dueOn, today);
  const period = duty.periodWorkingDays ?? duty.periodDays;
  const start = rungOf(duty.responsible);
  const level = Math.min(Math.floor(Math.max(late - 1, 0) / period), LADDER.length - 1 - start);
  const rung = LADDER[start + level]!;
  return {
    escalationLevel: level,
    escalatedTo: rung.role,
    escalatedPosition: level === 0 ? duty.responsible : rung.position,
  };
}

/**
 * The escalations to raise on `today`: for each overdue duty, the level it has reached, unless
 * `record.overdue` already holds that level or a higher one for the same dutyKey.
 *
 * Only the level reached is raised, not the levels skipped while the schedule did not run: one message
 * to whoever must act now rather than a burst in which the lower levels' time has already run out.
 */
export function evaluateOverdue(
  record: CaseRecord,
  rules: CaseRules,
  today: string,
  calendar?: WorkingCalendar,
): OverdueRaise[] {
  const reached = new Map<string, number>();
  for (const entry of record.overdue) {
    reached.set(entry.dutyKey, Math.max(entry.escalationLevel, reached.get(entry.dutyKey) ?? -1));
  }
  const raises: OverdueRaise[] = [];
  for (const duty of dutiesOf(record, rules, calendar)) {
    const escalation = escalationOf(duty, today, calendar);
    if (escalation === undefined) continue;
    if ((reached.get(duty.dutyKey) ?? -1) >= escalation.escalationLevel) continue;
    raises.push({
      item: duty.item,
      dutyKey: duty.dutyKey,
      dueOn: duty.dueOn,
      ...escalation,
      raisedOn: today,
      responsible: duty.responsible,
      zh: `${duty.zh}。应于 ${duty.dueOn} 前完成，已逾期，现报${ESCALATION_TARGET_NAMES_ZH[escalation.escalatedPosition]}督办。`,
    });
  }
  return raises;
}

/** Whether any open duty of the case is past due on `today` (GET /cases?overdue=true). */
export function isOverdue(
  record: CaseRecord,
  rules: CaseRules,
  today: string,
  calendar?: WorkingCalendar,
): boolean {
  return dutiesOf(record, rules, calendar).some((duty) => today > duty.dueOn);
}

/** The fields of a raise that `record.overdue` stores (its schema is strict: the extras must go). */
export function toOverdueRecord(raise: OverdueRaise): OverdueRecord {
  const { item, dutyKey, dueOn, escalationLevel, escalatedTo, raisedOn } = raise;
  return { item, dutyKey, dueOn, escalationLevel, escalatedTo, raisedOn };
}

/**
 * 逐级上报 — teacher → principal → township → county (docs/domain.md §4.7). A duty starts on its responsible
 * person's rung, so a principal's duty goes next to the township, not to the principal twice.
 */
const LADDER: readonly { role: EscalationRole; position: EscalationTarget }[] = [
  { role: 'school', position: 'HEAD_TEACHER' },
  { role: 'school', position: 'PRINCIPAL' },
  { role: 'township', position: 'TOWNSHIP' },
  { role: 'county', position: 'COUNTY' },
];

function rungOf(position: ChainPosition): number {
  switch (position) {
    case 'HEAD_TEACHER':
    case 'CONTACT_TEACHER':
    case 'GUARDIAN':
      return 0;
    case 'PRINCIPAL':
      return 1;
    case 'TOWNSHIP_HEAD':
    case 'VILLAGE_HEAD':
    case 'GROUP_HEAD':
      return 2;
    case 'COUNTY_HEAD':
    case 'BUREAU_HEAD':
      return 3;
  }
}

/** 包保教师 makes the home and teaching visits where the region's chain names one, else the 班主任. */
function schoolVisitor(record: CaseRecord): ChainPosition {
  return record.chain.CONTACT_TEACHER !== undefined ? 'CONTACT_TEACHER' : 'HEAD_TEACHER';
}

const NEXT_STEP_ZH = {
  ORDER_TO_CORRECT: '责令改正期限届满仍未改正，应依法作出行政处罚',
  PENALTY: '行政处罚决定履行期限届满仍未履行，应送达《履行行政决定催告书》',
  PENALTY_REMINDED: '催告期满仍未履行，应申请人民法院强制执行或提起诉讼',
} as const;

/**
 * 四步法 — in ORDER_TO_CORRECT or PENALTY, the current step's deadline (after a 催告书, the latest
 * reminder's deadline, or its 催告期 when it records none) is the guardian's; passing it without compliance calls for the next step, which the
 * township government takes (义务教育法第五十八条: 乡镇人民政府或者县级人民政府教育行政部门 …
 * 责令限期改正), so the duty starts there and climbs to the county.
 */
function fourStepDuty(record: CaseRecord): Duty | undefined {
  if (record.state !== 'ORDER_TO_CORRECT' && record.state !== 'PENALTY') return undefined;
  const step: FourStep = record.state;
  const current = record.fourStep.findLast((entry) => entry.step === step);
  if (current === undefined) return undefined;
  const reminder = step === 'PENALTY' ? current.reminders.at(-1) : undefined;
  const dueOn =
    reminder !== undefined
      ? (reminder.deadline ?? addDays(reminder.date, PENALTY_REMINDER_DAYS))
      : current.deadline;
  if (dueOn === undefined) return undefined;
  return {
    item: 'FOUR_STEP_DEADLINE',
    dutyKey: `FOUR_STEP_DEADLINE:${step}:${dueOn}`,
    dueOn,
    periodWorkingDays: FOUR_STEP_ESCALATION_WORKING_DAYS,
    responsible: 'TOWNSHIP_HEAD',
    zh: `依法控辍四步法：${NEXT_STEP_ZH[reminder !== undefined ? 'PENALTY_REMINDED' : step]}`,
  };
}

/** The China date of the latest history entry that moved the case into `state`. */
function enteredOn(record: CaseRecord, state: CaseRecord['state']): string | undefined {
  const entry = record.history.findLast((h) => h.to === state);
  return entry === undefined ? undefined : todayInChina(new Date(entry.at));
}

/** The latest of some 'YYYY-MM-DD' dates (they sort as text). */
function latest(dates: readonly string[]): string {
  return [...dates].sort().at(-1)!;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}
