import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { coversRegion, idVisibility, scopeFilterFor } from '../../../shared/authz';
import { env, sqs } from '../../../shared/aws/clients';
import { reportDownloadUrl } from '../../../shared/aws/reports';
import { todayInChina } from '../../../shared/dates';
import { localDateSchema } from '../../../shared/events/envelope';
import { outcomeCodeSchema } from '../../../shared/events/vocab';
import type { Caller } from '../../../shared/org';
import { notFound } from '../../../shared/runtime/errors';
import { httpHandler, reply } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { defaultPeriod, TERM_LABEL } from '../../../shared/term';
import { getRun, queryResults } from '../adapters/comparisons-repo';
import { comparisonId } from '../domain/run';

const observability = createObservability('comparison');
const idPath = z.object({ id: z.string().regex(/^cmp-[0-9a-f]{24}$/, 'a comparison id such as cmp-…') });
const roles = ['school', 'township', 'county', 'ops'] as const;

/**
 * The run, if it is this deployment's and the caller may see it: a bureau or operator whose jurisdiction
 * covers its region sees it whole; a school or township sees only its own part, selected by the route.
 * Anyone else gets the same 404 as for a run that does not exist.
 */
async function runFor(id: string, caller: Caller) {
  const run = await getRun(id);
  const region = env('KCBX_REGION_CODE');
  const visible =
    run !== undefined &&
    run.region === region &&
    (caller.role === 'school' || caller.role === 'township' || coversRegion(caller, run.region));
  if (!visible) throw notFound({ zh: `比对 ${id}`, en: `Comparison ${id}` });
  return run;
}

/** POST /comparisons {asOf?, period?} — queues a recomputation of the region (county bureau). */
export const startHandler = httpHandler({
  observability,
  roles: ['county'],
  wholeRegion: true,
  input: {
    body: z
      .strictObject({
        asOf: localDateSchema.optional(),
        period: z.string().regex(TERM_LABEL).optional(),
      })
      .default({}),
  },
  handle: async ({ caller, body, context }) => {
    const asOf = body.asOf ?? todayInChina();
    const period = body.period ?? defaultPeriod(asOf);
    const runId = comparisonId(`request:${context.awsRequestId}`);
    await sqs().send(
      new SendMessageCommand({
        QueueUrl: env('KCBX_COMPARISON_QUEUE_URL'),
        MessageBody: JSON.stringify({ type: 'run', runId, period, asOf, requestedBy: caller.sub }),
      }),
    );
    return reply(202, { id: runId, period, asOf, status: 'queued', href: `/comparisons/${runId}` });
  },
});

/** GET /comparisons/{id} — status and counts (per school only for the caller's own schools). */
export const getHandler = httpHandler({
  observability,
  roles,
  input: { path: idPath },
  handle: async ({ caller, path }) => {
    const run = await runFor(path.id, caller);
    const scope = scopeFilterFor(caller);
    const township =
      scope.kind === 'township' ? run.byTownship?.find((t) => t.township === scope.township) : undefined;
    // A school sees its own line; a township its own children, per school; a bureau the whole region.
    const { counts, bySchool } =
      scope.kind === 'school'
        ? { counts: undefined, bySchool: (run.bySchool ?? []).filter((s) => s.school === scope.school) }
        : scope.kind === 'township'
          ? { counts: township?.counts, bySchool: township?.bySchool ?? [] }
          : { counts: run.counts, bySchool: run.bySchool ?? [] };
    return {
      id: run.id,
      period: run.period,
      asOf: run.asOf,
      status: run.status,
      createdAt: run.createdAt,
      completedAt: run.completedAt,
      counts,
      bySchool,
      inputs: run.inputs.map(({ uploadId, kind }) => ({ uploadId, kind })),
    };
  },
});

/** GET /comparisons/{id}/results?outcome=&school=&cursor= — a page of results in the caller's scope. */
export const resultsHandler = httpHandler({
  observability,
  roles,
  input: {
    path: idPath,
    query: z.object({
      outcome: outcomeCodeSchema.optional(),
      school: z
        .string()
        .regex(/^\d{10}$/)
        .optional(),
      cursor: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  handle: async ({ caller, path, query }) => {
    await runFor(path.id, caller);
    const scope = scopeFilterFor(caller);
    const filter = {
      outcome: query.outcome,
      school: scope.kind === 'school' ? scope.school : query.school,
      township: scope.kind === 'township' ? scope.township : undefined,
    };
    const page = await queryResults(path.id, filter, query.limit, query.cursor);
    const full = idVisibility(caller) === 'full';
    return {
      results: page.results.map(({ idNumber, ...r }) => ({ ...r, idNumber: full ? idNumber : undefined })),
      cursor: page.cursor,
    };
  },
});

/** GET /comparisons/{id}/export — a 5-minute link to the printable workbook (full IDs: county only). */
export const exportHandler = httpHandler({
  observability,
  roles: ['county'],
  wholeRegion: true,
  input: { path: idPath },
  handle: async ({ caller, path }) => {
    const run = await runFor(path.id, caller);
    if (!run.exportKey)
      throw notFound({
        zh: `比对 ${run.id} 的结果表（仍在计算中）`,
        en: `The workbook of ${run.id} (still running)`,
      });
    return {
      url: await reportDownloadUrl(run.exportKey, `比对结果-${run.asOf}.xlsx`),
      expiresInSeconds: 300,
    };
  },
});
