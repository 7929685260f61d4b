import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskIdNumber } from '../../../shared/id-number';
import { idNumber, rowOf, SCHOOL_A, SCHOOL_B } from '../../../test/fixtures/roster-rows';
import { determineSubsidies, type SubsidyRunResult } from './determine';
import { fenToYuan } from './money';
import {
  DECISION_COLUMNS,
  writeDecisionsCsv,
  writeDecisionsXlsx,
  writePaymentListXlsx,
} from './payment-list';
import { yunnanExample } from './policies/yunnan-example';

const kids = {
  boarder: idNumber('2016-03-12', 11),
  junior: idNumber('2012-05-01', 13),
  absent: idNumber('2015-07-07', 15),
  formula: idNumber('2014-01-01', 17),
};

let result: SubsidyRunResult;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kcbx-subsidy-'));
  const enrollment = (id: string, record: Record<string, unknown>, line: number) =>
    rowOf('enrollment', id, { name: '学生', ...SCHOOL_A, ...record }, { uploadId: '学籍.xlsx', line });
  result = determineSubsidies({
    policy: yunnanExample,
    semester: '2025-autumn',
    schools: new Map([
      [SCHOOL_A.schoolCode, { rural: true, township: '530124100' }],
      [SCHOOL_B.schoolCode, { rural: false, township: '530124101' }],
    ]),
    rows: [
      enrollment(kids.boarder, { name: '张小明', grade: '三年级', className: '2班', boarding: true }, 2),
      enrollment(kids.junior, { name: '李红', ...SCHOOL_B, grade: '初一', boarding: false }, 3),
      enrollment(kids.absent, { name: '王五', grade: '四年级', boarding: true }, 4),
      enrollment(kids.formula, { name: '=HYPERLINK("x")', grade: '五年级', boarding: false }, 5),
      rowOf(
        'assistance',
        kids.boarder,
        { name: '张小明', category: 'DIBAO' },
        { uploadId: '低保.csv', line: 7 },
      ),
      rowOf(
        'poverty',
        kids.junior,
        { name: '李红', category: 'UNSTABLE' },
        { uploadId: '脱贫户.csv', line: 2 },
      ),
      rowOf(
        'poverty',
        kids.absent,
        { name: '王五', category: 'MARGINAL' },
        { uploadId: '脱贫户.csv', line: 3 },
      ),
    ],
    comparison: new Map([[`c_${kids.absent}`, 'ENROLLED_ABSENT' as const]]),
  });
});

async function csvOf(ids: 'full' | 'masked' = 'full'): Promise<string[][]> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await writeDecisionsCsv(result, stream, { ids });
  const text = Buffer.concat(chunks).toString('utf8');
  expect(text.charCodeAt(0)).toBe(0xfeff);
  return text
    .slice(1)
    .trimEnd()
    .split('\r\n')
    .map((l) => l.split(','));
}

