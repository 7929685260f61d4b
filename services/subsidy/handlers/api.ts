import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { idVisibility, scopeFilterFor } from '../../../shared/authz';
import { env, sqs } from '../../../shared/aws/clients';
import { todayInChina } from '../../../shared/dates';
import { parseRegionSettings } from '../../../shared/region-settings';
import { badRequest, notFound } from '../../../shared/runtime/errors';
import { httpHandler, reply } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { reportDownloadUrl } from '../../roster-intake/adapters/roster-objects';
import { defaultPeriod } from '../../roster-intake/domain/upload';
import { paymentListFileName } from '../adapters/payment-lists';
import {
  getRun,
  listSchoolTotals,
  queryDecisions,
  queueRun,
  type StoredDecision,
} from '../adapters/subsidy-runs-repo';
import { SUBSIDY_STATUSES } from '../domain/determine';
import { fenToYuan } from '../domain/money';
import { BUILT_IN_POLICIES, builtInPolicy } from '../domain/policies/built-in';
import { isInForceOn, policyVersionLabel } from '../domain/policy';
import { subsidyRunId } from '../domain/run-events';
import { parseSemester } from '../domain/semester';
import { schoolsInScope, totalsView } from '../domain/totals-view';

const observability = createObservability('subsidy');
const idPath = z.object({ id: z.string().regex(/^sub-[0-9a-f]{24}$/, 'a subsidy run id such as sub-…') });
const readers = ['school', 'township', 'county', 'ops'] as const;
const policyNames = () => [...BUILT_IN_POLICIES.keys()];

async function runFor(id: string) {
  const run = await getRun(id);
  if (!run || run.region !== env('KCBX_REGION_CODE'))
    throw notFound({ zh: `资助测算 ${id}`, en: `Subsidy run ${id}` });
  return run;
}

/** POST /subsidies/runs {semester?, policy?} — queues a run (county bureau or ops). */
export const startHandler = httpHandler({
  observability,
  roles: ['county', 'ops'],
  input: {
    body: z
      .strictObject({
        semester: z.string().max(20).optional(),
        policy: z.string().max(40).optional(),
      })
      .default({}),
  },
  handle: async ({ caller, body, context }) => {
    const label = body.semester ?? defaultPeriod(todayInChina());
    const semester = parseSemester(label);
    if (!semester) {
      throw badRequest('INVALID_SEMESTER', {
        zh: `学期应写作 2025-autumn、2026-spring 或 2025-2026-1，实为“${label}”。`,
        en: `semester must be written 2025-autumn, 2026-spring or 2025-2026-1, got "${label}".`,
      });
    }
    const settings = parseRegionSettings(JSON.parse(process.env.KCBX_REGION_SETTINGS ?? '{}'));
    const name = body.policy ?? settings.subsidyPolicy;
    const policy = builtInPolicy(name);
    if (!policy) {
      throw badRequest('UNKNOWN_POLICY', {
        zh: `没有名为“${name}”的内置政策；可用：${policyNames().join('、')}（GET /subsidies/policies）。`,
        en: `There is no built-in policy "${name}"; use one of ${policyNames().join(', ')} (GET /subsidies/policies).`,
      });
    }
    if (!isInForceOn(policy, semester.startsOn)) {
      throw badRequest('POLICY_NOT_IN_FORCE', {
        zh: `政策 ${policyVersionLabel(policy)} 在 ${semester.label}（${semester.startsOn}）未生效：生效日 ${policy.effectiveFrom}。请换一个学期或政策。`,
        en: `Policy ${policyVersionLabel(policy)} is not in force on ${semester.startsOn} (${semester.label}); it starts ${policy.effectiveFrom}. Choose another semester or policy.`,
      });
    }
    const runId = subsidyRunId(`request:${context.awsRequestId}`);
    // The run is recorded before it is queued: its status is visible at once, and the message need only
    // name it (a redelivered message finds the same record).
    await queueRun({
      id: runId,
      region: env('KCBX_REGION_CODE'),
      semester: { code: semester.code, label: semester.label },
      policy: { name, version: policy.version, label: policyVersionLabel(policy), example: policy.example },
      trigger: { kind: 'request', by: caller.sub },
      status: 'queued',
      createdAt: new Date().toISOString(),
    });
    await sqs().send(
      new SendMessageCommand({
        QueueUrl: env('KCBX_SUBSIDY_QUEUE_URL'),
        MessageBody: JSON.stringify({ type: 'run', runId }),
      }),
    );
    return reply(202, {
      id: runId,
      semester: semester.code,
      semesterLabel: semester.label,
      policy: policyVersionLabel(policy),
      status: 'queued',
      href: `/subsidies/runs/${runId}`,
    });
  },
});

