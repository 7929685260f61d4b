import { describe, expect, it } from 'vitest';
import type { Publishable } from '../../../shared/aws/publish';
import type { OutcomeCode } from '../../../shared/events/vocab';
import type { RosterKind } from '../../../shared/roster-kind';
import type { IntakeRow } from '../../../shared/rosters/rows';
import { idNumber, rowOf, SCHOOL_A, SCHOOL_B } from '../../../test/fixtures/roster-rows';
import type { SubsidyRunRecord } from '../adapters/subsidy-runs-repo';
import type { Binding } from '../domain/bindings';
import { payerOf, type SchoolTotal, type SubsidyDecision } from '../domain/determine';
import { BUILT_IN_POLICIES } from '../domain/policies/built-in';
import { policyRef } from '../domain/policy-choice';
import { subsidyRunId } from '../domain/run-events';
import { runSubsidies, type SubsidyPorts, type SubsidyTrigger } from './run-subsidies';

const REGION = '530124';
/** P is paid; the comparison did not find E at school; O has an open case. All three board and are 低保. */
const P = idNumber('2016-03-12', 57);
const E = idNumber('2015-07-23', 61);
const O = idNumber('2017-01-01', 71);
const keyOf = (id: string) => `c_${id}`;

interface Roster {
  uploadId: string;
  kind: RosterKind;
  org: string;
  rows: IntakeRow[];
}

const enrollment = (school = SCHOOL_A, uploadId = 'up-enrollment'): Roster => ({
  uploadId,
  kind: 'enrollment',
  org: school.schoolCode,
  rows: [P, E, O].map((id, i) =>
    rowOf(
      'enrollment',
      id,
      { name: '学生', ...school, grade: '三年级', boarding: true },
      { uploadId, line: i + 2 },
    ),
  ),
});
const assistance = (): Roster => ({
  uploadId: 'up-assistance',
  kind: 'assistance',
  org: REGION,
  rows: [P, E, O].map((id, i) =>
    rowOf('assistance', id, { name: '学生', category: 'DIBAO' }, { uploadId: 'up-assistance', line: i + 2 }),
  ),
});
const household = (): Roster => ({
  uploadId: 'up-household',
  kind: 'household',
  org: REGION,
  rows: [rowOf('household', P, { name: '学生' }, { uploadId: 'up-household' })],
});

/**
 * The run's ports in memory, keeping what DynamoDB, S3 and the bus would: runs that move only forward
 * (queued → running → publishing → completed, as the repository's conditions allow), decisions, totals
 * and bindings under their keys, the outbox in order, the payment lists, the events sent in order.
 */
