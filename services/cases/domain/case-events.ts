/**
 * 案件事件 — the events a case change announces, built from the case and the effects of the command.
 * Each event id is derived from the case id and version (or the overdue duty and level), so a change
 * published twice after a crash carries the same id and partners can drop the repeat. Events carry
 * the child's pseudonym and masked ID only.
 */
import { deriveEventId } from '../../../shared/events/envelope';
import type { DetailType, EventDetail } from '../../../shared/events/publishable';
import type { Actor } from '../../../shared/org';
import type { CaseRecord, OverdueRecord } from './case';
import type { CaseEffect } from './transitions';

/** An event ready for the bus (the shape `publishEvents` takes). */
export interface CaseEvent<T extends DetailType = DetailType> {
  detailType: T;
  detail: EventDetail<T>;
}

const SCHOOL = /^\d{10}$/;

function envelope(record: CaseRecord, detailType: DetailType, at: string, ...facts: (string | number)[]) {
  return {
    schemaVersion: 1 as const,
    eventId: deriveEventId(detailType, record.caseId, ...facts),
    occurredAt: at,
    region: record.region,
  };
}

/** 立案 — announced once per case (its version 1). */
export function caseOpenedEvent(record: CaseRecord, at: string): CaseEvent<'case.opened'> {
  return {
    detailType: 'case.opened',
    detail: {
      ...envelope(record, 'case.opened', at, 1),
      caseId: record.caseId,
      child: record.child,
      school: record.school && SCHOOL.test(record.school) ? record.school : undefined,
      township: record.township?.startsWith(record.region) ? record.township : undefined,
      source: record.source,
      priority: record.priority,
      causeCategory: record.causeCategory,
    },
  };
}

/** The events of one accepted command (the record is the case after it, at its new version). */
export function effectEvents(
  record: CaseRecord,
  effects: readonly CaseEffect[],
  actor: Actor,
  at: string,
): CaseEvent[] {
  return effects.map((effect) => effectEvent(record, effect, actor, at));
}

function effectEvent(record: CaseRecord, effect: CaseEffect, actor: Actor, at: string): CaseEvent {
  const v = record.version;
  switch (effect.type) {
    case 'case.state-changed':
      return {
        detailType: 'case.state-changed',
        detail: {
          ...envelope(record, 'case.state-changed', at, v, effect.from, effect.to),
          caseId: record.caseId,
          child: record.child,
          from: effect.from,
          to: effect.to,
          version: v,
          actor: { role: actor.role, org: actor.org },
          causeCategory: record.causeCategory,
          priority: record.priority,
        },
      };
    case 'case.closed':
      return {
        detailType: 'case.closed',
        detail: {
          ...envelope(record, 'case.closed', at, v),
          caseId: record.caseId,
          child: record.child,
          closedAs: effect.closedAs,
        },
      };
    case 'student.returned':
      return {
        detailType: 'student.returned',
        detail: {
          ...envelope(record, 'student.returned', at, v),
          caseId: record.caseId,
          child: record.child,
          school: effect.school,
          returnedOn: effect.returnedOn,
        },
      };
  }
}

/** 逾期上报 — one per duty and escalation level, whatever day it is raised on. */
export function caseOverdueEvent(
  record: CaseRecord,
  raise: OverdueRecord,
  at: string,
): CaseEvent<'case.overdue'> {
  return {
    detailType: 'case.overdue',
    detail: {
      ...envelope(record, 'case.overdue', at, raise.dutyKey, raise.dueOn, raise.escalationLevel),
      caseId: record.caseId,
      child: record.child,
      item: raise.item,
      dueOn: raise.dueOn,
      escalationLevel: raise.escalationLevel,
      escalatedTo: raise.escalatedTo,
    },
  };
}
