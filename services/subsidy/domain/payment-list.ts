/**
 * 资助发放名单 — what a subsidy run hands to people: the decisions as CSV or .xlsx (one row per child and
 * benefit, for checking and scripts), and the printable payment list that each school and the finance
 * bureau sign (a sheet per paying school, a section per benefit with subtotals, the held children, and a
 * summary per benefit, township and school, with the 经办人 / 审核人 / 负责人 signature lines).
 *
 * ID numbers are written as text (Excel would turn 18 digits into 5.30124E+17) and masked when the
 * reader's role must not see them (`ids: 'masked'`, see shared/authz.ts idVisibility). Every text cell goes
 * through neutraliseFormula: names come from uploaded rosters. Amounts are computed in 分 and shown in 元
 * by fenToYuan; totals are the engine's integer sums, never spreadsheet formulas.
 */
import type { Writable } from 'node:stream';
import type ExcelJS from 'exceljs';
import { gradeNumber } from '../../../shared/rosters/values';
import {
  CSV_BOM,
  csvRow,
  neutraliseFormula,
  PRINT,
  sheetNamer,
  styleHeader,
  TEXT_STYLE,
  writeAll,
  writeTable,
  xlsxWriter,
} from '../../../shared/spreadsheet-export';
import {
  type BenefitTotal,
  type SourceRow,
  SUBSIDY_STATUS_NAMES_ZH,
  type SubsidyDecision,
  type SubsidyRunResult,
} from './determine';
import { addFen, fenToYuan } from './money';
import { type Benefit, CATEGORY_NAMES, STAGE_NAMES } from './policy';
import { semesterTitleZh } from './semester';

export interface ExportOptions {
  /** 'masked' writes 5301**********123X instead of the full ID number. Default 'full'. */
  ids?: 'full' | 'masked';
}

const PAYMENT_NAMES_ZH = { CASH: '现金（发放给家庭）', SCHOOL: '拨付学校', IN_KIND: '免除或实物' } as const;

const idOf = (d: SubsidyDecision, options: ExportOptions) =>
  options.ids === 'masked' || !d.idNumber ? d.maskedId : d.idNumber;

const sourceText = (s: SourceRow) => `${s.kind}:${s.uploadId}#${s.line}`;

/** 依据 — the rows a decision rests on: 'assistance:低保.csv#5;enrollment:学籍.xlsx#3'. */
export function evidenceText(d: SubsidyDecision): string {
  const rows = [
    ...d.explanation.categories.map(sourceText),
    ...d.explanation.facts.map((f) => (f.source === 'schools' ? 'schools' : sourceText(f.source))),
  ];
  return [...new Set(rows)].join(';');
}

// ── decisions: one row per child and benefit ─────────────────────────────────────────────────────────

export const DECISION_COLUMNS = [
  'id',
  'benefit',
  'status',
  'amount_fen',
  'reason',
  'name',
  'school',
  'school_name',
  'payer_school',
  'payer_school_name',
  'township',
  'stage',
  'grade',
  'class',
  'boarding',
  'rural',
  'group',
  'categories',
  'evidence',
  'held_fen',
  'amount_yuan',
  'benefit_zh',
  'status_zh',
  'reason_zh',
  'notes_zh',
  'policy',
  'semester',
] as const;

function decisionValues(d: SubsidyDecision, benefits: ReadonlyMap<string, Benefit>, options: ExportOptions) {
  const flag = (b: boolean | undefined) => (b === undefined ? '' : b ? 'yes' : 'no');
  const notes = [...d.explanation.holds.slice(1), ...d.explanation.notes];
  return [
    idOf(d, options),
    d.benefit,
    d.status,
    String(d.amountFen),
    d.reason.code,
    d.name ?? '',
    d.school ?? '',
    d.schoolName ?? '',
    d.payerSchool ?? '',
    d.payerSchoolName ?? '',
    d.township ?? '',
    d.stage ?? '',
    d.grade ?? '',
    d.className ?? '',
    flag(d.boarding),
    flag(d.rural),
    d.explanation.group?.id ?? '',
    d.explanation.categories.map((c) => c.category).join(';'),
    evidenceText(d),
    String(d.heldFen),
    fenToYuan(d.amountFen),
    benefits.get(d.benefit)?.name.zh ?? '',
    SUBSIDY_STATUS_NAMES_ZH[d.status],
    d.reason.zh,
    notes.map((n) => n.zh).join('；'),
    d.explanation.policy,
    d.explanation.semester,
  ];
}

