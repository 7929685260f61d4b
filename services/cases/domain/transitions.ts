/**
 * 一生一案状态机 — what each action does to a case, who may take it and in which states
 * (docs/domain.md §4). Pure: the case and the action in, the next case and the events to announce out;
 * the input is never changed. Every accepted action adds one history entry (who, when, what, the
 * validated payload) and bumps `version` by one, which the adapter writes with a condition on the
 * version it read: the optimistic lock.
 *
 * Dates a user enters are checked against the case:
 * - the case's own work (home visits, talks, 四步法 documents, placements, 送教上门 visits, follow-ups,
 *   acknowledgements) lies between the day the case opened (or the step it follows) and today;
 * - facts found out (the other school's confirmation, a deferral's approval, the day of 复学) only may
 *   not lie in the future: they can predate the case, which was opened from older data.
 */
import type { WorkingCalendar } from '../../../shared/calendar';
import { addDays } from '../../../shared/dates';
import {
  CASE_STATE_NAMES_ZH,
  type CaseState,
  type ClosedAs,
  caseStateSchema,
} from '../../../shared/events/vocab';
import { type Actor, ROLE_NAMES_ZH, type Role } from '../../../shared/org';
import { type CaseRules, CHAIN_POSITION_NAMES_ZH } from '../../../shared/region-settings';
import {
  CASE_ACTION_NAMES_ZH,
  CASE_ACTION_TYPES,
  type CaseAction,
  type CaseActionOf,
  type CaseActionType,
  caseActionSchema,
  OUT_OF_SCOPE_REASON_NAMES_ZH,
} from './actions';
import {
  CASE_DOCUMENT_NAMES_ZH,
  type CaseRecord,
  type CaseSignal,
  FOUR_STEPS,
  type FourStep,
  type HistoryEntry,
  holdsReport,
  isOpen,
  PLACEMENT_NAMES_ZH,
  type PlacementKind,
  REPORT_LINE_NAMES_ZH,
  type ReportLine,
  type ResponsibleChain,
  reportLineSchema,
} from './case';

// ── the tables ───────────────────────────────────────────────────────────────────────────────────────

const OPEN_STATES: readonly CaseState[] = caseStateSchema.options.filter(isOpen);
const FOUR_STEP_STATES: readonly CaseState[] = FOUR_STEPS;
/** A confirmed dropout being worked on: 劝返 and the legal track. */
const DROPOUT_STATES: readonly CaseState[] = ['CONFIRMED', 'PERSUADING', ...FOUR_STEP_STATES];

/**
 * 可执行状态 — the states in which each action is accepted. Where it leads is in {@link applyAction}:
 * the close actions end the case, FOUR_STEP moves to the step taken, ADD_SIGNAL moves a case in
 * follow-up back to CONFIRMED, and the logging actions leave the state as it is.
 */
export const ACTION_STATES = {
  // Any open case: its people, cause, reports and signals can change whatever stage it is at.
  ASSIGN_RESPONSIBLE: OPEN_STATES,
  SET_CAUSE: OPEN_STATES,
  ACKNOWLEDGE_REPORT: OPEN_STATES,
  ADD_SIGNAL: OPEN_STATES,
  RESOLVE_BY_DATA: OPEN_STATES,
  NOTE_OUTSIDE_REPORT: OPEN_STATES,
  // A document is kept with the case whatever happened since the change that called for it: a case
  // closed right after a 催告书 still keeps the 催告书.
  ATTACH_DOCUMENT: caseStateSchema.options,
  // docs/domain.md §4.1: a case leaves SUSPECTED only with a full chain, and only through verification.
  START_VERIFYING: ['SUSPECTED'],
  // 核查 ends in one of the explanations that close the case, or in CONFIRMED (docs/domain.md §4.2).
  CLOSE_STUDYING_ELSEWHERE: ['VERIFYING'],
  DEFER: ['VERIFYING'],
  CLOSE_NOT_DROPOUT: ['VERIFYING'],
  CONFIRM: ['VERIFYING'],
  // 出国, 死亡, 超龄 end the duty of compulsory education whenever they happen, so they close a case at
  // any stage after SUSPECTED (which is left only through verification).
  CLOSE_OUT_OF_SCOPE: OPEN_STATES.filter((s) => s !== 'SUSPECTED'),
  START_PERSUADING: ['CONFIRMED'],
  // docs/domain.md §4.3: every visit is recorded; the legal track does not stop the persuading.
  LOG_HOME_VISIT: ['VERIFYING', ...DROPOUT_STATES],
  LOG_TALK: ['VERIFYING', ...DROPOUT_STATES],
  // 四步法 starts from PERSUADING; ENFORCEMENT_OR_SUIT is the last step, so no step follows it.
  FOUR_STEP: ['PERSUADING', 'EDUCATION', 'ORDER_TO_CORRECT', 'PENALTY'],
  PENALTY_REMINDER: ['PENALTY'],
  PLACE: DROPOUT_STATES,
  LOG_HOME_TEACHING_VISIT: ['PLACED'],
  RETURN: ['VERIFYING', ...DROPOUT_STATES, 'PLACED'],
  LOG_FOLLOW_UP: ['RETURNED'],
  RETAIN: ['RETURNED'],
  CLOSE: ['RETAINED', 'PLACED'],
  REOPEN_DEFERRAL: ['DEFERRED'],
} as const satisfies Record<CaseActionType, readonly CaseState[]>;

const SCHOOL_AND_UP = ['school', 'township', 'county'] as const satisfies readonly Role[];
const GOVERNMENT = ['township', 'county'] as const satisfies readonly Role[];
/** The system (signals, the daily schedule) acts as the deployment's ops actor. */
const SYSTEM = ['ops'] as const satisfies readonly Role[];

