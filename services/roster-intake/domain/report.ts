/**
 * 校验报告 — what the uploader gets back: the counts, and every rejected row and remark with its line,
 * column and reason in Chinese and English, as CSV or as an Excel workbook.
 *
 * Every cell of every export goes through {@link neutraliseFormula}: a roster is user input, and a
 * name like '=HYPERLINK(…)' must not run as a formula on the desk of whoever opens the report.
 */
import ExcelJS from 'exceljs';
import { ROSTER_KIND_NAMES_ZH, type RosterKind } from '../../../shared/roster-kind';
import { neutraliseFormula } from '../../../shared/spreadsheet-export';
import type { SkippedRows, ValidationSummary } from './validate';
import {
  type IssueSeverity,
  ROW_ISSUE_CODE_NAMES_ZH,
  ROW_ISSUE_CODES,
  type RowIssue,
  type RowIssueCode,
  SEVERITY_NAMES_ZH,
} from './validate-issues';

/** 报告摘要 — the numbers of one validated file. */
export interface ReportSummary {
  kind: RosterKind;
  /** Data rows: accepted + rejected + duplicates. */
  rows: number;
  accepted: number;
  rejected: number;
  /** Warning issues (a row may have several). */
  warnings: number;
  /** Rows dropped as repeats of an earlier row. */
  duplicates: number;
  /** Rows that were not data: blank, totals, footers, title rows, repeated headers. */
  skipped: number;
  skippedByReason: SkippedRows;
  /**
   * Issues by code (a RowIssueCode), counting also those beyond the cap; keys in the order of
   * ROW_ISSUE_CODES, codes that did not occur left out. Chinese names: ROW_ISSUE_CODE_NAMES_ZH.
   */
  byCode: Record<string, number>;
  /** Issues counted but not listed (beyond the cap). */
  issuesOmitted: number;
  headerLine?: number;
  fileError?: { code: string; zh: string; en: string };
}

/** The counts of a validation, for the upload record, the event and the report. */
export function summariseReport(summary: ValidationSummary): ReportSummary {
  const byCode: Record<string, number> = {};
  for (const code of ROW_ISSUE_CODES) {
    const count = summary.issueCounts[code] ?? 0;
    if (count > 0) byCode[code] = count;
  }
  const s = summary.skipped;
  const report: ReportSummary = {
    kind: summary.kind,
    rows: summary.rows,
    accepted: summary.accepted,
    rejected: summary.rejected,
    warnings: summary.warnings,
    duplicates: summary.duplicates,
    skipped: s.beforeHeader + s.blank + s.total + s.footer + s.repeatedHeader,
    skippedByReason: { ...s },
    byCode,
    issuesOmitted: summary.issuesOmitted,
  };
  if (summary.header) report.headerLine = summary.header.line;
  if (summary.fileError) {
    const { code, zh, en } = summary.fileError;
    report.fileError = { code, zh, en };
  }
  return report;
}

const CSV_HEADER = [
  '行号/line',
  '列/column',
  '级别/severity',
  '代码/code',
  '原因/reason (zh)',
  'reason (en)',
];
const BOM = '\uFEFF';

function csvField(value: string): string {
  const safe = neutraliseFormula(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function severityLabel(severity: IssueSeverity): string {
  return `${SEVERITY_NAMES_ZH[severity]}/${severity}`;
}

/**
 * The issues as CSV: UTF-8 with a byte-order mark (without it Excel on Windows reads the file as GBK
 * and garbles the Chinese), CRLF line ends, RFC 4180 quoting, formulas neutralised.
 */
export function reportToCsv(issues: readonly RowIssue[]): string {
  const lines = [CSV_HEADER.map(csvField).join(',')];
  for (const issue of issues) {
    lines.push(
      [String(issue.line), issue.column, severityLabel(issue.severity), issue.code, issue.zh, issue.en]
        .map(csvField)
        .join(','),
    );
  }
  return `${BOM}${lines.join('\r\n')}\r\n`;
}

const SUMMARY_ROWS: { zh: string; en: string; value: (r: ReportSummary) => number }[] = [
  { zh: '数据行数', en: 'Data rows', value: (r) => r.rows },
  { zh: '已接收', en: 'Accepted', value: (r) => r.accepted },
  { zh: '已拒绝', en: 'Rejected', value: (r) => r.rejected },
  { zh: '重复（未导入）', en: 'Duplicates (not imported)', value: (r) => r.duplicates },
  { zh: '警告', en: 'Warnings', value: (r) => r.warnings },
  { zh: '跳过的非数据行', en: 'Skipped non-data rows', value: (r) => r.skipped },
  { zh: '未列出的问题', en: 'Issues not listed', value: (r) => r.issuesOmitted },
];

/**
 * The report as an Excel workbook: a summary sheet (counts, issues by code, the file error if any)
 * and an issues sheet with a frozen header row. Every text is written as a string value — exceljs
 * writes a string as a (shared) string cell and only an object `{ formula }` as a formula, so a cell
 * reading '=1+1' stays text; the columns are also formatted as text ('@') so that editing them in
 * Excel does not turn them into numbers or formulas.
 */
export async function reportToXlsx(issues: readonly RowIssue[], summary: ValidationSummary): Promise<Buffer> {
  const report = summariseReport(summary);
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'kcbx';

  const summarySheet = workbook.addWorksheet('汇总 Summary', { views: [{ state: 'frozen', ySplit: 1 }] });
  summarySheet.columns = [
    { header: '项目', key: 'zh', width: 28, style: { numFmt: '@' } },
    { header: 'Item', key: 'en', width: 32, style: { numFmt: '@' } },
    { header: '数量/Count', key: 'value', width: 14 },
  ];
  summarySheet.addRow({
    zh: '名单类型',
    en: 'Roster kind',
    value: `${ROSTER_KIND_NAMES_ZH[report.kind]}/${report.kind}`,
  });
  for (const row of SUMMARY_ROWS) summarySheet.addRow({ zh: row.zh, en: row.en, value: row.value(report) });
  for (const [code, count] of Object.entries(report.byCode)) {
    summarySheet.addRow({
      zh: ROW_ISSUE_CODE_NAMES_ZH[code as RowIssueCode] ?? code,
      en: code,
      value: count,
    });
  }
  if (report.fileError) {
    summarySheet.addRow({ zh: report.fileError.zh, en: report.fileError.en, value: report.fileError.code });
  }
  summarySheet.getRow(1).font = { bold: true };

  const issueSheet = workbook.addWorksheet('问题 Issues', { views: [{ state: 'frozen', ySplit: 1 }] });
  issueSheet.columns = [
    { header: CSV_HEADER[0], key: 'line', width: 10 },
    { header: CSV_HEADER[1], key: 'column', width: 18, style: { numFmt: '@' } },
    { header: CSV_HEADER[2], key: 'severity', width: 14, style: { numFmt: '@' } },
    { header: CSV_HEADER[3], key: 'code', width: 24, style: { numFmt: '@' } },
    { header: CSV_HEADER[4], key: 'zh', width: 70, style: { numFmt: '@', alignment: { wrapText: true } } },
    { header: CSV_HEADER[5], key: 'en', width: 70, style: { numFmt: '@', alignment: { wrapText: true } } },
  ];
  for (const issue of issues) {
    issueSheet.addRow({
      line: issue.line,
      column: issue.column,
      severity: severityLabel(issue.severity),
      code: issue.code,
      zh: issue.zh,
      en: issue.en,
    });
  }
  issueSheet.getRow(1).font = { bold: true };
  issueSheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: CSV_HEADER.length } };

  return Buffer.from(await workbook.xlsx.writeBuffer());
}