describe('decisions CSV', () => {
  it('has one row per child and benefit with id, benefit, status, amount_fen and reason', async () => {
    const rows = await csvOf();
    expect(rows[0]!.slice(0, 5)).toEqual(['id', 'benefit', 'status', 'amount_fen', 'reason']);
    expect(rows[0]).toEqual([...DECISION_COLUMNS]);
    expect(rows).toHaveLength(1 + 4 * yunnanExample.benefits.length);
    const col = (name: (typeof DECISION_COLUMNS)[number]) => DECISION_COLUMNS.indexOf(name);
    const boarding = rows.find((r) => r[0] === kids.boarder && r[1] === 'BOARDING_LIVING_ALLOWANCE')!;
    expect(boarding.slice(0, 5)).toEqual([
      kids.boarder,
      'BOARDING_LIVING_ALLOWANCE',
      'ELIGIBLE',
      '50000',
      'ELIGIBLE',
    ]);
    expect(boarding[col('amount_yuan')]).toBe('500.00');
    expect(boarding[col('categories')]).toBe('DIBAO');
    expect(boarding[col('evidence')]).toBe('assistance:低保.csv#7;enrollment:学籍.xlsx#2');
    expect(boarding[col('policy')]).toBe('yunnan-example.2025.1');
    const held = rows.find((r) => r[0] === kids.absent && r[1] === 'BOARDING_LIVING_ALLOWANCE')!;
    expect(held.slice(2, 5)).toEqual(['ON_HOLD', '0', 'COMPARISON_ENROLLED_ABSENT']);
    expect(held[col('held_fen')]).toBe('50000');
  });

  it('masks IDs when asked, and never lets a name run as a formula', async () => {
    const rows = await csvOf('masked');
    const ids = new Set(rows.slice(1).map((r) => r[0]));
    expect(ids).toEqual(new Set(Object.values(kids).map(maskIdNumber)));
    const formula = rows.find((r) => r[0] === maskIdNumber(kids.formula))!;
    expect(formula[DECISION_COLUMNS.indexOf('name')]).toMatch(/^"'=HYPERLINK/);
  });
});

describe('the payment list', () => {
  it('has a summary, a sheet per paying school with subtotals and signature lines, and the held children', async () => {
    const file = path.join(dir, '发放名单.xlsx');
    await writePaymentListXlsx(result, file);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    expect(workbook.worksheets.map((w) => w.name)).toEqual([
      '汇总 summary',
      SCHOOL_A.schoolName,
      SCHOOL_B.schoolName,
      '暂缓 held',
    ]);
    const values = (ws: ExcelJS.Worksheet) => {
      const out: unknown[][] = [];
      ws.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
      return out;
    };
    const a = values(workbook.getWorksheet(SCHOOL_A.schoolName)!);
    const text = JSON.stringify(a);
    expect(text).toContain('示例政策');
    expect(text).toContain('寄宿生生活补助');
    expect(text).toContain('经办人');
    expect(text).toContain('审核人');
    expect(text).toContain('负责人');
    const child = a.find((r) => r[2] === kids.boarder && r[6] === 500)!;
    expect(child.slice(0, 5)).toEqual([1, '张小明', kids.boarder, '三年级', '2班']);
    expect(workbook.getWorksheet(SCHOOL_A.schoolName)!.getCell(`C${a.indexOf(child) + 1}`).numFmt).toBe('@');
    // In-kind benefits are not on the list; the held child is only on the held sheet.
    expect(text).not.toContain('免学杂费');
    expect(text).not.toContain(kids.absent);
    const total = a.find((r) => r[1] === '合计')!;
    const schoolA = result.totals.bySchool.find((s) => s.school === SCHOOL_A.schoolCode)!;
    expect(total[6]).toBe(Number(fenToYuan(schoolA.amountFen)));
    const held = values(workbook.getWorksheet('暂缓 held')!);
    expect(held.slice(1).map((r) => r[2])).toEqual([kids.absent, kids.absent]); // boarding + meals
    expect(String(held[1]![5])).toContain('疑似辍学');
  });

  it('masks IDs where the role requires', async () => {
    const file = path.join(dir, '发放名单-脱敏.xlsx');
    await writePaymentListXlsx(result, file, { ids: 'masked' });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    let seen = 0;
    for (const ws of workbook.worksheets) {
      ws.eachRow((row) => {
        for (const v of row.values as unknown[]) {
          for (const id of Object.values(kids)) {
            expect(String(v)).not.toContain(id);
            if (String(v) === maskIdNumber(id)) seen++;
          }
        }
      });
    }
    expect(seen).toBeGreaterThan(0);
  });
});

describe('decisions workbook', () => {
  it('holds the totals and one row per child and benefit, IDs as text', async () => {
    const file = path.join(dir, 'decisions.xlsx');
    await writeDecisionsXlsx(result, file);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['汇总 summary', '决定 decisions']);
    const sheet = workbook.getWorksheet('决定 decisions')!;
    expect(sheet.rowCount).toBe(1 + result.decisions.length);
    expect(sheet.getRow(1).values).toEqual([undefined, ...DECISION_COLUMNS]);
    const ids = sheet.getColumn(1).values.slice(2);
    expect(new Set(ids)).toEqual(new Set(Object.values(kids)));
    expect(sheet.getCell('D2').value).toBe(result.decisions[0]!.amountFen);
  });
});
