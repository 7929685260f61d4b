/**
 * 表头识别 — finds the header row of an uploaded roster and maps its columns to record fields.
 *
 * Exports from different systems name the same column differently (身份证号 / 身份证件号 / 公民身份号码 …),
 * add markers ('*姓名', '姓名（必填）'), wrap header text over two lines, and put title rows above the
 * header ('XX县2025年秋季学期学籍名单', often a merged cell). The header is the first of the first 20
 * non-empty rows that names every required column of the kind; rows above it are skipped.
 */

import { ROSTER_KIND_NAMES_ZH, type RosterKind } from '../../../shared/roster-kind';
import {
  ROSTER_FIELD_NAMES_EN,
  ROSTER_FIELD_NAMES_ZH,
  type RosterFieldName,
} from '../../../shared/rosters/records';
import { redactText } from '../../../shared/runtime/redact';
import type { RawCell, RawRow } from './raw-rows';

/** A column a roster may have: a record field, or `leaveType` (请假类型), which only refines `status`. */
export type InputField = Exclude<RosterFieldName, 'extra'> | 'leaveType';

/** How many non-empty rows from the top may hold the header. */
export const HEADER_SEARCH_ROWS = 20;

const ID_VARIANTS = [
  '身份证号',
  '身份证号码',
  '身份证件号',
  '身份证件号码',
  '公民身份号码',
  '公民身份证号',
  '公民身份证号码',
  '居民身份证号',
  '居民身份证号码',
  '证件号码',
  '证件号',
  '身份证',
  '学生身份证号',
  '学生身份证号码',
  '学生身份证件号',
  '儿童身份证号',
  '儿童身份证号码',
  '身份证号(学生)',
];
const STUDENT_NUMBER_VARIANTS = [
  '学籍号',
  '全国学籍号',
  '学籍辅号',
  '学生学籍号',
  '全国学籍号码',
  '学籍号码',
];
const NAME_VARIANTS = [
  '姓名',
  '学生姓名',
  '儿童姓名',
  '幼儿姓名',
  '家庭成员姓名',
  '成员姓名',
  '人员姓名',
  '名字',
];
const SCHOOL_VARIANTS = {
  studentNumber: STUDENT_NUMBER_VARIANTS,
  schoolName: ['学校名称', '学校', '学校全称', '就读学校', '所在学校', '就读学校名称'],
  schoolCode: ['学校标识码', '学校代码', '学校识别码'],
  grade: ['年级', '所在年级', '就读年级', '年级名称'],
  className: ['班级', '班级名称', '所在班级', '班别', '班号'],
} as const;

/**
 * 表头别名 — per kind, each field and the header texts that mean it (written as users write them;
 * they are normalised like the file's headers before matching). Order matters only for display:
 * the first variant is the one the "how to fix" message recommends.
 */