/**
 * 权限 — who may take which action. Schools verify, visit, place in class, register 复学 and follow up;
 * township governments and county bureaus may do all of that too, and alone take the legal steps
 * (义务教育法第五十八条: 乡镇人民政府或者县级人民政府教育行政部门 责令限期改正) and the closures that
 * rest on a government document (缓学休学 approval, 出国/死亡/超龄 evidence). Partner departments
 * receive referrals but change no case; ops staff change no case by hand — the ops role acts only as
 * the system, for the actions the system takes.
 */
export const CASE_PERMISSIONS = {
  actions: {
    ASSIGN_RESPONSIBLE: SCHOOL_AND_UP,
    SET_CAUSE: SCHOOL_AND_UP,
    START_VERIFYING: SCHOOL_AND_UP,
    ACKNOWLEDGE_REPORT: SCHOOL_AND_UP,
    CLOSE_STUDYING_ELSEWHERE: SCHOOL_AND_UP,
    DEFER: GOVERNMENT,
    CLOSE_NOT_DROPOUT: SCHOOL_AND_UP,
    CLOSE_OUT_OF_SCOPE: GOVERNMENT,
    CONFIRM: SCHOOL_AND_UP,
    START_PERSUADING: SCHOOL_AND_UP,
    LOG_HOME_VISIT: SCHOOL_AND_UP,
    LOG_TALK: SCHOOL_AND_UP,
    FOUR_STEP: GOVERNMENT,
    PENALTY_REMINDER: GOVERNMENT,
    PLACE: SCHOOL_AND_UP,
    LOG_HOME_TEACHING_VISIT: SCHOOL_AND_UP,
    RETURN: SCHOOL_AND_UP,
    LOG_FOLLOW_UP: SCHOOL_AND_UP,
    RETAIN: SCHOOL_AND_UP,
    CLOSE: SCHOOL_AND_UP,
    REOPEN_DEFERRAL: SYSTEM,
    ADD_SIGNAL: SYSTEM,
    RESOLVE_BY_DATA: SYSTEM,
    NOTE_OUTSIDE_REPORT: SYSTEM,
    ATTACH_DOCUMENT: SYSTEM,
  },
  /**
   * PLACE, by placement: a school puts a child back in class or runs its approved 送教上门 plan; the
   * placements that move a child to another kind of provision (单独教学, 普职融合班, 特殊教育学校) are
   * arranged by the township or the bureau.
   */
  placementKinds: {
    REGULAR_CLASS: SCHOOL_AND_UP,
    HOME_TEACHING: SCHOOL_AND_UP,
    INDIVIDUAL_TEACHING: GOVERNMENT,
    VOCATIONAL_INTEGRATION: GOVERNMENT,
    SPECIAL_SCHOOL: GOVERNMENT,
  },
  /**
   * ACKNOWLEDGE_REPORT, by line (docs/domain.md §3.4): the school files on the province platform and records its
   * receipt; the township's and the bureau's written reports are acknowledged by the receiver itself
   * (the county may record for a township, being above it).
   */
  reportLines: {
    PROVINCE_PLATFORM: SCHOOL_AND_UP,
    TOWNSHIP: GOVERNMENT,
    COUNTY_BUREAU: ['county'],
  },
} as const satisfies {
  actions: Record<CaseActionType, readonly Role[]>;
  placementKinds: Record<PlacementKind, readonly Role[]>;
  reportLines: Record<ReportLine, readonly Role[]>;
};

// ── the API ──────────────────────────────────────────────────────────────────────────────────────────

/** What an action needs besides the case: who acts, the clock, and the region's rules. */
export interface CaseContext {
  actor: Actor;
  /** The user's subject id, recorded in the history entry. */
  by?: string;
  /** ISO timestamp of the change. */
  now: string;
  /** Today's date in the region (YYYY-MM-DD): dates may not lie after it. */
  today: string;
  rules: CaseRules;
  /** The working-day calendar; the transitions count calendar days only, deadlines.ts counts working days. */
  calendar?: WorkingCalendar;
}

/** An event the adapter must publish after saving the case (it builds the envelopes). */
export type CaseEffect =
  | { type: 'case.state-changed'; from: CaseState; to: CaseState }
  | { type: 'case.closed'; closedAs: ClosedAs }
  | { type: 'student.returned'; school: string; returnedOn: string };

export type CaseErrorCode =
  | 'INVALID_ACTION'
  | 'ROLE_NOT_ALLOWED'
  | 'TRANSITION_NOT_ALLOWED'
  | 'CHAIN_INCOMPLETE'
  | 'STEP_OUT_OF_ORDER'
  | 'DEADLINE_NOT_PASSED'
  | 'FOLLOW_UP_INCOMPLETE'
  | 'DEFERRAL_NOT_ENDED'
  | 'DEFERRAL_ALREADY_ENDED'
  | 'ALREADY_ACKNOWLEDGED'
  | 'NOT_HOME_TEACHING'
  | 'EVIDENCE_REQUIRED'
  | 'DATE_IN_FUTURE'
  | 'DATE_TOO_EARLY';

/** Why an action was refused, and what to do instead, in Chinese and English. */
export interface CaseActionError {
  code: CaseErrorCode;
  zh: string;
  en: string;
}

export type ApplyResult =
  | { ok: true; record: CaseRecord; effects: CaseEffect[] }
  | { ok: false; error: CaseActionError };

/** The actions `role` may take on a case in its current state (what a UI offers). */
export function allowedActions(record: CaseRecord, role: Role): CaseActionType[] {
  return CASE_ACTION_TYPES.filter(
    (type) =>
      (CASE_PERMISSIONS.actions[type] as readonly Role[]).includes(role) &&
      (ACTION_STATES[type] as readonly CaseState[]).includes(record.state),
  );
}

