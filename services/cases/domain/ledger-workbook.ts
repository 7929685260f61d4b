/**
 * 控辍保学台账导出 — the ledger workbook bureaus keep: 控辍保学台账 (one row per case, in the column order
 * of the bureaus' own ledgers), the Ministry's three ledgers as of the same date (适龄儿童台账,
 * 疑似辍学学生台账, 辍学学生台账, with their 动态销号 rows), then one sheet per school.
 *
 * Everything is shown as of `asOf`: the state is replayed from the case history and dated facts (visits,
 * 四步法 steps, placement, 复学) after asOf are left out, so a workbook for a past date is the ledger as it
 * stood that day. ID numbers are written as text and every text cell goes through neutraliseFormula: names
 * and school names come from uploaded rosters.
 */
import type { Writable } from 'node:stream';
import type ExcelJS from 'exceljs';
import {
  CASE_STATE_NAMES_ZH,
  CAUSE_CATEGORY_NAMES_ZH,
  OUTCOME_NAMES_ZH,
  OVERDUE_ITEM_NAMES_ZH,
  SUSPICION_SOURCE_NAMES_ZH,
} from '../../../shared/events/vocab';
import type { Role } from '../../../shared/org';
import { CHAIN_POSITION_NAMES_ZH, type ChainPosition } from '../../../shared/region-settings';
import { SEX_NAMES_ZH } from '../../../shared/rosters/records';
import {
  PRINT,
  type SheetNamer,
  sheetNamer,
  type TableCell,
  type TableColumn,
  writeTable,
  xlsxWriter,
} from '../../../shared/spreadsheet-export';
import { CHILD_FLAG_NAMES_ZH } from '../../comparison/port';
import { type CaseRecord, PLACEMENT_NAMES_ZH, REPORT_LINE_NAMES_ZH, type ResponsibleChain } from './case';
import {
  type AgeCohortRow,
  buildLedgers,
  caseStatusZh,
  closureAsOf,
  exitEvidenceZh,
  exitKindZh,
  LEDGER_NAMES_ZH,
  type LedgerKind,
  type LedgerRow,
  ledgerRowStatusZh,
  overdueAsOf,
  stateAsOf,
} from './ledgers';

export type IdVisibility = 'full' | 'masked';

export interface CaseLedgerWorkbookOptions {
  /** 'full' only for roles allowed to see ID numbers; 'masked' shows 5301**********123X. */
  idVisibility: IdVisibility;
  asOf: string;
  /** Printed in each sheet's page header, e.g. 富民县. */
  regionName?: string;
  /** The comparison's children for the 适龄儿童台账 sheet; without them that sheet has only its header. */
  children?: readonly AgeCohortRow[];
  /** 乡镇 names by code: cases hold the 9-digit code. */
  townshipNames?: Readonly<Record<string, string>>;
}

export const CASE_LEDGER_SHEET = '控辍保学台账';

interface Column<T> extends TableColumn {
  value: (row: T, index: number) => TableCell;
}

// ── the case ledger's columns ────────────────────────────────────────────────────────────────────────

const GOVERNMENT_LINE: readonly ChainPosition[] = [
  'COUNTY_HEAD',
  'TOWNSHIP_HEAD',
  'VILLAGE_HEAD',
  'GROUP_HEAD',
];
const EDUCATION_LINE: readonly ChainPosition[] = [
  'BUREAU_HEAD',
  'PRINCIPAL',
  'HEAD_TEACHER',
  'CONTACT_TEACHER',
];

const ESCALATED_TO_ZH = {
  school: '学校',
  township: '乡镇',
  county: '县教育行政部门',
  partner: '协作部门',
} as const satisfies Record<Exclude<Role, 'ops'>, string>;

/** One case as the ledger shows it on asOf. */
interface CaseLine {
  record: CaseRecord;
  asOf: string;
  full: boolean;
  townshipNames: Readonly<Record<string, string>>;
}

/** 性别 from the 17th character (odd = male), which the masked form 5301**********123X keeps too. */
function sexOf(id: string | undefined): string {
  const digit = id && id.length === 18 ? Number(id[16]) : Number.NaN;
  if (Number.isNaN(digit)) return '';
  return SEX_NAMES_ZH[digit % 2 === 1 ? 'M' : 'F'];
}

function shownId(line: { full: boolean; idNumber?: string; maskedId: string }): string {
  return line.full && line.idNumber ? line.idNumber : line.maskedId;
}

