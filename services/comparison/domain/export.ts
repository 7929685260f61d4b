/**
 * 比对结果导出 — the comparison's results as CSV (UTF-8 with BOM, opens in Excel), JSON Lines (for scripts)
 * and a printable .xlsx workbook (a summary sheet and one sheet per outcome).
 *
 * Every text cell goes through neutraliseFormula: names and school names come from uploaded rosters, and a
 * cell like '=HYPERLINK(…)' must not run as a formula where the file is opened. The writers stream: the
 * .xlsx is written row by row with exceljs' streaming writer, so a million rows do not sit in memory twice.
 */
import type { Writable } from 'node:stream';
import { OUTCOME_NAMES_ZH, type OutcomeCode, outcomeCodeSchema } from '../../../shared/events/vocab';
import { SEX_NAMES_ZH } from '../../../shared/rosters/records';
import {
  CSV_BOM,
  csvRow,
  neutraliseFormula,
  PRINT,
  sheetNamer,
  styleHeader,
  type TableColumn,
  writeAll,
  writeTable,
  xlsxWriter,
} from '../../../shared/spreadsheet-export';
import {
  CHILD_FLAG_NAMES_ZH,
  type ChildResult,
  type ComparisonCounts,
  type Evidence,
  type OutcomeCounts,
  type SchoolCounts,
} from './classify';

const OUTCOMES = outcomeCodeSchema.options;

/** 依据 — 'enrollment:xj.xlsx#5;headcount:zx.csv#9'. */
export function evidenceText(evidence: readonly Evidence[]): string {
  return evidence.map((e) => `${e.kind}:${e.uploadId}#${e.line}`).join(';');
}

// ── CSV ──────────────────────────────────────────────────────────────────────────────────────────────

export const CSV_COLUMNS = [
  'id',
  'name',
  'outcome',
  'flags',
  'school',
  'evidence',
  'school_name',
  'township',
  'grade',
  'class',
  'outcome_zh',
  'presence_checked',
  'reasons_zh',
] as const;

function csvLine(r: ChildResult): string {
  return csvRow([
    r.idNumber,
    r.name,
    r.outcome,
    r.flags.join(';'),
    r.school ?? '',
    evidenceText(r.evidence),
    r.schoolName ?? '',
    r.township ?? '',
    r.grade ?? '',
    r.className ?? '',
    OUTCOME_NAMES_ZH[r.outcome],
    r.presenceChecked ? 'yes' : 'no',
    r.reasons.map((x) => x.zh).join('；'),
  ]);
}

/**
 * One row per child: UTF-8 with a BOM (Excel reads it as UTF-8), CRLF line ends. The `id` column holds the
 * full 18-character ID: open the .xlsx export in Excel instead, which keeps IDs as text.
 */
export async function writeResultsCsv(results: Iterable<ChildResult>, stream: Writable): Promise<void> {
  await writeAll(
    stream,
    (function* () {
      yield CSV_BOM + csvRow(CSV_COLUMNS);
      for (const r of results) yield csvLine(r);
    })(),
  );
}

// ── JSON Lines ───────────────────────────────────────────────────────────────────────────────────────

/** One JSON object per line: every field of the result, as the API returns it. */
export async function writeResultsJsonl(results: Iterable<ChildResult>, stream: Writable): Promise<void> {
  await writeAll(
    stream,
    (function* () {
      for (const r of results) yield `${JSON.stringify(r)}\n`;
    })(),
  );
}

// ── .xlsx ────────────────────────────────────────────────────────────────────────────────────────────

const RESULT_COLUMNS: (TableColumn & { value: (r: ChildResult) => string })[] = [
  // Every cell is written as a string, so Excel keeps IDs as text; the ID column is formatted as text too.
  { header: '身份证号 ID', width: 21, text: true, value: (r) => r.idNumber },
  { header: '姓名 name', width: 10, value: (r) => r.name },
  { header: '性别 sex', width: 7, value: (r) => (r.sex ? SEX_NAMES_ZH[r.sex] : '') },
  { header: '出生日期 born', width: 12, value: (r) => r.birthDate },
  { header: '比对结果 outcome', width: 24, value: (r) => OUTCOME_NAMES_ZH[r.outcome] },
  { header: '标记 flags', width: 18, value: (r) => r.flags.map((f) => CHILD_FLAG_NAMES_ZH[f]).join('、') },
  { header: '学校标识码 school', width: 13, value: (r) => r.school ?? '' },
  { header: '学校名称 school name', width: 24, value: (r) => r.schoolName ?? '' },
  { header: '乡镇 township', width: 11, value: (r) => r.township ?? '' },
  { header: '年级 grade', width: 9, value: (r) => r.grade ?? '' },
  { header: '班级 class', width: 9, value: (r) => r.className ?? '' },
  { header: '在校核对 checked', width: 10, value: (r) => (r.presenceChecked ? '已核对' : '未核对') },
  { header: '原因 reasons', width: 60, value: (r) => r.reasons.map((x) => x.zh).join('；') },
  { header: '依据 evidence', width: 40, value: (r) => evidenceText(r.evidence) },
];