function memory(rosters: Roster[]) {
  const world = {
    rosters,
    runs: new Map<string, SubsidyRunRecord>(),
    decisions: new Map<string, Map<string, SubsidyDecision>>(),
    totals: new Map<string, SchoolTotal[]>(),
    bindings: new Map<string, Map<string, Binding>>(),
    outbox: new Map<string, Map<string, Publishable>>(),
    paymentLists: new Map<string, number>(),
    published: [] as Publishable[],
    comparison: undefined as
      | { id: string; period: string; outcomes: Record<string, OutcomeCode> }
      | undefined,
    openCases: [] as string[],
    /** Makes the publish call number `n` (from 1) fail, as a function that dies before the bus took the events. */
    crashOnPublish: 0,
    publishCalls: 0,
    clock: new Date('2025-09-15T02:00:00Z'),
  };
  const transition = (id: string, from: SubsidyRunRecord['status'], patch: Partial<SubsidyRunRecord>) => {
    const run = world.runs.get(id);
    if (run?.status !== from) throw new Error(`conditional check failed: ${id} is not ${from}`);
    world.runs.set(id, { ...run, ...structuredClone(patch) });
  };
  const keyed = <T>(map: Map<string, Map<string, T>>, runId: string) => {
    if (!map.has(runId)) map.set(runId, new Map());
    return map.get(runId)!;
  };
  const ports: SubsidyPorts = {
    region: REGION,
    policyCatalogue: async () => ({
      county: REGION,
      published: [],
      builtIns: BUILT_IN_POLICIES,
      fallback: 'national-baseline',
    }),
    getRun: async (id) => structuredClone(world.runs.get(id)),
    queueRun: async (run) => {
      if (world.runs.has(run.id)) return false;
      world.runs.set(run.id, structuredClone(run));
      return true;
    },
    startRun: async (id, patch) => transition(id, 'queued', { status: 'running', ...patch }),
    markPublishing: async (id, patch) => transition(id, 'running', { status: 'publishing', ...patch }),
    completeRun: async (id, completedAt) =>
      transition(id, 'publishing', { status: 'completed', completedAt }),
    failRun: async (id, failure, at) => {
      world.runs.set(id, { ...world.runs.get(id)!, status: 'failed', failure, completedAt: at });
    },
    latestCompletedRun: async (region, semesterCode, except) =>
      [...world.runs.values()]
        .filter((r) => r.region === region && r.status === 'completed' && r.semester.code === semesterCode)
        .filter((r) => r.id !== except)
        .sort((a, b) => String(b.completedAt).localeCompare(String(a.completedAt)))[0],
    writeDecisions: async (runId, decisions) => {
      for (const d of decisions)
        keyed(world.decisions, runId).set(`${payerOf(d)}#${d.benefit}#${d.childKey}`, d);
    },
    writeSchoolTotals: async (runId, schools) => {
      world.totals.set(runId, structuredClone([...schools]));
    },
    writeBindings: async (runId, bindings) => {
      for (const b of bindings) keyed(world.bindings, runId).set(`${b.childKey}#${b.benefit}`, b);
    },
    readBindings: async (runId) => structuredClone([...(world.bindings.get(runId)?.values() ?? [])]),
    storePaymentList: async (region, runId, result) => {
      const key = `reports/subsidies/${region}/${runId}/payment-list.xlsx`;
      world.paymentLists.set(key, result.decisions.length);
      return key;
    },
    writeOutbox: async (runId, events) => {
      for (const { order, event } of events)
        keyed(world.outbox, runId).set(
          `OUTBOX#${order}#${(event.detail as { eventId: string }).eventId}`,
          event,
        );
    },
    async *outboxPages(runId) {
      const items = [...(world.outbox.get(runId) ?? new Map<string, Publishable>())].sort(([a], [b]) =>
        a.localeCompare(b),
      );
      for (let i = 0; i < items.length; i += 3)
        yield items.slice(i, i + 3).map(([sk, event]) => ({ sk, event: structuredClone(event) }));
    },
    clearOutbox: async (runId, sks) => {
      for (const sk of sks) world.outbox.get(runId)?.delete(sk);
    },
    currentRosters: async () => world.rosters.map(({ uploadId, kind, org }) => ({ uploadId, kind, org })),
    async *rowPages(uploadId) {
      const rows = world.rosters.find((r) => r.uploadId === uploadId)?.rows ?? [];
      for (let i = 0; i < rows.length; i += 2) yield rows.slice(i, i + 2);
    },
    latestComparison: async () => world.comparison,
    async *comparisonResultPages(runId) {
      if (world.comparison?.id !== runId) return;
      yield Object.entries(world.comparison.outcomes).map(([childKey, outcome]) => ({ childKey, outcome }));
    },
    async *openCasePages() {
      yield world.openCases.map((childKey) => ({ child: { childKey } }));
    },
    publish: async (events) => {
      if (++world.publishCalls === world.crashOnPublish)
        throw new Error('the function died before the bus took the events');
      world.published.push(...structuredClone(events));
    },
    now: () => world.clock,
  };
  return { ports, world };
}

/** A run asked for through POST /subsidies/runs, which records it (queued) before queueing the message. */
async function requestRun(ports: SubsidyPorts, name: string, asked?: string): Promise<SubsidyTrigger> {
  const id = subsidyRunId(`request:${name}`);
  await ports.queueRun({
    id,
    region: REGION,
    semester: { code: '2025-2026-1', label: '2025-autumn' },
    policy: asked ? { asked } : {},
    trigger: { kind: 'request', by: 'county-user' },
    status: 'queued',
    createdAt: '2025-09-15T02:00:00.000Z',
  });
  return { type: 'request', runId: id };
}

const rosterAccepted = (eventId: string, kind: RosterKind = 'enrollment'): SubsidyTrigger => ({
  type: 'roster',
  eventId,
  uploadId: `up-${kind}`,
  kind,
  period: '2025-autumn',
});

const decisionsOf = (world: ReturnType<typeof memory>['world'], runId: string) => [
  ...(world.decisions.get(runId)?.values() ?? []),
];
const boarding = (decisions: SubsidyDecision[], id: string) =>
  decisions.find((d) => d.childKey === keyOf(id) && d.benefit === 'BOARDING_LIVING_ALLOWANCE')!;
const typesOf = (events: readonly Publishable[]) => events.map((e) => e.detailType);
const idsOf = (events: readonly Publishable[]) =>
  events.map((e) => (e.detail as { eventId: string }).eventId);

