/**
 * 资助测算 run — determines a semester's subsidies for the region: reads the current rosters, the
 * comparison's outcomes and the open cases (the empty-seat hold) and the previous run's bindings (the
 * transfer rule), stores every decision, the totals and the payment list, and publishes subsidy.held /
 * subsidy.determined through an outbox.
 *
 * Nothing lost, nothing twice (services/subsidy/README.md): a run moves queued → running → publishing →
 * completed. A redelivered message of a completed (or failed) run does nothing; of a publishing run,
 * sends only what is left in the outbox, with the same event ids; of a running run (died while
 * computing), recomputes from the inputs fixed when it started, under the same keys, and replaces the
 * unsent outbox. Runs are serialised (the worker's reserved concurrency is 1), so "the previous run" is
 * well defined.
 */
import type { Publishable } from '../../../shared/aws/publish';
import { todayInChina } from '../../../shared/dates';
import type { Reason } from '../../../shared/events/envelope';
import type { RosterTrigger } from '../../../shared/events/roster-trigger';
import type { OutcomeCode } from '../../../shared/events/vocab';
import type { RosterKind } from '../../../shared/roster-kind';
import type { IntakeRow } from '../../../shared/rosters/rows';
import { termOfRoster } from '../../../shared/term';
import type { RunInputs, SubsidyRunRecord } from '../adapters/subsidy-runs-repo';
import { asPrevious, type Binding, carryBindings } from '../domain/bindings';
import {
  createSubsidyRun,
  payerOf,
  type SchoolTotal,
  type SubsidyDecision,
  type SubsidyRunResult,
} from '../domain/determine';
import type { Policy } from '../domain/policy';
import { choosePolicy, type PolicyCatalogue, type PolicyRef, policyForRef } from '../domain/policy-choice';
import { runEvents, SUBSIDY_ROSTER_KINDS, subsidyRunId } from '../domain/run-events';
import { parseSemester, type Semester } from '../domain/semester';

/** What asks for a run: an accepted roster (through a bus rule) or POST /subsidies/runs, which recorded it. */
export type SubsidyTrigger = RosterTrigger | { type: 'request'; runId: string };

/** Everything a run reads and writes, given by the caller: DynamoDB, S3 and the bus, or memory in tests. */
export interface SubsidyPorts {
  region: string;
  /** The policies the region may run under: its published versions and the built-ins. */
  policyCatalogue(): Promise<PolicyCatalogue>;
  getRun(id: string): Promise<SubsidyRunRecord | undefined>;
  /** Records a run asked for; does nothing when it is recorded already. */
  queueRun(run: SubsidyRunRecord): Promise<unknown>;
  /** queued → running, with the inputs and the policy the run uses from then on. */
  startRun(
    id: string,
    patch: { inputs: RunInputs; policy: SubsidyRunRecord['policy']; startedAt: string },
  ): Promise<void>;
  /** running → publishing, with the results: from then on the run is never recomputed. */
  markPublishing(
    id: string,
    patch: Required<
      Pick<SubsidyRunRecord, 'totals' | 'children' | 'payers' | 'paymentListKey' | 'heldEvents'>
    >,
  ): Promise<void>;
  completeRun(id: string, completedAt: string): Promise<void>;
  failRun(id: string, failure: Reason, at: string): Promise<void>;
  /** The region's most recently completed run of the semester other than `except`. */
  latestCompletedRun(
    region: string,
    semesterCode: string,
    except: string,
  ): Promise<{ id: string } | undefined>;
  /** Writing a run's decisions, totals or bindings again replaces each under the same key. */
  writeDecisions(runId: string, decisions: readonly SubsidyDecision[]): Promise<void>;
  writeSchoolTotals(runId: string, schools: readonly SchoolTotal[]): Promise<void>;
  writeBindings(runId: string, bindings: readonly Binding[]): Promise<void>;
  readBindings(runId: string): Promise<Binding[]>;
  /** Stores the printable payment list of a run and answers its key. */
  storePaymentList(region: string, runId: string, result: SubsidyRunResult): Promise<string>;
  /** The run's events, stored before any is sent; `order` 1 goes out before 2. */
  writeOutbox(runId: string, events: readonly { order: number; event: Publishable }[]): Promise<void>;
  outboxPages(runId: string): AsyncIterable<{ sk: string; event: Publishable }[]>;
  clearOutbox(runId: string, sks: readonly string[]): Promise<void>;
  /** roster-intake's current rosters of a term, and their rows page by page. */
  currentRosters(period: string): Promise<{ uploadId: string; kind: RosterKind; org: string }[]>;
  rowPages(uploadId: string): AsyncIterable<IntakeRow[]>;
  /** comparison's latest completed run of the region, and its results page by page. */
  latestComparison(region: string): Promise<{ id: string; period: string } | undefined>;
  comparisonResultPages(runId: string): AsyncIterable<{ childKey: string; outcome: OutcomeCode }[]>;
  /** cases' open cases of the region, page by page. */
  openCasePages(region: string): AsyncIterable<{ child: { childKey: string } }[]>;
  publish(events: Publishable[]): Promise<void>;
  now(): Date;
}