export const HEADER_VARIANTS: { [K in RosterKind]: Partial<Record<InputField, readonly string[]>> } = {
  household: {
    idNumber: [...ID_VARIANTS, '成员身份证号', '家庭成员身份证号'],
    studentNumber: STUDENT_NUMBER_VARIANTS,
    name: NAME_VARIANTS,
    sex: ['性别'],
    birthDate: ['出生日期', '出生年月', '出生年月日', '生日'],
    address: [
      '住址',
      '家庭住址',
      '户籍地址',
      '现住址',
      '居住地址',
      '详细地址',
      '户籍地',
      '家庭地址',
      '户籍所在地',
    ],
    guardianName: ['监护人姓名', '监护人', '家长姓名', '家长'],
    householdNumber: ['户号', '户编号', '户口簿编号', '户口本编号'],
    regionCode: ['行政区划代码', '区划代码', '户籍地行政区划代码', '户籍地代码', '户籍所在地代码'],
  },
  enrollment: {
    idNumber: ID_VARIANTS,
    name: NAME_VARIANTS,
    sex: ['性别'],
    birthDate: ['出生日期', '出生年月', '出生年月日', '生日'],
    ...SCHOOL_VARIANTS,
    boarding: ['就读方式', '是否住校', '是否寄宿', '是否寄宿生', '寄宿情况', '住宿情况', '住校情况'],
    stage: ['学段'],
  },
  headcount: {
    idNumber: ID_VARIANTS,
    name: NAME_VARIANTS,
    sex: ['性别'],
    birthDate: ['出生日期', '出生年月', '出生年月日', '生日'],
    ...SCHOOL_VARIANTS,
    present: [
      '在校情况',
      '状态',
      '到校情况',
      '在校状态',
      '是否在校',
      '是否到校',
      '报到情况',
      '是否报到',
      '在读状态',
    ],
  },
  attendance: {
    idNumber: ID_VARIANTS,
    name: NAME_VARIANTS,
    sex: ['性别'],
    birthDate: ['出生日期', '出生年月', '出生年月日', '生日'],
    ...SCHOOL_VARIANTS,
    date: ['日期', '考勤日期', '出勤日期', '缺勤日期', '记录日期'],
    status: ['出勤状态', '考勤状态', '出勤情况', '考勤情况', '考勤结果', '状态'],
    leaveType: ['请假类型', '请假类别', '缺勤类型', '缺勤原因类型'],
    leaveApproved: ['请假审批', '审批状态', '是否批准', '审批结果', '请假审批状态', '是否审批'],
  },
  poverty: {
    idNumber: ID_VARIANTS,
    studentNumber: STUDENT_NUMBER_VARIANTS,
    name: NAME_VARIANTS,
    sex: ['性别'],
    birthDate: ['出生日期', '出生年月', '出生年月日', '生日'],
    category: [
      '监测类型',
      '户类型',
      '人口类型',
      '监测对象类型',
      '监测对象类别',
      '户类别',
      '家庭类型',
      '脱贫户类型',
      '类型',
      '类别',
    ],
  },
  assistance: {
    idNumber: ID_VARIANTS,
    studentNumber: STUDENT_NUMBER_VARIANTS,
    name: NAME_VARIANTS,
    sex: ['性别'],
    birthDate: ['出生日期', '出生年月', '出生年月日', '生日'],
    category: [
      '救助类型',
      '救助类别',
      '保障类型',
      '保障类别',
      '人员类别',
      '困境类型',
      '儿童类别',
      '类型',
      '类别',
    ],
  },
  disability: {
    idNumber: [...ID_VARIANTS, '残疾人身份证号', '残疾人身份证号码'],
    studentNumber: STUDENT_NUMBER_VARIANTS,
    name: [...NAME_VARIANTS, '残疾人姓名'],
    sex: ['性别'],
    birthDate: ['出生日期', '出生年月', '出生年月日', '生日'],
    category: ['残疾类别', '残疾类型', '残疾种类'],
    level: ['残疾等级', '残疾级别'],
  },
  deferral: {
    idNumber: ID_VARIANTS,
    name: NAME_VARIANTS,
    sex: ['性别'],
    birthDate: ['出生日期', '出生年月', '出生年月日', '生日'],
    ...SCHOOL_VARIANTS,
    type: ['缓学/休学', '缓学或休学', '缓休学类型', '申请类型', '类型', '类别'],
    from: ['开始日期', '起始日期', '开始时间', '起始时间', '缓学开始日期', '休学开始日期', '起始日'],
    until: [
      '结束日期',
      '截止日期',
      '到期日期',
      '结束时间',
      '截止时间',
      '期满日期',
      '缓学截止日期',
      '休学截止日期',
      '缓学结束日期',
      '休学结束日期',
    ],
    approvalRef: ['批准文号', '审批文号', '批文号', '审批编号', '批准文件号'],
    reason: ['原因', '缓学原因', '休学原因', '申请原因'],
  },
};

/**
 * 必填列 — besides the person (身份证号 or 学籍号, and 姓名), the columns a kind's header must have.
 * Every other column is optional.
 */
export const REQUIRED_FIELDS: { [K in RosterKind]: readonly InputField[] } = {
  household: [],
  enrollment: [],
  headcount: ['present'],
  attendance: ['date', 'status'],
  poverty: ['category'],
  assistance: ['category'],
  disability: [],
  deferral: ['type', 'from', 'until'],
};

/** 序号 — the running number column: recognised so that it is neither a field nor an extra column. */
const SERIAL_VARIANTS = ['序号', '序', '编号序号', 'no', 'no.', '行号'];

const INPUT_FIELD_NAMES_ZH: Record<InputField, string> = { ...ROSTER_FIELD_NAMES_ZH, leaveType: '请假类型' };
const INPUT_FIELD_NAMES_EN: Record<InputField, string> = {
  ...ROSTER_FIELD_NAMES_EN,
  leaveType: 'leave type',
};

