import { z } from 'zod';
import { coversRegion, idVisibility, scopeFilterFor } from '../../../shared/authz';
import { recordAccess } from '../../../shared/aws/audit';
import { putReport, reportDownloadUrl } from '../../../shared/aws/reports';
import { localDateSchema } from '../../../shared/events/envelope';
import type { Caller } from '../../../shared/org';
import { reportingLevelSchema } from '../../../shared/region-settings';
import { badRequest, notFound } from '../../../shared/runtime/errors';
import { httpHandler } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { xlsxBuffer } from '../../../shared/spreadsheet-export';
import { flowContextFromEnv } from '../adapters/case-flow';
import { listCasesFor } from '../adapters/cases-repo';
import { enrolledPupils, latestAgeCohort } from '../adapters/reporting-inputs';
import { listSnapshots, readSnapshot } from '../adapters/snapshots-repo';
import { writeCaseLedgerWorkbook } from '../domain/ledger-workbook';
import { buildLedgers, ledgerKindSchema, verifySnapshot } from '../domain/ledgers';
import { computeStats } from '../domain/stats';
import { statsInputs } from '../domain/stats-inputs';
import { parseStatsPeriod } from '../domain/stats-period';

const observability = createObservability('cases');
const readers = ['school', 'township', 'county'] as const;

/** The rows of the deployment's `region` that `caller` may see: its school's, its township's, or all of them. */
function inScope<T extends { school?: string; township?: string }>(
  caller: Caller,
  region: string,
  rows: readonly T[],
): T[] {
  const scope = scopeFilterFor(caller);
  if (scope.kind === 'school') return rows.filter((r) => r.school === scope.school);
  if (scope.kind === 'township') return rows.filter((r) => r.township === scope.township);
  return coversRegion(caller, region) ? [...rows] : [];
}

/** GET /ledgers?asOf=&kind= — the three Ministry ledgers as of a date (default today), in the caller's scope. */
export const ledgersHandler = httpHandler({
  observability,
  roles: readers,
  input: {
    query: z.object({ asOf: localDateSchema.optional(), kind: ledgerKindSchema.optional() }),
  },
  handle: async ({ caller, query }) => {
    const ctx = flowContextFromEnv();
    const asOf = query.asOf ?? ctx.today();
    const records = await listCasesFor(caller, ctx.region);
    const children =
      query.kind && query.kind !== 'AGE_COHORT'
        ? []
        : inScope(caller, ctx.region, await latestAgeCohort(ctx.region));
    const ledgers = buildLedgers({ records, children, asOf });
    const full = idVisibility(caller) === 'full';
    const strip = <R extends { idNumber?: string; name?: string }>(rows: R[]) =>
      full ? rows : rows.map(({ idNumber: _i, name: _n, ...r }) => r);
    const pick = {
      AGE_COHORT: { ageCohort: strip(ledgers.ageCohort) },
      SUSPECTED: { suspected: strip(ledgers.suspected), cleared: strip(ledgers.cleared.suspected) },
      DROPOUT: { dropouts: strip(ledgers.dropouts), cleared: strip(ledgers.cleared.dropouts) },
    };
    if (query.kind) return { asOf, kind: query.kind, ...pick[query.kind] };
    return {
      asOf,
      ageCohort: strip(ledgers.ageCohort),
      suspected: strip(ledgers.suspected),
      dropouts: strip(ledgers.dropouts),
      cleared: { suspected: strip(ledgers.cleared.suspected), dropouts: strip(ledgers.cleared.dropouts) },
    };
  },
});

