import { z } from 'zod';
import { env } from '../../../shared/aws/clients';
import { publishEvents } from '../../../shared/aws/publish';
import { todayInChina } from '../../../shared/dates';
import type { OutcomeCode } from '../../../shared/events/vocab';
import { parseRegionSettings } from '../../../shared/region-settings';
import { createObservability } from '../../../shared/runtime/observability';
import { sqsBatchHandler } from '../../../shared/runtime/sqs';
import { termOfRoster } from '../../../shared/term';
import { openCasePages } from '../../cases/port';
import { comparisonResultPages, latestComparison } from '../../comparison/port';
import { listCurrentRosters, rowPages } from '../../roster-intake/port';
import { paymentListKey, storePaymentList } from '../adapters/payment-lists';
import { policyCatalogue } from '../adapters/policies-repo';
import {
  clearOutbox,
  completeRun,
  failRun,
  getRun,
  latestCompletedRun,
  markPublishing,
  outboxPages,
  payerOf,
  queueRun,
  type RunInputs,
  readBindings,
  type SubsidyRunRecord,
  startRun,
  writeBindings,
  writeDecisions,
  writeOutbox,
  writeSchoolTotals,
} from '../adapters/subsidy-runs-repo';
import { asPrevious, carryBindings } from '../domain/bindings';
import { createSubsidyRun } from '../domain/determine';
import type { Policy } from '../domain/policy';
import { choosePolicy, type PolicyRef, policyForRef } from '../domain/policy-choice';
import { runEvents, SUBSIDY_ROSTER_KINDS, subsidyRunId } from '../domain/run-events';
import { parseSemester } from '../domain/semester';

const observability = createObservability('subsidy');
const { logger, metrics } = observability;

/** A run is asked for by a roster.accepted event (delivered by a bus rule) or by POST /subsidies/runs. */
const messageSchema = z.union([
  z.object({
    'detail-type': z.literal('roster.accepted'),
    id: z.string(),
    detail: z.object({ uploadId: z.string(), kind: z.string(), period: z.string() }),
  }),
  z.object({ type: z.literal('run'), runId: z.string().regex(/^sub-[0-9a-f]{24}$/) }),
]);

/**
 * Determines a semester's subsidies for the region: reads the current rosters, the comparison's outcomes
 * and the open cases (the empty-seat hold) and the previous run's bindings (the transfer rule), stores
 * every decision, the totals and the payment list, and publishes subsidy.held / subsidy.determined
 * through an outbox. Runs are serialised (reserved concurrency 1), so "the previous run" is well defined.
 */
export const handler = sqsBatchHandler({
  observability,
  body: messageSchema,
  handleRecord: async (message) => {
    const region = env('KCBX_REGION_CODE');
    let run: SubsidyRunRecord | undefined;
    if ('type' in message) {
      run = await getRun(message.runId);
      // POST /subsidies/runs records the run before queueing it: a message without one is a defect.
      if (!run) throw new Error(`subsidy run ${message.runId} was never recorded`);
    } else {
      if (!SUBSIDY_ROSTER_KINDS.has(message.detail.kind as never)) return;
      const label = termOfRoster(message.detail.period, todayInChina());
      const semester = parseSemester(label)!;
      const id = subsidyRunId(`roster:${message.id}`);
      // The policy is chosen when the run starts: the one in force then for the semester.
      await queueRun({
        id,
        region,
        semester: { code: semester.code, label: semester.label },
        policy: {},
        trigger: { kind: 'roster', by: message.detail.uploadId },
        status: 'queued',
        createdAt: new Date().toISOString(),
      });
      run = (await getRun(id))!;
    }
    logger.appendKeys({ runId: run.id });

    if (run.status === 'completed' || run.status === 'failed') {
      logger.info('subsidy run already finished; nothing to do', { status: run.status });
      return;
    }
    if (run.status !== 'publishing' && !(await determine(run, region))) return;
    const sent = await drainOutbox(run.id);
    await completeRun(run.id, new Date().toISOString());
    metrics.addMetric('SubsidyEvents', 'Count', sent);
    logger.info('subsidy run completed', { events: sent });
  },
});

/**
 * Computes and stores a queued or interrupted run and leaves its events in the outbox; false when the run
 * cannot be computed as asked (it is marked failed, with the reason: a retry would not help).
 */