/**
 * Applies one action to a case. On success: the next case (version + 1, one history entry) and the
 * events to publish. Refused: why, naming the case's state and what to do.
 *
 * ADD_SIGNAL with a signalId the case already holds (NOTE_OUTSIDE_REPORT with a reportId it holds,
 * ATTACH_DOCUMENT with a documentId it holds) is a redelivery: it succeeds with the very same record (same version, no history entry) and no effects, so
 * an at-least-once consumer can apply it twice and write nothing the second time.
 */
export function applyAction(record: CaseRecord, action: CaseAction, ctx: CaseContext): ApplyResult {
  const parsed = caseActionSchema.safeParse(action);
  if (!parsed.success) {
    // The schemas write their messages "English / 中文"; each language gets its half.
    const issues = parsed.error.issues.map((i) => {
      const [en, zh = en] = i.message.split(' / ');
      return { path: i.path.join('.') || 'action', en, zh };
    });
    return refuse(
      'INVALID_ACTION',
      `操作内容不符合要求：${issues.map((i) => `${i.path}：${i.zh}`).join('；')}`,
      `The action is invalid: ${issues.map((i) => `${i.path}: ${i.en}`).join('; ')}`,
    );
  }
  const a = parsed.data;

  const roles: readonly Role[] = CASE_PERMISSIONS.actions[a.type];
  if (!roles.includes(ctx.actor.role)) return roleRefused(a.type, ctx.actor.role, roles);

  // The legal steps' order is checked before the generic state table, so that a step asked for after
  // the last one says so rather than that the state is wrong.
  if (a.type === 'FOUR_STEP' && (record.state === 'PERSUADING' || FOUR_STEP_STATES.includes(record.state))) {
    return fourStep(record, a, ctx);
  }
  const states: readonly CaseState[] = ACTION_STATES[a.type];
  if (!states.includes(record.state)) return transitionRefused(record, a.type, ctx.actor.role);

  switch (a.type) {
    case 'ASSIGN_RESPONSIBLE':
      return commit(
        record,
        { ...record, chain: { ...record.chain, ...a.chain } as ResponsibleChain },
        a,
        ctx,
      );
    case 'SET_CAUSE':
      return commit(
        record,
        {
          ...record,
          causeCategory: a.causeCategory,
          priority: a.priority ?? record.priority,
          flags: a.flags ?? record.flags,
        },
        a,
        ctx,
      );
    case 'START_VERIFYING':
      return startVerifying(record, a, ctx);
    case 'ACKNOWLEDGE_REPORT':
      return acknowledgeReport(record, a, ctx);
    case 'CLOSE_STUDYING_ELSEWHERE':
      return (
        notInFuture(a.verifiedOn, 'verifiedOn', '核实日期', ctx) ??
        commit(record, closed(record, 'STUDYING_ELSEWHERE', ctx), a, ctx)
      );
    case 'DEFER':
      return defer(record, a, ctx);
    case 'CLOSE_NOT_DROPOUT':
      return commit(record, closed(record, 'NOT_DROPOUT', ctx), a, ctx);
    case 'CLOSE_OUT_OF_SCOPE':
      return commit(record, closed(record, 'OUT_OF_SCOPE', ctx), a, ctx, {
        reasonZh: OUT_OF_SCOPE_REASON_NAMES_ZH[a.reason],
      });
    case 'CONFIRM':
      return commit(record, { ...record, state: 'CONFIRMED' }, a, ctx);
    case 'START_PERSUADING':
      return commit(record, { ...record, state: 'PERSUADING' }, a, ctx);
    case 'LOG_HOME_VISIT':
    case 'LOG_TALK':
      return (
        within(a.date, 'date', '日期', record.openedOn, '立案日期', ctx) ??
        commit(record, { ...record, persuasionActions: [...record.persuasionActions, a.date].sort() }, a, ctx)
      );
    case 'FOUR_STEP':
      // Only reached outside PERSUADING and the 四步法 states, which the table already refused.
      return transitionRefused(record, a.type, ctx.actor.role);
    case 'PENALTY_REMINDER':
      return penaltyReminder(record, a, ctx);
    case 'PLACE':
      return place(record, a, ctx);
    case 'LOG_HOME_TEACHING_VISIT':
      return homeTeachingVisit(record, a, ctx);
    case 'RETURN':
      return returnToSchool(record, a, ctx);
    case 'LOG_FOLLOW_UP':
      return followUp(record, a, ctx);
    case 'RETAIN':
      return retain(record, a, ctx);
    case 'CLOSE':
      return close(record, a, ctx);
    case 'REOPEN_DEFERRAL':
      return reopenDeferral(record, a, ctx);
    case 'ADD_SIGNAL':
      return addSignal(record, a, ctx);
    case 'RESOLVE_BY_DATA':
      return resolveByData(record, a, ctx);
    case 'NOTE_OUTSIDE_REPORT':
      return noteOutsideReport(record, a, ctx);
    case 'ATTACH_DOCUMENT':
      return attachDocument(record, a, ctx);
  }
}

/**
 * Actions that record what the system produced or received and change nothing a person decides on: a
 * generated document, and the note of a report from an organisation outside the case's scope.
 */
const BOOKKEEPING_ACTIONS: readonly string[] = [
  'ATTACH_DOCUMENT',
  'NOTE_OUTSIDE_REPORT',
] satisfies CaseActionType[];

/**
 * Whether a command a person composed against `version` still fits the case: the case is at that
 * version, or only bookkeeping happened since (documents the system attached, notes of outside
 * reports). A document arrives a second or two after the change that called for it; it must not make
 * the person's next command stale — nor may another organisation's report, which is not theirs to
 * time.
 */
export function unchangedForPeopleSince(record: CaseRecord, version: number): boolean {
  if (version > record.version) return false;
  const since = record.history.filter((h) => h.version > version);
  return (
    since.length === record.version - version && since.every((h) => BOOKKEEPING_ACTIONS.includes(h.action))
  );
}

