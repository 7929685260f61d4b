import { describe, expect, it } from 'vitest';
import { parseEventDetail } from '../../../shared/events/publishable';
import { idNumber, rowOf, SCHOOL_A } from '../../../test/fixtures/roster-rows';
import { determineSubsidies } from './determine';
import { nationalBaseline } from './policies/national-baseline';
import { runEvents, subsidyRunId } from './run-events';

const absent = idNumber('2014-07-23', 61);
const present = idNumber('2016-03-12', 57);
const key = (c: string) => `c_${c.repeat(32)}`;
const row = (id: string, childKey: string, record: Record<string, unknown>) => ({
  ...rowOf('enrollment', id, { name: '学生', ...SCHOOL_A, grade: '五年级', boarding: true, ...record }),
  childKey,
});

function result() {
  return determineSubsidies({
    policy: nationalBaseline,
    semester: '2025-autumn',
    schools: new Map([[SCHOOL_A.schoolCode, { rural: true }]]),
    rows: [
      row(absent, key('a'), {}),
      row(present, key('b'), {}),
      { ...rowOf('assistance', absent, { category: 'DIBAO' }), childKey: key('a') },
    ],
    comparison: new Map([
      [key('a'), 'ENROLLED_ABSENT' as const],
      [key('b'), 'CONSISTENT' as const],
    ]),
  });
}

describe('run events — subsidy.held and subsidy.determined', () => {
  it('announces one hold per held child and benefit, then the totals, all valid catalogue events', () => {
    const runId = subsidyRunId('request:1');
    const events = runEvents(result(), runId, '530124', '2025-09-08T02:00:00.000Z');
    expect(events.map((e) => e.detailType)).toEqual([
      'subsidy.held',
      'subsidy.held',
      'subsidy.held',
      'subsidy.held',
      'subsidy.determined',
    ]);
    for (const e of events) expect(parseEventDetail(e.detailType, e.detail as never).ok).toBe(true);
    expect(events[0]!.detail).toMatchObject({
      child: { childKey: key('a') },
      reason: 'COMPARISON_ENROLLED_ABSENT',
    });
    expect(JSON.stringify(events)).not.toContain(absent);
  });

  it('derives the same event ids from the same run, child and benefit, and others for another run', () => {
    const ids = (runId: string, at: string) =>
      runEvents(result(), runId, '530124', at).map((e) => (e.detail as { eventId: string }).eventId);
    const first = ids(subsidyRunId('request:1'), '2025-09-08T02:00:00.000Z');
    expect(ids(subsidyRunId('request:1'), '2025-09-08T03:00:00.000Z')).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
    expect(ids(subsidyRunId('request:2'), '2025-09-08T02:00:00.000Z')).not.toContain(first[0]);
  });
});