const SUMMARY_SHEET = '汇总 summary';

/** Per-school counts in the results' order (the results are sorted by school). */
function countBySchool(results: Iterable<ChildResult>): SchoolCounts[] {
  const bySchool = new Map<string, SchoolCounts>();
  for (const r of results) {
    const key = r.school ?? r.schoolName ?? '';
    let entry = bySchool.get(key);
    if (!entry) {
      entry = {
        school: key,
        schoolName: r.schoolName,
        counts: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as OutcomeCounts,
      };
      bySchool.set(key, entry);
    }
    entry.counts[r.outcome]++;
  }
  return [...bySchool.values()];
}

export interface XlsxExportOptions {
  /** Printed in the summary's title. */
  region?: string;
  asOf?: string;
  /** Per-school counts (from the comparison); counted from the results when left out. */
  bySchool?: readonly SchoolCounts[];
}

/**
 * The printable workbook: 汇总 (counts per outcome and per school), then one sheet per outcome with a
 * frozen header, filters, column widths, IDs as text, landscape A4 fitted to the page width.
 */
export async function writeResultsXlsx(
  results: readonly ChildResult[],
  counts: ComparisonCounts,
  file: string | Writable,
  options: XlsxExportOptions = {},
): Promise<void> {
  const workbook = xlsxWriter(file);
  const namer = sheetNamer();
  const text = (value: string) => neutraliseFormula(value);

  // 汇总 summary
  const summary = workbook.addWorksheet(namer(SUMMARY_SHEET), {
    pageSetup: { ...PRINT, printTitlesRow: undefined },
    views: [{ state: 'frozen', ySplit: 0, xSplit: 0 }],
  });
  summary.columns = [{ width: 30 }, { width: 26 }, ...OUTCOMES.map(() => ({ width: 14 })), { width: 10 }];
  const title = [
    '四查三比对结果 comparison results',
    options.region && `地区 region ${options.region}`,
    options.asOf && `比对日 as of ${options.asOf}`,
  ]
    .filter(Boolean)
    .join('    ');
  summary.addRow([text(title)]).font = { bold: true, size: 14 };
  summary.addRow([]);
  styleHeader(summary.addRow(['比对结果 outcome', '代码 code', '人数 children']), 30);
  let classified = 0;
  for (const o of OUTCOMES) {
    summary.addRow([OUTCOME_NAMES_ZH[o], o, counts[o]]);
    classified += counts[o];
  }
  summary.addRow(['合计 classified', '', classified]).font = { bold: true };
  summary.addRow(['不在适龄范围 out of the age window', 'outOfWindow', counts.outOfWindow]);
  summary.addRow([
    '比对一致但未核对在校 consistent, presence unchecked',
    'presenceUnchecked',
    counts.presenceUnchecked,
  ]);
  summary.addRow([]);
  styleHeader(
    summary.addRow([
      '学校标识码 school',
      '学校名称 school name',
      ...OUTCOMES.map((o) => OUTCOME_NAMES_ZH[o]),
      '合计 total',
    ]),
    30,
  );
  for (const s of options.bySchool ?? countBySchool(results)) {
    const row = summary.addRow([
      text(s.school === '' ? '（无学校）' : s.school),
      text(s.schoolName ?? ''),
      ...OUTCOMES.map((o) => s.counts[o]),
      OUTCOMES.reduce((n, o) => n + s.counts[o], 0),
    ]);
    row.getCell(1).numFmt = '@';
  }
  summary.commit();

  // One sheet per outcome (more when an outcome has more rows than a sheet holds).
  for (const outcome of OUTCOMES) {
    await writeTable(
      workbook,
      { name: OUTCOME_NAMES_ZH[outcome], namer, columns: RESULT_COLUMNS, pageSetup: PRINT },
      (function* () {
        for (const r of results) if (r.outcome === outcome) yield RESULT_COLUMNS.map((c) => c.value(r));
      })(),
    );
  }
  await workbook.commit();
}

/** The outcome's sheet name in the workbook (for readers and tests). */
export function outcomeSheetName(outcome: OutcomeCode): string {
  return sheetNamer([SUMMARY_SHEET])(OUTCOME_NAMES_ZH[outcome]);
}
