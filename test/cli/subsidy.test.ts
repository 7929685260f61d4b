import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvBuffer, xlsxBuffer } from '../../services/roster-intake/domain/test-fixtures';
import { nationalBaseline } from '../../services/subsidy/domain/policies/national-baseline';
import { maskIdNumber } from '../../shared/id-number';
import { idNumber } from '../fixtures/roster-rows';
import { runKcbx } from '../run-cli';

/** Children of two schools of 富民县 (530124), each with a story for the subsidy rules. */
const kids = {
  boarder: { id: idNumber('2016-03-12', 11), name: '张小明' }, // 小学 住校 低保 → 500 元
  junior: { id: idNumber('2012-05-01', 13), name: '李红' }, // 初中 住校 脱贫户 → 625 元
  twoCategories: { id: idNumber('2013-09-09', 15), name: '赵六' }, // 初中 住校 低保 + 孤儿
  day: { id: idNumber('2015-01-20', 17), name: '王五' }, // 走读 低保 → no living allowance
  absent: { id: idNumber('2014-07-07', 19), name: '陈七' }, // 住校 脱贫户, not at school → held
  disabled: { id: idNumber('2015-11-30', 21), name: '刘芳' }, // 残疾 → special-education support
};
const allIds = Object.values(kids).map((k) => k.id);
const SCHOOL_A = ['5301240001', '富民县第一小学'];
const SCHOOL_B = ['5301240002', '富民县第一中学'];

let dir: string;
const file = (name: string) => path.join(dir, name);
const base = () => [
  'subsidy',
  '--policy',
  'national-baseline',
  '--semester',
  '2025-autumn',
  '--enrollment',
  file('学籍.xlsx'),
  '--poverty',
  file('脱贫户.csv'),
  '--assistance',
  file('低保孤儿.csv'),
  '--disability',
  file('残疾.csv'),
  '--headcount',
  file('在校清点.csv'),
  '--schools',
  file('学校名单.csv'),
];

function readCsv(out: string): Map<string, Record<string, string>> {
  const text = readFileSync(out, 'utf8');
  expect(text.charCodeAt(0)).toBe(0xfeff);
  const [header, ...lines] = text.slice(1).trimEnd().split('\r\n');
  const columns = header!.split(',');
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines) {
    // The first columns never hold commas (reasons come later and may be quoted).
    const values = line.split(',');
    const row = Object.fromEntries(columns.slice(0, 12).map((c, i) => [c, values[i] ?? '']));
    rows.set(`${row.id}|${row.benefit}`, row);
  }
  return rows;
}

