/**
 * The cases service's write paths: a signal opens a case or joins the child's open one; a command
 * changes a case under the optimistic lock; changes announce themselves through the case's outbox.
 * Every step is safe to repeat (at-least-once delivery): a redelivered signal is recognised by its
 * id, a lost race is retried from a fresh read, and events keep their ids when sent twice.
 */

import { env } from '../../../shared/aws/clients';
import { publishEvents } from '../../../shared/aws/publish';
import { createCalendar, type WorkingCalendar } from '../../../shared/calendar';
import { todayInChina } from '../../../shared/dates';
import type { Actor } from '../../../shared/org';
import { type CaseRules, type RegionSettings, regionSettingsFromEnv } from '../../../shared/region-settings';
import { conflict } from '../../../shared/runtime/errors';
import type { CaseAction } from '../domain/actions';
import { type CaseRecord, type CaseSignal, holdsReport, isOpen } from '../domain/case';
import { type CaseEvent, caseOpenedEvent, effectEvents } from '../domain/case-events';
import { type ManualReport, reportOnOpenCase, reportSignal } from '../domain/manual-report';
import { applyAction, openCase, unchangedForPeopleSince } from '../domain/transitions';
import {
  caseIdFor,
  caseSeq,
  clearPending,
  getCase,
  insertCase,
  latestCaseOfChild,
  StaleCaseError,
  type StoredCase,
  saveCase,
} from './cases-repo';

/** The system itself, as the actor of what no person did (a signal, the daily schedule). */
export function systemActor(region: string): Actor {
  return { role: 'ops', org: region };
}

export interface FlowContext {
  region: string;
  /** The China working-day calendar with the region's overrides (years the package lacks). */
  calendar: WorkingCalendar;
  settings: RegionSettings;
  rules: CaseRules;
  now: () => Date;
  today: () => string;
}

let calendar: WorkingCalendar | undefined;

/** The deployment's region and settings, from the function's environment. */
export function flowContextFromEnv(): FlowContext {
  const settings = regionSettingsFromEnv();
  calendar ??= createCalendar(settings.calendar);
  return {
    region: env('KCBX_REGION_CODE'),
    calendar,
    settings,
    rules: settings.cases,
    now: () => new Date(),
    today: () => todayInChina(),
  };
}

/** Sends a case's outbox and clears it. */
export async function flush(stored: StoredCase): Promise<void> {
  if (stored.pending.length === 0) return;
  await publishEvents(stored.pending);
  await clearPending(stored.record.caseId, stored.record.version);
}

export interface SignalInput {
  child: CaseRecord['child'];
  idNumber?: string;
  name?: string;
  school?: string;
  schoolName?: string;
  township?: string;
  householdCounty?: string;
  priority: boolean;
  flags?: string[];
  causeCategory?: CaseRecord['causeCategory'];
  signal: CaseSignal;
  /**
   * A person's report (POST /cases), whose signal `signal` is: on an open case the reporter may not
   * see it is only noted, never joined (see `domain/manual-report.ts`).
   */
  report?: ManualReport;
  actor?: Actor;
  by?: string;
}

/**
 * What became of a signal: it opened a case, joined the open one, was noted on an open case outside
 * the reporter's scope (a person's report), or was already recorded. For logs and metrics only: a
 * reporter is never told which.
 */
export type SignalOutcome = { caseId: string; outcome: 'opened' | 'joined' | 'noted' | 'duplicate' };

const MAX_ATTEMPTS = 20;
const backoff = (attempt: number) =>
  new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** Math.min(attempt, 5)));

/**
 * 一人一案 — opens a case for the child, or adds the signal to the child's open case (a person's report
 * on a case outside their scope: a note in its history). Two signals racing for the same child both try
 * to write the same next case item; one wins, the other reads again and joins it. A signal already
 * recorded (a redelivery, a retried report) changes nothing.
 */
export async function receiveSignal(input: SignalInput, ctx: FlowContext): Promise<SignalOutcome> {
  const actor = input.actor ?? systemActor(ctx.region);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt);
    const latest = await latestCaseOfChild(input.child.childKey);
    if (latest && holdsReport(latest.record, input.signal.signalId)) {
      await flush(latest);
      return { caseId: latest.record.caseId, outcome: 'duplicate' };
    }
    const at = ctx.now().toISOString();
    if (latest && isOpen(latest.record.state)) {
      const action = input.report
        ? reportOnOpenCase(latest.record, input.report)
        : ({ type: 'ADD_SIGNAL', signal: input.signal } as const);
      const result = applyAction(
        latest.record,
        action,
        // Joining a case is the system's doing whoever reported; the person is kept in `by`.
        {
          actor: systemActor(ctx.region),
          by: input.by,
          now: at,
          today: ctx.today(),
          rules: ctx.rules,
          calendar: ctx.calendar,
        },
      );
      if (!result.ok) throw new Error(`${result.error.code}: ${result.error.en}`);
      const events = effectEvents(result.record, result.effects, systemActor(ctx.region), at);
      try {
        await saveCase(result.record, latest.record.version, [...latest.pending, ...events]);
      } catch (err) {
        if (err instanceof StaleCaseError) continue;
        throw err;
      }
      await flush({ record: result.record, pending: [...latest.pending, ...events] });
      return { caseId: result.record.caseId, outcome: action.type === 'ADD_SIGNAL' ? 'joined' : 'noted' };
    }
    const seq = latest ? caseSeq(latest.record.caseId) + 1 : 1;
    const record = openCase({
      caseId: caseIdFor(input.child.childKey, seq),
      region: ctx.region,
      child: input.child,
      idNumber: input.idNumber,
      name: input.name,
      school: input.school,
      schoolName: input.schoolName,
      township: input.township,
      householdCounty: input.householdCounty,
      signal: input.signal,
      priority: input.priority,
      flags: input.flags,
      causeCategory: input.causeCategory,
      actor,
      by: input.by,
      now: at,
      today: input.signal.receivedOn,
      rules: ctx.rules,
      calendar: ctx.calendar,
    });
    const pending: CaseEvent[] = [caseOpenedEvent(record, at)];
    if (await insertCase(record, pending)) {
      await flush({ record, pending });
      return { caseId: record.caseId, outcome: 'opened' };
    }
  }
  throw new Error(
    `could not record a signal for a child after ${MAX_ATTEMPTS} attempts (constant contention)`,
  );
}

