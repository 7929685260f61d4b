import { describe, expect, it } from 'vitest';
import type { Publishable } from '../../../shared/aws/publish';
import type { RosterKind } from '../../../shared/roster-kind';
import type { IntakeRow } from '../../../shared/rosters/rows';
import { idNumber, rowOf } from '../../../test/fixtures/roster-rows';
import type { ComparisonRun } from '../adapters/comparisons-repo';
import type { ChildResult } from '../domain/classify';
import {
  type ComparisonPorts,
  type ComparisonTrigger,
  runComparison,
  type StoredSuspect,
} from './run-comparison';

const REGION = '530124';
const SCHOOL = { schoolCode: '5301240001', schoolName: '富民县第一小学' };
// A: enrolled and present; B: enrolled, not present; C: registered, not enrolled; D: too old.
const A = idNumber('2015-03-12', 5);
const B = idNumber('2014-07-23', 6);
const C = idNumber('2016-01-01', 7);
const D = idNumber('2005-09-15', 8);

interface Roster {
  uploadId: string;
  kind: RosterKind;
  org: string;
  rows: IntakeRow[];
}

const household = (): Roster => ({
  uploadId: 'up-household',
  kind: 'household',
  org: REGION,
  rows: [A, B, C, D].map((id, i) =>
    rowOf('household', id, { name: `孩子${i}` }, { uploadId: 'up-household', line: i + 2 }),
  ),
});
const enrollment = (): Roster => ({
  uploadId: 'up-enrollment',
  kind: 'enrollment',
  org: SCHOOL.schoolCode,
  rows: [A, B].map((id, i) =>
    rowOf('enrollment', id, { ...SCHOOL, grade: '五年级' }, { uploadId: 'up-enrollment', line: i + 2 }),
  ),
});
const headcount = (present: Record<string, boolean>, uploadId = 'up-headcount'): Roster => ({
  uploadId,
  kind: 'headcount',
  org: SCHOOL.schoolCode,
  rows: Object.entries(present).map(([id, here], i) =>
    rowOf('headcount', id, { ...SCHOOL, present: here }, { uploadId, line: i + 2 }),
  ),
});

/**
 * The run's ports in memory, keeping what DynamoDB, S3 and the bus would: runs created once, results
 * under their keys, the suspects with their unsent events, the workbooks, the events sent in order.
 */
function memory(rosters: Roster[]) {
  const runs = new Map<string, ComparisonRun>();
  const results = new Map<string, Map<string, ChildResult>>();
  const suspects = new Map<string, StoredSuspect & { region: string }>();
  const reports = new Map<string, Buffer>();
  const published: Publishable[] = [];
  const world = {
    rosters,
    runs,
    results,
    suspects,
    reports,
    published,
    /** Makes the next call of `publish` fail, as a function that dies before the bus took its events. */
    crashOnNextPublish: false,
  };
  const ports: ComparisonPorts = {
    region: REGION,
    settings: { minAge: 6, maxAge: 15, entryCutoff: '08-31' },
    currentRosters: async () => world.rosters.map(({ uploadId, kind, org }) => ({ uploadId, kind, org })),
    async *rowPages(uploadId) {
      const rows = world.rosters.find((r) => r.uploadId === uploadId)?.rows ?? [];
      for (let i = 0; i < rows.length; i += 2) yield rows.slice(i, i + 2);
    },
    getRun: async (id) => runs.get(id),
    createRun: async (run) => {
      if (runs.has(run.id)) throw new Error(`run ${run.id} exists`);
      runs.set(run.id, structuredClone(run));
    },
    writeResults: async (runId, rows) => {
      const stored = results.get(runId) ?? new Map<string, ChildResult>();
      for (const r of rows) stored.set(`${r.school ?? '-'}#${r.outcome}#${r.childKey}`, r);
      results.set(runId, stored);
    },
    completeRun: async (runId, patch) => {
      runs.set(runId, { ...runs.get(runId)!, status: 'completed', ...structuredClone(patch) });
    },
    loadSuspects: async (region) =>
      new Map(
        [...suspects.values()]
          .filter((s) => s.region === region)
          .map(({ region: _r, ...s }) => [s.childKey, structuredClone(s)]),
      ),
    recordChange: async (region, state, event, resolved) => {
      suspects.set(state.childKey, { ...structuredClone(state), region, resolved, pending: event });
    },
    markSent: async (childKey, resolved) => {
      if (resolved) suspects.delete(childKey);
      else delete suspects.get(childKey)!.pending;
    },
    putReport: async (key, body) => {
      reports.set(key, body);
    },
    publish: async (events) => {
      if (world.crashOnNextPublish) {
        world.crashOnNextPublish = false;
        throw new Error('the function died before the bus took the events');
      }
      published.push(...structuredClone(events));
    },
    now: () => new Date('2025-09-08T02:00:00Z'),
  };
  return { ports, world };
}

const rosterAccepted = (eventId: string, kind: RosterKind = 'headcount'): ComparisonTrigger => ({
  type: 'roster',
  eventId,
  uploadId: `up-${kind}`,
  kind,
  period: '2025-autumn',
});
const requested = (runId: string): ComparisonTrigger => ({
  type: 'request',
  runId,
  period: '2025-autumn',
  asOf: '2025-09-08',
  requestedBy: 'county-user',
});

const typesOf = (events: readonly Publishable[]) => events.map((e) => e.detailType);
const maskedOf = (e: Publishable) => (e.detail as { child: { maskedId: string } }).child.maskedId;
const masked = (id: string) => `${id.slice(0, 4)}**********${id.slice(14)}`;