/** What a run computed in this attempt, for the logs. */
export interface Determined {
  semester: string;
  policy: string;
  /** Set when the run chose its policy in this attempt (a run keeps the one chosen before). */
  chosen?: { policy: string; source: PolicyRef['source']; because: string };
  rosters: number;
  comparison?: string;
  previous?: string;
  children: number;
  decisions: number;
  amountFen: number;
  heldFen: number;
}

export type SubsidyRunOutcome =
  | { outcome: 'not-subsidised'; kind: string }
  | { outcome: 'already-finished'; runId: string; status: SubsidyRunRecord['status'] }
  /** The run cannot be computed as asked (a retry would not help): it is marked failed, with the reason. */
  | { outcome: 'refused'; runId: string; code: string }
  | {
      outcome: 'completed';
      runId: string;
      /** Undefined when an earlier attempt had computed the run and this one only sent its events. */
      determined?: Determined;
      /** Events sent by this attempt. */
      events: number;
    };

const BATCH = 100;

export async function runSubsidies(trigger: SubsidyTrigger, ports: SubsidyPorts): Promise<SubsidyRunOutcome> {
  let run: SubsidyRunRecord | undefined;
  if (trigger.type === 'request') {
    run = await ports.getRun(trigger.runId);
    // POST /subsidies/runs records the run before queueing it: a message without one is a defect.
    if (!run) throw new Error(`subsidy run ${trigger.runId} was never recorded`);
  } else {
    if (!SUBSIDY_ROSTER_KINDS.has(trigger.kind as RosterKind))
      return { outcome: 'not-subsidised', kind: trigger.kind };
    const semester = parseSemester(termOfRoster(trigger.period, todayInChina(ports.now())))!;
    const id = subsidyRunId(`roster:${trigger.eventId}`);
    // The policy is chosen when the run starts: the one in force then for the semester.
    await ports.queueRun({
      id,
      region: ports.region,
      semester: { code: semester.code, label: semester.label },
      policy: {},
      trigger: { kind: 'roster', by: trigger.uploadId },
      status: 'queued',
      createdAt: ports.now().toISOString(),
    });
    run = (await ports.getRun(id))!;
  }

  if (run.status === 'completed' || run.status === 'failed')
    return { outcome: 'already-finished', runId: run.id, status: run.status };
  let determined: Determined | undefined;
  if (run.status !== 'publishing') {
    const result = await determine(run, ports);
    if (!result.ok) return { outcome: 'refused', runId: run.id, code: result.code };
    determined = result.determined;
  }
  const events = await drainOutbox(run.id, ports);
  await ports.completeRun(run.id, ports.now().toISOString());
  return { outcome: 'completed', runId: run.id, determined, events };
}

/** The policy a run uses: the one chosen for it before, else the one chosen now, the way the API does. */
async function policyOf(
  run: SubsidyRunRecord,
  semester: Semester,
  ports: SubsidyPorts,
): Promise<
  | { ok: true; policy: Policy; ref: PolicyRef; chosen?: Determined['chosen'] }
  | ({ ok: false; code: string } & Pick<Reason, 'zh' | 'en'>)
> {
  const catalogue = await ports.policyCatalogue();
  if (run.policy.chosen) {
    const recorded = policyForRef(run.policy.chosen, catalogue);
    if (recorded) return { ok: true, policy: recorded, ref: run.policy.chosen };
    // Published versions are never removed; only a built-in dropped by a later release can be missing.
    return {
      ok: false,
      code: 'POLICY_UNAVAILABLE',
      zh: `本次测算选定的政策 ${run.policy.chosen.label} 已不可用，请重新发起测算`,
      en: `The policy chosen for this run, ${run.policy.chosen.label}, is no longer available; start a new run`,
    };
  }
  const choice = choosePolicy(catalogue, semester, run.policy.asked);
  if (!choice.ok) return { ok: false, code: choice.code, zh: choice.zh, en: choice.en };
  const { policy, ref, because } = choice;
  return { ok: true, policy, ref, chosen: { policy: ref.label, source: ref.source, because: because.en } };
}

/**
 * Computes and stores a queued or interrupted run and leaves its events in the outbox; refuses (and marks
 * the run failed) when it cannot be computed as asked.
 */
