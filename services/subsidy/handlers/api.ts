import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { canAccess, coversRegion, idVisibility, scopeFilterFor } from '../../../shared/authz';
import { env, sqs } from '../../../shared/aws/clients';
import { reportDownloadUrl } from '../../../shared/aws/reports';
import { todayInChina } from '../../../shared/dates';
import type { Caller } from '../../../shared/org';
import { regionSettingsFromEnv } from '../../../shared/region-settings';
import { badRequest, forbidden, notFound, UserFacingError } from '../../../shared/runtime/errors';
import { httpHandler, reply } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { defaultPeriod } from '../../../shared/term';
import { paymentListFileName } from '../adapters/payment-lists';
import { nextSeq, type PublishedPolicy, policyCatalogue, putPublished } from '../adapters/policies-repo';
import {
  getRun,
  listSchoolTotals,
  queryDecisions,
  queueRun,
  type StoredDecision,
} from '../adapters/subsidy-runs-repo';
import { SUBSIDY_STATUSES } from '../domain/determine';
import { fenToYuan } from '../domain/money';
import { type Policy, policyVersionLabel } from '../domain/policy';
import {
  checkPublication,
  choosePolicy,
  type PolicyChoice,
  type PolicySource,
  policyRef,
} from '../domain/policy-choice';
import { subsidyRunId } from '../domain/run-events';
import { parseSemester, type Semester } from '../domain/semester';
import { schoolsInScope, totalsView } from '../domain/totals-view';

const observability = createObservability('subsidy');
const idPath = z.object({ id: z.string().regex(/^sub-[0-9a-f]{24}$/, 'a subsidy run id such as sub-…') });
const readers = ['school', 'township', 'county', 'ops'] as const;
const catalogue = () => policyCatalogue(env('KCBX_REGION_CODE'), regionSettingsFromEnv().subsidyPolicy);

/** The semester asked for ('2025-autumn', '2025-2026-1'), else the current one; 400 when unreadable. */
function semesterOf(label = defaultPeriod(todayInChina())): Semester {
  const semester = parseSemester(label);
  if (!semester) {
    throw badRequest('INVALID_SEMESTER', {
      zh: `学期应写作 2025-autumn、2026-spring 或 2025-2026-1，实为“${label}”。`,
      en: `semester must be written 2025-autumn, 2026-spring or 2025-2026-1, got "${label}".`,
    });
  }
  return semester;
}

/**
 * The run, if it is this deployment's and the caller may see it: a bureau or operator whose jurisdiction
 * covers its region sees it whole; a school or township its own schools' part, selected by the route.
 * Anyone else gets the same 404 as for a run that does not exist.
 */
async function runFor(id: string, caller: Caller) {
  const run = await getRun(id);
  const visible =
    run !== undefined &&
    run.region === env('KCBX_REGION_CODE') &&
    (caller.role === 'school' || caller.role === 'township' || coversRegion(caller, run.region));
  if (!visible) throw notFound({ zh: `资助测算 ${id}`, en: `Subsidy run ${id}` });
  return run;
}

/**
 * POST /subsidies/runs {semester?, policy?} — queues a run (county bureau or ops). The policy is chosen
 * here (`choosePolicy`: the one named, else the county's published version in force, else the region
 * setting's built-in) and recorded on the run, so the answer names the version the run will use.
 */
