/**
 * 每日巡检 — what the daily schedule does to one case: reopen a deferral whose end date passed
 * without return, and record the overdue duties that reached a new escalation level. Pure: the
 * case in, the changed case and its events out (or nothing when there is nothing to do, so a
 * second run on the same day changes nothing).
 */
import type { WorkingCalendar } from '../../../shared/calendar';
import type { Actor } from '../../../shared/org';
import type { CaseRules } from '../../../shared/region-settings';
import { type CaseRecord, isOpen, type OverdueRecord } from './case';
import { type CaseEvent, caseOverdueEvent, effectEvents } from './case-events';
import { evaluateOverdue } from './deadlines';
import { applyAction } from './transitions';

export interface SweepResult {
  record: CaseRecord;
  events: CaseEvent[];
}

export function sweepCase(
  record: CaseRecord,
  ctx: { actor: Actor; now: string; today: string; rules: CaseRules; calendar?: WorkingCalendar },
): SweepResult | undefined {
  let current = record;
  const events: CaseEvent[] = [];
  if (current.state === 'DEFERRED' && current.deferral && current.deferral.endDate < ctx.today) {
    const reopened = applyAction(current, { type: 'REOPEN_DEFERRAL' }, ctx);
    if (reopened.ok) {
      current = reopened.record;
      events.push(...effectEvents(current, reopened.effects, ctx.actor, ctx.now));
    }
  }
  if (isOpen(current.state)) {
    const raises = evaluateOverdue(current, ctx.rules, ctx.today, ctx.calendar);
    if (raises.length > 0) {
      const recorded: OverdueRecord[] = raises.map((r) => ({
        item: r.item,
        dutyKey: r.dutyKey,
        dueOn: r.dueOn,
        escalationLevel: r.escalationLevel,
        escalatedTo: r.escalatedTo,
        raisedOn: r.raisedOn,
      }));
      const version = current.version + 1;
      current = {
        ...current,
        version,
        overdue: [...current.overdue, ...recorded],
        history: [
          ...current.history,
          {
            version,
            at: ctx.now,
            actor: ctx.actor,
            action: 'OVERDUE',
            details: { items: recorded },
          },
        ],
      };
      events.push(...recorded.map((r) => caseOverdueEvent(current, r, ctx.now)));
    }
  }
  return current === record ? undefined : { record: current, events };
}