export interface OpenCaseInput {
  caseId: string;
  region: string;
  child: CaseRecord['child'];
  idNumber?: string;
  name?: string;
  school?: string;
  schoolName?: string;
  township?: string;
  householdCounty?: string;
  signal: CaseSignal;
  priority: boolean;
  flags?: string[];
  causeCategory?: CaseRecord['causeCategory'];
  chain?: ResponsibleChain;
  actor: Actor;
  by?: string;
  now: string;
  today: string;
  rules: CaseRules;
  calendar?: WorkingCalendar;
}

/**
 * 立案 — a new case in SUSPECTED at version 1, its first signal recorded and the 三线报告 produced on
 * all three lines (docs/domain.md §3.4: province platform, township, county bureau), each awaiting
 * acknowledgement.
 */
export function openCase(input: OpenCaseInput): CaseRecord {
  const threeLineReport: CaseRecord['threeLineReport'] = {};
  for (const line of reportLineSchema.options) threeLineReport[line] = { producedOn: input.today };
  const opened: HistoryEntry = {
    version: 1,
    at: input.now,
    actor: { role: input.actor.role, org: input.actor.org },
    ...(input.by !== undefined && { by: input.by }),
    action: 'OPEN',
    to: 'SUSPECTED',
    details: {
      signalId: input.signal.signalId,
      source: input.signal.source,
      priority: input.priority,
      ...(input.causeCategory !== undefined && { causeCategory: input.causeCategory }),
    },
  };
  return {
    caseId: input.caseId,
    region: input.region,
    child: input.child,
    ...(input.idNumber !== undefined && { idNumber: input.idNumber }),
    ...(input.name !== undefined && { name: input.name }),
    ...(input.school !== undefined && { school: input.school }),
    ...(input.schoolName !== undefined && { schoolName: input.schoolName }),
    ...(input.township !== undefined && { township: input.township }),
    ...(input.householdCounty !== undefined && { householdCounty: input.householdCounty }),
    state: 'SUSPECTED',
    version: 1,
    openedOn: input.today,
    openedAt: input.now,
    source: input.signal.source,
    priority: input.priority,
    flags: input.flags ?? [],
    ...(input.causeCategory !== undefined && { causeCategory: input.causeCategory }),
    chain: input.chain ?? {},
    signals: [input.signal],
    threeLineReport,
    persuasionActions: [],
    fourStep: [],
    followUps: [],
    overdue: [],
    history: [opened],
  };
}

// ── the actions with rules of their own ──────────────────────────────────────────────────────────────

type Result = ApplyResult;

function startVerifying(record: CaseRecord, a: CaseActionOf<'START_VERIFYING'>, ctx: CaseContext): Result {
  const missing = ctx.rules.chain.filter((position) => record.chain[position] === undefined);
  if (missing.length > 0) {
    return refuse(
      'CHAIN_INCOMPLETE',
      `包保责任人未落实，尚缺：${missing.map((p) => CHAIN_POSITION_NAMES_ZH[p]).join('、')}。请先通过“${CASE_ACTION_NAMES_ZH.ASSIGN_RESPONSIBLE}”补齐后再开始核查（案件当前状态：${CASE_STATE_NAMES_ZH[record.state]}）。`,
      `The responsibility chain is incomplete; missing: ${missing.join(', ')}. Fill them with ASSIGN_RESPONSIBLE before starting verification (the case is ${record.state}).`,
    );
  }
  return commit(record, { ...record, state: 'VERIFYING' }, a, ctx);
}

function acknowledgeReport(
  record: CaseRecord,
  a: CaseActionOf<'ACKNOWLEDGE_REPORT'>,
  ctx: CaseContext,
): Result {
  const roles: readonly Role[] = CASE_PERMISSIONS.reportLines[a.line];
  if (!roles.includes(ctx.actor.role)) {
    return refuse(
      'ROLE_NOT_ALLOWED',
      `${ROLE_NAMES_ZH[ctx.actor.role]}不能确认报送${REPORT_LINE_NAMES_ZH[a.line]}的报告，应由${rolesZh(roles)}确认。`,
      `A ${ctx.actor.role} account cannot acknowledge the report to ${a.line}; ${roles.join(' or ')} does.`,
    );
  }
  const report = record.threeLineReport[a.line] ?? { producedOn: record.openedOn };
  if (report.acknowledgedOn !== undefined) {
    return refuse(
      'ALREADY_ACKNOWLEDGED',
      `报送${REPORT_LINE_NAMES_ZH[a.line]}的报告已于 ${report.acknowledgedOn} 确认，无需重复确认。`,
      `The report to ${a.line} was already acknowledged on ${report.acknowledgedOn}.`,
    );
  }
  return (
    within(a.date, 'date', '确认日期', report.producedOn, '报告生成日期', ctx) ??
    commit(
      record,
      {
        ...record,
        threeLineReport: {
          ...record.threeLineReport,
          [a.line]: { ...report, acknowledgedOn: a.date, acknowledgedBy: actorOf(ctx) },
        },
      },
      a,
      ctx,
    )
  );
}

function defer(record: CaseRecord, a: CaseActionOf<'DEFER'>, ctx: CaseContext): Result {
  const early = notInFuture(a.approvedOn, 'approvedOn', '批准日期', ctx);
  if (early) return early;
  // The daily schedule reopens a deferral the day after it ends; one that has already ended is not a
  // reason to close the case but a question for verification: has the child come back?
  if (a.endDate < ctx.today) {
    return refuse(
      'DEFERRAL_ALREADY_ENDED',
      `缓学休学截止日期 ${a.endDate} 已过（今天 ${ctx.today}），不能据此结案；请核实学生是否已复学，已复学的请登记复学，未复学的请确认辍学。`,
      `The deferral ended on ${a.endDate} (today is ${ctx.today}), so it cannot close the case; find out whether the child is back (RETURN) or not (CONFIRM).`,
    );
  }
  const deferral = { documentRef: a.documentRef, approvedOn: a.approvedOn, endDate: a.endDate, kind: a.kind };
  return commit(record, { ...closed(record, 'DEFERRED', ctx), deferral }, a, ctx);
}

