/**
 * 四查三比对 run — recomputes the region's comparison for a term from the current rosters, stores every
 * child's result, exports the workbook, and publishes dropout.suspected / dropout.resolved for what
 * changed since the last run and then comparison.completed.
 *
 * Nothing lost, nothing twice (events arrive at least once, a function can die at any line):
 * - the run id comes from its trigger, so a redelivered trigger finds its run; a completed run is
 *   not done again, an interrupted one is recomputed from the rosters under the same keys;
 * - each change is recorded with the event announcing it (an outbox) before anything is sent, and
 *   cleared once sent: events a crashed run left unsent go out first on the next run, with the
 *   same ids, and a child whose outcome did not change produces nothing.
 * Runs are serialised (the worker's reserved concurrency is 1), so "since the last run" is well defined.
 */
import type { Publishable } from '../../../shared/aws/publish';
import { todayInChina } from '../../../shared/dates';
import type { RosterTrigger } from '../../../shared/events/roster-trigger';
import type { RosterKind } from '../../../shared/roster-kind';
import type { IntakeRow } from '../../../shared/rosters/rows';
import { xlsxBuffer } from '../../../shared/spreadsheet-export';
import { termOfRoster } from '../../../shared/term';
import type { ComparisonRun } from '../adapters/comparisons-repo';
import { diffOutcomes, reportableOutcomes, type SuspectState } from '../domain/changes';
import type { ChildResult, ComparisonCounts, ComparisonSettings, SchoolCounts } from '../domain/classify';
import { writeResultsXlsx } from '../domain/export';
import {
  COMPARED_KINDS,
  compareRosters,
  comparisonId,
  completedEvent,
  resolvedEvent,
  suspectedEvent,
} from '../domain/run';
import { countByTownship, type TownshipCounts } from '../domain/township-counts';

/** What asks for a run: an accepted roster (through a bus rule) or POST /comparisons. */
export type ComparisonTrigger =
  | RosterTrigger
  | { type: 'request'; runId: string; period: string; asOf: string; requestedBy: string };

/** What the run knows of a child it reported, with the event it has not yet sent (the outbox). */
export type StoredSuspect = SuspectState & { pending?: Publishable; resolved?: boolean };

/** Everything a run reads and writes, given by the caller: DynamoDB, S3 and the bus, or memory in tests. */
export interface ComparisonPorts {
  region: string;
  settings: Pick<ComparisonSettings, 'minAge' | 'maxAge' | 'entryCutoff'>;
  /** roster-intake's current rosters of a term, and their rows page by page. */
  currentRosters(period: string): Promise<{ uploadId: string; kind: RosterKind; org: string }[]>;
  rowPages(uploadId: string): AsyncIterable<IntakeRow[]>;
  getRun(id: string): Promise<Pick<ComparisonRun, 'status'> | undefined>;
  /** Records a new run; fails when one with the same id exists. */
  createRun(run: ComparisonRun): Promise<void>;
  /** Writes the results of a run; writing them again replaces each under the same key. */
  writeResults(runId: string, results: readonly ChildResult[]): Promise<void>;
  completeRun(
    runId: string,
    patch: {
      counts: ComparisonCounts;
      bySchool: SchoolCounts[];
      byTownship: TownshipCounts[];
      exportKey: string;
      completedAt: string;
    },
  ): Promise<void>;
  /** What the region's runs have reported, by child, with any event not yet sent. */
  loadSuspects(region: string): Promise<ReadonlyMap<string, StoredSuspect>>;
  /** Records a child's change with the event announcing it, before the event is sent. */
  recordChange(region: string, state: SuspectState, event: Publishable, resolved: boolean): Promise<void>;
  /** The event was sent: a resolved child is forgotten, a suspected one keeps its state without it. */
  markSent(childKey: string, resolved: boolean): Promise<void>;
  putReport(key: string, body: Buffer, contentType: string): Promise<void>;
  publish(events: Publishable[]): Promise<void>;
  now(): Date;
}

