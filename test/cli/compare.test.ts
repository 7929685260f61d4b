import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { outcomeSheetName } from '../../services/comparison/domain/export';
import { csvBuffer, xlsxBuffer } from '../../services/roster-intake/domain/test-fixtures';
import { maskIdNumber } from '../../shared/id-number';
import { idNumber } from '../fixtures/roster-rows';
import { runKcbx } from '../run-cli';

/** Children of 富民县 (530124) whose rosters tell six different stories. */
const kids = {
  consistent: { id: idNumber('2016-03-12', 11), name: '张小明' },
  absent: { id: idNumber('2015-01-20', 12), name: '李小红' },
  notEnrolled: { id: idNumber('2014-07-07', 13), name: '王五' },
  presentOnly: { id: idNumber('2017-05-05', 14), name: '赵六' },
  migrant: { id: idNumber('2013-11-30', 15, '510104'), name: '陈七' },
  mismatch: { id: idNumber('2012-02-29', 16), name: '刘芳' },
  tooOld: { id: idNumber('2005-04-04', 17), name: '周八' },
};
const allIds = Object.values(kids).map((k) => k.id);
const SCHOOL = ['5301240001', '富民县第一小学'];

let dir: string;
const file = (name: string) => path.join(dir, name);
const base = () => [
  'compare',
  '--region',
  '530124',
  '--as-of',
  '2025-09-08',
  '--household',
  file('户籍.csv'),
  '--enrollment',
  file('学籍.xlsx'),
  '--headcount',
  file('在校清点.csv'),
  '--poverty',
  file('脱贫户.csv'),
];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kcbx-compare-'));
  // 户籍 from 公安: GBK CSV with a title row, one row whose ID has a wrong check digit.
  const badId = `${kids.notEnrolled.id.slice(0, 17)}${kids.notEnrolled.id[17] === '0' ? '1' : '0'}`;
  writeFileSync(
    file('户籍.csv'),
    csvBuffer(
      [
        ['富民县2025年适龄儿童户籍名单'],
        ['序号', '姓名', '公民身份号码', '性别', '户籍地行政区划代码'],
        ['1', kids.consistent.name, kids.consistent.id, '男', '530124102'],
        ['2', kids.absent.name, kids.absent.id, '女', '530124102'],
        ['3', kids.notEnrolled.name, kids.notEnrolled.id, '男', '530124103'],
        ['4', kids.presentOnly.name, kids.presentOnly.id, '女', '530124103'],
        ['5', kids.mismatch.name, kids.mismatch.id, '女', '530124104'],
        ['6', kids.tooOld.name, kids.tooOld.id, '男', '530124104'],
        ['7', '错号', badId, '男', '530124104'],
      ],
      { encoding: 'gb18030' },
    ),
  );
  // 学籍 export: .xlsx, IDs as text.
  writeFileSync(
    file('学籍.xlsx'),
    await xlsxBuffer([
      {
        name: '学籍',
        rows: [
          ['姓名', '身份证号', '学校标识码', '学校名称', '年级', '班级', '就读方式'],
          [kids.consistent.name, kids.consistent.id, ...SCHOOL, '三年级', '1班', '住校'],
          [kids.absent.name, kids.absent.id, ...SCHOOL, '四年级', '2班', '走读'],
          [kids.migrant.name, kids.migrant.id, ...SCHOOL, '五年级', '1班', '走读'],
          ['刘 芬', kids.mismatch.id, ...SCHOOL, '六年级', '1班', '走读'],
        ],
      },
    ]),
  );
  // 在校清点 by the school: UTF-8 CSV.
  writeFileSync(
    file('在校清点.csv'),
    csvBuffer(
      [
        ['姓名', '身份证号', '学校标识码', '学校名称', '在校情况'],
        [kids.consistent.name, kids.consistent.id, ...SCHOOL, '在校'],
        [kids.absent.name, kids.absent.id, ...SCHOOL, '未到校'],
        [kids.presentOnly.name, kids.presentOnly.id, ...SCHOOL, '在校'],
        [kids.migrant.name, kids.migrant.id, ...SCHOOL, '在校'],
        [kids.mismatch.name, kids.mismatch.id, ...SCHOOL, '在校'],
      ],
      { encoding: 'utf-8' },
    ),
  );
  writeFileSync(
    file('脱贫户.csv'),
    csvBuffer(
      [
        ['姓名', '身份证号', '监测类型'],
        [kids.absent.name, kids.absent.id, '脱贫不稳定户'],
      ],
      { encoding: 'utf-8-bom' },
    ),
  );
  // A head count whose header names no ID column: refused as a whole.
  writeFileSync(
    file('坏清点.csv'),
    csvBuffer(
      [
        ['学生', '号码', '备注'],
        ['张三', '123', '在校'],
      ],
      { encoding: 'utf-8' },
    ),
  );
});

function expectNoFullIds(text: string) {
  for (const id of allIds) expect(text).not.toContain(id);
}