/** GET /ledgers/export?asOf= — a 5-minute link to the 台账 workbook of the caller's cases. */
export const ledgerExportHandler = httpHandler({
  observability,
  roles: readers,
  input: { query: z.object({ asOf: localDateSchema.optional() }) },
  handle: async ({ caller, query, context }) => {
    const ctx = flowContextFromEnv();
    const asOf = query.asOf ?? ctx.today();
    const records = await listCasesFor(caller, ctx.region);
    const children = inScope(caller, ctx.region, await latestAgeCohort(ctx.region));
    const key = `reports/ledgers/${ctx.region}/${caller.org}/${asOf}-${context.awsRequestId}.xlsx`;
    const workbook = await xlsxBuffer((out) =>
      writeCaseLedgerWorkbook(records, { idVisibility: idVisibility(caller), asOf, children }, out),
    );
    await putReport(key, workbook, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    await recordAccess({
      recordId: `ledger:${caller.org}:${asOf}`,
      action: 'EXPORT',
      caller,
      requestId: context.awsRequestId,
      fullIds: idVisibility(caller) === 'full',
      children: records.length + children.length,
    });
    return {
      url: await reportDownloadUrl(key, `控辍保学台账-${caller.org}-${asOf}.xlsx`),
      expiresInSeconds: 300,
      cases: records.filter((r) => r.openedOn <= asOf).length,
    };
  },
});

/** GET /ledgers/snapshots?level=&periodEnd= — the frozen snapshots (counts, hash) and, for one, its rows. */
export const snapshotsHandler = httpHandler({
  observability,
  roles: readers,
  input: {
    query: z.object({ level: reportingLevelSchema.optional(), periodEnd: localDateSchema.optional() }),
  },
  handle: async ({ caller, query }) => {
    const ctx = flowContextFromEnv();
    const scope = scopeFilterFor(caller);
    const entries = (await listSnapshots(ctx.region))
      .filter((e) => !query.level || e.level === query.level)
      .filter((e) => !query.periodEnd || e.periodEnd === query.periodEnd)
      // A school sees its own school-level snapshots and a bureau covering the region every snapshot.
      // Snapshots are frozen per school and per region, and a school's or the region's rows are not a
      // township's to read: a township reads its ledgers as of any date through GET /ledgers instead.
      .filter((e) =>
        scope.kind === 'school'
          ? e.level === 'school' && e.org === scope.school
          : scope.kind === 'region' && coversRegion(caller, ctx.region),
      );
    if (!(query.level && query.periodEnd && entries.length === 1)) return { snapshots: entries };
    const snapshot = await readSnapshot(entries[0]!);
    if (!snapshot) throw notFound({ zh: '快照内容', en: 'The snapshot content' });
    return { ...entries[0], verified: verifySnapshot(snapshot), snapshot };
  },
});

/** GET /stats?period= — open cases, overdue items, returned/retained, 送教上门, school-year table, rates. */
export const statsHandler = httpHandler({
  observability,
  roles: readers,
  input: { query: z.object({ period: z.string().max(40).optional(), region: z.string().optional() }) },
  handle: async ({ caller, query }) => {
    const ctx = flowContextFromEnv();
    if (query.region && query.region !== ctx.region)
      throw badRequest('REGION_NOT_SERVED', {
        zh: `本系统部署服务于 ${ctx.region}，不含地区 ${query.region} 的数据。`,
        en: `This deployment serves region ${ctx.region}; it has no data for ${query.region}.`,
      });
    const parsed = parseStatsPeriod(query.period ?? ctx.today().slice(0, 7));
    if (!parsed.ok) throw badRequest('INVALID_PERIOD', parsed.error);
    const period = parsed.period;
    const records = await listCasesFor(caller, ctx.region);
    const scope = scopeFilterFor(caller);
    const pupils = async (term: string) => {
      const all = await enrolledPupils(term);
      if (scope.kind === 'school') return all.filter((p) => p.school === scope.school);
      // Rosters do not say which township a school belongs to: a township's rates come from its cases' schools.
      if (scope.kind === 'township') {
        const schools = new Set(records.map((r) => r.school));
        return all.filter((p) => schools.has(p.school));
      }
      return coversRegion(caller, ctx.region) ? all : [];
    };
    const asOf = period.to < ctx.today() ? period.to : ctx.today();
    const stats = computeStats({
      records,
      asOf,
      period: { from: period.from, to: period.to },
      ...(await statsInputs(period, pupils, caller.org)),
    });
    return { ...stats, periodLabel: period.label };
  },
});