/** The Chinese name of an input field, for messages. */
export function fieldNameZh(field: InputField): string {
  return INPUT_FIELD_NAMES_ZH[field];
}
/** The English name of an input field, for messages. */
export function fieldNameEn(field: InputField): string {
  return INPUT_FIELD_NAMES_EN[field];
}

/**
 * Normalises header text for matching: NFKC (full-width letters, digits, parentheses and spaces become
 * half-width), every whitespace removed (also line breaks inside a wrapped header cell), lower-case,
 * required-markers removed ('*', '(必填)', '【必填】', '(选填)').
 */
export function normaliseHeader(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\s\u200B-\u200D\u2060\uFEFF]+/g, '')
    .toLowerCase()
    .replace(/[[(【〔](?:必填|必填项|必录|选填|可选|非必填)[\])】〕]/g, '')
    .replace(/^\*+|\*+$/g, '');
}

/** Drops a trailing explanation in brackets: '出生日期(格式:2015-01-01)' → '出生日期'. */
function withoutTrailingNote(normalised: string): string {
  return normalised.replace(/[[(【〔][^\])】〕]*[\])】〕]$/, '');
}

type HeaderLookup = ReadonlyMap<string, InputField | 'serial'>;
const LOOKUPS = new Map<RosterKind, HeaderLookup>();

function lookupFor(kind: RosterKind): HeaderLookup {
  let lookup = LOOKUPS.get(kind);
  if (!lookup) {
    const map = new Map<string, InputField | 'serial'>();
    for (const variant of SERIAL_VARIANTS) map.set(normaliseHeader(variant), 'serial');
    for (const [field, variants] of Object.entries(HEADER_VARIANTS[kind]) as [InputField, string[]][]) {
      for (const variant of variants) {
        const key = normaliseHeader(variant);
        if (!map.has(key)) map.set(key, field);
      }
    }
    lookup = map;
    LOOKUPS.set(kind, lookup);
  }
  return lookup;
}

/** The field a header text means for `kind`, 'serial' for 序号, or undefined when unknown. */
export function recogniseHeader(kind: RosterKind, text: string): InputField | 'serial' | undefined {
  const lookup = lookupFor(kind);
  const normalised = normaliseHeader(text);
  if (normalised === '') return undefined;
  return lookup.get(normalised) ?? lookup.get(withoutTrailingNote(normalised));
}

/** One column of the header row. `header` is the header text as the uploader wrote it (trimmed). */
export type HeaderColumn =
  | { index: number; header: string; role: 'field'; field: InputField }
  | { index: number; header: string; role: 'serial' }
  | { index: number; header: string; role: 'extra' };

/** 表头映射 — the recognised header row. */
export interface HeaderMapping {
  kind: RosterKind;
  /** Line of the header row in the file. */
  line: number;
  columns: HeaderColumn[];
  /** The column of each recognised field (the first one, when two columns mean the same field). */
  fields: Partial<Record<InputField, HeaderColumn & { role: 'field' }>>;
  /** 序号, ignored. */
  serialColumn?: HeaderColumn;
  /** Unknown columns, kept in the record's `extra` under their header text. */
  extraColumns: (HeaderColumn & { role: 'extra' })[];
}

/** A requirement the header row must meet: the person's identity, the name, or a kind-specific field. */
export type HeaderRequirement = 'identity' | InputField;

export interface HeaderNotFound {
  code: 'HEADER_NOT_FOUND';
  zh: string;
  en: string;
  /** What the closest row lacked (or every requirement when nothing was recognised). */
  missing: HeaderRequirement[];
  /** Line of the closest row, if any row had at least one recognised header. */
  closestLine?: number;
  /** Cell texts of the closest row (or of the first non-empty row), masked and shortened. */
  seenHeaders: string[];
}

export type HeaderResult = { ok: true; header: HeaderMapping } | { ok: false; error: HeaderNotFound };

/** Text of a cell as shown, trimmed (also of NBSP, full-width and zero-width spaces); '' for an empty cell. */
export function cellText(cell: RawCell | undefined): string {
  if (!cell || cell.kind === 'empty') return '';
  return cell.text.replace(/[\u200B-\u200D\u2060\uFEFF]/g, '').trim();
}

/** True when every cell of the row is empty or whitespace. */
export function isBlankRow(row: RawRow): boolean {
  return row.cells.every((cell) => cellText(cell) === '');
}

