import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { OUTCOME_NAMES_ZH, outcomeCodeSchema } from '../../../shared/events/vocab';
import { idNumber, rowOf, SCHOOL_A, SETTINGS } from '../../../test/fixtures/roster-rows';
import { createComparison } from './classify';
import {
  CSV_COLUMNS,
  outcomeSheetName,
  writeResultsCsv,
  writeResultsJsonl,
  writeResultsXlsx,
} from './export';

const good = idNumber('2016-03-12', 11);
const absent = idNumber('2015-01-20', 12);
const missing = idNumber('2014-07-07', 13);

function outcome() {
  const comparison = createComparison(SETTINGS);
  const rows = [
    rowOf('household', good, { name: '=HYPERLINK("http://x","点我")' }, { uploadId: 'hh.csv', line: 2 }),
    rowOf(
      'enrollment',
      good,
      { name: '=HYPERLINK("http://x","点我")', ...SCHOOL_A, boarding: true },
      { uploadId: 'xj.xlsx', line: 5 },
    ),
    rowOf(
      'headcount',
      good,
      { name: '=HYPERLINK("http://x","点我")', ...SCHOOL_A, present: true },
      { uploadId: 'zx.csv', line: 9 },
    ),
    rowOf('household', absent, { name: '李四' }, { uploadId: 'hh.csv', line: 3 }),
    rowOf(
      'enrollment',
      absent,
      { name: '李四', ...SCHOOL_A, grade: '四年级', className: '2班' },
      { uploadId: 'xj.xlsx', line: 6 },
    ),
    rowOf(
      'headcount',
      absent,
      { name: '李四', ...SCHOOL_A, present: false },
      { uploadId: 'zx.csv', line: 10 },
    ),
    rowOf('household', missing, { name: '王五' }, { uploadId: 'hh.csv', line: 4 }),
    rowOf('poverty', missing, { name: '王五', category: 'UNSTABLE' }, { uploadId: 'p.csv', line: 2 }),
  ];
  for (const row of rows) comparison.add(row);
  return comparison.finish();
}

async function collect(write: (stream: PassThrough) => Promise<void>): Promise<Buffer> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await write(stream);
  return Buffer.concat(chunks);
}

/** Splits CSV text into rows of fields (quotes and doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

describe('CSV export', () => {
  it('writes UTF-8 with a BOM, one row per child, the documented columns and neutralised cells', async () => {
    const { results } = outcome();
    const bytes = await collect((s) => writeResultsCsv(results, s));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(bytes.toString('utf8').slice(1));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(4);
    const byId = new Map(
      rows.slice(1).map((r) => [r[0], Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]]))]),
    );
    expect(byId.get(good)).toMatchObject({
      name: `'=HYPERLINK("http://x","点我")`,
      outcome: 'CONSISTENT',
      flags: 'boarding',
      school: '5301240001',
      evidence: 'household:hh.csv#2;enrollment:xj.xlsx#5;headcount:zx.csv#9',
      school_name: '富民县第一小学',
      presence_checked: 'yes',
    });
    expect(byId.get(absent)).toMatchObject({
      outcome: 'ENROLLED_ABSENT',
      grade: '四年级',
      class: '2班',
      outcome_zh: OUTCOME_NAMES_ZH.ENROLLED_ABSENT,
      reasons_zh: '学籍在富民县第一小学，在校清点名单标为未到校',
    });
    expect(byId.get(missing)).toMatchObject({ outcome: 'NOT_ENROLLED', flags: 'priority', school: '' });
  });
});

describe('JSON Lines export', () => {
  it('writes every result as one JSON object per line', async () => {
    const { results } = outcome();
    const text = (await collect((s) => writeResultsJsonl(results, s))).toString('utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(JSON.parse(JSON.stringify(results)));
  });
});

describe('.xlsx export', () => {
  it('has a summary and one sheet per outcome, IDs as text, frozen header, printable page setup', async () => {
    const { results, counts, bySchool } = outcome();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kcbx-export-')), 'result.xlsx');
    await writeResultsXlsx(results, counts, file, { region: '530124', asOf: '2025-09-08', bySchool });

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    expect(workbook.worksheets.map((w) => w.name)).toEqual([
      '汇总 summary',
      ...outcomeCodeSchema.options.map(outcomeSheetName),
    ]);

    const summary = workbook.getWorksheet('汇总 summary')!;
    const summaryText = summary.getSheetValues().flat().map(String).join('|');
    expect(summaryText).toContain('比对一致|CONSISTENT|1');
    expect(summaryText).toContain('学籍在、学生不在（疑似辍学）|ENROLLED_ABSENT|1');
    expect(summaryText).toContain('5301240001|富民县第一小学');

    const absentSheet = workbook.getWorksheet(outcomeSheetName('ENROLLED_ABSENT'))!;
    expect(absentSheet.rowCount).toBe(2);
    const idCell = absentSheet.getCell('A2');
    expect(typeof idCell.value).toBe('string');
    expect(idCell.value).toBe(absent);
    expect(idCell.numFmt).toBe('@');
    expect(absentSheet.getCell('E2').value).toBe(OUTCOME_NAMES_ZH.ENROLLED_ABSENT);
    expect(absentSheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(absentSheet.pageSetup).toMatchObject({ orientation: 'landscape', fitToWidth: 1 });
    expect(absentSheet.getColumn(1).width).toBeGreaterThanOrEqual(20);

    const consistent = workbook.getWorksheet(outcomeSheetName('CONSISTENT'))!;
    expect(consistent.getCell('B2').value).toBe(`'=HYPERLINK("http://x","点我")`);
    expect(consistent.getCell('B2').formula).toBeUndefined();
    expect(consistent.getCell('F2').value).toBe('住校');

    // An outcome nobody has still gets its sheet, with the header only.
    expect(workbook.getWorksheet(outcomeSheetName('DEFERRED'))!.rowCount).toBe(1);
  });
});