/**
 * Decisions as CSV: UTF-8 with a BOM (Excel reads it as UTF-8), CRLF line ends, one row per child and
 * benefit, columns as DECISION_COLUMNS. Open the .xlsx instead when IDs must stay text in Excel.
 */
export async function writeDecisionsCsv(
  result: Pick<SubsidyRunResult, 'decisions' | 'policy'>,
  stream: Writable,
  options: ExportOptions = {},
): Promise<void> {
  const benefits = new Map(result.policy.benefits.map((b) => [b.code, b]));
  await writeAll(
    stream,
    (function* () {
      yield CSV_BOM + csvRow(DECISION_COLUMNS);
      for (const d of result.decisions) yield csvRow(decisionValues(d, benefits, options));
    })(),
  );
}

// ── .xlsx building blocks ────────────────────────────────────────────────────────────────────────────

const TOTAL_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F2F2' } };
const YUAN_FORMAT = '#,##0.00';
/** The payment list's pages carry their own titles, so no row repeats on each page. */
const LANDSCAPE: Partial<ExcelJS.PageSetup> = { ...PRINT, printTitlesRow: undefined };
const PORTRAIT: Partial<ExcelJS.PageSetup> = { ...LANDSCAPE, orientation: 'portrait' };

/** The number a 元 cell holds: parsed from the exact decimal text, so the cell shows what fenToYuan says. */
const yuanCell = (fen: number) => Number(fenToYuan(fen));
const cellText = (value: string) => neutraliseFormula(value);

function styleTotal(row: ExcelJS.Row): void {
  row.font = { bold: true };
  row.eachCell((cell) => {
    cell.fill = TOTAL_FILL;
  });
}

const TEXT_DECISION_COLUMNS: ReadonlySet<string> = new Set(['id', 'school', 'payer_school', 'township']);
const DECISION_TABLE = DECISION_COLUMNS.map((c) => ({
  header: c,
  width: c === 'reason_zh' || c === 'notes_zh' ? 50 : c === 'id' ? 21 : 14,
  text: TEXT_DECISION_COLUMNS.has(c),
}));
const AMOUNT_FEN = DECISION_COLUMNS.indexOf('amount_fen');
const HELD_FEN = DECISION_COLUMNS.indexOf('held_fen');

/**
 * Decisions as a workbook: 汇总 (totals per benefit) and 决定 (one row per child and benefit, the
 * DECISION_COLUMNS, IDs as text, filters and a frozen header; more than a sheet holds continue on
 * '决定 decisions (2)').
 */
export async function writeDecisionsXlsx(
  result: SubsidyRunResult,
  target: string | Writable,
  options: ExportOptions = {},
): Promise<void> {
  const workbook = xlsxWriter(target);
  const benefits = new Map(result.policy.benefits.map((b) => [b.code, b]));
  const namer = sheetNamer();
  const summary = workbook.addWorksheet(namer('汇总 summary'), { pageSetup: PORTRAIT });
  writeBenefitTotals(summary, result);
  summary.commit();

  await writeTable(
    workbook,
    { name: '决定 decisions', namer, columns: DECISION_TABLE },
    (function* () {
      for (const d of result.decisions) {
        const values: (string | number)[] = decisionValues(d, benefits, options);
        values[AMOUNT_FEN] = d.amountFen; // amount_fen and held_fen as numbers: they are integers
        values[HELD_FEN] = d.heldFen;
        yield values;
      }
    })(),
  );
  await workbook.commit();
}