function expectNoFullIds(text: string) {
  for (const id of allIds) expect(text).not.toContain(id);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kcbx-subsidy-cli-'));
  writeFileSync(
    file('学籍.xlsx'),
    await xlsxBuffer([
      {
        name: '学籍',
        rows: [
          ['姓名', '身份证号', '学校标识码', '学校名称', '年级', '班级', '就读方式'],
          [kids.boarder.name, kids.boarder.id, ...SCHOOL_A, '三年级', '1班', '住校'],
          [kids.junior.name, kids.junior.id, ...SCHOOL_B, '七年级', '2班', '住校'],
          [kids.twoCategories.name, kids.twoCategories.id, ...SCHOOL_B, '八年级', '1班', '住校'],
          [kids.day.name, kids.day.id, ...SCHOOL_A, '四年级', '2班', '走读'],
          [kids.absent.name, kids.absent.id, ...SCHOOL_A, '五年级', '1班', '住校'],
          [kids.disabled.name, kids.disabled.id, ...SCHOOL_A, '四年级', '1班', '走读'],
        ],
      },
    ]),
  );
  writeFileSync(
    file('脱贫户.csv'),
    csvBuffer(
      [
        ['姓名', '身份证号', '监测类型'],
        [kids.junior.name, kids.junior.id, '脱贫户'],
        [kids.absent.name, kids.absent.id, '脱贫不稳定户'],
      ],
      { encoding: 'utf-8-bom' },
    ),
  );
  // 民政 exports are often GBK.
  writeFileSync(
    file('低保孤儿.csv'),
    csvBuffer(
      [
        ['姓名', '身份证号', '救助类型'],
        [kids.boarder.name, kids.boarder.id, '低保'],
        [kids.twoCategories.name, kids.twoCategories.id, '低保'],
        [kids.twoCategories.name, kids.twoCategories.id, '孤儿'],
        [kids.day.name, kids.day.id, '农村低保'],
      ],
      { encoding: 'gb18030' },
    ),
  );
  writeFileSync(
    file('残疾.csv'),
    csvBuffer(
      [
        ['姓名', '身份证号', '残疾类别', '残疾等级'],
        [kids.disabled.name, kids.disabled.id, '肢体残疾', '二级'],
      ],
      { encoding: 'utf-8' },
    ),
  );
  writeFileSync(
    file('在校清点.csv'),
    csvBuffer(
      [
        ['姓名', '身份证号', '学校标识码', '在校情况'],
        ...Object.values(kids)
          .filter((k) => k !== kids.absent)
          .map((k) => [
            k.name,
            k.id,
            kids.junior === k || kids.twoCategories === k ? SCHOOL_B[0]! : SCHOOL_A[0]!,
            '在校',
          ]),
        [kids.absent.name, kids.absent.id, SCHOOL_A[0]!, '未到校'],
      ],
      { encoding: 'utf-8' },
    ),
  );
  writeFileSync(
    file('学校名单.csv'),
    csvBuffer(
      [
        ['学校标识码', '学校名称', '乡镇', '城乡类型'],
        [...SCHOOL_A, '530124100', '乡村'],
        [...SCHOOL_B, '530124101', '城区'],
      ],
      { encoding: 'utf-8' },
    ),
  );
  writeFileSync(
    file('bad-policy.json'),
    JSON.stringify({
      ...nationalBaseline,
      benefits: [
        {
          code: 'BOARDING_LIVING_ALLOWANCE',
          name: { zh: '寄宿生生活补助' },
          groups: [
            { id: 'primary', when: { category: 'POOR' }, amountFen: 500.5 },
            { id: 'junior', when: { stage: 'JUNIOR' }, amountFen: -1 },
          ],
        },
      ],
    }),
  );
  writeFileSync(
    file('county-policy.json'),
    JSON.stringify({
      id: 'fumin-top-up',
      version: '2025.1',
      region: '530124',
      name: { zh: '富民县示例：孤儿补助', en: 'Fumin example: orphan top-up' },
      example: true,
      effectiveFrom: '2025-09-01',
      benefits: [
        {
          code: 'ORPHAN_TOP_UP',
          name: { zh: '孤儿补助' },
          groups: [{ id: 'orphan', when: { category: 'ORPHAN' }, amountFen: 12_345 }],
        },
      ],
    }),
  );
});