/**
 * 依法控辍四步法 (docs/domain.md §4.4): 宣传教育 → 责令改正 → 行政处罚 → 申请强制执行或提起诉讼, in this
 * order, none skipped, none repeated, the first only after persuading failed. A step follows the previous
 * one only once its deadline has passed without compliance (a 四步法 deadline that passes without
 * compliance is what calls for the next step); after a 催告书, its deadline too (行政强制法第五十四条).
 */
function fourStep(record: CaseRecord, a: CaseActionOf<'FOUR_STEP'>, ctx: CaseContext): Result {
  const current = FOUR_STEPS.find((s) => s === record.state);
  const expected: FourStep | undefined =
    current === undefined ? 'EDUCATION' : FOUR_STEPS[FOUR_STEPS.indexOf(current) + 1];
  if (a.step !== expected) {
    const stateZh = CASE_STATE_NAMES_ZH[record.state];
    const what =
      expected === undefined
        ? {
            zh: '四步法已进行到最后一步，不能再增加步骤',
            en: 'the 四步法 is at its last step; no step follows',
          }
        : {
            zh: `下一步只能是“${CASE_STATE_NAMES_ZH[expected]}”`,
            en: `the next step can only be ${expected}`,
          };
    // Within this round of the track: a case back from follow-up starts again at EDUCATION.
    const repeated = current !== undefined && FOUR_STEPS.indexOf(a.step) <= FOUR_STEPS.indexOf(current);
    return refuse(
      'STEP_OUT_OF_ORDER',
      `案件当前状态为“${stateZh}”，${what.zh}；“${CASE_STATE_NAMES_ZH[a.step]}”${repeated ? '已经做过，不能重复' : '不能跳步进行'}。四步法须按 宣传教育→责令改正→行政处罚→申请强制执行或提起诉讼 的顺序逐步进行。`,
      `The case is ${record.state}; ${what.en}, so ${a.step} ${repeated ? 'cannot be repeated' : 'would skip a step'}. The steps go EDUCATION → ORDER_TO_CORRECT → PENALTY → ENFORCEMENT_OR_SUIT.`,
    );
  }
  const previous = record.fourStep.at(-1);
  const floor = previous?.date ?? record.openedOn;
  const dateError = within(a.date, 'date', '文书日期', floor, previous ? '上一步骤日期' : '立案日期', ctx);
  if (dateError) return dateError;
  if (previous !== undefined) {
    const reminder = previous.reminders.at(-1);
    const deadline = latestOf([previous.deadline, reminder?.deadline]);
    if (deadline !== undefined && a.date <= deadline) {
      return refuse(
        'DEADLINE_NOT_PASSED',
        `“${CASE_STATE_NAMES_ZH[previous.step]}”${reminder?.deadline === deadline ? '催告书' : ''}规定的履行期限至 ${deadline}，期限届满仍未履行方可进行“${CASE_STATE_NAMES_ZH[a.step]}”；请在 ${deadline} 之后再登记。`,
        `The ${previous.step}${reminder?.deadline === deadline ? ' reminder' : ''} gives the guardian until ${deadline}; ${a.step} may follow only after that deadline passes without compliance.`,
      );
    }
  }
  const entry: CaseRecord['fourStep'][number] = {
    step: a.step,
    date: a.date,
    documentRef: a.documentRef,
    ...(a.deadline !== undefined && { deadline: a.deadline }),
    reminders: [],
  };
  return commit(record, { ...record, state: a.step, fourStep: [...record.fourStep, entry] }, a, ctx);
}

/** 履行行政决定催告书 — only once the 行政处罚决定's own deadline has passed unmet (行政强制法第五十四条). */
function penaltyReminder(record: CaseRecord, a: CaseActionOf<'PENALTY_REMINDER'>, ctx: CaseContext): Result {
  const index = record.fourStep.findLastIndex((s) => s.step === 'PENALTY');
  const penalty = record.fourStep[index];
  if (penalty === undefined) return transitionRefused(record, a.type, ctx.actor.role);
  const last = penalty.reminders.at(-1);
  const dateError = within(
    a.date,
    'date',
    '催告书日期',
    last?.date ?? penalty.date,
    last ? '上一份催告书日期' : '行政处罚决定日期',
    ctx,
  );
  if (dateError) return dateError;
  if (penalty.deadline !== undefined && a.date <= penalty.deadline) {
    return refuse(
      'DEADLINE_NOT_PASSED',
      `行政处罚决定书规定的履行期限至 ${penalty.deadline}，期限届满仍未履行方可送达催告书；请在 ${penalty.deadline} 之后再登记。`,
      `The penalty decision gives the guardian until ${penalty.deadline}; a reminder may be served only after that.`,
    );
  }
  const reminder = { date: a.date, documentRef: a.documentRef, deadline: a.deadline };
  const fourStep = record.fourStep.map((s, i) =>
    i === index ? { ...s, reminders: [...s.reminders, reminder] } : s,
  );
  return commit(record, { ...record, fourStep }, a, ctx);
}

function place(record: CaseRecord, a: CaseActionOf<'PLACE'>, ctx: CaseContext): Result {
  const roles: readonly Role[] = CASE_PERMISSIONS.placementKinds[a.kind];
  if (!roles.includes(ctx.actor.role)) {
    return refuse(
      'ROLE_NOT_ALLOWED',
      `${ROLE_NAMES_ZH[ctx.actor.role]}不能安排“${PLACEMENT_NAMES_ZH[a.kind]}”，该安置由${rolesZh(roles)}安排。`,
      `A ${ctx.actor.role} account cannot arrange ${a.kind}; ${roles.join(' or ')} does.`,
    );
  }
  const dateError = within(a.since, 'since', '安置日期', record.openedOn, '立案日期', ctx);
  if (dateError) return dateError;
  const placement: NonNullable<CaseRecord['placement']> = {
    kind: a.kind,
    since: a.since,
    ...(a.school !== undefined && { school: a.school }),
    ...(a.planRef !== undefined && { planRef: a.planRef }),
    visits: [],
  };
  return commit(record, { ...record, state: 'PLACED', placement }, a, ctx);
}