/** Excel's column letter for a 0-based index: 0 → A, 26 → AA. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    out = String.fromCharCode(65 + rem) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** The label of a column without header text: '列K'. */
export function unnamedColumnLabel(index: number): string {
  return `列${columnLetter(index)}`;
}

interface RowMatch {
  mapping: HeaderMapping;
  recognised: number;
  missing: HeaderRequirement[];
}

/** Maps one row as if it were the header row, and says which requirements it misses. */
export function matchHeaderRow(row: RawRow, kind: RosterKind): RowMatch {
  const columns: HeaderColumn[] = [];
  const fields: HeaderMapping['fields'] = {};
  const extraColumns: HeaderMapping['extraColumns'] = [];
  let serialColumn: HeaderColumn | undefined;
  let recognised = 0;
  const usedLabels = new Set<string>();
  row.cells.forEach((cell, index) => {
    const written = cellText(cell).replace(/\s+/g, ' ');
    const meaning = written === '' ? undefined : recogniseHeader(kind, written);
    if (meaning === 'serial' && !serialColumn) {
      serialColumn = { index, header: written, role: 'serial' };
      columns.push(serialColumn);
      recognised++;
      return;
    }
    if (meaning && meaning !== 'serial' && !fields[meaning]) {
      const column = { index, header: written, role: 'field' as const, field: meaning };
      fields[meaning] = column;
      columns.push(column);
      recognised++;
      return;
    }
    if (written === '') return; // an empty header cell: its data, if any, is labelled by column letter
    // Unknown, or a second column for a field already mapped: kept as an extra column.
    let label = written;
    for (let n = 2; usedLabels.has(label); n++) label = `${written} (${n})`;
    usedLabels.add(label);
    const column = { index, header: label, role: 'extra' as const };
    extraColumns.push(column);
    columns.push(column);
  });
  const missing: HeaderRequirement[] = [];
  if (!fields.idNumber && !fields.studentNumber) missing.push('identity');
  if (!fields.name) missing.push('name');
  for (const field of REQUIRED_FIELDS[kind]) if (!fields[field]) missing.push(field);
  const mapping: HeaderMapping = { kind, line: row.line, columns, fields, extraColumns };
  if (serialColumn) mapping.serialColumn = serialColumn;
  return { mapping, recognised, missing };
}

/**
 * The incremental header search the validator runs while rows stream in: offer rows one by one until
 * it answers 'found' or 'failed'.
 */
export function createHeaderSearch(kind: RosterKind) {
  let nonEmpty = 0;
  let closest: RowMatch | undefined;
  let firstRow: RawRow | undefined;
  let result: HeaderResult | undefined;

  function fail(): HeaderResult {
    result = { ok: false, error: headerNotFound(kind, closest, firstRow) };
    return result;
  }

  return {
    /** Looks at the next row. 'blank' and 'skipped' rows lie above the header. */
    offer(row: RawRow): 'found' | 'blank' | 'skipped' | 'failed' {
      if (result) return result.ok ? 'found' : 'failed';
      if (isBlankRow(row)) return 'blank';
      nonEmpty++;
      firstRow ??= row;
      const match = matchHeaderRow(row, kind);
      if (match.missing.length === 0) {
        result = { ok: true, header: match.mapping };
        return 'found';
      }
      if (match.recognised > 0 && (!closest || match.recognised > closest.recognised)) closest = match;
      if (nonEmpty >= HEADER_SEARCH_ROWS) {
        fail();
        return 'failed';
      }
      return 'skipped';
    },
    /** The outcome: the header, or why none was found (also when the file ended first). */
    result(): HeaderResult {
      return result ?? fail();
    },
  };
}

/**
 * Finds the header row among the first 20 non-empty rows: the first that maps the kind's required
 * columns. Title rows above it (also merged title cells) are skipped.
 */
export function findHeaderRow(rows: readonly RawRow[], kind: RosterKind): HeaderResult {
  const search = createHeaderSearch(kind);
  for (const row of rows) {
    const outcome = search.offer(row);
    if (outcome === 'found' || outcome === 'failed') break;
  }
  return search.result();
}

const MAX_SEEN_HEADERS = 30;
const MAX_SEEN_HEADER_LENGTH = 20;