export const startHandler = httpHandler({
  observability,
  roles: ['county', 'ops'],
  wholeRegion: true,
  input: {
    body: z
      .strictObject({
        semester: z.string().max(20).optional(),
        policy: z.string().max(40).optional(),
      })
      .default({}),
  },
  handle: async ({ caller, body, context }) => {
    const semester = semesterOf(body.semester);
    const choice = choosePolicy(await catalogue(), semester, body.policy);
    if (!choice.ok) throw badRequest(choice.code, { zh: choice.zh, en: choice.en });
    const runId = subsidyRunId(`request:${context.awsRequestId}`);
    // The run is recorded before it is queued: its status is visible at once, and the message need only
    // name it (a redelivered message finds the same record).
    await queueRun({
      id: runId,
      region: env('KCBX_REGION_CODE'),
      semester: { code: semester.code, label: semester.label },
      policy: { asked: body.policy, chosen: choice.ref },
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
      policy: choice.ref.label,
      policySource: choice.ref.source,
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
    const run = await runFor(path.id, caller);
    const scope = scopeFilterFor(caller);
    const done = run.status === 'completed' || run.status === 'publishing';
    return {
      id: run.id,
      status: run.status === 'publishing' ? 'running' : run.status,
      semester: run.semester.code,
      semesterLabel: run.semester.label,
      // What the run uses, and what the request named (absent: the policy in force for the semester).
      policy: { ...run.policy.chosen, asked: run.policy.asked },
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
    const run = await runFor(path.id, caller);
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
  wholeRegion: true,
  input: { path: idPath },
  handle: async ({ caller, path }) => {
    const run = await runFor(path.id, caller);
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

// ── policies ─────────────────────────────────────────────────────────────────────────────────────────

const policyPath = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'a policy id such as national-baseline'),
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.-]{0,19}$/, 'a policy version such as 2021.1'),
});

/**
 * Published documents are kept whole for ever; this bound keeps one far below DynamoDB's 400 KB item
 * (the national baseline is about 5 KB).
 */
const MAX_POLICY_CHARS = 100_000;

const isChosen = (choice: PolicyChoice, source: PolicySource, p: Policy) =>
  choice.ok && choice.ref.source === source && choice.ref.id === p.id && choice.ref.version === p.version;

/** Who published a version: the organisation always, the account's subject id for county and ops. */
const publisherView = (p: PublishedPolicy, full: boolean) => ({
  role: p.publishedBy.role,
  org: p.publishedBy.org,
  sub: full ? p.publishedBy.sub : undefined,
});

/** Ids and versions are URL-safe by their schema (letters, digits, dots and hyphens). */
const hrefOf = (p: Policy) => `/subsidies/policies/${p.id}/${p.version}`;

/**
 * GET /subsidies/policies?semester= — the built-in policies and the county's published versions, and which
 * one a run for the semester (default: the current one) would use.
 */
export const policiesHandler = httpHandler({
  observability,
  roles: readers,
  input: { query: z.object({ semester: z.string().max(20).optional() }) },
  handle: async ({ caller, query }) => {
    const semester = semesterOf(query.semester);
    const cat = await catalogue();
    const choice = choosePolicy(cat, semester);
    const full = caller.role === 'county' || caller.role === 'ops';
    const summary = (p: Policy, source: PolicySource) => ({
      source,
      id: p.id,
      version: p.version,
      label: policyVersionLabel(p),
      region: p.region,
      title: p.name,
      example: p.example,
      effectiveFrom: p.effectiveFrom,
      effectiveUntil: p.effectiveUntil,
      benefits: p.benefits.map((b) => ({ code: b.code, name: b.name, payment: b.payment })),
      inForce: isChosen(choice, source, p),
      href: hrefOf(p),
    });
    return {
      semester: semester.label,
      semesterCode: semester.code,
      startsOn: semester.startsOn,
      default: cat.fallback,
      inForce: choice.ok ? { ...choice.ref, because: choice.because } : undefined,
      problem: choice.ok ? undefined : { code: choice.code, zh: choice.zh, en: choice.en },
      policies: [
        ...[...cat.builtIns].map(([name, p]) => ({ ...summary(p, 'built-in'), name })),
        ...[...cat.stored]
          .sort((a, b) => a.policy.effectiveFrom.localeCompare(b.policy.effectiveFrom) || a.seq - b.seq)
          .map((p) => ({
            ...summary(p.policy, 'published'),
            publishedAt: p.publishedAt,
            publishedBy: publisherView(p, full),
          })),
      ],
    };
  },
});

/** GET /subsidies/policies/{id}/{version} — one document, built-in or published, as a run reads it. */
export const policyHandler = httpHandler({
  observability,
  roles: readers,
  input: { path: policyPath },
  handle: async ({ caller, path }) => {
    const cat = await catalogue();
    const same = (p: Policy) => p.id === path.id && p.version === path.version;
    const builtIn = [...cat.builtIns.values()].find(same);
    const stored = cat.stored.find((p) => same(p.policy));
    const policy = builtIn ?? stored?.policy;
    if (!policy) {
      throw notFound({
        zh: `政策 ${path.id} 版本 ${path.version}`,
        en: `Policy ${path.id} version ${path.version}`,
      });
    }
    const source: PolicySource = builtIn ? 'built-in' : 'published';
    const semester = semesterOf();
    return {
      ...policyRef(policy, source),
      inForce: { semester: semester.label, now: isChosen(choosePolicy(cat, semester), source, policy) },
      publishedAt: stored?.publishedAt,
      publishedBy: stored
        ? publisherView(stored, caller.role === 'county' || caller.role === 'ops')
        : undefined,
      document: policy,
    };
  },
});

/**
 * POST /subsidies/policies (body: a policy document) — publishes a version of the county's policy: 201, or
 * 400 with every error (JSON path, 中文, English), or 409 when the id + version is taken (a published
 * version never changes). The version is stored once and never updated; runs of a semester it is in force
 * for use it from then on.
 */
export const publishPolicyHandler = httpHandler({
  observability,
  roles: ['county', 'ops'],
  input: { body: z.unknown() },
  handle: async ({ caller, body }) => {
    const county = env('KCBX_REGION_CODE');
    const allowed = canAccess(caller, { region: county });
    if (!allowed.allowed) throw forbidden(allowed.reason.code, allowed.reason);
    if (JSON.stringify(body ?? null).length > MAX_POLICY_CHARS) {
      throw badRequest('POLICY_TOO_LARGE', {
        zh: `政策文件过大（上限 ${MAX_POLICY_CHARS} 个字符）。`,
        en: `The policy document is too large (at most ${MAX_POLICY_CHARS} characters).`,
      });
    }

    // Each attempt checks the document against every version published so far and claims the next
    // publication number; losing the claim means another version was just published, so check again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const cat = await catalogue();
      const check = checkPublication(body, cat);
      if (!check.ok && check.status === 409) {
        const first = check.errors[0]!;
        throw new UserFacingError(
          409,
          'POLICY_VERSION_EXISTS',
          {
            zh: `${first.zh}${check.identical ? '（内容与已发布的相同：此前的发布已成功）' : ''}`,
            en: `${first.en}${check.identical ? ' (the content is the same as the published one: an earlier publication succeeded)' : ''}`,
          },
          {
            errors: check.errors,
            identical: check.identical,
            existing: {
              ...policyRef(check.existing.policy, check.existing.source),
              href: hrefOf(check.existing.policy),
            },
          },
        );
      }
      if (!check.ok) {
        const shown = check.errors.slice(0, 3);
        throw badRequest(
          'INVALID_POLICY',
          {
            zh: `政策未发布，共 ${check.errors.length} 处问题：${shown.map((e) => `${e.path} ${e.zh}`).join('；')}${check.errors.length > shown.length ? '……' : ''}`,
            en: `The policy was not published: ${check.errors.length} problem(s): ${shown.map((e) => `${e.path} ${e.en}`).join('; ')}${check.errors.length > shown.length ? '…' : ''}`,
          },
          { errors: check.errors },
        );
      }
      const entry: PublishedPolicy = {
        seq: nextSeq(cat.stored),
        policy: check.policy,
        publishedAt: new Date().toISOString(),
        publishedBy: { sub: caller.sub, role: caller.role, org: caller.org },
      };
      if (!(await putPublished(county, entry))) continue;

      const semester = semesterOf();
      const now = choosePolicy({ ...cat, published: [...cat.published, check.policy] }, semester);
      observability.logger.info('subsidy policy published', {
        policy: policyVersionLabel(check.policy),
        seq: entry.seq,
        effectiveFrom: check.policy.effectiveFrom,
      });
      return reply(
        201,
        {
          ...policyRef(check.policy, 'published'),
          effectiveFrom: check.policy.effectiveFrom,
          effectiveUntil: check.policy.effectiveUntil,
          publishedAt: entry.publishedAt,
          publishedBy: publisherView(entry, true),
          inForce: { semester: semester.label, now: isChosen(now, 'published', check.policy) },
          href: hrefOf(check.policy),
        },
        { location: hrefOf(check.policy) },
      );
    }
    throw new UserFacingError(409, 'PUBLISH_CONTENDED', {
      zh: '其他政策正在同时发布，请稍后重试。',
      en: 'Other policies are being published at the same moment; try again shortly.',
    });
  },
});