function homeTeachingVisit(
  record: CaseRecord,
  a: CaseActionOf<'LOG_HOME_TEACHING_VISIT'>,
  ctx: CaseContext,
): Result {
  const placement = record.placement;
  if (placement?.kind !== 'HOME_TEACHING') {
    const kind = placement ? PLACEMENT_NAMES_ZH[placement.kind] : '未登记';
    return refuse(
      'NOT_HOME_TEACHING',
      `该生的安置方式为“${kind}”，不是送教上门，不能登记送教记录；如需改为送教上门，请以已批准的送教方案重新安置。`,
      `The child is placed as ${placement?.kind ?? 'nothing'}, not HOME_TEACHING, so there is no home-teaching visit to log; place the child as HOME_TEACHING with the approved plan first.`,
    );
  }
  return (
    within(a.date, 'date', '送教日期', placement.since, '安置日期', ctx) ??
    commit(
      record,
      { ...record, placement: { ...placement, visits: [...placement.visits, a.date].sort() } },
      a,
      ctx,
    )
  );
}

/** 复学 — 巩固 follow-up runs for the region's follow-up period (default one term), in calendar days. */
function returnToSchool(record: CaseRecord, a: CaseActionOf<'RETURN'>, ctx: CaseContext): Result {
  const dateError = notInFuture(a.returnedOn, 'returnedOn', '复学日期', ctx);
  if (dateError) return dateError;
  const followUpEnds = addDays(a.returnedOn, ctx.rules.followUpDays);
  const returned = { school: a.school, returnedOn: a.returnedOn, followUpEnds };
  return commit(record, { ...record, state: 'RETURNED', returned }, a, ctx, { followUpEnds }, [
    { type: 'student.returned', school: a.school, returnedOn: a.returnedOn },
  ]);
}

function followUp(record: CaseRecord, a: CaseActionOf<'LOG_FOLLOW_UP'>, ctx: CaseContext): Result {
  const returnedOn = record.returned?.returnedOn ?? record.openedOn;
  const dateError = within(a.date, 'date', '跟踪日期', returnedOn, '复学日期', ctx);
  if (dateError) return dateError;
  const followUps = [...record.followUps, { date: a.date, items: a.items }].sort((x, y) =>
    x.date < y.date ? -1 : x.date > y.date ? 1 : 0,
  );
  return commit(record, { ...record, followUps }, a, ctx);
}

/**
 * 巩固在校 — once the follow-up period is over and it was kept up. docs/domain.md §4.6 asks for at least one
 * tutoring session or test a month besides the 六有 record, so "monthly" is read as: every calendar month
 * that the period [returnedOn, followUpEnds] touches, first and last included, holds at least one follow-up
 * record inside the period that shows TUTORING or TESTS. Calendar months rather than rolling 30-day windows
 * because schools report and check monthly (学校每月报送, docs/domain.md §6.1 ledgers), so a school can see at a
 * glance which month lacks a record.
 */
function retain(record: CaseRecord, a: CaseActionOf<'RETAIN'>, ctx: CaseContext): Result {
  const returned = record.returned;
  if (returned === undefined) return transitionRefused(record, a.type, ctx.actor.role);
  if (ctx.today < returned.followUpEnds) {
    return refuse(
      'FOLLOW_UP_INCOMPLETE',
      `巩固跟踪期至 ${returned.followUpEnds} 结束（复学日期 ${returned.returnedOn}），期满后方可确认巩固在校；在此之前请每月登记六有跟踪记录（案件当前状态：${CASE_STATE_NAMES_ZH[record.state]}）。`,
      `The follow-up period runs until ${returned.followUpEnds} (returned on ${returned.returnedOn}); RETAIN is possible after it. Until then, log a 六有 follow-up every month (the case is ${record.state}).`,
    );
  }
  const missing = monthsMissingFollowUp(record, returned.returnedOn, returned.followUpEnds);
  if (missing.length > 0) {
    return refuse(
      'FOLLOW_UP_INCOMPLETE',
      `巩固跟踪期（${returned.returnedOn} 至 ${returned.followUpEnds}）内以下月份没有“有辅导”或“有测试”的跟踪记录：${missing.map(monthZh).join('、')}。每月至少一次辅导或测试，请补登后再确认巩固在校。`,
      `These months of the follow-up period (${returned.returnedOn} to ${returned.followUpEnds}) have no follow-up showing TUTORING or TESTS: ${missing.join(', ')}. At least one a month is required; log them before RETAIN.`,
    );
  }
  return commit(record, { ...record, state: 'RETAINED' }, a, ctx, { asOf: ctx.today });
}

/** 结案销号 — a row leaves the open ledger only with its closing evidence (docs/domain.md §4.7, 动态销号). */
function close(record: CaseRecord, a: CaseActionOf<'CLOSE'>, ctx: CaseContext): Result {
  if (record.state === 'PLACED' && a.documentRef === undefined) {
    const kind = record.placement ? PLACEMENT_NAMES_ZH[record.placement.kind] : '分类安置';
    return refuse(
      'EVIDENCE_REQUIRED',
      `案件当前状态为“${CASE_STATE_NAMES_ZH.PLACED}”（${kind}），结案须提供证明安置落实的文书编号（documentRef），如入学通知书或送教上门结束审批文号。`,
      `The case is PLACED (${record.placement?.kind ?? 'placement'}); closing it needs the reference of the document that shows the placement was carried out (documentRef).`,
    );
  }
  const closedAs: ClosedAs = record.state === 'PLACED' ? 'PLACED' : 'RETAINED';
  return commit(record, { ...record, state: 'CLOSED', closedAs, closedOn: ctx.today }, a, ctx);
}

