import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { CaseState } from '../../../shared/events/vocab';
import { checkDigit, maskIdNumber } from '../../../shared/id-number';
import { uniqueSheetNames } from '../../../shared/spreadsheet-export';
import { type CaseRecord, caseRecordSchema } from './case';
import {
  CASE_LEDGER_COLUMNS,
  CASE_LEDGER_SHEET,
  MINISTRY_LEDGER_SHEETS,
  writeCaseLedgerWorkbook,
} from './ledger-workbook';
import type { AgeCohortRow } from './ledgers';

// ── fixtures ─────────────────────────────────────────────────────────────────────────────────────────

const idNumber = (seq: number) => {
  const first17 = `53012420130601${String(seq).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
};
const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
const childKey = (seq: number) => `c_${'w'.repeat(30)}${B32[Math.floor(seq / 32) % 32]}${B32[seq % 32]}`;
const ACTOR = { role: 'school', org: '2153012401' } as const;

type Move = [string, CaseState, Record<string, unknown>?];

function caseRecord(
  seq: number,
  openedOn: string,
  moves: Move[],
  patch: Partial<CaseRecord> = {},
): CaseRecord {
  const id = idNumber(seq);
  let state: CaseState = 'SUSPECTED';
  const history: CaseRecord['history'] = [
    {
      version: 1,
      at: `${openedOn}T02:00:00.000Z`,
      actor: ACTOR,
      action: 'open',
      to: 'SUSPECTED',
      details: {},
    },
  ];
  for (const [date, to, details] of moves) {
    history.push({
      version: history.length + 1,
      at: `${date}T06:00:00.000Z`,
      actor: ACTOR,
      action: to.toLowerCase(),
      from: state,
      to,
      details: details ?? {},
    });
    state = to;
  }
  return caseRecordSchema.parse({
    caseId: `case-${seq}`,
    region: '530124',
    child: { childKey: childKey(seq), maskedId: maskIdNumber(id) },
    idNumber: id,
    name: `学生${seq}`,
    school: '2153012401',
    schoolName: '富民县第一中学',
    township: '530124100',
    state,
    version: history.length,
    openedOn,
    openedAt: history[0]!.at,
    source: 'COMPARISON',
    priority: false,
    chain: {},
    signals: [
      {
        source: 'COMPARISON',
        receivedOn: openedOn,
        signalId: `evt-${seq}`,
        evidence: [{ uploadId: 'upl-enrollment-1', line: seq + 1 }],
      },
    ],
    threeLineReport: {},
    persuasionActions: [],
    fourStep: [],
    followUps: [],
    overdue: [],
    history,
    ...patch,
  });
}

const LONG_NAME = '富民县款庄镇中心学校/小水井[苗族]教学点:二部*分校?附属幼儿园';

function county(): CaseRecord[] {
  return [
    // A dropout worked through the 四步法, with the whole chain, a home-teaching placement and an overdue visit.
    caseRecord(
      1,
      '2025-09-08',
      [
        ['2025-09-09', 'VERIFYING'],
        ['2025-09-10', 'CONFIRMED'],
        ['2025-09-11', 'PERSUADING'],
        ['2025-09-25', 'EDUCATION'],
        ['2025-10-09', 'ORDER_TO_CORRECT'],
        ['2025-10-20', 'PLACED'],
      ],
      {
        name: '=HYPERLINK("http://x")',
        causeCategory: 'DISABILITY',
        priority: true,
        flags: ['priority', 'disability'],
        chain: {
          TOWNSHIP_HEAD: { name: '张镇长', phone: '13800000001' },
          VILLAGE_HEAD: { name: '李主任', title: '大营村委会主任' },
          PRINCIPAL: { name: '王校长' },
          HEAD_TEACHER: { name: '赵老师', phone: '13800000002' },
          GUARDIAN: { name: '孙父', phone: '13900000003' },
        },
        persuasionActions: ['2025-09-12', '2025-09-19', '2025-11-02'],
        fourStep: [
          { step: 'EDUCATION', date: '2025-09-25', documentRef: '富教宣〔2025〕3号', reminders: [] },
          {
            step: 'ORDER_TO_CORRECT',
            date: '2025-10-09',
            documentRef: '富政责〔2025〕12号',
            deadline: '2025-10-19',
            reminders: [],
          },
        ],
        placement: {
          kind: 'HOME_TEACHING',
          since: '2025-10-20',
          planRef: '送教方案〔2025〕1号',
          visits: ['2025-10-29', '2025-11-05'],
        },
        overdue: [
          {
            item: 'HOME_TEACHING_VISIT',
            dutyKey: 'HOME_TEACHING_VISIT:2025-10-20',
            dueOn: '2025-10-27',
            escalationLevel: 1,
            escalatedTo: 'township',
            raisedOn: '2025-10-28',
          },
        ],
      },
    ),
    // Closed as studying elsewhere, with the other school's confirmation.
    caseRecord(
      2,
      '2025-09-08',
      [
        ['2025-09-09', 'VERIFYING'],
        [
          '2025-09-20',
          'STUDYING_ELSEWHERE',
          { documentRef: '昆明市盘龙区某校接收证明', note: '随父母在昆明就读' },
        ],
      ],
      { closedAs: 'STUDYING_ELSEWHERE', closedOn: '2025-09-20' },
    ),
    // Still being verified, at a school whose name Excel will not take as a sheet name.
    caseRecord(3, '2025-10-15', [['2025-10-16', 'VERIFYING']], {
      school: '2153012402',
      schoolName: LONG_NAME,
      township: '530124101',
    }),
    // Returned to school in October.
    caseRecord(
      4,
      '2025-09-15',
      [
        ['2025-09-16', 'VERIFYING'],
        ['2025-09-17', 'CONFIRMED'],
        ['2025-09-18', 'PERSUADING'],
        ['2025-10-10', 'RETURNED', { school: '2153012401', returnedOn: '2025-10-10' }],
      ],
      { returned: { school: '2153012401', returnedOn: '2025-10-10', followUpEnds: '2026-02-27' } },
    ),
    // Opened after the ledger date: not in the workbook.
    caseRecord(5, '2025-11-20', []),
  ];
}

const children: AgeCohortRow[] = [1, 2, 3, 4, 6].map((seq) => ({
  childKey: childKey(seq),
  maskedId: maskIdNumber(idNumber(seq)),
  idNumber: idNumber(seq),
  name: `学生${seq}`,
  school: '2153012401',
  schoolName: '富民县第一中学',
  township: '530124100',
  outcome: seq === 6 ? 'CONSISTENT' : 'ENROLLED_ABSENT',
  evidence: [{ uploadId: 'upl-household-1', line: seq + 20 }],
}));

async function writeToFile(records: CaseRecord[], options: Parameters<typeof writeCaseLedgerWorkbook>[1]) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kcbx-ledger-')), 'ledger.xlsx');
  await writeCaseLedgerWorkbook(records, options, file);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  return workbook;
}

const rowValues = (sheet: ExcelJS.Worksheet, row: number): unknown[] =>
  (sheet.getRow(row).values as unknown[]).slice(1);

/** The data rows of a sheet as objects keyed by the header. */
function records(sheet: ExcelJS.Worksheet): Record<string, unknown>[] {
  const header = rowValues(sheet, 1) as string[];
  const out: Record<string, unknown>[] = [];
  for (let r = 2; r <= sheet.rowCount; r++) {
    const values = rowValues(sheet, r);
    out.push(Object.fromEntries(header.map((h, i) => [h, values[i] ?? ''])));
  }
  return out;
}

// ── the workbook ─────────────────────────────────────────────────────────────────────────────────────

describe('writeCaseLedgerWorkbook', () => {
  const asOf = '2025-11-10';

  it('writes the case ledger, the three Ministry ledgers, then one sheet per school', async () => {
    const workbook = await writeToFile(county(), {
      idVisibility: 'full',
      asOf,
      regionName: '富民县',
      children,
    });
    const names = workbook.worksheets.map((s) => s.name);
    expect(names.slice(0, 4)).toEqual([
      CASE_LEDGER_SHEET,
      MINISTRY_LEDGER_SHEETS.AGE_COHORT,
      MINISTRY_LEDGER_SHEETS.SUSPECTED,
      MINISTRY_LEDGER_SHEETS.DROPOUT,
    ]);
    expect(names).toHaveLength(6);
    expect(names[4]).toBe('富民县第一中学');
    const odd = names[5]!;
    expect(odd.length).toBeLessThanOrEqual(31);
    expect(odd).not.toMatch(/[[\]:*?/\\]/);
    expect(odd.startsWith('富民县款庄镇中心学校 小水井 苗族 教学点')).toBe(true);
  });

  it('puts one row per case opened by asOf in the bureaus’ column order, with a frozen header', async () => {
    const workbook = await writeToFile(county(), {
      idVisibility: 'full',
      asOf,
      townshipNames: { '530124100': '款庄镇' },
    });
    const sheet = workbook.getWorksheet(CASE_LEDGER_SHEET)!;
    expect(rowValues(sheet, 1)).toEqual(CASE_LEDGER_COLUMNS);
    expect(CASE_LEDGER_COLUMNS).toEqual([
      '序号',
      '乡镇',
      '学校',
      '姓名',
      '身份证号',
      '性别',
      '疑似辍学时间',
      '来源',
      '辍学原因',
      '重点群体',
      '当前状态',
      '包保责任人（政府线）',
      '包保责任人（教育线）',
      '监护人',
      '劝返次数',
      '最近一次家访',
      '依法控辍进度',
      '安置方式',
      '复学时间',
      '结案方式',
      '结案时间',
      '逾期事项',
      '案件编号',
    ]);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.autoFilter).toBeTruthy();

    const rows = records(sheet);
    expect(rows.map((r) => r.案件编号)).toEqual(['case-1', 'case-2', 'case-4', 'case-3']);
    expect(rows.map((r) => r.序号)).toEqual([1, 2, 3, 4]);

    const placed = rows[0]!;
    expect(placed).toMatchObject({
      乡镇: '款庄镇',
      学校: '富民县第一中学',
      身份证号: idNumber(1),
      性别: '男',
      疑似辍学时间: '2025-09-08',
      来源: '比对发现',
      辍学原因: '因残',
      重点群体: '是（脱贫户/三类监测、残疾）',
      当前状态: '分类安置',
      '包保责任人（政府线）': '乡（镇）长：张镇长 13800000001；村（社区）主任：李主任（大营村委会主任）',
      '包保责任人（教育线）': '校长：王校长；班主任：赵老师 13800000002',
      监护人: '孙父 13900000003',
      劝返次数: 3,
      最近一次家访: '2025-11-02',
      依法控辍进度:
        '宣传教育 2025-09-25（富教宣〔2025〕3号） → 责令改正 2025-10-09（富政责〔2025〕12号，限期至 2025-10-19）',
      安置方式: '送教上门（2025-10-20 起，已送教 2 次）',
      逾期事项: '',
    });
    expect(rows[1]).toMatchObject({
      当前状态: '异地就读',
      结案方式: '异地就读',
      结案时间: '2025-09-20',
    });
    expect(rows[2]).toMatchObject({ 当前状态: '已复学', 复学时间: '2025-10-10' });
    expect(rows[3]).toMatchObject({ 乡镇: '530124101', 学校: LONG_NAME, 当前状态: '核查中' });
  });

  it('shows the ledger as it stood on asOf: later visits, steps and the placement are left out', async () => {
    const workbook = await writeToFile(county(), { idVisibility: 'full', asOf: '2025-10-28' });
    const [placed] = records(workbook.getWorksheet(CASE_LEDGER_SHEET)!);
    expect(placed).toMatchObject({
      当前状态: '分类安置',
      劝返次数: 2,
      最近一次家访: '2025-09-19',
      安置方式: '送教上门（2025-10-20 起，已送教 0 次）',
      逾期事项: '送教上门（2025-10-27 到期，已升级至乡镇）',
    });
    const early = await writeToFile(county(), { idVisibility: 'full', asOf: '2025-10-01' });
    const [onOct1] = records(early.getWorksheet(CASE_LEDGER_SHEET)!);
    expect(onOct1).toMatchObject({
      当前状态: '宣传教育',
      安置方式: '',
      依法控辍进度: '宣传教育 2025-09-25（富教宣〔2025〕3号）',
    });
  });

  it('writes ID numbers as text, masked unless full IDs may be shown, and keeps phone numbers out of a masked export', async () => {
    const full = await writeToFile(county(), { idVisibility: 'full', asOf });
    const fullCell = full.getWorksheet(CASE_LEDGER_SHEET)!.getCell('E2');
    expect(fullCell.value).toBe(idNumber(1));
    expect(fullCell.numFmt).toBe('@');

    const masked = await writeToFile(county(), { idVisibility: 'masked', asOf, children });
    for (const sheet of masked.worksheets) {
      sheet.eachRow((row) => {
        row.eachCell((cell) => {
          expect(String(cell.value)).not.toMatch(/\d{17}[\dX]/);
          expect(String(cell.value)).not.toMatch(/1[389]\d{9}/);
        });
      });
    }
    expect(masked.getWorksheet(CASE_LEDGER_SHEET)!.getCell('E2').value).toBe(maskIdNumber(idNumber(1)));
  });

  it('neutralises text that a spreadsheet would run as a formula', async () => {
    const workbook = await writeToFile(county(), { idVisibility: 'full', asOf });
    const name = workbook.getWorksheet(CASE_LEDGER_SHEET)!.getCell('D2');
    expect(name.value).toBe('\'=HYPERLINK("http://x")');
    expect(name.formula).toBeUndefined();
  });

  it('lists each ledger’s open rows, then the rows cleared from it with their evidence (动态销号)', async () => {
    const workbook = await writeToFile(county(), { idVisibility: 'full', asOf, children });

    const suspected = records(workbook.getWorksheet(MINISTRY_LEDGER_SHEETS.SUSPECTED)!);
    expect(suspected.map((r) => [r.案件编号, r.台账状态])).toEqual([
      ['case-3', '在账'],
      ['case-1', '已销号'],
      ['case-2', '已销号'],
      ['case-4', '已销号'],
    ]);
    expect(suspected[2]).toMatchObject({
      销号时间: '2025-09-20',
      销号方式: '结案：异地就读',
      销号依据: '昆明市盘龙区某校接收证明；随父母在昆明就读',
      依据: 'upl-enrollment-1#3',
    });
    expect(suspected[1]).toMatchObject({ 销号方式: '转为确认辍学', 销号时间: '2025-09-10' });

    const dropouts = records(workbook.getWorksheet(MINISTRY_LEDGER_SHEETS.DROPOUT)!);
    expect(dropouts.map((r) => [r.案件编号, r.台账状态, r.列入本台账时间])).toEqual([
      ['case-1', '在账', '2025-09-10'],
      ['case-4', '已销号', '2025-09-17'],
    ]);
    expect(dropouts[1]).toMatchObject({
      销号方式: '转为已复学',
      销号时间: '2025-10-10',
      销号依据: '复学：2153012401 2025-10-10',
    });

    const cohort = records(workbook.getWorksheet(MINISTRY_LEDGER_SHEETS.AGE_COHORT)!);
    expect(cohort).toHaveLength(5);
    const consistent = cohort.find((r) => r.身份证号 === idNumber(6))!;
    expect(consistent).toMatchObject({ 比对结果: '比对一致', 当前状态: '比对一致', 案件编号: '' });
    const elsewhere = cohort.find((r) => r.案件编号 === 'case-2')!;
    expect(elsewhere).toMatchObject({
      当前状态: '异地就读',
      结案时间: '2025-09-20',
      依据: 'upl-household-1#22;upl-enrollment-1#3',
    });
  });

  it('writes to a stream as well as to a file', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await writeCaseLedgerWorkbook(county(), { idVisibility: 'masked', asOf }, stream);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
    expect(workbook.getWorksheet(CASE_LEDGER_SHEET)!.rowCount).toBe(5);
    expect(workbook.getWorksheet(MINISTRY_LEDGER_SHEETS.AGE_COHORT)!.rowCount).toBe(1);
  });

  it('writes a workbook with only headers when there are no cases', async () => {
    const workbook = await writeToFile([], { idVisibility: 'masked', asOf });
    expect(workbook.worksheets.map((s) => s.name)).toEqual([
      CASE_LEDGER_SHEET,
      ...Object.values(MINISTRY_LEDGER_SHEETS),
    ]);
    expect(rowValues(workbook.getWorksheet(CASE_LEDGER_SHEET)!, 1)).toEqual(CASE_LEDGER_COLUMNS);
  });
});

describe('uniqueSheetNames', () => {
  it('makes names Excel accepts: no []:*?/\\, at most 31 characters, unique ignoring case', () => {
    const names = uniqueSheetNames(
      ['一中', '一中', 'a/b', "'quoted'", '', 'History', 'x'.repeat(40), 'x'.repeat(40), 'ABC', 'abc'],
      ['控辍保学台账'],
    );
    expect(names).toEqual([
      '一中',
      '一中 (2)',
      'a b',
      'quoted',
      '（无名称）',
      'History (1)',
      'x'.repeat(31),
      `${'x'.repeat(27)} (2)`,
      'ABC',
      'abc (2)',
    ]);
    expect(uniqueSheetNames(['控辍保学台账'], ['控辍保学台账'])).toEqual(['控辍保学台账 (2)']);
  });

  it('does not split a character outside the basic plane when it shortens a name', () => {
    const [name] = uniqueSheetNames([`${'x'.repeat(30)}𠀀`]);
    expect(name).toBe('x'.repeat(30));
  });
});