describe('kcbx subsidy', () => {
  it('names the built-in policies', () => {
    const { status, stdout } = runKcbx(['subsidy', '--list-policies']);
    expect(status).toBe(0);
    expect(stdout).toContain('national-baseline');
    expect(stdout).toContain('yunnan-example');
    expect(stdout).toContain('非官方');
  });

  it('decides every child and benefit into a CSV and prints totals in 元 with masked IDs only', () => {
    const out = file('测算结果.csv');
    const { status, stdout, stderr } = runKcbx([...base(), '--out', out]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expectNoFullIds(stdout);
    expect(stdout).toContain('低保孤儿.csv  [CSV, gb18030]');
    // 500 + 625 + 625 元 of boarding allowance; the absent boarder's 500 元 held.
    expect(stdout).toMatch(/寄宿生生活补助 BOARDING_LIVING_ALLOWANCE\s+3\s+1,750\.00\s+1\s+500\.00/);
    // Meals at the rural school: four children there, one held.
    expect(stdout).toMatch(/NUTRITION_MEAL\s+3\s+1,500\.00\s+1\s+500\.00/);
    expect(stdout).toMatch(/DISABILITY_SUPPORT\s+1\s+3,000\.00/);
    expect(stdout).toContain('ABSENT_ON_HEADCOUNT');
    expect(stdout).toContain(maskIdNumber(kids.absent.id));

    const rows = readCsv(out);
    expect(rows.size).toBe(allIds.length * nationalBaseline.benefits.length);
    const row = (k: { id: string }, benefit: string) => rows.get(`${k.id}|${benefit}`)!;
    expect(row(kids.boarder, 'BOARDING_LIVING_ALLOWANCE')).toMatchObject({
      status: 'ELIGIBLE',
      amount_fen: '50000',
      reason: 'ELIGIBLE',
      payer_school: SCHOOL_A[0],
      township: '530124100',
    });
    expect(row(kids.junior, 'BOARDING_LIVING_ALLOWANCE')).toMatchObject({
      status: 'ELIGIBLE',
      amount_fen: '62500',
    });
    expect(row(kids.twoCategories, 'BOARDING_LIVING_ALLOWANCE')).toMatchObject({ amount_fen: '62500' });
    expect(row(kids.day, 'BOARDING_LIVING_ALLOWANCE')).toMatchObject({
      status: 'INELIGIBLE',
      amount_fen: '0',
      reason: 'NOT_IN_ANY_GROUP',
    });
    expect(row(kids.absent, 'BOARDING_LIVING_ALLOWANCE')).toMatchObject({
      status: 'ON_HOLD',
      amount_fen: '0',
      reason: 'ABSENT_ON_HEADCOUNT',
    });
    expect(row(kids.junior, 'NUTRITION_MEAL')).toMatchObject({ status: 'INELIGIBLE' }); // urban school
    expect(row(kids.disabled, 'DISABILITY_SUPPORT')).toMatchObject({
      status: 'ELIGIBLE',
      amount_fen: '300000',
    });
    expect(row(kids.boarder, 'TUITION_WAIVER')).toMatchObject({ status: 'ELIGIBLE', amount_fen: '0' });
  });

  it('writes the decisions workbook and the payment list with IDs as text', async () => {
    const out = file('decisions.xlsx');
    const list = file('发放名单.xlsx');
    const { status, stdout } = runKcbx([...base(), '--out', out, '--payment-list', list]);
    expect(status).toBe(0);
    expectNoFullIds(stdout);
    const decisions = new ExcelJS.Workbook();
    await decisions.xlsx.readFile(out);
    const sheet = decisions.getWorksheet('决定 decisions')!;
    expect(sheet.getRow(1).values).toEqual(
      expect.arrayContaining(['id', 'benefit', 'status', 'amount_fen', 'reason']),
    );
    expect(sheet.rowCount).toBe(1 + allIds.length * nationalBaseline.benefits.length);
    const payments = new ExcelJS.Workbook();
    await payments.xlsx.readFile(list);
    expect(payments.worksheets.map((w) => w.name)).toEqual([
      '汇总 summary',
      SCHOOL_A[1],
      SCHOOL_B[1],
      '暂缓 held',
    ]);
    const schoolA = payments.getWorksheet(SCHOOL_A[1]!)!;
    const ids: unknown[] = [];
    schoolA.eachRow((r) => ids.push(r.getCell(3).value));
    expect(ids).toContain(kids.boarder.id);
    expect(ids).not.toContain(kids.absent.id);
  });

  it('masks IDs in the files with --mask-ids', () => {
    const out = file('masked.csv');
    const { status } = runKcbx([...base(), '--out', out, '--mask-ids']);
    expect(status).toBe(0);
    const text = readFileSync(out, 'utf8');
    expectNoFullIds(text);
    expect(text).toContain(maskIdNumber(kids.boarder.id));
  });

  it('holds nobody for absence without a head count, and says so', () => {
    const out = file('no-headcount.csv');
    const args = base();
    args.splice(args.indexOf('--headcount'), 2);
    const { status, stdout } = runKcbx([...args, '--out', out]);
    expect(status).toBe(0);
    expect(stdout).toContain('no --headcount given');
    expect(readCsv(out).get(`${kids.absent.id}|BOARDING_LIVING_ALLOWANCE`)).toMatchObject({
      status: 'ELIGIBLE',
      amount_fen: '50000',
    });
  });

  it('keeps a transferred child with the school that already decided this semester', () => {
    const first = file('autumn-first.csv');
    expect(runKcbx([...base(), '--out', first]).status).toBe(0);
    // The boarder moves to the middle school mid-term: a new enrollment roster lists him there.
    const moved = file('学籍-转学后.csv');
    writeFileSync(
      moved,
      csvBuffer(
        [
          ['姓名', '身份证号', '学校标识码', '学校名称', '年级', '就读方式'],
          [kids.boarder.name, kids.boarder.id, ...SCHOOL_B, '三年级', '住校'],
        ],
        { encoding: 'utf-8' },
      ),
    );
    const out = file('autumn-second.csv');
    const args = base();
    args.splice(args.indexOf('--enrollment'), 2, '--enrollment', moved);
    args.splice(args.indexOf('--headcount'), 2);
    const { status, stderr } = runKcbx([...args, '--previous', first, '--out', out]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(readCsv(out).get(`${kids.boarder.id}|BOARDING_LIVING_ALLOWANCE`)).toMatchObject({
      status: 'ELIGIBLE',
      amount_fen: '50000',
      reason: 'PAID_BY_PREVIOUS_SCHOOL',
      school: SCHOOL_B[0],
      payer_school: SCHOOL_A[0],
    });
  });

  it('runs a policy file of the county', () => {
    const out = file('county.csv');
    const args = base();
    args.splice(args.indexOf('national-baseline'), 1, file('county-policy.json'));
    const { status, stdout } = runKcbx([...args, '--out', out]);
    expect(status).toBe(0);
    expect(stdout).toContain('EXAMPLE policy');
    expect(stdout).toMatch(/ORPHAN_TOP_UP\s+1\s+123\.45/);
  });

  it('refuses a bad policy file with exit code 3 and bilingual errors with their JSON path', () => {
    const out = file('never.csv');
    const args = base();
    args.splice(args.indexOf('national-baseline'), 1, file('bad-policy.json'));
    const { status, stderr, stdout } = runKcbx([...args, '--out', out]);
    expect(status).toBe(3);
    expect(stderr).toContain('bad-policy.json');
    expect(stderr).toContain('$.benefits[0].groups[0].when.category');
    expect(stderr).toContain('未知的家庭类别');
    expect(stderr).toContain('unknown household category');
    expect(stderr).toContain('$.benefits[0].groups[0].amountFen');
    expect(stderr).toContain('$.benefits[0].groups[1].amountFen');
    expect(stderr).toContain('金额不能为负数');
    expect(existsSync(out)).toBe(false);
    expectNoFullIds(stdout + stderr);

    writeFileSync(file('broken.json'), '{ "id": ');
    args.splice(args.indexOf(file('bad-policy.json')), 1, file('broken.json'));
    const broken = runKcbx([...args, '--out', out]);
    expect(broken.status).toBe(3);
    expect(broken.stderr).toContain('不是有效的 JSON');
  });

  it('explains a wrong option in Chinese and English', () => {
    const wrongSemester = runKcbx([...base(), '--semester', '2025-fall', '--out', file('x.csv')]);
    expect(wrongSemester.status).toBe(1);
    expect(wrongSemester.stderr).toContain('--semester 应写作');
    expect(wrongSemester.stderr).toContain('must be written');
    const unknownPolicy = runKcbx(['subsidy', '--policy', 'nowhere', '--semester', '2025-autumn']);
    expect(unknownPolicy.status).toBe(1);
    expect(unknownPolicy.stderr).toContain('national-baseline');
    const missing = runKcbx([
      'subsidy',
      '--policy',
      'national-baseline',
      '--semester',
      '2025-autumn',
      '--out',
      file('x.csv'),
    ]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('--enrollment');
    const notInForce = runKcbx([
      ...base(),
      '--policy',
      'yunnan-example',
      '--semester',
      '2024-autumn',
      '--out',
      file('x.csv'),
    ]);
    expect(notInForce.status).toBe(3);
    expect(notInForce.stderr).toContain('not in force');
  });

  it('documents every flag in --help', () => {
    const { status, stdout } = runKcbx(['subsidy', '--help']);
    expect(status).toBe(0);
    for (const flag of [
      '--policy',
      '--list-policies',
      '--semester',
      '--enrollment',
      '--poverty',
      '--assistance',
      '--disability',
      '--headcount',
      '--schools',
      '--previous',
      '--out',
      '--payment-list',
      '--mask-ids',
    ]) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('Examples:');
  });
});