function people(chain: ResponsibleChain, positions: readonly ChainPosition[], full: boolean): string {
  return positions
    .flatMap((position) => {
      const p = chain[position];
      if (!p) return [];
      const title = p.title ? `（${p.title}）` : '';
      // Phone numbers only where the full record may be seen: a masked export leaves the building.
      const phone = full && p.phone ? ` ${p.phone}` : '';
      return [`${CHAIN_POSITION_NAMES_ZH[position]}：${p.name}${title}${phone}`];
    })
    .join('；');
}

function flagsZh(flags: readonly string[]): string {
  const names: Readonly<Record<string, string>> = CHILD_FLAG_NAMES_ZH;
  return flags.map((f) => names[f] ?? f).join('、');
}

function fourStepProgress(record: CaseRecord, asOf: string): string {
  return record.fourStep
    .filter((s) => s.date <= asOf)
    .map((s) => {
      const deadline = s.deadline ? `，限期至 ${s.deadline}` : '';
      const reminders = s.reminders.filter((r) => r.date <= asOf).length;
      const reminded = reminders > 0 ? `，催告 ${reminders} 次` : '';
      return `${CASE_STATE_NAMES_ZH[s.step]} ${s.date}（${s.documentRef}${deadline}${reminded}）`;
    })
    .join(' → ');
}

function placementOf(record: CaseRecord, asOf: string): string {
  const p = record.placement;
  if (!p || p.since > asOf) return '';
  const visits = p.kind === 'HOME_TEACHING' ? `，已送教 ${p.visits.filter((d) => d <= asOf).length} 次` : '';
  return `${PLACEMENT_NAMES_ZH[p.kind]}（${p.since} 起${visits}）`;
}

function overdueText(record: CaseRecord, asOf: string): string {
  const lines: Readonly<Record<string, string>> = REPORT_LINE_NAMES_ZH;
  return overdueAsOf(record, asOf)
    .map((o) => {
      // 三线报告 is owed per line: say which line has not acknowledged.
      const line = o.item === 'THREE_LINE_REPORT' ? lines[o.dutyKey.split(':')[1] ?? ''] : undefined;
      const what = line ? `${OVERDUE_ITEM_NAMES_ZH[o.item]}·${line}` : OVERDUE_ITEM_NAMES_ZH[o.item];
      return `${what}（${o.dueOn} 到期，已升级至${ESCALATED_TO_ZH[o.escalatedTo]}）`;
    })
    .join('；');
}

const CASE_COLUMNS: readonly Column<CaseLine>[] = [
  { header: '序号', width: 6, value: (_, i) => i + 1 },
  {
    header: '乡镇',
    width: 14,
    value: ({ record: r, townshipNames }) => townshipName(r.township, townshipNames),
  },
  { header: '学校', width: 24, value: ({ record: r }) => r.schoolName ?? r.school ?? '' },
  { header: '姓名', width: 10, value: ({ record: r }) => r.name ?? '' },
  {
    header: '身份证号',
    width: 21,
    text: true,
    value: ({ record: r, full }) => shownId({ full, idNumber: r.idNumber, maskedId: r.child.maskedId }),
  },
  { header: '性别', width: 6, value: ({ record: r }) => sexOf(r.child.maskedId) },
  { header: '疑似辍学时间', width: 12, value: ({ record: r }) => r.openedOn },
  { header: '来源', width: 14, value: ({ record: r }) => SUSPICION_SOURCE_NAMES_ZH[r.source] },
  {
    header: '辍学原因',
    width: 14,
    value: ({ record: r }) => (r.causeCategory ? CAUSE_CATEGORY_NAMES_ZH[r.causeCategory] : ''),
  },
  {
    header: '重点群体',
    width: 16,
    value: ({ record: r }) => {
      const flags = flagsZh(r.flags);
      return r.priority ? `是${flags ? `（${flags}）` : ''}` : flags ? `否（${flags}）` : '否';
    },
  },
  {
    header: '当前状态',
    width: 16,
    value: ({ record: r, asOf }) => {
      const state = stateAsOf(r, asOf);
      if (!state) return '';
      return caseStatusZh(state, closureAsOf(r, asOf));
    },
  },
  {
    header: '包保责任人（政府线）',
    width: 32,
    value: ({ record: r, full }) => people(r.chain, GOVERNMENT_LINE, full),
  },
  {
    header: '包保责任人（教育线）',
    width: 32,
    value: ({ record: r, full }) => people(r.chain, EDUCATION_LINE, full),
  },
  {
    header: '监护人',
    width: 16,
    value: ({ record: r, full }) => {
      const g = r.chain.GUARDIAN;
      if (!g) return '';
      return `${g.name}${g.title ? `（${g.title}）` : ''}${full && g.phone ? ` ${g.phone}` : ''}`;
    },
  },
  {
    header: '劝返次数',
    width: 8,
    value: ({ record: r, asOf }) => r.persuasionActions.filter((d) => d <= asOf).length,
  },
  {
    header: '最近一次家访',
    width: 12,
    value: ({ record: r, asOf }) =>
      r.persuasionActions
        .filter((d) => d <= asOf)
        .toSorted()
        .at(-1) ?? '',
  },
  { header: '依法控辍进度', width: 40, value: ({ record: r, asOf }) => fourStepProgress(r, asOf) },
  { header: '安置方式', width: 22, value: ({ record: r, asOf }) => placementOf(r, asOf) },
  {
    header: '复学时间',
    width: 12,
    value: ({ record: r, asOf }) =>
      r.returned && r.returned.returnedOn <= asOf ? r.returned.returnedOn : '',
  },
  {
    header: '结案方式',
    width: 16,
    value: ({ record: r, asOf }) => {
      const closure = closureAsOf(r, asOf);
      return closure?.closedAs ? CASE_STATE_NAMES_ZH[closure.closedAs] : '';
    },
  },
  { header: '结案时间', width: 12, value: ({ record: r, asOf }) => closureAsOf(r, asOf)?.date ?? '' },
  { header: '逾期事项', width: 36, value: ({ record: r, asOf }) => overdueText(r, asOf) },
  { header: '案件编号', width: 24, text: true, value: ({ record: r }) => r.caseId },
];