/** 缓学休学期满 — a deferral that ended without the child's return is verified again (docs/domain.md §4.2). */
function reopenDeferral(record: CaseRecord, a: CaseActionOf<'REOPEN_DEFERRAL'>, ctx: CaseContext): Result {
  const deferral = record.deferral;
  if (deferral === undefined || deferral.endDate >= ctx.today) {
    const end = deferral?.endDate ?? '未登记';
    return refuse(
      'DEFERRAL_NOT_ENDED',
      `缓学休学截止日期为 ${end}，尚未期满（今天 ${ctx.today}），案件保持“${CASE_STATE_NAMES_ZH[record.state]}”。`,
      `The deferral ends on ${deferral?.endDate ?? '(none recorded)'} and has not passed (today is ${ctx.today}); the case stays ${record.state}.`,
    );
  }
  const { closedAs: _closedAs, closedOn: _closedOn, ...open } = record;
  return commit(record, { ...open, state: 'VERIFYING' }, a, ctx, {
    reason: 'DEFERRAL_ENDED_WITHOUT_RETURN',
    endDate: deferral.endDate,
    asOf: ctx.today,
    zh: `缓学休学已于 ${deferral.endDate} 期满，未见复学，重新核查`,
  });
}

/**
 * 追加线索 — one child, one open case: a new signal joins it. A child absent again during 巩固
 * follow-up goes back to CONFIRMED in the same case (docs/domain.md §4.6); so does a RETAINED case not yet closed,
 * since closing it as "kept in school" would no longer be true.
 */
function addSignal(record: CaseRecord, a: CaseActionOf<'ADD_SIGNAL'>, ctx: CaseContext): Result {
  if (holdsReport(record, a.signal.signalId)) {
    return { ok: true, record, effects: [] };
  }
  const relapse = record.state === 'RETURNED' || record.state === 'RETAINED';
  const next: CaseRecord = {
    ...record,
    signals: [...record.signals, a.signal],
    priority: record.priority || a.priority === true,
    state: relapse ? 'CONFIRMED' : record.state,
  };
  return commit(
    record,
    next,
    a,
    ctx,
    relapse ? { reason: 'ABSENT_AGAIN_DURING_FOLLOW_UP', zh: '巩固期间再次出现疑似辍学，重新确认辍学' } : {},
  );
}

/**
 * 比对销号 — a later comparison explains the child (e.g. now enrolled and present, or 缓学 on file). Each
 * comparison recomputes with whatever rosters are in, so an early run can report children that the
 * next upload explains. A case still SUSPECTED that only comparisons raised — no attendance streak, no
 * person's report — is closed as NOT_DROPOUT with the comparison as its evidence; once people are
 * working a case, or another source raised it, the finding is recorded and they decide.
 */
function resolveByData(record: CaseRecord, a: CaseActionOf<'RESOLVE_BY_DATA'>, ctx: CaseContext): Result {
  if (record.history.some((h) => h.action === 'RESOLVE_BY_DATA' && h.details.signalId === a.signalId)) {
    return { ok: true, record, effects: [] };
  }
  const onlyComparisons = record.signals.every((s) => s.source === 'COMPARISON');
  const zh = `比对 ${a.comparisonId} 结果由“${a.previousOutcome}”变为“${a.outcome}”`;
  if (record.state === 'SUSPECTED' && onlyComparisons) {
    return commit(record, closed(record, 'NOT_DROPOUT', ctx), a, ctx, {
      explanation: `${zh}，数据已解释疑似辍学，自动销号`,
    });
  }
  return commit(record, record, a, ctx, { note: `${zh}，请核实后处理` });
}

/**
 * 外单位报告 — a report from an organisation that may not see the case becomes a note in its history for
 * the people working it (who, when, what they said); nothing else of the case changes, so no event
 * announces it. A report id the case already holds is a retry: the same record, no history entry.
 */
function noteOutsideReport(
  record: CaseRecord,
  a: CaseActionOf<'NOTE_OUTSIDE_REPORT'>,
  ctx: CaseContext,
): Result {
  if (holdsReport(record, a.reportId)) return { ok: true, record, effects: [] };
  return commit(record, record, a, ctx, {
    zh: `${ROLE_NAMES_ZH[a.reportedBy.role]}（${a.reportedBy.org}）于 ${a.receivedOn} 报告该儿童疑似辍学，请核实后处理`,
  });
}

/**
 * 归档文书 — the generated document joins the case's documents and its history; the state stays. A
 * document id the case already holds is a redelivery: the same record, no history entry, no effects.
 */
function attachDocument(record: CaseRecord, a: CaseActionOf<'ATTACH_DOCUMENT'>, ctx: CaseContext): Result {
  const documents = record.documents ?? [];
  if (documents.some((d) => d.documentId === a.documentId)) return { ok: true, record, effects: [] };
  const { type: _type, ...document } = a;
  return commit(
    record,
    { ...record, documents: [...documents, { ...document, attachedAt: ctx.now }] },
    a,
    ctx,
    {
      titleZh: CASE_DOCUMENT_NAMES_ZH[a.kind],
    },
  );
}

// ── building results ─────────────────────────────────────────────────────────────────────────────────

/**
 * The accepted change: version + 1, one history entry (from/to only when the state changed, so the
 * entry that moved a case into a state is the last one whose `to` is that state), and the events.
 */
