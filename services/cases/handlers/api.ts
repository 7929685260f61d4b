import { z } from 'zod';
import { canAccess, idVisibility } from '../../../shared/authz';
import { recordAccess } from '../../../shared/aws/audit';
import { childKeyer } from '../../../shared/aws/pseudonym-secret';
import { caseStateSchema, causeCategorySchema } from '../../../shared/events/vocab';
import { maskIdNumber, parseIdNumber } from '../../../shared/id-number';
import { type Caller, schoolCodeSchema, townshipCodeSchema } from '../../../shared/org';
import { badRequest, forbidden, notFound } from '../../../shared/runtime/errors';
import { httpHandler, reply } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { documentLink, requestDocuments } from '../adapters/case-documents';
import { type FlowContext, flowContextFromEnv, receiveReport, runCommand } from '../adapters/case-flow';
import { getCase, listCasesFor, type StoredCase } from '../adapters/cases-repo';
import { childIdentity } from '../adapters/child-identity';
import { caseCommandSchema } from '../domain/actions';
import { caseDocumentIdSchema, holdsReport, isOpen, noteSchema, reportIdSchema } from '../domain/case';
import { caseScope, viewCase, viewCaseSummary } from '../domain/case-view';
import { isOverdue } from '../domain/deadlines';
import { manualReport, reportReceipt } from '../domain/manual-report';

const observability = createObservability('cases');
const readers = ['school', 'township', 'county', 'ops'] as const;
const workers = ['school', 'township', 'county'] as const;
const idPath = z.object({
  id: z.string().regex(/^case-[a-z2-7]{32}-\d{1,6}$/, 'a case id such as case-…-1'),
});

/** The case if the caller may see it; another organisation's case answers 404, as if absent. */
async function caseFor(caller: Caller, caseId: string): Promise<StoredCase> {
  const stored = await getCase(caseId);
  if (!stored || !canAccess(caller, caseScope(stored.record)).allowed)
    throw notFound({ zh: `案件 ${caseId}`, en: `Case ${caseId}` });
  return stored;
}

/**
 * POST /cases — a school, township or county bureau reports a child it knows about (人工报告). The
 * report opens a case in the reporter's scope, joins the child's open case if the reporter may see it,
 * or is noted on an open case it may not see (`domain/manual-report.ts`). Every report is answered
 * with the same 202 receipt: whether a child has a case, and whose, is told only through the cases
 * the caller may see. The same request sent again is the same report and is recorded once.
 */
export const openHandler = httpHandler({
  observability,
  roles: workers,
  input: {
    body: z.strictObject({
      idNumber: z.string().min(1).max(40),
      name: z.string().trim().min(1).max(50).optional(),
      school: schoolCodeSchema.optional(),
      township: townshipCodeSchema.optional(),
      causeCategory: causeCategorySchema.optional(),
      priority: z.boolean().default(false),
      note: noteSchema,
    }),
  },
  handle: async ({ caller, body }) => {
    const ctx: FlowContext = flowContextFromEnv();
    const id = parseIdNumber(body.idNumber, { today: ctx.today() });
    if (!id.ok) throw badRequest(`ID_${id.error.code}`, { zh: id.error.zh, en: id.error.en });
    const childKey = (await childKeyer())(id.id);
    const identity = await childIdentity(childKey);
    const school = body.school ?? (caller.role === 'school' ? caller.org : identity.school);
    const township = body.township ?? (caller.role === 'township' ? caller.org : identity.township);
    const scope = { region: ctx.region, school, township };
    const allowed = canAccess(caller, scope);
    if (!allowed.allowed) throw forbidden(allowed.reason.code, allowed.reason);
    const report = manualReport({
      reporter: caller,
      childKey,
      receivedOn: ctx.today(),
      note: body.note,
      // What the reporter said, not what the rosters add: a retry after a roster arrived is the same report.
      school: body.school,
      township: body.township,
      causeCategory: body.causeCategory,
      priority: body.priority,
    });
    const result = await receiveReport(
      {
        ...identity,
        child: { childKey, maskedId: maskIdNumber(id.id) },
        idNumber: id.id,
        name: body.name ?? identity.name,
        school,
        township,
        priority: body.priority,
        causeCategory: body.causeCategory,
        actor: { role: caller.role, org: caller.org },
        by: caller.sub,
      },
      report,
      ctx,
    );
    observability.logger.info('manual report recorded', {
      reportId: report.reportId,
      caseId: result.caseId,
      outcome: result.outcome,
    });
    // The receipt is made from the report alone: `result` (which case, and how) never reaches the caller.
    return reply(202, reportReceipt(report));
  },
});

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/**
 * GET /cases?state=&school=&township=&cause=&overdue=&priority=&open=&report= — the caller's cases,
 * newest first; `report` keeps those that hold a report (as a signal or as a note).
 */