describe('a comparison run', () => {
  it('compares the current rosters, stores each result and the workbook, and announces each suspect', async () => {
    const { ports, world } = memory([household(), enrollment(), headcount({ [A]: true, [B]: false })]);

    const result = await runComparison(rosterAccepted('evt-1'), ports);

    expect(result).toMatchObject({ outcome: 'completed', period: '2025-autumn', children: 3, events: 2 });
    if (result.outcome !== 'completed') return;
    expect(result.counts).toMatchObject({
      CONSISTENT: 1,
      ENROLLED_ABSENT: 1,
      NOT_ENROLLED: 1,
      outOfWindow: 1,
    });
    const run = world.runs.get(result.runId)!;
    expect(run).toMatchObject({
      region: REGION,
      period: '2025-autumn',
      asOf: '2025-09-08',
      status: 'completed',
      trigger: { kind: 'roster', by: 'up-headcount' },
      exportKey: `reports/comparisons/${REGION}/${result.runId}/results.xlsx`,
    });
    expect(run.inputs.map((i) => i.kind)).toEqual(['household', 'enrollment', 'headcount']);
    expect(world.results.get(result.runId)!.size).toBe(3);
    // The workbook is an .xlsx (a zip) under the run's key.
    expect(
      world.reports
        .get(run.exportKey as string)!
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');

    expect(typesOf(world.published)).toEqual([
      'dropout.suspected',
      'dropout.suspected',
      'comparison.completed',
    ]);
    const suspected = world.published.filter((e) => e.detailType === 'dropout.suspected');
    expect(suspected.map((e) => [maskedOf(e), (e.detail as { outcome: string }).outcome]).sort()).toEqual(
      [
        [masked(B), 'ENROLLED_ABSENT'],
        [masked(C), 'NOT_ENROLLED'],
      ].sort(),
    );
    // Sent events leave the outbox; the suspects stay remembered for the next run.
    expect([...world.suspects.values()].map((s) => [s.outcome, s.pending]).sort()).toEqual([
      ['ENROLLED_ABSENT', undefined],
      ['NOT_ENROLLED', undefined],
    ]);
  });

  it('does nothing for a roster the comparison does not read', async () => {
    const { ports, world } = memory([household()]);
    expect(await runComparison(rosterAccepted('evt-2', 'attendance'), ports)).toEqual({
      outcome: 'not-compared',
      kind: 'attendance',
    });
    expect([world.runs.size, world.reports.size, world.published.length]).toEqual([0, 0, 0]);
  });

  it('changes nothing when the same trigger is delivered again', async () => {
    const { ports, world } = memory([household(), enrollment(), headcount({ [A]: true, [B]: false })]);
    const first = await runComparison(rosterAccepted('evt-3'), ports);
    const before = structuredClone({
      runs: world.runs,
      published: world.published,
      suspects: world.suspects,
    });

    const again = await runComparison(rosterAccepted('evt-3'), ports);

    expect(again).toEqual({
      outcome: 'already-completed',
      runId: first.outcome === 'completed' && first.runId,
    });
    expect({ runs: world.runs, published: world.published, suspects: world.suspects }).toEqual(before);
  });

  it('publishes nothing new when unchanged rosters are compared again', async () => {
    const { ports, world } = memory([household(), enrollment(), headcount({ [A]: true, [B]: false })]);
    await runComparison(rosterAccepted('evt-4'), ports);
    const sent = world.published.length;

    const result = await runComparison(requested('cmp-000000000000000000000001'), ports);

    expect(result).toMatchObject({ outcome: 'completed', events: 0 });
    expect(typesOf(world.published.slice(sent))).toEqual(['comparison.completed']);
    expect(world.runs.get('cmp-000000000000000000000001')).toMatchObject({
      trigger: { kind: 'request', by: 'county-user' },
      status: 'completed',
    });
  });

  it('resolves a suspect whom a later head count finds at school, and forgets it once announced', async () => {
    const { ports, world } = memory([household(), enrollment(), headcount({ [A]: true, [B]: false })]);
    await runComparison(rosterAccepted('evt-5'), ports);
    const sent = world.published.length;
    world.rosters = [household(), enrollment(), headcount({ [A]: true, [B]: true }, 'up-headcount-2')];

    await runComparison(requested('cmp-000000000000000000000002'), ports);

    const later = world.published.slice(sent);
    expect(typesOf(later)).toEqual(['dropout.resolved', 'comparison.completed']);
    expect(later[0]!.detail).toMatchObject({ previousOutcome: 'ENROLLED_ABSENT', outcome: 'CONSISTENT' });
    expect(maskedOf(later[0]!)).toBe(masked(B));
    expect([...world.suspects.keys()]).toEqual([`c_${C}`]);
  });

  it('leaves the events of a run that died before publishing for the next delivery, which sends each once', async () => {
    const { ports, world } = memory([household(), enrollment(), headcount({ [A]: true, [B]: false })]);
    world.crashOnNextPublish = true;

    await expect(runComparison(rosterAccepted('evt-6'), ports)).rejects.toThrow('died');

    // The changes are recorded with their events, none of which went out; the run is not completed.
    expect(world.published).toEqual([]);
    expect([...world.suspects.values()].map((s) => s.pending?.detailType)).toEqual([
      'dropout.suspected',
      'dropout.suspected',
    ]);
    const [run] = [...world.runs.values()];
    expect(run!.status).toBe('running');

    const retried = await runComparison(rosterAccepted('evt-6'), ports);

    expect(retried).toMatchObject({ outcome: 'completed', runId: run!.id, events: 2 });
    expect(typesOf(world.published)).toEqual([
      'dropout.suspected',
      'dropout.suspected',
      'comparison.completed',
    ]);
    const ids = world.published.map((e) => (e.detail as { eventId: string }).eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...world.suspects.values()].every((s) => s.pending === undefined)).toBe(true);
  });
});