function writeTitle(ws: ExcelJS.Worksheet, result: SubsidyRunResult, subtitle: string, width: number): void {
  const title = ws.addRow([
    cellText(`${result.policy.name.zh} — ${semesterTitleZh(result.semester)} ${subtitle}`),
  ]);
  title.font = { bold: true, size: 14 };
  ws.mergeCells(title.number, 1, title.number, width);
  const facts = [
    `政策版本 policy ${result.policyVersion}`,
    `学期 semester ${result.semester.code}（${result.semester.label}）`,
  ];
  ws.addRow([cellText(facts.join('    '))]);
  if (result.policy.example) {
    const warning = ws.addRow([
      '示例政策，非官方文件，金额仅供演示 — EXAMPLE policy, not official: amounts are illustrative',
    ]);
    warning.font = { bold: true, color: { argb: 'FFC00000' } };
  }
  ws.addRow([]);
}

function writeBenefitTotals(ws: ExcelJS.Worksheet, result: SubsidyRunResult): void {
  ws.columns = [
    { width: 30 },
    { width: 30 },
    { width: 16 },
    { width: 12 },
    { width: 16 },
    { width: 12 },
    { width: 16 },
  ];
  writeTitle(ws, result, '资助测算汇总', 7);
  styleHeader(
    ws.addRow([
      '资助项目 benefit',
      '代码 code',
      '发放方式 payment',
      '符合 eligible',
      '金额（元）amount',
      '暂缓 held',
      '暂缓金额（元）held',
    ]),
  );
  for (const t of result.totals.byBenefit) {
    const benefit = result.policy.benefits.find((b) => b.code === t.benefit)!;
    const row = ws.addRow([
      cellText(benefit.name.zh),
      t.benefit,
      PAYMENT_NAMES_ZH[t.payment],
      t.eligible,
      yuanCell(t.amountFen),
      t.held,
      yuanCell(t.heldFen),
    ]);
    row.getCell(5).numFmt = YUAN_FORMAT;
    row.getCell(7).numFmt = YUAN_FORMAT;
  }
  const total = ws.addRow([
    '合计 total',
    '',
    '',
    '',
    yuanCell(result.totals.amountFen),
    '',
    yuanCell(result.totals.heldFen),
  ]);
  total.getCell(5).numFmt = YUAN_FORMAT;
  total.getCell(7).numFmt = YUAN_FORMAT;
  styleTotal(total);
}

// ── the payment list ─────────────────────────────────────────────────────────────────────────────────

/** The signature block under every list (经办人 prepares, 审核人 checks, 负责人 approves). */
function writeSignatures(ws: ExcelJS.Worksheet, seal: string): void {
  ws.addRow([]);
  ws.addRow(['经办人（签字）：', '', '审核人（签字）：', '', '负责人（签字）：']).height = 28;
  ws.addRow([]);
  ws.addRow([`${seal}（盖章）`, '', '', '', '日期：      年    月    日']).height = 28;
}

/** 年级 order for printing: 一年级 … 九年级 (初一 = 7), read as the intake reads it for the stage; unknown grades last. */
function gradeRank(grade: string | undefined): number {
  if (!grade) return 99;
  return gradeNumber(grade) ?? 98;
}