/** GET /subsidies/runs/{id} — status and totals in 分 and 元, in the caller's scope. */
export const getHandler = httpHandler({
  observability,
  roles: readers,
  input: { path: idPath },
  handle: async ({ caller, path }) => {
    const run = await runFor(path.id);
    const scope = scopeFilterFor(caller);
    const done = run.status === 'completed' || run.status === 'publishing';
    return {
      id: run.id,
      status: run.status === 'publishing' ? 'running' : run.status,
      semester: run.semester.code,
      semesterLabel: run.semester.label,
      policy: run.policy,
      trigger: { kind: run.trigger.kind },
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      completedAt: run.status === 'completed' ? run.completedAt : undefined,
      failure: run.failure,
      // Region-wide counts and inputs are the county's business; a school sees its own figures.
      children: scope.kind === 'region' ? run.children : undefined,
      inputs:
        scope.kind === 'region' && run.inputs
          ? {
              rosters: run.inputs.rosters.map(({ uploadId, kind }) => ({ uploadId, kind })),
              comparisonRunId: run.inputs.comparisonRunId,
              previousRunId: run.inputs.previousRunId,
            }
          : undefined,
      totals: done && run.totals ? totalsView(run.totals, await listSchoolTotals(run.id), scope) : undefined,
      paymentList: run.status === 'completed' ? `/subsidies/runs/${run.id}/payment-list` : undefined,
    };
  },
});

const decisionView = (d: StoredDecision, full: boolean) => ({
  childKey: d.childKey,
  maskedId: d.maskedId,
  idNumber: full ? d.idNumber : undefined,
  name: full ? d.name : undefined,
  benefit: d.benefit,
  status: d.status,
  amountFen: d.amountFen,
  amountYuan: fenToYuan(d.amountFen),
  heldFen: d.heldFen,
  heldYuan: fenToYuan(d.heldFen),
  school: d.school,
  schoolName: d.schoolName,
  payerSchool: d.payerSchool,
  payerSchoolName: d.payerSchoolName,
  township: d.township,
  stage: d.stage,
  grade: d.grade,
  className: d.className,
  boarding: d.boarding,
  rural: d.rural,
  reason: d.reason,
  explanation: d.explanation,
});

const encodeCursor = (c: { payer: number; key?: Record<string, unknown> }) =>
  Buffer.from(JSON.stringify(c)).toString('base64url');
const cursorSchema = z.object({
  payer: z.number().int().min(0),
  key: z.record(z.string(), z.unknown()).optional(),
});

function decodeCursor(text: string) {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw badRequest('INVALID_CURSOR', {
      zh: 'cursor 无效：请使用上一页返回的 cursor 原样翻页。',
      en: 'The cursor is not valid: pass the cursor of the previous page unchanged.',
    });
  }
}

/**
 * GET /subsidies/runs/{id}/decisions?school=&status=&benefit=&cursor=&limit= — a page of decisions of the
 * paying schools in the caller's scope; full ID numbers and names only for roles that may see them.
 */
export const decisionsHandler = httpHandler({
  observability,
  roles: readers,
  input: {
    path: idPath,
    query: z.object({
      school: z.string().min(1).max(100).optional(),
      status: z.enum(SUBSIDY_STATUSES).optional(),
      benefit: z
        .string()
        .regex(/^[A-Z][A-Z0-9_]{1,63}$/)
        .optional(),
      cursor: z.string().max(2000).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  handle: async ({ caller, path, query }) => {
    const run = await runFor(path.id);
    if (run.status !== 'completed' && run.status !== 'publishing') {
      return { status: run.status, decisions: [], cursor: undefined };
    }
    const scope = scopeFilterFor(caller);
    let payers = run.payers ?? [];
    if (scope.kind !== 'region') {
      const mine = new Set(schoolsInScope(await listSchoolTotals(run.id), scope).map((s) => s.school || '-'));
      payers = payers.filter((p) => mine.has(p));
    }
    if (query.school) payers = payers.filter((p) => p === query.school);
    const page = await queryDecisions(
      run.id,
      payers,
      { benefit: query.benefit, status: query.status },
      query.limit,
      query.cursor ? decodeCursor(query.cursor) : undefined,
    );
    const full = idVisibility(caller) === 'full';
    return {
      decisions: page.decisions.map((d) => decisionView(d, full)),
      cursor: page.cursor ? encodeCursor(page.cursor) : undefined,
    };
  },
});

/**
 * GET /subsidies/runs/{id}/payment-list — a 5-minute link to the printable 发放名单 (a sheet per paying
 * school, full ID numbers): the county bureau's, which prints and hands each school its sheet.
 */
export const paymentListHandler = httpHandler({
  observability,
  roles: ['county'],
  input: { path: idPath },
  handle: async ({ path }) => {
    const run = await runFor(path.id);
    if (run.status !== 'completed' || !run.paymentListKey) {
      throw notFound({
        zh: `资助测算 ${run.id} 的发放名单（测算尚未完成）`,
        en: `The payment list of ${run.id} (the run has not completed)`,
      });
    }
    const semester = parseSemester(run.semester.code)!;
    return {
      url: await reportDownloadUrl(run.paymentListKey, paymentListFileName(semester)),
      expiresInSeconds: 300,
    };
  },
});

/** GET /subsidies/policies — the built-in policies, and the one this region uses unless told otherwise. */
export const policiesHandler = httpHandler({
  observability,
  roles: readers,
  handle: async () => {
    const settings = parseRegionSettings(JSON.parse(process.env.KCBX_REGION_SETTINGS ?? '{}'));
    return {
      default: settings.subsidyPolicy,
      policies: [...BUILT_IN_POLICIES].map(([name, p]) => ({
        name,
        id: p.id,
        version: p.version,
        label: policyVersionLabel(p),
        region: p.region,
        title: p.name,
        example: p.example,
        effectiveFrom: p.effectiveFrom,
        effectiveUntil: p.effectiveUntil,
        benefits: p.benefits.map((b) => ({ code: b.code, name: b.name, payment: b.payment })),
      })),
    };
  },
});