async function determine(run: SubsidyRunRecord, region: string): Promise<boolean> {
  const at = new Date().toISOString();
  const semester = parseSemester(run.semester.label);
  const refuse = async (code: string, zh: string, en: string) => {
    await failRun(run.id, { code, zh, en }, at);
    logger.warn('subsidy run refused', { code });
    return false;
  };
  if (!semester)
    return refuse('INVALID_SEMESTER', `无法识别的学期 ${run.semester.label}`, 'Unknown semester');

  // A run keeps the policy chosen for it (by the request, or by an earlier attempt of this run); a run
  // without one chooses now, the same way the API does.
  const settings = parseRegionSettings(JSON.parse(process.env.KCBX_REGION_SETTINGS ?? '{}'));
  const catalogue = await policyCatalogue(region, settings.subsidyPolicy);
  let policy: Policy;
  let ref: PolicyRef;
  if (run.policy.chosen) {
    const recorded = policyForRef(run.policy.chosen, catalogue);
    if (!recorded) {
      // Published versions are never removed; only a built-in dropped by a later release can be missing.
      return refuse(
        'POLICY_UNAVAILABLE',
        `本次测算选定的政策 ${run.policy.chosen.label} 已不可用，请重新发起测算`,
        `The policy chosen for this run, ${run.policy.chosen.label}, is no longer available; start a new run`,
      );
    }
    policy = recorded;
    ref = run.policy.chosen;
  } else {
    const choice = choosePolicy(catalogue, semester, run.policy.asked);
    if (!choice.ok) return refuse(choice.code, choice.zh, choice.en);
    policy = choice.policy;
    ref = choice.ref;
    logger.info('subsidy policy chosen', {
      policy: ref.label,
      source: ref.source,
      because: choice.because.en,
    });
  }

  // Inputs are fixed when the run starts: a retry recomputes the same rosters, comparison and bindings,
  // so it rewrites the same items rather than adding others.
  let inputs = run.inputs;
  if (run.status === 'queued' || !inputs) {
    const [rosters, comparison, previous] = await Promise.all([
      listCurrentRosters(semester.label),
      latestComparison(region),
      latestCompletedRun(region, semester.code, run.id),
    ]);
    inputs = {
      rosters: rosters.filter((r) => SUBSIDY_ROSTER_KINDS.has(r.kind)),
      // Outcomes of another term say nothing about this one's seats.
      comparisonRunId: comparison?.period === semester.label ? comparison.id : undefined,
      previousRunId: previous?.id,
    } satisfies RunInputs;
    await startRun(run.id, { inputs, policy: { ...run.policy, chosen: ref }, startedAt: at });
  }

  const [comparison, openCases, previous] = await Promise.all([
    inputs.comparisonRunId ? readOutcomes(inputs.comparisonRunId) : undefined,
    readOpenCases(region),
    inputs.previousRunId ? readBindings(inputs.previousRunId) : [],
  ]);
  const engine = createSubsidyRun({
    policy,
    semester,
    comparison,
    openCases,
    previous: asPrevious(previous),
  });
  for (const roster of inputs.rosters) {
    for await (const page of rowPages(roster.uploadId)) for (const row of page) engine.add(row);
  }
  const result = engine.finish();

  const key = paymentListKey(region, run.id);
  await writeDecisions(run.id, result.decisions);
  await writeSchoolTotals(run.id, result.totals.bySchool);
  await writeBindings(run.id, carryBindings(previous, result.decisions));
  await storePaymentList(result, key);

  // Anything in the outbox now was written by an attempt that died before publishing began: none of it
  // went out, and this attempt's events replace it.
  for await (const page of outboxPages(run.id))
    await clearOutbox(
      run.id,
      page.map((o) => o.sk),
    );
  const events = runEvents(result, run.id, region, at);
  await writeOutbox(
    run.id,
    events.map((event) => ({ order: event.detailType === 'subsidy.held' ? 1 : 2, event })),
  );
  const { byBenefit, byTownship, amountFen, heldFen } = result.totals;
  await markPublishing(run.id, {
    totals: { byBenefit, byTownship, amountFen, heldFen },
    children: result.children,
    payers: [...new Set(result.decisions.map(payerOf))],
    paymentListKey: key,
    heldEvents: events.length - 1,
  });
  metrics.addMetric('SubsidyDecisions', 'Count', result.decisions.length);
  logger.info('subsidy run determined', {
    semester: semester.code,
    policy: result.policyVersion,
    rosters: inputs.rosters.length,
    comparison: inputs.comparisonRunId,
    previous: inputs.previousRunId,
    children: result.children,
    decisions: result.decisions.length,
    amountFen,
    heldFen,
  });
  return true;
}

async function readOutcomes(comparisonRunId: string): Promise<Map<string, OutcomeCode>> {
  const outcomes = new Map<string, OutcomeCode>();
  for await (const page of comparisonResultPages(comparisonRunId))
    for (const r of page) outcomes.set(r.childKey, r.outcome);
  return outcomes;
}

async function readOpenCases(region: string): Promise<string[]> {
  const children: string[] = [];
  for await (const page of openCasePages(region))
    for (const record of page) children.push(record.child.childKey);
  return children;
}

/** Publishes what is in the outbox, 100 at a time, clearing each batch once the bus has taken it. */
async function drainOutbox(runId: string): Promise<number> {
  let sent = 0;
  for await (const page of outboxPages(runId)) {
    for (let i = 0; i < page.length; i += 100) {
      const batch = page.slice(i, i + 100);
      await publishEvents(batch.map((o) => o.event));
      await clearOutbox(
        runId,
        batch.map((o) => o.sk),
      );
      sent += batch.length;
    }
  }
  return sent;
}