export const listHandler = httpHandler({
  observability,
  roles: readers,
  input: {
    query: z.object({
      state: caseStateSchema.optional(),
      school: schoolCodeSchema.optional(),
      township: townshipCodeSchema.optional(),
      cause: causeCategorySchema.optional(),
      overdue: flag.optional(),
      priority: flag.optional(),
      open: flag.optional(),
      report: reportIdSchema.optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(200),
    }),
  },
  handle: async ({ caller, query }) => {
    const ctx = flowContextFromEnv();
    const today = ctx.today();
    const rows = (await listCasesFor(caller, ctx.region, query.school))
      .filter((r) => query.open === undefined || isOpen(r.state) === query.open)
      .filter((r) => !query.state || r.state === query.state)
      .filter((r) => !query.school || r.school === query.school)
      .filter((r) => !query.township || r.township === query.township)
      .filter((r) => !query.cause || r.causeCategory === query.cause)
      .filter((r) => query.priority === undefined || r.priority === query.priority)
      .filter((r) => !query.report || holdsReport(r, query.report))
      .filter(
        (r) => query.overdue === undefined || isOverdue(r, ctx.rules, today, ctx.calendar) === query.overdue,
      )
      .sort((a, b) =>
        a.openedOn === b.openedOn ? (a.caseId < b.caseId ? -1 : 1) : a.openedOn < b.openedOn ? 1 : -1,
      );
    const full = idVisibility(caller) === 'full';
    return {
      total: rows.length,
      cases: rows
        .slice(0, query.limit)
        .map((r) => viewCaseSummary(r, { full, rules: ctx.rules, today, calendar: ctx.calendar })),
    };
  },
});

/** GET /cases/{id} — the case with its full history (and the list of its documents). */
export const getHandler = httpHandler({
  observability,
  roles: readers,
  input: { path: idPath },
  handle: async ({ caller, path, context }) => {
    const ctx = flowContextFromEnv();
    const stored = await caseFor(caller, path.id);
    await recordAccess({
      recordId: path.id,
      action: 'READ',
      caller,
      requestId: context.awsRequestId,
      fullIds: idVisibility(caller) === 'full',
    });
    return viewCase(stored.record, {
      full: idVisibility(caller) === 'full',
      rules: ctx.rules,
      today: ctx.today(),
      calendar: ctx.calendar,
    });
  },
});

/**
 * GET /cases/{id}/documents/{documentId} — a 5-minute link to one of the case's documents, for a caller
 * who may see the case (the same lookup as GET /cases/{id}).
 */
export const documentHandler = httpHandler({
  observability,
  roles: readers,
  input: { path: idPath.extend({ documentId: caseDocumentIdSchema }) },
  handle: async ({ caller, path, context }) => {
    const stored = await caseFor(caller, path.id);
    // A document is printed with the child's full ID number and name: only for those who see them.
    if (idVisibility(caller) !== 'full')
      throw forbidden('DOCUMENT_NEEDS_FULL_ID', {
        zh: '案件文书载有学生完整的身份证号和姓名，只有学校、乡镇和教育局可以下载；运维账号只能查看脱敏信息。',
        en: "A case document carries the child's full ID number and name, so only schools, townships and bureaus may download it; an operations account sees masked data only.",
      });
    const link = await documentLink(stored.record, path.documentId, {
      caller,
      requestId: context.awsRequestId,
    });
    if (!link)
      throw notFound({
        zh: `案件 ${path.id} 的文书 ${path.documentId}`,
        en: `Document ${path.documentId} of case ${path.id}`,
      });
    return link;
  },
});

/** POST /cases/{id}/actions {expectedVersion, action} — one command, optimistic-locked. */
export const actionHandler = httpHandler({
  observability,
  roles: workers,
  input: { path: idPath, body: caseCommandSchema },
  handle: async ({ caller, path, body }) => {
    const ctx = flowContextFromEnv();
    const stored = await caseFor(caller, path.id);
    const record = await runCommand(
      stored,
      body.expectedVersion,
      body.action,
      { actor: { role: caller.role, org: caller.org }, by: caller.sub },
      ctx,
    );
    // The command is saved: a failed request for its document must not turn it into an error (the
    // person would repeat it and be told it is stale); the daily catch-up asks again.
    await requestDocuments(stored.record, record).catch((error: unknown) =>
      observability.logger.error('could not request the documents of a command', {
        caseId: record.caseId,
        version: record.version,
        error: error as Error,
      }),
    );
    return viewCase(record, {
      full: idVisibility(caller) === 'full',
      rules: ctx.rules,
      today: ctx.today(),
      calendar: ctx.calendar,
    });
  },
});