/** The case ledger's column headers, in order. */
export const CASE_LEDGER_COLUMNS: readonly string[] = CASE_COLUMNS.map((c) => c.header);

// ── the Ministry ledgers' columns ────────────────────────────────────────────────────────────────────

interface LedgerLine {
  row: LedgerRow;
  full: boolean;
  townshipNames: Readonly<Record<string, string>>;
}

function townshipName(code: string | undefined, names: Readonly<Record<string, string>>): string {
  return code ? (names[code] ?? code) : '';
}

const evidenceText = (row: LedgerRow) => row.evidence.map((e) => `${e.uploadId}#${e.line}`).join(';');

const exitEvidence = (row: LedgerRow) => (row.exit ? exitEvidenceZh(row.exit) : '');

const PERSON_COLUMNS: readonly Column<LedgerLine>[] = [
  { header: '序号', width: 6, value: (_, i) => i + 1 },
  { header: '乡镇', width: 14, value: ({ row, townshipNames }) => townshipName(row.township, townshipNames) },
  { header: '学校', width: 24, value: ({ row }) => row.schoolName ?? row.school ?? '' },
  { header: '姓名', width: 10, value: ({ row }) => row.name ?? '' },
  { header: '身份证号', width: 21, text: true, value: ({ row, full }) => shownId({ full, ...row }) },
  { header: '性别', width: 6, value: ({ row }) => sexOf(row.maskedId) },
];

const AGE_COHORT_COLUMNS: readonly Column<LedgerLine>[] = [
  ...PERSON_COLUMNS,
  { header: '比对结果', width: 24, value: ({ row }) => (row.outcome ? OUTCOME_NAMES_ZH[row.outcome] : '') },
  { header: '当前状态', width: 18, value: ({ row }) => ledgerRowStatusZh(row) },
  { header: '结案时间', width: 12, value: ({ row }) => row.exit?.date ?? '' },
  { header: '结案依据', width: 30, value: ({ row }) => exitEvidence(row) },
  { header: '案件编号', width: 24, text: true, value: ({ row }) => row.caseId ?? '' },
  { header: '依据', width: 36, value: ({ row }) => evidenceText(row) },
];

const CASE_LEDGER_ROW_COLUMNS: readonly Column<LedgerLine>[] = [
  { header: '序号', width: 6, value: (_, i) => i + 1 },
  { header: '台账状态', width: 9, value: ({ row }) => (row.exit ? '已销号' : '在账') },
  ...PERSON_COLUMNS.slice(1),
  { header: '疑似辍学时间', width: 12, value: ({ row }) => row.openedOn ?? '' },
  { header: '列入本台账时间', width: 12, value: ({ row }) => row.enteredOn ?? '' },
  {
    header: '来源',
    width: 14,
    value: ({ row }) => (row.source ? SUSPICION_SOURCE_NAMES_ZH[row.source] : ''),
  },
  {
    header: '辍学原因',
    width: 14,
    value: ({ row }) => (row.causeCategory ? CAUSE_CATEGORY_NAMES_ZH[row.causeCategory] : ''),
  },
  { header: '重点群体', width: 8, value: ({ row }) => (row.priority ? '是' : '否') },
  { header: '当前状态', width: 16, value: ({ row }) => ledgerRowStatusZh(row) },
  { header: '销号时间', width: 12, value: ({ row }) => row.exit?.date ?? '' },
  { header: '销号方式', width: 18, value: ({ row }) => (row.exit ? exitKindZh(row.exit) : '') },
  { header: '销号依据', width: 30, value: ({ row }) => exitEvidence(row) },
  { header: '案件编号', width: 24, text: true, value: ({ row }) => row.caseId ?? '' },
  { header: '依据', width: 36, value: ({ row }) => evidenceText(row) },
];

