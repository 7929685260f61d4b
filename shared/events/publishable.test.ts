import { describe, expect, expectTypeOf, it } from 'vitest';
import { eventCatalogue } from './catalogue';
import {
  type AnyEvent,
  detailTypes,
  type EventDetail,
  parseEventDetail,
  toPutEventsEntry,
} from './publishable';
import { eventSamples } from './samples';

const BUS = 'kcbx-530124';

describe('parseEventDetail', () => {
  it('returns the typed detail of a valid event', () => {
    const result = parseEventDetail('case.opened', eventSamples['case.opened']);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expectTypeOf(result.event.detail).toEqualTypeOf<EventDetail<'case.opened'>>();
    expect(result.event.detail.caseId).toBe(eventSamples['case.opened'].caseId);
  });

  it('narrows the detail by detail-type when the type comes from the wire', () => {
    const wireType: string = 'student.returned';
    const result = parseEventDetail(wireType, eventSamples['student.returned']);
    expectTypeOf(result).toExtend<{ ok: true; event: AnyEvent } | { ok: false }>();
    if (result.ok && result.event.detailType === 'student.returned') {
      expect(result.event.detail.returnedOn).toBe('2025-10-09');
    } else {
      expect.unreachable('the sample is valid');
    }
  });

  it('tells an unknown detail-type apart from an invalid detail', () => {
    const unknown = parseEventDetail('case.reopened', {});
    expect(unknown).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_DETAIL_TYPE', detailType: 'case.reopened' },
    });
    expect(unknown.ok ? '' : unknown.error.en).toContain('not in the event catalogue');

    const invalid = parseEventDetail('case.opened', { ...eventSamples['case.opened'], priority: 'yes' });
    expect(invalid).toMatchObject({
      ok: false,
      error: { code: 'INVALID_DETAIL', detailType: 'case.opened' },
    });
    if (invalid.ok || invalid.error.code !== 'INVALID_DETAIL') return;
    expect(invalid.error.issues.map((i) => i.path)).toEqual([['priority']]);
    expect(invalid.error.en).toContain('priority');
    expect(invalid.error.zh).toContain('不符合契约');
  });

  it('does not mistake inherited object keys for detail-types', () => {
    expect(parseEventDetail('toString', {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_DETAIL_TYPE' },
    });
  });
});

describe('toPutEventsEntry', () => {
  it.each(detailTypes)('builds the PutEvents entry of %s with its catalogue source', (type) => {
    const entry = toPutEventsEntry(type, eventSamples[type], BUS);
    expect(entry).toEqual({
      Source: eventCatalogue[type].source,
      DetailType: type,
      Detail: expect.any(String),
      EventBusName: BUS,
    });
    expect(JSON.parse(entry.Detail)).toEqual(eventSamples[type]);
  });

  it('refuses an invalid detail, saying what is wrong', () => {
    const invalid = {
      ...eventSamples['case.closed'],
      closedAs: 'PERSUADING',
    } as unknown as EventDetail<'case.closed'>;
    expect(() => toPutEventsEntry('case.closed', invalid, BUS)).toThrow(
      /Refusing to publish: Invalid "case.closed"[\s\S]*closedAs/,
    );
  });

  it('refuses a detail that smuggles in an ID number', () => {
    const leaky = {
      ...eventSamples['case.opened'],
      idNumber: '530124201503151234',
    } as EventDetail<'case.opened'>;
    expect(() => toPutEventsEntry('case.opened', leaky, BUS)).toThrow(/idNumber/);
  });

  it('refuses an empty bus name', () => {
    expect(() => toPutEventsEntry('case.closed', eventSamples['case.closed'], '')).toThrow(/busName/);
  });
});
