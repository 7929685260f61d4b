/**
 * 比对结果导出 — the comparison's results as CSV (UTF-8 with BOM, opens in Excel), JSON Lines (for scripts)
 * and a printable .xlsx workbook (a summary sheet and one sheet per outcome).
 *
 * Every text cell goes through neutraliseFormula: names and school names come from uploaded rosters, and a
 * cell like '=HYPERLINK(…)' must not run as a formula where the file is opened. The writers stream: the
 * .xlsx is written row by row with exceljs' streaming writer, so a million rows do not sit in memory twice.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { OUTCOME_NAMES_ZH, type OutcomeCode, outcomeCodeSchema } from '../../../shared/events/vocab';
import { SEX_NAMES_ZH } from '../../../shared/rosters/records';
import { neutraliseFormula } from '../../roster-intake/domain/report';
import {
  CHILD_FLAG_NAMES_ZH,
  type ChildResult,
  type ComparisonCounts,
  type Evidence,
  type OutcomeCounts,
  type SchoolCounts,
} from './classify';

const OUTCOMES = outcomeCodeSchema.options;
const BOM = '\uFEFF';
const CHUNK_CHARS = 64 * 1024;

/** 依据 — 'enrollment:xj.xlsx#5;headcount:zx.csv#9'. */
export function evidenceText(evidence: readonly Evidence[]): string {
  return evidence.map((e) => `${e.kind}:${e.uploadId}#${e.line}`).join(';');
}

/** Writes text pieces with back-pressure, then ends the stream and waits until it has flushed. */
async function writeAll(stream: Writable, pieces: Iterable<string>): Promise<void> {
  let buffer = '';
  for (const piece of pieces) {
    buffer += piece;
    if (buffer.length >= CHUNK_CHARS) {
      const ok = stream.write(buffer);
      buffer = '';
      if (!ok) await once(stream, 'drain');
    }
  }
  if (buffer) stream.write(buffer);
  stream.end();
  await finished(stream);
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

function csvCell(value: string): string {
  const safe = neutraliseFormula(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvLine(r: ChildResult): string {
  return `${[
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
  ]
    .map(csvCell)
    .join(',')}\r\n`;
}

/**
 * One row per child: UTF-8 with a BOM (Excel reads it as UTF-8), CRLF line ends. The `id` column holds the
 * full 18-character ID: open the .xlsx export in Excel instead, which keeps IDs as text.
 */
export async function writeResultsCsv(results: Iterable<ChildResult>, stream: Writable): Promise<void> {
  await writeAll(
    stream,
    (function* () {
      yield `${BOM}${CSV_COLUMNS.join(',')}\r\n`;
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

/** Excel holds 1,048,576 rows a sheet; an outcome with more continues on a sheet named '… (2)'. */
const ROWS_PER_SHEET = 1_000_000;
/** Rows written between checks that the zip writer keeps up (exceljs' stream has no back-pressure). */
const ROWS_PER_PAUSE = 1_000;

const RESULT_COLUMNS: { header: string; width: number; value: (r: ChildResult) => string }[] = [
  { header: '身份证号 ID', width: 21, value: (r) => r.idNumber },
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

/**
 * Every cell is written as a string, so Excel keeps IDs as text; the ID column is also formatted as text so
 * that an ID typed in later stays one.
 */
const TEXT_STYLE: Partial<ExcelJS.Style> = Object.freeze({ numFmt: '@' });
const PLAIN_STYLE: Partial<ExcelJS.Style> = Object.freeze({});
const CELL_STYLES = RESULT_COLUMNS.map((_, i) => (i === 0 ? TEXT_STYLE : PLAIN_STYLE));

const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
const PRINT: Partial<ExcelJS.PageSetup> = {
  orientation: 'landscape',
  paperSize: 9, // A4
  fitToPage: true,
  fitToWidth: 1,
  fitToHeight: 0,
  printTitlesRow: '1:1',
  margins: { left: 0.4, right: 0.4, top: 0.5, bottom: 0.5, header: 0.3, footer: 0.3 },
};

/** Sheet names may not hold []:*?/\ and are at most 31 characters. */
function sheetName(name: string): string {
  return name.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31);
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** 64 KiB buffers a sheet may hold before the writer waits for the zip to take them. */
const MAX_PENDING_BUFFERS = 32;

/**
 * exceljs' sheet stream buffers whatever is written until the zip reads it, and tells no one: rows come
 * much faster than deflate takes them, so without waiting a million rows would sit in memory. Its buffer
 * list is not public API — if it is missing, the writer still works, only without this brake.
 */
async function letZipCatchUp(sheet: ExcelJS.Worksheet): Promise<void> {
  const stream = (sheet as unknown as { stream?: { buffers?: unknown[] } }).stream;
  while ((stream?.buffers?.length ?? 0) > MAX_PENDING_BUFFERS) await pause(2);
}

function styleHeader(row: ExcelJS.Row): void {
  row.font = { bold: true };
  row.alignment = { vertical: 'middle', wrapText: true };
  row.eachCell((cell) => {
    cell.fill = HEADER_FILL;
  });
  row.height = 30;
}

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
  file: string,
  options: XlsxExportOptions = {},
): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: file,
    useStyles: true,
    useSharedStrings: false, // shared strings would keep every text in memory until the end
  });
  workbook.creator = 'kcbx';
  const text = (value: string) => neutraliseFormula(value);

  // 汇总 summary
  const summary = workbook.addWorksheet('汇总 summary', {
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
  styleHeader(summary.addRow(['比对结果 outcome', '代码 code', '人数 children']));
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

  // One sheet per outcome, written one after another (a streaming zip holds one open entry at a time).
  for (const outcome of OUTCOMES) {
    let sheet: ExcelJS.Worksheet | undefined;
    let part = 0;
    let rowsInSheet = 0;
    const open = () => {
      part++;
      const name = sheetName(
        part === 1 ? OUTCOME_NAMES_ZH[outcome] : `${OUTCOME_NAMES_ZH[outcome]} (${part})`,
      );
      const ws = workbook.addWorksheet(name, {
        pageSetup: PRINT,
        views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }],
      });
      ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: RESULT_COLUMNS.length } };
      ws.columns = RESULT_COLUMNS.map((c, i) => ({ width: c.width, style: CELL_STYLES[i] }));
      styleHeader(ws.addRow(RESULT_COLUMNS.map((c) => c.header)));
      return ws;
    };
    const write = async (r: ChildResult) => {
      if (!sheet || rowsInSheet === ROWS_PER_SHEET) {
        sheet?.commit();
        sheet = open();
        rowsInSheet = 0;
      }
      const row = sheet.addRow(RESULT_COLUMNS.map((c) => text(c.value(r))));
      // One style object per column: exceljs caches a style by object, so this is a lookup, not a build.
      for (let c = 0; c < CELL_STYLES.length; c++) row.getCell(c + 1).style = CELL_STYLES[c]!;
      row.commit();
      if (++rowsInSheet % ROWS_PER_PAUSE === 0) await letZipCatchUp(sheet);
    };
    for (const r of results) if (r.outcome === outcome) await write(r);
    if (!sheet) sheet = open();
    sheet.commit();
  }
  await workbook.commit();
}

/** The outcome's sheet name in the workbook (for readers and tests). */
export function outcomeSheetName(outcome: OutcomeCode): string {
  return sheetName(OUTCOME_NAMES_ZH[outcome]);
}