describe('kcbx compare', () => {
  it('classifies every child into a CSV and prints a summary with masked IDs only', () => {
    const out = file('result.csv');
    const { status, stdout, stderr } = runKcbx([...base(), '--out', out]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expectNoFullIds(stdout);
    expect(stdout).toContain('户籍 household');
    expect(stdout).toMatch(/户籍\.csv {2}\[CSV, gb18030\] {2}接收 accepted 6 {3}退回 rejected 1/);
    expect(stdout).toContain('学籍.xlsx  [XLSX');
    expect(stdout).toMatch(/比对一致 CONSISTENT\s+2/);
    expect(stdout).toMatch(/学籍在、学生不在（疑似辍学） ENROLLED_ABSENT\s+1/);
    expect(stdout).toMatch(/学籍、学生均不在校 NOT_ENROLLED\s+1/);
    expect(stdout).toMatch(/人籍分离 PRESENT_UNENROLLED\s+1/);
    expect(stdout).toMatch(/人籍不符 IDENTITY_MISMATCH\s+1/);
    expect(stdout).toMatch(/不在适龄范围 out of the age window\s+1/);
    expect(stdout).toMatch(/5301240001 富民县第一小学\s+2\s+0\s+1\s+1\s+1\s+0\s+0\s+5/);
    expect(stdout).toContain(maskIdNumber(kids.absent.id));

    const text = readFileSync(out, 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const rows = text
      .slice(1)
      .trimEnd()
      .split('\r\n')
      .map((l) => l.split(','));
    expect(rows[0]!.slice(0, 6)).toEqual(['id', 'name', 'outcome', 'flags', 'school', 'evidence']);
    const byId = new Map(rows.slice(1).map((r) => [r[0], r]));
    expect(byId.size).toBe(6);
    expect(byId.get(kids.consistent.id)!.slice(2, 6)).toEqual([
      'CONSISTENT',
      'boarding',
      '5301240001',
      'household:户籍.csv#3;enrollment:学籍.xlsx#2;headcount:在校清点.csv#2',
    ]);
    expect(byId.get(kids.absent.id)!.slice(2, 4)).toEqual(['ENROLLED_ABSENT', 'priority']);
    expect(byId.get(kids.migrant.id)!.slice(2, 4)).toEqual(['CONSISTENT', 'migrant']);
    expect(byId.get(kids.notEnrolled.id)!.slice(2, 5)).toEqual(['NOT_ENROLLED', '', '']);
    expect(byId.get(kids.tooOld.id)).toBeUndefined(); // outside the age window
  });

  it('writes a printable .xlsx with IDs as text and one sheet per outcome', async () => {
    const out = file('result.xlsx');
    const { status, stdout } = runKcbx([...base(), '--out', out]);
    expect(status).toBe(0);
    expectNoFullIds(stdout);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    expect(workbook.worksheets[0]!.name).toBe('汇总 summary');
    const absent = workbook.getWorksheet(outcomeSheetName('ENROLLED_ABSENT'))!;
    expect(absent.getCell('A2').value).toBe(kids.absent.id);
    expect(absent.getCell('B2').value).toBe(kids.absent.name);
    expect(absent.pageSetup.orientation).toBe('landscape');
    const consistentIds = workbook.getWorksheet(outcomeSheetName('CONSISTENT'))!.getColumn(1).values.slice(2);
    expect(consistentIds.sort()).toEqual([kids.consistent.id, kids.migrant.id].sort());
  });

  it('writes JSON Lines with the full result of every child', () => {
    const out = file('result.jsonl');
    const { status } = runKcbx([...base(), '--headcount', file('在校清点.csv'), '--out', out]);
    expect(status).toBe(0);
    const results = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const mismatch = results.find((r) => r.idNumber === kids.mismatch.id);
    expect(mismatch).toMatchObject({
      outcome: 'IDENTITY_MISMATCH',
      maskedId: maskIdNumber(kids.mismatch.id),
      school: '5301240001',
      township: '530124104',
    });
    expect(mismatch.reasons[0].zh).toContain('“刘芬”');
    // The same file given twice gets its path as upload id, so evidence still names one row each.
    const consistent = results.find((r) => r.idNumber === kids.consistent.id);
    expect(consistent.evidence.map((e: { uploadId: string }) => e.uploadId)).toEqual([
      '户籍.csv',
      '学籍.xlsx',
      file('在校清点.csv'), // head count rows ordered by upload id: the path sorts first
      '在校清点.csv',
    ]);
  });

  it('refuses a file it cannot use, naming it and the reason, and writes no result', () => {
    const out = file('refused.csv');
    const { status, stdout, stderr } = runKcbx([...base(), '--headcount', file('坏清点.csv'), '--out', out]);
    expect(status).toBe(3);
    expect(stderr).toContain('坏清点.csv');
    expect(stderr).toContain('在校清点 headcount');
    expect(stderr).toContain('表头');
    expect(stderr).toMatch(/header/i);
    expect(stderr).toContain('no result was written');
    expectNoFullIds(stdout + stderr);
    expect(existsSync(out)).toBe(false);
  });

  it('names a file that does not exist', () => {
    const { status, stderr } = runKcbx([...base(), '--deferral', file('缓学.csv'), '--out', file('x.csv')]);
    expect(status).toBe(3);
    expect(stderr).toContain('缓学.csv');
    expect(stderr).toContain('does not exist');
  });

  it('explains a wrong option in Chinese and English', () => {
    const { status, stderr } = runKcbx([...base(), '--as-of', '2025-13-01', '--out', file('x.csv')]);
    expect(status).toBe(1);
    expect(stderr).toContain('--as-of 应为');
    expect(stderr).toContain('must be a real date');
    const missing = runKcbx([
      'compare',
      '--region',
      '530124',
      '--as-of',
      '2025-09-08',
      '--out',
      file('x.csv'),
    ]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('--household');
  });

  it('documents every flag in --help', () => {
    const { status, stdout } = runKcbx(['compare', '--help']);
    expect(status).toBe(0);
    for (const flag of [
      '--region',
      '--as-of',
      '--household',
      '--enrollment',
      '--headcount',
      '--poverty',
      '--assistance',
      '--disability',
      '--deferral',
      '--entry-cutoff',
      '--min-age',
      '--max-age',
      '--out',
    ]) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('Examples:');
  });
});