function byClass(a: SubsidyDecision, b: SubsidyDecision): number {
  const ga = gradeRank(a.grade);
  const gb = gradeRank(b.grade);
  if (ga !== gb) return ga - gb;
  const ca = a.className ?? '';
  const cb = b.className ?? '';
  if (ca !== cb) return ca.localeCompare(cb, 'zh-Hans-CN', { numeric: true });
  const ia = a.idNumber ?? a.childKey;
  const ib = b.idNumber ?? b.childKey;
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

const LIST_COLUMNS = [
  { header: '序号', width: 6 },
  { header: '姓名', width: 10 },
  { header: '身份证号', width: 21 },
  { header: '年级', width: 9 },
  { header: '班级', width: 8 },
  { header: '资助档次', width: 30 },
  { header: '金额（元）', width: 12 },
  { header: '备注', width: 34 },
  { header: '领取人签字', width: 14 },
];

function schoolTitle(school: string, name: string | undefined): string {
  if (school === '') return '（未注明学校）';
  return name && name !== school ? `${name}（${school}）` : school;
}

/**
 * The printable payment list: 汇总 (per benefit, township and school, signed by the education and finance
 * bureaus), one sheet per paying school (a section per benefit with a subtotal, the school total, the
 * school's signatures), and 暂缓 (the held children with the reason). Benefits given in kind are not paid
 * and are left out; their counts are in the decisions.
 */
export async function writePaymentListXlsx(
  result: SubsidyRunResult,
  target: string | Writable,
  options: ExportOptions = {},
): Promise<void> {
  const workbook = xlsxWriter(target);
  const namer = sheetNamer();
  const paid = result.policy.benefits.filter((b) => b.payment !== 'IN_KIND');
  const paidCodes = new Set(paid.map((b) => b.code));

  // 汇总
  const summary = workbook.addWorksheet(namer('汇总 summary'), { pageSetup: LANDSCAPE });
  writeBenefitTotals(summary, result);
  const perBenefit = (list: readonly BenefitTotal[]) =>
    paid.map((b) => list.find((t) => t.benefit === b.code)!);
  summary.addRow([]);
  styleHeader(
    summary.addRow(['乡镇 township', '', ...paid.map((b) => `${cellText(b.name.zh)}（元）`), '合计（元）']),
  );
  for (const t of result.totals.byTownship) {
    const amounts = perBenefit(t.benefits).map((x) => x.amountFen);
    const row = summary.addRow([
      t.township || '（未注明乡镇）',
      '',
      ...amounts.map(yuanCell),
      yuanCell(amounts.reduce(addFen, 0)),
    ]);
    row.getCell(1).numFmt = '@';
    for (let c = 3; c <= paid.length + 3; c++) row.getCell(c).numFmt = YUAN_FORMAT;
  }
  summary.addRow([]);
  styleHeader(
    summary.addRow([
      '学校 school',
      '乡镇 township',
      ...paid.map((b) => `${cellText(b.name.zh)}（元）`),
      '合计（元）',
    ]),
  );
  for (const s of result.totals.bySchool) {
    const amounts = perBenefit(s.benefits).map((x) => x.amountFen);
    const row = summary.addRow([
      cellText(schoolTitle(s.school, s.schoolName)),
      s.township ?? '',
      ...amounts.map(yuanCell),
      yuanCell(amounts.reduce(addFen, 0)),
    ]);
    row.getCell(2).numFmt = '@';
    for (let c = 3; c <= paid.length + 3; c++) row.getCell(c).numFmt = YUAN_FORMAT;
  }
  writeSignatures(summary, '教育局、财政局');
  summary.commit();

  // One sheet per paying school (decisions are sorted by paying school).
  const bySchool = new Map<string, SubsidyDecision[]>();
  for (const d of result.decisions) {
    if (d.status !== 'ELIGIBLE' || !paidCodes.has(d.benefit) || d.amountFen === 0) continue;
    const key = d.payerSchool ?? '';
    let list = bySchool.get(key);
    if (!list) {
      list = [];
      bySchool.set(key, list);
    }
    list.push(d);
  }
  for (const s of result.totals.bySchool) {
    const decisions = bySchool.get(s.school);
    if (!decisions) continue;
    const ws = workbook.addWorksheet(namer(s.schoolName ?? (s.school || '未注明学校')), {
      pageSetup: PORTRAIT,
    });
    ws.columns = LIST_COLUMNS.map((c, i) => ({ width: c.width, style: i === 2 ? TEXT_STYLE : {} }));
    writeTitle(ws, result, '资助发放名单', LIST_COLUMNS.length);
    ws.addRow([
      cellText(`学校 school：${schoolTitle(s.school, s.schoolName)}`),
      '',
      '',
      '',
      `乡镇：${s.township ?? '—'}`,
    ]);
    let schoolTotal = 0;
    for (const benefit of paid) {
      const list = decisions.filter((d) => d.benefit === benefit.code).sort(byClass);
      if (list.length === 0) continue;
      ws.addRow([]);
      const heading = ws.addRow([
        cellText(`${benefit.name.zh}（${benefit.code}，${PAYMENT_NAMES_ZH[benefit.payment]}）`),
      ]);
      heading.font = { bold: true };
      // Cash is signed for by whoever receives it; school funding has no personal receipt.
      const headers = LIST_COLUMNS.map((c) => c.header);
      styleHeader(ws.addRow(benefit.payment === 'CASH' ? headers : headers.slice(0, -1)));
      let subtotal = 0;
      list.forEach((d, i) => {
        const note = d.explanation.transfer
          ? `转学：学生现在${d.schoolName ?? d.school ?? '其他学校'}，本学期由本校发放`
          : d.explanation.categories.map((c) => CATEGORY_NAMES[c.category].zh).join('、');
        const row = ws.addRow([
          i + 1,
          cellText(d.name ?? ''),
          idOf(d, options),
          cellText(d.grade ?? (d.stage ? STAGE_NAMES[d.stage].zh : '')),
          cellText(d.className ?? ''),
          cellText(
            d.explanation.group?.name.zh ?? (d.explanation.transfer ? '本学期由本校核定（转学前）' : ''),
          ),
          yuanCell(d.amountFen),
          cellText(note),
          '',
        ]);
        row.getCell(3).numFmt = '@';
        row.getCell(7).numFmt = YUAN_FORMAT;
        subtotal = addFen(subtotal, d.amountFen);
      });
      const sub = ws.addRow(['', `小计 ${list.length} 人`, '', '', '', '', yuanCell(subtotal)]);
      sub.getCell(7).numFmt = YUAN_FORMAT;
      styleTotal(sub);
      schoolTotal = addFen(schoolTotal, subtotal);
    }
    ws.addRow([]);
    const total = ws.addRow(['', '合计', '', '', '', '', yuanCell(schoolTotal)]);
    total.getCell(7).numFmt = YUAN_FORMAT;
    styleTotal(total);
    writeSignatures(ws, '学校');
    ws.commit();
  }

  // 暂缓 — held children, for the schools to verify.
  const held = workbook.addWorksheet(namer('暂缓 held'), {
    pageSetup: LANDSCAPE,
    views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }],
  });
  held.columns = [
    { width: 24 },
    { width: 10 },
    { width: 21, style: TEXT_STYLE },
    { width: 24 },
    { width: 12 },
    { width: 70 },
  ];
  styleHeader(
    held.addRow([
      '学校 school',
      '姓名 name',
      '身份证号 ID',
      '资助项目 benefit',
      '暂缓金额（元）',
      '原因 reason',
    ]),
  );
  for (const d of result.decisions) {
    if (d.status !== 'ON_HOLD' || !paidCodes.has(d.benefit)) continue;
    const benefit = result.policy.benefits.find((b) => b.code === d.benefit)!;
    const row = held.addRow([
      cellText(schoolTitle(d.payerSchool ?? '', d.payerSchoolName)),
      cellText(d.name ?? ''),
      idOf(d, options),
      cellText(benefit.name.zh),
      yuanCell(d.heldFen),
      cellText(d.reason.zh),
    ]);
    row.getCell(3).numFmt = '@';
    row.getCell(5).numFmt = YUAN_FORMAT;
  }
  held.commit();
  await workbook.commit();
}
