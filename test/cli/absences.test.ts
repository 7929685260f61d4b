import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvBuffer, xlsxBuffer } from '../../services/roster-intake/domain/test-fixtures';
import { checkDigit, maskIdNumber } from '../../shared/id-number';
import { runKcbx } from '../run-cli';

const idNumber = (birth: string, seq: number) => {
  const first17 = `530124${birth.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
};

/** Pupils of two 富民县 schools around 国庆 2025 (09-28 is a make-up Sunday, 10-01…10-08 holidays). */
const kids = {
  long: { id: idNumber('2014-03-12', 21), name: '张小明' },
  three: { id: idNumber('2015-01-20', 22), name: '李小红' },
  excused: { id: idNumber('2013-07-07', 23), name: '王五' },
  present: { id: idNumber('2016-05-05', 24), name: '赵六' },
};
const allIds = Object.values(kids).map((k) => k.id);
const ONE = ['5301240001', '富民县第一小学'];
const TWO = ['5301240002', '=富民县第二小学'];
const HEADER = ['姓名', '身份证号', '学校标识码', '学校名称', '日期', '出勤状态', '请假审批'];

let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kcbx-absences-'));
  // September from the schools' attendance system: a GBK CSV.
  const sept: string[][] = [];
  for (const date of ['2025-09-25', '2025-09-26', '2025-09-28', '2025-09-29', '2025-09-30']) {
    const early = date < '2025-09-26';
    sept.push([kids.long.name, kids.long.id, ...ONE, date, early ? '出勤' : '旷课', '']);
    sept.push([kids.three.name, kids.three.id, ...TWO, date, date === '2025-09-30' ? '缺勤' : '出勤', '']);
    sept.push([
      kids.excused.name,
      kids.excused.id,
      ...ONE,
      date,
      date === '2025-09-30' ? '病假' : '出勤',
      '已批准',
    ]);
    sept.push([kids.present.name, kids.present.id, ...TWO, date, '出勤', '']);
  }
  writeFileSync(file('考勤-9月.csv'), csvBuffer([HEADER, ...sept], { encoding: 'gb18030' }));
  // October as .xlsx.
  const oct: string[][] = [];
  for (const date of ['2025-10-09', '2025-10-10']) {
    oct.push([kids.long.name, kids.long.id, ...ONE, date, '旷课', '']);
    oct.push([kids.three.name, kids.three.id, ...TWO, date, '事假', '未批准']);
    oct.push([kids.excused.name, kids.excused.id, ...ONE, date, '旷课', '']);
    oct.push([kids.present.name, kids.present.id, ...TWO, date, '迟到', '']);
  }
  writeFileSync(file('考勤-10月.xlsx'), await xlsxBuffer([{ name: '考勤', rows: [HEADER, ...oct] }]));
  // A log whose header names no ID column: refused as a whole.
  writeFileSync(
    file('坏考勤.csv'),
    csvBuffer(
      [
        ['学生', '号码', '备注'],
        ['张三', '123', '旷课'],
      ],
      { encoding: 'utf-8' },
    ),
  );
});

const run = (out: string, ...extra: string[]) =>
  runKcbx([
    'absences',
    '--attendance',
    file('考勤-9月.csv'),
    '--attendance',
    file('考勤-10月.xlsx'),
    '--as-of',
    '2025-10-10',
    '--out',
    file(out),
    ...extra,
  ]);

const csvRows = (name: string) => {
  const text = readFileSync(file(name), 'utf8');
  expect(text.startsWith('\uFEFF')).toBe(true);
  return text
    .slice(1)
    .trimEnd()
    .split('\r\n')
    .map((line) => line.split(','));
};

describe('kcbx absences', () => {
  it('takes the threshold of the configured deployment for --region (富民 连续超过3个工作日 → 4)', () => {
    const result = run('streaks-fumin.csv', '--region', '530124');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('at least 4 consecutive working days');
  });

  it('prints masked IDs and writes full IDs, across the 国庆 holiday and the make-up Sunday', () => {
    const result = run('streaks.csv', '--region', '530113'); // 东川: the deployment's threshold is 3
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    for (const id of allIds) expect(result.stdout).not.toContain(id);
    expect(result.stdout).toContain(maskIdNumber(kids.long.id));
    expect(result.stdout).toContain(maskIdNumber(kids.three.id));
    expect(result.stdout).not.toContain(maskIdNumber(kids.excused.id));
    expect(result.stdout).toContain('gb18030');
    expect(csvRows('streaks.csv')).toEqual([
      ['id', 'name', 'school', 'streak_working_days', 'first_absent', 'last_absent'],
      [kids.long.id, kids.long.name, '富民县第一小学', '6', '2025-09-26', '2025-10-10'],
      [kids.three.id, kids.three.name, "'=富民县第二小学", '3', '2025-09-30', '2025-10-10'],
    ]);
  });

  it('applies --threshold (富民 "more than 3" → 4)', () => {
    const result = run('streaks4.csv', '--threshold', '4');
    expect(result.status).toBe(0);
    expect(csvRows('streaks4.csv').map((row) => row[0])).toEqual(['id', kids.long.id]);
  });

  it('writes a header-only file when nobody reached the threshold (asOf before the streaks)', () => {
    const result = runKcbx([
      'absences',
      '--attendance',
      file('考勤-9月.csv'),
      '--as-of',
      '2025-09-26',
      '--out',
      file('none.csv'),
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('no student reached the threshold');
    expect(csvRows('none.csv')).toHaveLength(1);
  });

  it('exits 3 for an unusable file, naming it, and writes nothing', () => {
    const result = runKcbx([
      'absences',
      '--attendance',
      file('坏考勤.csv'),
      '--as-of',
      '2025-10-10',
      '--out',
      file('bad.csv'),
    ]);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('坏考勤.csv');
    expect(result.stderr).toContain('these files cannot be used');
    expect(existsSync(file('bad.csv'))).toBe(false);
  });

  it('exits 2 for a bad date, a date outside the calendar and a bad threshold', () => {
    const bad = run('x.csv', '--as-of', '2025-02-30');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--as-of must be a real date');
    const outside = run('x.csv', '--as-of', '2031-09-01');
    expect(outside.status).toBe(2);
    expect(outside.stderr).toContain('outside the working-day calendar');
    expect(run('x.csv', '--threshold', '0').status).toBe(2);
    expect(existsSync(file('x.csv'))).toBe(false);
  });

  it('shows an example in --help', () => {
    const result = runKcbx(['absences', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('npx kcbx absences --attendance');
  });
});