/** Shows a cell text in a message: IDs and phone numbers masked, long text shortened. */
function showCell(text: string): string {
  const masked = redactText(text.replace(/\s+/g, ' ').trim());
  return masked.length > MAX_SEEN_HEADER_LENGTH ? `${masked.slice(0, MAX_SEEN_HEADER_LENGTH)}…` : masked;
}

function requirementZh(requirement: HeaderRequirement): string {
  if (requirement === 'identity') return '身份证号（或学籍号）';
  return fieldNameZh(requirement);
}

function requirementEn(requirement: HeaderRequirement): string {
  if (requirement === 'identity') return 'ID number (or student number)';
  return fieldNameEn(requirement);
}

/** '“身份证号”（也可用：身份证号码、身份证件号、公民身份号码）' — what to rename a column to. */
function renameHint(kind: RosterKind, requirement: HeaderRequirement): { zh: string; en: string } {
  const variants =
    requirement === 'identity'
      ? (HEADER_VARIANTS[kind].idNumber ?? [])
      : (HEADER_VARIANTS[kind][requirement] ?? []);
  const [first, ...others] = variants.slice(0, 5);
  const alternatives = others.join('、');
  const zh =
    `“${first}”` +
    (alternatives ? `（也可用：${alternatives}）` : '') +
    (requirement === 'identity' ? '，或“学籍号”' : '');
  const en =
    `"${first}"` +
    (others.length ? ` (or ${others.join(', ')})` : '') +
    (requirement === 'identity' ? ', or "学籍号" for the student number' : '');
  return { zh, en };
}

function headerNotFound(
  kind: RosterKind,
  closest: RowMatch | undefined,
  firstRow: RawRow | undefined,
): HeaderNotFound {
  const kindZh = ROSTER_KIND_NAMES_ZH[kind];
  const allRequirements: HeaderRequirement[] = ['identity', 'name', ...REQUIRED_FIELDS[kind]];
  const missing = closest ? closest.missing : allRequirements;
  const sourceRow = closest ? undefined : firstRow;
  const seenHeaders = (
    closest
      ? closest.mapping.columns.map((c) => c.header)
      : (sourceRow?.cells.map(cellText).filter((t) => t !== '') ?? [])
  )
    .slice(0, MAX_SEEN_HEADERS)
    .map(showCell);
  const required = allRequirements.map((r) => requirementZh(r)).join('、');
  const requiredEn = allRequirements.map(requirementEn).join(', ');
  const missingZh = missing.map((r) => requirementZh(r)).join('、');
  const missingEn = missing.map(requirementEn).join(', ');
  const hints = missing.map((r) => renameHint(kind, r));
  const seenZh = seenHeaders.length ? seenHeaders.join('、') : '（无）';
  const seenEn = seenHeaders.length ? seenHeaders.join(' | ') : '(none)';

  let zh = `未找到${kindZh}名单的表头：前 ${HEADER_SEARCH_ROWS} 个非空行中没有一行同时包含必填列 ${required}。`;
  let en = `No header row found for the ${kind} roster: none of the first ${HEADER_SEARCH_ROWS} non-empty rows has all the required columns (${requiredEn}).`;
  if (closest) {
    zh += `最接近表头的是第 ${closest.mapping.line} 行，缺少：${missingZh}；该行的列名为：${seenZh}。`;
    en += ` The closest is line ${closest.mapping.line}, which lacks: ${missingEn}. Its headers are: ${seenEn}.`;
  } else if (sourceRow) {
    zh += `没有识别出任何列名，文件可能缺少表头行。第 ${sourceRow.line} 行的内容为：${seenZh}。`;
    en += ` No column name was recognised; the file may lack a header row. Line ${sourceRow.line} reads: ${seenEn}.`;
  } else {
    zh += '文件中没有任何内容。';
    en += ' The file has no content.';
  }
  zh += `请把相应列的列名改为${hints.map((h) => h.zh).join('；')}，并确认表头在前 ${HEADER_SEARCH_ROWS} 行之内，然后重新上传。`;
  en += ` Rename the columns to ${hints.map((h) => h.en).join('; ')}, make sure the header is within the first ${HEADER_SEARCH_ROWS} rows, and upload the file again.`;
  const error: HeaderNotFound = { code: 'HEADER_NOT_FOUND', zh, en, missing, seenHeaders };
  if (closest) error.closestLine = closest.mapping.line;
  return error;
}