/** 人工报告 — a person's report of a child: opens a case, joins the open one, or is noted on it. */
export function receiveReport(
  input: Omit<SignalInput, 'signal' | 'report'>,
  report: ManualReport,
  ctx: FlowContext,
): Promise<SignalOutcome> {
  return receiveSignal({ ...input, signal: reportSignal(report), report }, ctx);
}

/**
 * 比对销号 — a later comparison explains a child: the child's open case takes RESOLVE_BY_DATA (closed if
 * only comparisons raised it and nobody has started on it; otherwise noted). Retried from a fresh read
 * when a person changed the case meanwhile; a redelivery changes nothing.
 */
export async function resolveByData(
  childKey: string,
  action: Extract<CaseAction, { type: 'RESOLVE_BY_DATA' }>,
  ctx: FlowContext,
): Promise<{ caseId?: string; outcome: 'closed' | 'noted' | 'unchanged' | 'no-open-case' }> {
  const actor = systemActor(ctx.region);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt);
    const latest = await latestCaseOfChild(childKey);
    if (!latest || !isOpen(latest.record.state)) return { outcome: 'no-open-case' };
    const at = ctx.now().toISOString();
    const result = applyAction(latest.record, action, {
      actor,
      now: at,
      today: ctx.today(),
      rules: ctx.rules,
    });
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.en}`);
    const caseId = latest.record.caseId;
    if (result.record === latest.record) return { caseId, outcome: 'unchanged' };
    const pending = [...latest.pending, ...effectEvents(result.record, result.effects, actor, at)];
    try {
      await saveCase(result.record, latest.record.version, pending);
    } catch (err) {
      if (err instanceof StaleCaseError) continue;
      throw err;
    }
    await flush({ record: result.record, pending });
    return { caseId, outcome: isOpen(result.record.state) ? 'noted' : 'closed' };
  }
  throw new Error(`could not record a resolution after ${MAX_ATTEMPTS} attempts (constant contention)`);
}

/**
 * Applies a person's command to a case at the version they saw. A stale version is a 409 that
 * names the current one; a refused transition is a 409 that says why and what to do. Documents the
 * system attached since that version do not make it stale: the command is applied to the case as it
 * is now (and retried from a fresh read when one is attached while it is being saved).
 */
export async function runCommand(
  stored: StoredCase,
  expectedVersion: number,
  action: CaseAction,
  who: { actor: Actor; by?: string },
  ctx: FlowContext,
): Promise<CaseRecord> {
  let latest = stored;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = latest.record;
    if (!unchangedForPeopleSince(current, expectedVersion))
      throw staleVersion(current.caseId, expectedVersion, current.version);
    const at = ctx.now().toISOString();
    const result = applyAction(current, action, {
      actor: who.actor,
      by: who.by,
      now: at,
      today: ctx.today(),
      rules: ctx.rules,
      calendar: ctx.calendar,
    });
    if (!result.ok) throw conflict(result.error.code, { zh: result.error.zh, en: result.error.en });
    const pending = [...latest.pending, ...effectEvents(result.record, result.effects, who.actor, at)];
    try {
      await saveCase(result.record, current.version, pending);
    } catch (err) {
      if (!(err instanceof StaleCaseError)) throw err;
      const fresh = await getCase(current.caseId);
      if (!fresh) throw staleVersion(current.caseId, expectedVersion);
      latest = fresh;
      continue;
    }
    await flush({ record: result.record, pending });
    return result.record;
  }
  throw staleVersion(stored.record.caseId, expectedVersion);
}

function staleVersion(caseId: string, expected: number, current?: number) {
  const now = current === undefined ? '' : `（当前为第 ${current} 版）`;
  const nowEn = current === undefined ? '' : ` (it is now at version ${current})`;
  return conflict('STALE_VERSION', {
    zh: `案件 ${caseId} 已被他人修改，您提交的是第 ${expected} 版${now}。请刷新后重新操作。`,
    en: `Case ${caseId} was changed by someone else; you sent version ${expected}${nowEn}. Reload it and try again.`,
  });
}