async function determine(
  run: SubsidyRunRecord,
  ports: SubsidyPorts,
): Promise<{ ok: true; determined: Determined } | { ok: false; code: string }> {
  const { region } = ports;
  const at = ports.now().toISOString();
  const refuse = async (failure: Reason) => {
    await ports.failRun(run.id, failure, at);
    return { ok: false as const, code: failure.code };
  };
  const semester = parseSemester(run.semester.label);
  if (!semester)
    return refuse({
      code: 'INVALID_SEMESTER',
      zh: `无法识别的学期 ${run.semester.label}`,
      en: 'Unknown semester',
    });
  const choice = await policyOf(run, semester, ports);
  if (!choice.ok) return refuse({ code: choice.code, zh: choice.zh, en: choice.en });
  const { policy, ref } = choice;

  // Inputs are fixed when the run starts: a retry recomputes the same rosters, comparison and bindings,
  // so it rewrites the same items rather than adding others.
  let inputs = run.inputs;
  if (run.status === 'queued' || !inputs) {
    const [rosters, comparison, previous] = await Promise.all([
      ports.currentRosters(semester.label),
      ports.latestComparison(region),
      ports.latestCompletedRun(region, semester.code, run.id),
    ]);
    inputs = {
      rosters: rosters.filter((r) => SUBSIDY_ROSTER_KINDS.has(r.kind)),
      // Outcomes of another term say nothing about this one's seats.
      comparisonRunId: comparison?.period === semester.label ? comparison.id : undefined,
      previousRunId: previous?.id,
    } satisfies RunInputs;
    await ports.startRun(run.id, { inputs, policy: { ...run.policy, chosen: ref }, startedAt: at });
  }

  const [comparison, openCases, previous] = await Promise.all([
    inputs.comparisonRunId ? readOutcomes(inputs.comparisonRunId, ports) : undefined,
    readOpenCases(region, ports),
    inputs.previousRunId ? ports.readBindings(inputs.previousRunId) : [],
  ]);
  const engine = createSubsidyRun({
    policy,
    semester,
    comparison,
    openCases,
    previous: asPrevious(previous),
  });
  for (const roster of inputs.rosters) {
    for await (const page of ports.rowPages(roster.uploadId)) for (const row of page) engine.add(row);
  }
  const result = engine.finish();

  await ports.writeDecisions(run.id, result.decisions);
  await ports.writeSchoolTotals(run.id, result.totals.bySchool);
  await ports.writeBindings(run.id, carryBindings(previous, result.decisions));
  const paymentListKey = await ports.storePaymentList(region, run.id, result);

  // Anything in the outbox now was written by an attempt that died before publishing began: none of it
  // went out, and this attempt's events replace it.
  for await (const page of ports.outboxPages(run.id))
    await ports.clearOutbox(
      run.id,
      page.map((o) => o.sk),
    );
  const events = runEvents(result, run.id, region, at);
  await ports.writeOutbox(
    run.id,
    events.map((event) => ({ order: event.detailType === 'subsidy.held' ? 1 : 2, event })),
  );
  const { byBenefit, byTownship, amountFen, heldFen } = result.totals;
  await ports.markPublishing(run.id, {
    totals: { byBenefit, byTownship, amountFen, heldFen },
    children: result.children,
    payers: [...new Set(result.decisions.map(payerOf))],
    paymentListKey,
    heldEvents: events.length - 1,
  });
  return {
    ok: true,
    determined: {
      semester: semester.code,
      policy: result.policyVersion,
      chosen: choice.chosen,
      rosters: inputs.rosters.length,
      comparison: inputs.comparisonRunId,
      previous: inputs.previousRunId,
      children: result.children,
      decisions: result.decisions.length,
      amountFen,
      heldFen,
    },
  };
}

async function readOutcomes(comparisonRunId: string, ports: SubsidyPorts): Promise<Map<string, OutcomeCode>> {
  const outcomes = new Map<string, OutcomeCode>();
  for await (const page of ports.comparisonResultPages(comparisonRunId))
    for (const r of page) outcomes.set(r.childKey, r.outcome);
  return outcomes;
}

async function readOpenCases(region: string, ports: SubsidyPorts): Promise<string[]> {
  const children: string[] = [];
  for await (const page of ports.openCasePages(region)) for (const c of page) children.push(c.child.childKey);
  return children;
}

/** Publishes what is in the outbox, 100 at a time, clearing each batch once the bus has taken it. */
async function drainOutbox(runId: string, ports: SubsidyPorts): Promise<number> {
  let sent = 0;
  for await (const page of ports.outboxPages(runId)) {
    for (let i = 0; i < page.length; i += BATCH) {
      const batch = page.slice(i, i + BATCH);
      await ports.publish(batch.map((o) => o.event));
      await ports.clearOutbox(
        runId,
        batch.map((o) => o.sk),
      );
      sent += batch.length;
    }
  }
  return sent;
}