function commit(
  record: CaseRecord,
  next: CaseRecord,
  action: CaseAction,
  ctx: CaseContext,
  extraDetails: Record<string, unknown> = {},
  extraEffects: CaseEffect[] = [],
): Result {
  const version = record.version + 1;
  const { type, ...payload } = action;
  const changed = next.state !== record.state;
  const entry: HistoryEntry = {
    version,
    at: ctx.now,
    actor: actorOf(ctx),
    ...(ctx.by !== undefined && { by: ctx.by }),
    action: type,
    ...(changed && { from: record.state, to: next.state }),
    details: { ...payload, ...extraDetails },
  };
  const effects: CaseEffect[] = [];
  if (changed) effects.push({ type: 'case.state-changed', from: record.state, to: next.state });
  if (changed && !isOpen(next.state) && next.closedAs !== undefined) {
    effects.push({ type: 'case.closed', closedAs: next.closedAs });
  }
  effects.push(...extraEffects);
  return { ok: true, record: { ...next, version, history: [...record.history, entry] }, effects };
}

/** The case closed as `state` on the explanation the action gives. */
function closed(record: CaseRecord, state: ClosedAs, ctx: CaseContext): CaseRecord {
  return { ...record, state, closedAs: state, closedOn: ctx.today };
}

function actorOf(ctx: CaseContext): Actor {
  return { role: ctx.actor.role, org: ctx.actor.org };
}

function refuse(code: CaseErrorCode, zh: string, en: string): Result {
  return { ok: false, error: { code, zh, en } };
}

function rolesZh(roles: readonly Role[]): string {
  return roles.map((r) => ROLE_NAMES_ZH[r]).join('或');
}

function roleRefused(type: CaseActionType, role: Role, roles: readonly Role[]): Result {
  const system = roles.every((r) => r === 'ops');
  return refuse(
    'ROLE_NOT_ALLOWED',
    system
      ? `“${CASE_ACTION_NAMES_ZH[type]}”由系统自动执行，${ROLE_NAMES_ZH[role]}账号不能手工操作。`
      : `${ROLE_NAMES_ZH[role]}账号不能执行“${CASE_ACTION_NAMES_ZH[type]}”，该操作由${rolesZh(roles)}办理。`,
    system
      ? `${type} is taken by the system; a ${role} account cannot take it.`
      : `A ${role} account cannot take ${type}; ${roles.join(' or ')} does.`,
  );
}

/** The state does not admit the action: name the state, where the action applies, and what can be done now. */
function transitionRefused(record: CaseRecord, type: CaseActionType, role: Role): Result {
  const state = record.state;
  const where: readonly CaseState[] = ACTION_STATES[type];
  const now = allowedActions(record, role);
  const closedZh = isOpen(state)
    ? ''
    : state === 'DEFERRED'
      ? '案件已按缓学休学结案，期满未复学时系统会自动重新核查。'
      : '案件已结案；该儿童如再次出现疑似辍学，将另行立案。';
  const closedEn = isOpen(state)
    ? ''
    : state === 'DEFERRED'
      ? ' The case is closed as DEFERRED; the system reopens it if the deferral ends without return.'
      : ' The case is closed; a new suspicion for the child opens a new case.';
  const nowZh = now.length > 0 ? `当前可进行：${now.map((t) => CASE_ACTION_NAMES_ZH[t]).join('、')}。` : '';
  const nowEn = now.length > 0 ? ` Possible now: ${now.join(', ')}.` : '';
  return refuse(
    'TRANSITION_NOT_ALLOWED',
    `案件当前状态为“${CASE_STATE_NAMES_ZH[state]}”，不能“${CASE_ACTION_NAMES_ZH[type]}”；该操作仅适用于：${where.map((s) => CASE_STATE_NAMES_ZH[s]).join('、')}。${closedZh}${nowZh}`,
    `The case is ${state}; ${type} applies only in ${where.join(', ')}.${closedEn}${nowEn}`,
  );
}

function notInFuture(date: string, field: string, fieldZh: string, ctx: CaseContext): Result | undefined {
  if (date <= ctx.today) return undefined;
  return refuse(
    'DATE_IN_FUTURE',
    `${fieldZh}（${field}）${date} 晚于今天 ${ctx.today}；只能登记已经发生的事项。`,
    `${field} ${date} is after today (${ctx.today}); only what has happened can be recorded.`,
  );
}

/** `date` must lie in [floor, today]. */
function within(
  date: string,
  field: string,
  fieldZh: string,
  floor: string,
  floorZh: string,
  ctx: CaseContext,
): Result | undefined {
  const future = notInFuture(date, field, fieldZh, ctx);
  if (future) return future;
  if (date >= floor) return undefined;
  return refuse(
    'DATE_TOO_EARLY',
    `${fieldZh}（${field}）${date} 早于${floorZh} ${floor}，请核对日期。`,
    `${field} ${date} is before ${floor} (${floorZh}); check the date.`,
  );
}

// ── dates ────────────────────────────────────────────────────────────────────────────────────────────

function latestOf(dates: readonly (string | undefined)[]): string | undefined {
  let latest: string | undefined;
  for (const d of dates) if (d !== undefined && (latest === undefined || d > latest)) latest = d;
  return latest;
}

/** The months (YYYY-MM) touched by [from, to] with no TUTORING or TESTS follow-up inside [from, to]. */
function monthsMissingFollowUp(record: CaseRecord, from: string, to: string): string[] {
  const covered = new Set(
    record.followUps
      .filter((f) => f.date >= from && f.date <= to)
      .filter((f) => f.items.includes('TUTORING') || f.items.includes('TESTS'))
      .map((f) => f.date.slice(0, 7)),
  );
  const missing: string[] = [];
  let [year, month] = [Number(from.slice(0, 4)), Number(from.slice(5, 7))];
  const last = to.slice(0, 7);
  for (;;) {
    const ym = `${year}-${String(month).padStart(2, '0')}`;
    if (!covered.has(ym)) missing.push(ym);
    if (ym >= last) break;
    month += 1;
    if (month > 12) [year, month] = [year + 1, 1];
  }
  return missing;
}

function monthZh(ym: string): string {
  return `${ym.slice(0, 4)}年${Number(ym.slice(5, 7))}月`;
}