function paidAndHeld() {
  const m = memory([enrollment(), assistance(), household()]);
  m.world.comparison = { id: 'cmp-1', period: '2025-autumn', outcomes: { [keyOf(E)]: 'ENROLLED_ABSENT' } };
  m.world.openCases = [keyOf(O)];
  return m;
}

describe('a subsidy run', () => {
  it('pays the children at school and holds those the comparison missed or who have an open case', async () => {
    const { ports, world } = paidAndHeld();
    const trigger = await requestRun(ports, 'first');

    const result = await runSubsidies(trigger, ports);

    expect(result).toMatchObject({
      outcome: 'completed',
      determined: {
        semester: '2025-2026-1',
        policy: 'national-baseline.2021.1',
        chosen: { policy: 'national-baseline.2021.1', source: 'built-in' },
        rosters: 2,
        comparison: 'cmp-1',
        children: 3,
      },
    });
    const run = world.runs.get(trigger.type === 'request' ? trigger.runId : '')!;
    expect(run).toMatchObject({
      status: 'completed',
      policy: { chosen: { label: 'national-baseline.2021.1' } },
      inputs: { comparisonRunId: 'cmp-1', rosters: [{ kind: 'enrollment' }, { kind: 'assistance' }] },
      payers: [SCHOOL_A.schoolCode],
      paymentListKey: `reports/subsidies/${REGION}/${run.id}/payment-list.xlsx`,
    });
    const decisions = decisionsOf(world, run.id);
    expect(boarding(decisions, P)).toMatchObject({ status: 'ELIGIBLE', amountFen: 50_000 });
    expect(boarding(decisions, E)).toMatchObject({ status: 'ON_HOLD', heldFen: 50_000 });
    expect(boarding(decisions, O)).toMatchObject({
      status: 'ON_HOLD',
      reason: { code: 'OPEN_DROPOUT_CASE' },
    });
    expect(world.paymentLists.get(run.paymentListKey!)).toBe(decisions.length);

    // Every held decision is announced, then the run's totals; the outbox is empty afterwards.
    const held = decisions.filter((d) => d.status === 'ON_HOLD').length;
    expect(held).toBeGreaterThanOrEqual(2);
    expect(typesOf(world.published)).toEqual([...Array(held).fill('subsidy.held'), 'subsidy.determined']);
    expect(run.heldEvents).toBe(held);
    expect(result.outcome === 'completed' && result.events).toBe(held + 1);
    expect(world.outbox.get(run.id)!.size).toBe(0);
  });

  it('stores and publishes nothing twice when the run message is delivered again', async () => {
    const { ports, world } = paidAndHeld();
    const trigger = await requestRun(ports, 'twice');
    await runSubsidies(trigger, ports);
    const before = structuredClone({
      runs: world.runs,
      decisions: world.decisions,
      published: world.published,
    });

    const again = await runSubsidies(trigger, ports);

    expect(again).toMatchObject({ outcome: 'already-finished', status: 'completed' });
    expect({ runs: world.runs, decisions: world.decisions, published: world.published }).toEqual(before);
  });

  it('sends what a crash left in the outbox once, on the next delivery', async () => {
    const { ports, world } = paidAndHeld();
    world.rosters = [enrollment(), assistance()];
    const trigger = await requestRun(ports, 'crash-while-publishing');
    // The first batch goes out, the second does not.
    world.crashOnPublish = 2;
    const many = Array.from({ length: 4 }, (_, i) => idNumber('2016-05-05', 101 + 2 * i));
    world.rosters[0]!.rows.push(
      ...many.map((id, i) =>
        rowOf('enrollment', id, { ...SCHOOL_A, grade: '二年级', boarding: true }, { line: 10 + i }),
      ),
    );
    world.openCases.push(...many.map(keyOf));

    await expect(runSubsidies(trigger, ports)).rejects.toThrow('died');
    const runId = trigger.type === 'request' ? trigger.runId : '';
    expect(world.runs.get(runId)!.status).toBe('publishing');
    const sentBefore = world.published.length;
    expect(sentBefore).toBeGreaterThan(0);
    expect(world.outbox.get(runId)!.size).toBeGreaterThan(0);

    const retried = await runSubsidies(trigger, ports);

    // The run is not computed again: the rest of the outbox goes out, every event exactly once.
    expect(retried).toMatchObject({ outcome: 'completed', determined: undefined });
    expect(world.runs.get(runId)!.status).toBe('completed');
    const ids = idsOf(world.published);
    expect(new Set(ids).size).toBe(ids.length);
    expect(typesOf(world.published).at(-1)).toBe('subsidy.determined');
    expect(world.published.length).toBe(world.runs.get(runId)!.heldEvents! + 1);
    expect(world.outbox.get(runId)!.size).toBe(0);
  });

  it('recomputes a run that died while computing from the inputs it started with, replacing its unsent outbox', async () => {
    const { ports, world } = paidAndHeld();
    const trigger = await requestRun(ports, 'crash-while-computing');
    const runId = trigger.type === 'request' ? trigger.runId : '';
    // An earlier attempt fixed its inputs and wrote part of an outbox, then died before publishing.
    await ports.startRun(runId, {
      inputs: { rosters: [{ uploadId: 'up-enrollment', kind: 'enrollment', org: SCHOOL_A.schoolCode }] },
      policy: { chosen: policyRef(BUILT_IN_POLICIES.get('national-baseline')!, 'built-in') },
      startedAt: '2025-09-15T01:00:00.000Z',
    });
    await ports.writeOutbox(runId, [
      {
        order: 1,
        event: { detailType: 'subsidy.held', detail: { eventId: 'e_stale' } } as unknown as Publishable,
      },
    ]);

    const result = await runSubsidies(trigger, ports);

    // The assistance roster came after the run started: it is not read, so nobody is 低保 and nobody boards on it.
    expect(result).toMatchObject({ outcome: 'completed', determined: { rosters: 1, comparison: undefined } });
    expect(result.outcome === 'completed' && result.determined?.chosen).toBeUndefined();
    expect(boarding(decisionsOf(world, runId), P).status).toBe('INELIGIBLE');
    expect(idsOf(world.published)).not.toContain('e_stale');
    expect(typesOf(world.published).at(-1)).toBe('subsidy.determined');
  });

  it('binds a payment to the school that paid first when the child moves school in the semester', async () => {
    const { ports, world } = memory([enrollment(SCHOOL_A), assistance()]);
    await runSubsidies(await requestRun(ports, 'before-transfer'), ports);
    world.clock = new Date('2025-10-15T02:00:00Z');
    world.rosters = [enrollment(SCHOOL_B, 'up-enrollment-b'), assistance()];

    const second = await requestRun(ports, 'after-transfer');
    const result = await runSubsidies(second, ports);

    expect(result).toMatchObject({
      outcome: 'completed',
      determined: { previous: subsidyRunId('request:before-transfer') },
    });
    const runId = second.type === 'request' ? second.runId : '';
    expect(boarding(decisionsOf(world, runId), P)).toMatchObject({
      school: SCHOOL_B.schoolCode,
      payerSchool: SCHOOL_A.schoolCode,
    });
  });

  it('is started by an accepted roster it reads, once per roster event, for the roster’s term', async () => {
    const { ports, world } = memory([enrollment(), assistance()]);
    expect(await runSubsidies(rosterAccepted('evt-1', 'headcount'), ports)).toEqual({
      outcome: 'not-subsidised',
      kind: 'headcount',
    });
    expect(world.runs.size).toBe(0);

    const first = await runSubsidies(rosterAccepted('evt-2'), ports);
    const again = await runSubsidies(rosterAccepted('evt-2'), ports);

    const runId = subsidyRunId('roster:evt-2');
    expect(first).toMatchObject({ outcome: 'completed', runId });
    expect(again).toEqual({ outcome: 'already-finished', runId, status: 'completed' });
    expect(world.runs.get(runId)).toMatchObject({
      semester: { code: '2025-2026-1', label: '2025-autumn' },
      trigger: { kind: 'roster', by: 'up-enrollment' },
    });
  });

  it('refuses, once and for good, a run whose policy is not known', async () => {
    const { ports, world } = memory([enrollment(), assistance()]);
    const trigger = await requestRun(ports, 'unknown-policy', 'no-such-policy');

    expect(await runSubsidies(trigger, ports)).toMatchObject({ outcome: 'refused', code: 'UNKNOWN_POLICY' });
    const runId = trigger.type === 'request' ? trigger.runId : '';
    expect(world.runs.get(runId)).toMatchObject({ status: 'failed', failure: { code: 'UNKNOWN_POLICY' } });
    expect(await runSubsidies(trigger, ports)).toMatchObject({
      outcome: 'already-finished',
      status: 'failed',
    });
    expect([world.decisions.size, world.published.length]).toEqual([0, 0]);
  });

  it('answers a request for a run that was never recorded with an error, for the queue to retry', async () => {
    const { ports } = memory([]);
    await expect(runSubsidies({ type: 'request', runId: subsidyRunId('nowhere') }, ports)).rejects.toThrow(
      'was never recorded',
    );
  });
});