// ── sheets ───────────────────────────────────────────────────────────────────────────────────────────

/** The page header holds the ledger's title, so the top margin is wider than other exports'. */
const LEDGER_PRINT: Partial<ExcelJS.PageSetup> = {
  ...PRINT,
  margins: { left: 0.3, right: 0.3, top: 0.6, bottom: 0.5, header: 0.3, footer: 0.3 },
};

function writeSheet<T>(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  sheet: { name: string; namer: SheetNamer; title: (sheetName: string) => string },
  columns: readonly Column<T>[],
  rows: readonly T[],
): Promise<void> {
  return writeTable(
    workbook,
    { name: sheet.name, namer: sheet.namer, columns, pageSetup: LEDGER_PRINT, pageHeader: sheet.title },
    (function* () {
      for (const [index, line] of rows.entries()) yield columns.map((c) => c.value(line, index));
    })(),
  );
}

/** The sheet name of each Ministry ledger. */
export const MINISTRY_LEDGER_SHEETS: Readonly<Record<LedgerKind, string>> = LEDGER_NAMES_ZH;

function compareCases(a: CaseRecord, b: CaseRecord): number {
  const ka = [a.township ?? '', a.school ?? a.schoolName ?? '', a.openedOn, a.caseId];
  const kb = [b.township ?? '', b.school ?? b.schoolName ?? '', b.openedOn, b.caseId];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return 0;
}

/**
 * 台账 workbook: 控辍保学台账 with every case opened on or before asOf, the three Ministry ledgers as of
 * asOf (each with its 已销号 rows after the open ones), then one sheet per school (in township order).
 * The Ministry ledgers come before the school sheets so that a county's hundred school sheets do not hide
 * them. `out` is a file path or a stream; the promise settles when the file is complete.
 */
export async function writeCaseLedgerWorkbook(
  records: readonly CaseRecord[],
  options: CaseLedgerWorkbookOptions,
  out: Writable | string,
): Promise<void> {
  const { asOf } = options;
  const full = options.idVisibility === 'full';
  const townshipNames = options.townshipNames ?? {};
  const workbook = xlsxWriter(out);
  const namer = sheetNamer();
  const title = (sheet: string) => [options.regionName, sheet, `截至 ${asOf}`].filter(Boolean).join('  ');
  const ledgerSheet = (name: string) => ({ name, namer, title });

  const cases = records.filter((r) => r.openedOn <= asOf).toSorted(compareCases);
  const lines = cases.map((record): CaseLine => ({ record, asOf, full, townshipNames }));
  await writeSheet(workbook, ledgerSheet(CASE_LEDGER_SHEET), CASE_COLUMNS, lines);

  const ledgers = buildLedgers({ records, children: options.children, asOf });
  const toLines = (rows: readonly LedgerRow[]) =>
    rows.map((row): LedgerLine => ({ row, full, townshipNames }));
  const ministry = MINISTRY_LEDGER_SHEETS;
  await writeSheet(
    workbook,
    ledgerSheet(ministry.AGE_COHORT),
    AGE_COHORT_COLUMNS,
    toLines(ledgers.ageCohort),
  );
  await writeSheet(
    workbook,
    ledgerSheet(ministry.SUSPECTED),
    CASE_LEDGER_ROW_COLUMNS,
    toLines([...ledgers.suspected, ...ledgers.cleared.suspected]),
  );
  await writeSheet(
    workbook,
    ledgerSheet(ministry.DROPOUT),
    CASE_LEDGER_ROW_COLUMNS,
    toLines([...ledgers.dropouts, ...ledgers.cleared.dropouts]),
  );

  const bySchool = new Map<string, CaseLine[]>();
  for (const line of lines) {
    const key = line.record.school ?? line.record.schoolName ?? '';
    const list = bySchool.get(key);
    if (list) list.push(line);
    else bySchool.set(key, [line]);
  }
  for (const schoolLines of bySchool.values()) {
    const first = schoolLines[0]!.record;
    await writeSheet(
      workbook,
      {
        name: first.schoolName ?? first.school ?? '（无学校）',
        namer,
        title: (name) => title(`${name} ${CASE_LEDGER_SHEET}`),
      },
      CASE_COLUMNS,
      schoolLines,
    );
  }
  await workbook.commit();
}
