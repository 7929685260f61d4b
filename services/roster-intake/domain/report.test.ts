import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { neutraliseFormula } from '../../../shared/spreadsheet-export';
import { reportToCsv, reportToXlsx, summariseReport } from './report';
import { createRosterValidator, type ValidationSummary } from './validate';
import { makeId, num, sheet } from './validate-test-rows';

const BOY = makeId('20150312', '123');
const GIRL = makeId('20160301', '202');

/** A household roster with one of each: accepted, warned, rejected, duplicate, a formula-like name, a total row. */
function validated(): ValidationSummary {
  const validator = createRosterValidator('household', { today: '2025-09-15' });
  const rows = sheet([
    ['富民县户籍儿童名单'],
    ['序号', '身份证号', '姓名', '性别'],
    ['1', BOY, '张三', '男'],
    ['2', GIRL, '=HYPERLINK("http://evil","李红")', '男'],
    ['3', num(Number(BOY), '530124201503121000'), '王五', ''],
    ['4', BOY, '张三', ''],
    [],
    ['合计', '', '', ''],
  ]);
  for (const row of rows) validator.push(row);
  return validator.finish();
}

describe('summariseReport', () => {
  it('counts rows, accepted, rejected, warnings, duplicates, skipped rows and issues per code', () => {
    const report = summariseReport(validated());
    expect(report).toMatchObject({
      kind: 'household',
      rows: 4,
      accepted: 2,
      rejected: 1,
      duplicates: 1,
      warnings: 3,
      skipped: 3,
      skippedByReason: { beforeHeader: 1, blank: 1, total: 1 },
      headerLine: 2,
      issuesOmitted: 0,
    });
    expect(report.byCode).toEqual({
      ID_STORED_AS_NUMBER: 1,
      SEX_MISMATCH: 1,
      DUPLICATE_IN_FILE: 1,
      FORMULA_LIKE: 1,
    });
    expect(Object.keys(report.byCode)).toEqual([
      'ID_STORED_AS_NUMBER',
      'SEX_MISMATCH',
      'DUPLICATE_IN_FILE',
      'FORMULA_LIKE',
    ]);
  });

  it('carries the file-level error of a file without a header', () => {
    const validator = createRosterValidator('poverty', { today: '2025-09-15' });
    validator.push({ line: 1, cells: [{ kind: 'text', text: '姓名' }] });
    expect(summariseReport(validator.finish()).fileError?.code).toBe('HEADER_NOT_FOUND');
  });
});

describe('neutraliseFormula', () => {
  it('prefixes an apostrophe to text starting with = + - @, a tab or a carriage return', () => {
    expect(['=1+1', '+1', '-1', '@A1', '\t=1', '\r=1'].map(neutraliseFormula)).toEqual([
      "'=1+1",
      "'+1",
      "'-1",
      "'@A1",
      "'\t=1",
      "'\r=1",
    ]);
    expect(neutraliseFormula('张三')).toBe('张三');
    expect(neutraliseFormula('')).toBe('');
  });
});

describe('reportToCsv', () => {
  it('writes UTF-8 with a BOM, the bilingual header, one line per issue and CRLF line ends', () => {
    const summary = validated();
    const csv = reportToCsv(summary.issues);
    expect(
      csv.startsWith('\uFEFF行号/line,列/column,级别/severity,代码/code,原因/reason (zh),reason (en)\r\n'),
    ).toBe(true);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + summary.issues.length);
    expect(lines[1]).toMatch(/^4,性别,警告\/warning,SEX_MISMATCH,/);
    expect(csv).not.toMatch(/\d{15}/);
  });

  it('quotes fields with commas, quotes or line breaks, and neutralises formula-like text', () => {
    const csv = reportToCsv([
      {
        line: 7,
        column: '=姓名',
        field: 'name',
        code: 'FORMULA_LIKE',
        severity: 'warning',
        zh: '含,逗号',
        en: 'a "quoted"\nword',
      },
    ]);
    expect(csv.split('\r\n')[1]).toBe(`7,'=姓名,警告/warning,FORMULA_LIKE,"含,逗号","a ""quoted""\nword"`);
  });
});

describe('reportToXlsx', () => {
  it('writes a summary sheet and an issues sheet with a frozen header, widths and text cells', async () => {
    const summary = validated();
    const issues = [
      ...summary.issues,
      {
        line: 9,
        column: '=HYPERLINK("http://evil","x")',
        field: 'extra',
        code: 'FORMULA_LIKE' as const,
        severity: 'warning' as const,
        zh: '=1+1',
        en: '@SUM(A1)',
      },
    ];
    const buffer = await reportToXlsx(issues, summary);

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['汇总 Summary', '问题 Issues']);

    const sheet = workbook.getWorksheet('问题 Issues')!;
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.getRow(1).values).toEqual([
      undefined,
      '行号/line',
      '列/column',
      '级别/severity',
      '代码/code',
      '原因/reason (zh)',
      'reason (en)',
    ]);
    expect(sheet.getColumn(5).width).toBe(70);
    expect(sheet.rowCount).toBe(1 + issues.length);

    const last = sheet.getRow(sheet.rowCount);
    expect(last.getCell(1).value).toBe(9);
    for (const col of [2, 5, 6]) {
      const cell = last.getCell(col);
      expect(cell.type).toBe(ExcelJS.ValueType.String);
      expect(cell.formula).toBeUndefined();
    }
    expect(last.getCell(2).value).toBe('=HYPERLINK("http://evil","x")');
    expect(last.getCell(2).numFmt).toBe('@');

    const summarySheet = workbook.getWorksheet('汇总 Summary')!;
    const counts = new Map<string, unknown>();
    summarySheet.eachRow((row) => counts.set(String(row.getCell(2).value), row.getCell(3).value));
    expect(counts.get('Accepted')).toBe(2);
    expect(counts.get('Rejected')).toBe(1);
    expect(counts.get('ID_STORED_AS_NUMBER')).toBe(1);
  });

  it('stores no formula anywhere in the workbook XML', async () => {
    const summary = validated();
    const buffer = await reportToXlsx(
      [
        {
          line: 2,
          column: '=1+1',
          field: 'name',
          code: 'FORMULA_LIKE',
          severity: 'warning',
          zh: '=2+2',
          en: '+3',
        },
      ],
      summary,
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
    let formulas = 0;
    for (const sheet of workbook.worksheets) {
      sheet.eachRow((row) =>
        row.eachCell((cell) => {
          if (cell.type === ExcelJS.ValueType.Formula) formulas++;
        }),
      );
    }
    expect(formulas).toBe(0);
  });
});