export type ComparisonRunOutcome =
  | { outcome: 'not-compared'; kind: string }
  | { outcome: 'already-completed'; runId: string }
  | {
      outcome: 'completed';
      runId: string;
      period: string;
      counts: ComparisonCounts;
      children: number;
      /** dropout.suspected / dropout.resolved sent by this run, those a crashed run left included. */
      events: number;
    };

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const BATCH = 100;

/** The run a trigger asks for; undefined for a roster the comparison does not read (attendance). */
function runOf(trigger: ComparisonTrigger, today: string) {
  if (trigger.type === 'request') {
    return {
      id: trigger.runId,
      period: trigger.period,
      asOf: trigger.asOf,
      trigger: { kind: 'request' as const, by: trigger.requestedBy },
    };
  }
  if (!COMPARED_KINDS.has(trigger.kind as RosterKind)) return undefined;
  return {
    id: comparisonId(`roster:${trigger.eventId}`),
    period: termOfRoster(trigger.period, today),
    asOf: today,
    trigger: { kind: 'roster' as const, by: trigger.uploadId },
  };
}

export async function runComparison(
  trigger: ComparisonTrigger,
  ports: ComparisonPorts,
): Promise<ComparisonRunOutcome> {
  const { region } = ports;
  const run = runOf(trigger, todayInChina(ports.now()));
  if (!run) return { outcome: 'not-compared', kind: trigger.type === 'roster' ? trigger.kind : '' };

  const existing = await ports.getRun(run.id);
  if (existing?.status === 'completed') return { outcome: 'already-completed', runId: run.id };
  const rosters = await ports.currentRosters(run.period);
  if (!existing) {
    const createdAt = ports.now().toISOString();
    await ports.createRun({ ...run, region, status: 'running', inputs: rosters, createdAt });
  }

  const { minAge, maxAge, entryCutoff } = ports.settings;
  const outcome = await compareRosters(
    { region, asOf: run.asOf, minAge, maxAge, entryCutoff },
    rosters,
    (uploadId) => ports.rowPages(uploadId),
  );
  await ports.writeResults(run.id, outcome.results);

  const exportKey = `reports/comparisons/${region}/${run.id}/results.xlsx`;
  const workbook = await xlsxBuffer((out) =>
    writeResultsXlsx(outcome.results, outcome.counts, out, {
      region,
      asOf: run.asOf,
      bySchool: outcome.bySchool,
    }),
  );
  await ports.putReport(exportKey, workbook, XLSX);

  // Events a crashed run left unsent go first; then this run's changes.
  const previous = await ports.loadSuspects(region);
  const at = ports.now().toISOString();
  const outbox: { childKey: string; resolved: boolean; event: Publishable }[] = [];
  for (const state of previous.values()) {
    if (state.pending)
      outbox.push({ childKey: state.childKey, resolved: Boolean(state.resolved), event: state.pending });
  }
  const reportable = reportableOutcomes(rosters.map((r) => r.kind));
  for (const change of diffOutcomes(previous, outcome.results, reportable)) {
    const { result } = change;
    const resolved = change.kind === 'resolved';
    const event = resolved
      ? resolvedEvent(result, change.previous!, run.id, region, at)
      : suspectedEvent(result, run.id, region, run.asOf, at);
    const state = {
      childKey: result.childKey,
      outcome: resolved ? change.previous!.outcome : result.outcome,
      since: run.id,
    };
    await ports.recordChange(region, state, event, resolved);
    outbox.push({ childKey: result.childKey, resolved, event });
  }
  for (let i = 0; i < outbox.length; i += BATCH) {
    const batch = outbox.slice(i, i + BATCH);
    await ports.publish(batch.map((o) => o.event));
    for (const o of batch) await ports.markSent(o.childKey, o.resolved);
  }

  await ports.completeRun(run.id, {
    counts: outcome.counts,
    bySchool: outcome.bySchool,
    byTownship: countByTownship(outcome.results),
    exportKey,
    completedAt: at,
  });
  await ports.publish([completedEvent(run.id, region, run.asOf, outcome.counts, at)]);
  return {
    outcome: 'completed',
    runId: run.id,
    period: run.period,
    counts: outcome.counts,
    children: outcome.results.length,
    events: outbox.length,
  };
}
