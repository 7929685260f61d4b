/**
 * 逐行校验 — turns the rows of an uploaded roster, as they stream out of the reader, into records of
 * the kind's schema (shared/rosters/records.ts) and a report of every rejected row and remark.
 *
 * The validator is pure and holds no rows: the caller pushes rows, drains accepted records in batches
 * (so memory stays flat however long the file), and asks for the summary at the end. What it keeps is
 * bounded: the ID numbers seen (to find duplicates) and at most `maxIssues` issue records.
 */
import { checkDigit, maskIdNumber, type ParsedIdNumber, parseIdNumber } from '../../../shared/id-number';
import type { RosterKind } from '../../../shared/roster-kind';
import {
  type RosterRecordByKind,
  rosterRecordFields,
  rosterRecordSchemas,
  SEX_NAMES_ZH,
} from '../../../shared/rosters/records';
import { normaliseValue, stageFromGrade } from '../../../shared/rosters/values';
import { redactText } from '../../../shared/runtime/redact';
import {
  cellText,
  createHeaderSearch,
  fieldNameEn,
  fieldNameZh,
  type HeaderColumn,
  type HeaderMapping,
  type HeaderNotFound,
  type InputField,
  isBlankRow,
  REQUIRED_FIELDS,
  recogniseHeader,
  unnamedColumnLabel,
} from './headers';
import type { RawCell, RawRow } from './raw-rows';
import type { IssueSeverity, RowIssue, RowIssueCode } from './validate-issues';
import {
  ASSISTANCE_CATEGORY_WORDS,
  ATTENDANCE_STATUS_WORDS,
  BOARDING_WORDS,
  DEFERRAL_TYPE_WORDS,
  DISABILITY_CATEGORY_WORDS,
  DISABILITY_LEVEL_WORDS,
  LEAVE_APPROVED_WORDS,
  LEAVE_TYPE_WORDS,
  looksLikeFormula,
  normalisePersonName,
  POVERTY_CATEGORY_WORDS,
  PRESENT_WORDS,
  readBirth,
  readDate,
  readWord,
  SEX_WORDS,
  STAGE_WORDS,
  type Vocabulary,
} from './validate-values';

export type { RowIssue, RowIssueCode } from './validate-issues';

/** Issue records kept in memory; beyond this they are only counted (issueCounts stays exact). */
export const DEFAULT_MAX_ISSUES = 100_000;

export interface ValidationContext {
  /** 'YYYY-MM-DD', China time: birth dates and attendance dates may not be later. */
  today: string;
  /** Cap on kept issue records (default 100,000). */
  maxIssues?: number;
}

/** 通过行 — an accepted row: its line in the file, the stored record, and any remarks. */
export interface ValidatedRow<K extends RosterKind = RosterKind> {
  line: number;
  record: RosterRecordByKind[K];
  warnings: RowIssue[];
}

/** Rows that are not data and are skipped without being counted as rows. */
export interface SkippedRows {
  /** Title and other rows above the header. */
  beforeHeader: number;
  blank: number;
  /** 合计 / 总计 / 小计 rows, and rows with numbers but no ID and no name. */
  total: number;
  /** Signature lines under the table: 填表人, 审核人, 联系电话, 注 … */
  footer: number;
  /** The header repeated inside the data (files glued together from several sheets or pages). */
  repeatedHeader: number;
}

/** 校验结果 — the outcome of one file. rows = accepted + rejected + duplicates. */
export interface ValidationSummary {
  kind: RosterKind;
  /** The recognised header row, when found. */
  header?: {
    line: number;
    columns: { header: string; role: HeaderColumn['role']; field?: InputField }[];
  };
  /** The whole file was refused (no header row): nothing was validated. */
  fileError?: HeaderNotFound;
  /** Data rows: every row after the header that is not blank, a total, a footer or a repeated header. */
  rows: number;
  accepted: number;
  /** Rows with at least one error. */
  rejected: number;
  /** Repeats of an earlier row's key (same ID; for attendance same ID and date): dropped, with a warning. */
  duplicates: number;
  /** Warning issues, over accepted, rejected and duplicate rows. */
  warnings: number;
  skipped: SkippedRows;
  /** Issues by code, counting also those beyond the cap. */
  issueCounts: Partial<Record<RowIssueCode, number>>;
  /** Issue records, in file order, at most maxIssues of them. */
  issues: RowIssue[];
  /** Issues counted but not kept because of the cap. */
  issuesOmitted: number;
}

export interface RosterValidator<K extends RosterKind> {
  /** Takes the next row of the file (rows before the header are searched for it). */
  push(row: RawRow): void;
  /** The accepted rows validated since the last drain, to be written in a batch. */
  drain(): ValidatedRow<K>[];
  /** Counts, header, issues, or the file-level error. Call drain() once more for the last batch. */
  finish(): ValidationSummary;
}

const ID_STORED_AS_NUMBER_ZH = '身份证号被 Excel 存成了数字，后几位已丢失；请把该列设置为文本格式后重新填写';
const ID_STORED_AS_NUMBER_EN =
  'ID stored as a number (Excel dropped the last digits); format the column as text and re-enter it';

const TOTAL_PREFIX = /^(?:合计|总计|小计|共计|总数)/;
// Signature lines under a table; they often start in column A, which may be the ID column.
const FOOTER_PREFIX =
  /^(?:填表人|填报人|制表人|审核人|负责人|联系人|联系电话|填报日期|填表日期|注[:：]|说明[:：]|备注[:：])/;

/** Fields read from the cell as plain text (trimmed). */
const TEXT_FIELDS = new Set<InputField>([
  'address',
  'householdNumber',
  'schoolName',
  'grade',
  'className',
  'approvalRef',
  'reason',
]);
/** Fields whose text is kept as typed, and so is checked for formula-like content. */
const FREE_TEXT_FIELDS: readonly InputField[] = [...TEXT_FIELDS, 'name', 'guardianName'];

function vocabularyFor(kind: RosterKind, field: InputField): Vocabulary<unknown> | undefined {
  switch (field) {
    case 'boarding':
      return BOARDING_WORDS;
    case 'stage':
      return STAGE_WORDS;
    case 'present':
      return PRESENT_WORDS;
    case 'status':
      return ATTENDANCE_STATUS_WORDS;
    case 'leaveApproved':
      return LEAVE_APPROVED_WORDS;
    case 'leaveType':
      return LEAVE_TYPE_WORDS;
    case 'level':
      return DISABILITY_LEVEL_WORDS;
    case 'type':
      return DEFERRAL_TYPE_WORDS;
    case 'category':
      if (kind === 'poverty') return POVERTY_CATEGORY_WORDS;
      if (kind === 'assistance') return ASSISTANCE_CATEGORY_WORDS;
      if (kind === 'disability') return DISABILITY_CATEGORY_WORDS;
      return undefined;
    default:
      return undefined;
  }
}

/** Shows a user's cell value inside a message: ID and phone numbers masked, long text shortened. */
function show(text: string): string {
  const t = redactText(text.replace(/\s+/g, ' ').trim());
  return t.length > 30 ? `${t.slice(0, 30)}…` : t;
}

/** Creates the streaming validator for one roster file of `kind`. */
export function createRosterValidator<K extends RosterKind>(
  kind: K,
  ctx: ValidationContext,
): RosterValidator<K> {
  const maxIssues = ctx.maxIssues ?? DEFAULT_MAX_ISSUES;
  const search = createHeaderSearch(kind);
  const recordFields = new Set<string>(rosterRecordFields(kind));
  const schema = rosterRecordSchemas[kind];
  const seen = new Map<string, number>(); // duplicate key → line of its first accepted row

  let header: HeaderMapping | undefined;
  let headerIndexes = new Set<number>();
  let failed = false;
  let pending: ValidatedRow<K>[] = [];
  const issues: RowIssue[] = [];
  const issueCounts: Partial<Record<RowIssueCode, number>> = {};
  let issuesOmitted = 0;
  const counts = { rows: 0, accepted: 0, rejected: 0, duplicates: 0, warnings: 0 };
  const skipped: SkippedRows = { beforeHeader: 0, blank: 0, total: 0, footer: 0, repeatedHeader: 0 };

  function keep(issue: RowIssue): void {
    issueCounts[issue.code] = (issueCounts[issue.code] ?? 0) + 1;
    if (issue.severity === 'warning') counts.warnings++;
    if (issues.length < maxIssues) issues.push(issue);
    else issuesOmitted++;
  }

  function push(row: RawRow): void {
    if (failed) return;
    if (!header) {
      const outcome = search.offer(row);
      if (outcome === 'found') {
        const result = search.result();
        if (result.ok) {
          header = result.header;
          headerIndexes = new Set(header.columns.map((c) => c.index));
        }
      } else if (outcome === 'failed') failed = true;
      else if (outcome === 'skipped') skipped.beforeHeader++;
      return;
    }
    const skip = classifyNonData(row, header);
    if (skip) {
      skipped[skip]++;
      return;
    }
    counts.rows++;
    const outcome = validateRow(row, header);
    if (outcome.errors) {
      counts.rejected++;
      for (const issue of outcome.issues) keep(issue);
      return;
    }
    const firstLine = seen.get(outcome.key);
    if (firstLine !== undefined) {
      counts.duplicates++;
      keep(duplicateIssue(row.line, firstLine, outcome, header));
      return;
    }
    seen.set(outcome.key, row.line);
    counts.accepted++;
    for (const issue of outcome.issues) keep(issue);
    pending.push({
      line: row.line,
      record: outcome.record as RosterRecordByKind[K],
      warnings: outcome.issues,
    });
  }

  function duplicateIssue(line: number, firstLine: number, outcome: RowAccepted, mapping: HeaderMapping) {
    const idColumn = mapping.fields.idNumber ?? mapping.fields.studentNumber;
    const masked = maskIdNumber(outcome.id);
    const sameWhat =
      kind === 'attendance'
        ? { zh: `同一身份证号 ${masked} 、同一日期`, en: `same ID number ${masked} and same date` }
        : kind === 'assistance'
          ? { zh: `同一身份证号 ${masked} 、同一类别`, en: `same ID number ${masked} and same category` }
          : kind === 'enrollment' || kind === 'headcount'
            ? { zh: `同一身份证号 ${masked} 、同一学校`, en: `same ID number ${masked} and same school` }
            : { zh: `同一身份证号 ${masked}`, en: `same ID number ${masked}` };
    return {
      line,
      column: idColumn?.header ?? '',
      field: 'idNumber',
      code: 'DUPLICATE_IN_FILE' as const,
      severity: 'warning' as const,
      zh: `与第 ${firstLine} 行重复（${sameWhat.zh}）：已保留第 ${firstLine} 行，本行未导入。如确是两条不同记录，请核对身份证号。`,
      en: `Repeats line ${firstLine} (${sameWhat.en}): line ${firstLine} was kept and this row was not imported. If these are two different records, check the ID number.`,
    };
  }

  type RowAccepted = {
    errors: false;
    record: Record<string, unknown>;
    id: string;
    key: string;
    issues: RowIssue[];
  };
  type RowOutcome = RowAccepted | { errors: true; issues: RowIssue[] };

  function validateRow(row: RawRow, mapping: HeaderMapping): RowOutcome {
    const rowIssues: RowIssue[] = [];
    let hasError = false;
    const cellOf = (field: InputField): RawCell | undefined => {
      const column = mapping.fields[field];
      return column ? row.cells[column.index] : undefined;
    };
    const columnOf = (field: InputField): string => mapping.fields[field]?.header ?? fieldNameZh(field);
    const add = (
      field: InputField | 'extra',
      column: string,
      code: RowIssueCode,
      severity: IssueSeverity,
      zh: string,
      en: string,
    ) => {
      if (severity === 'error') hasError = true;
      rowIssues.push({ line: row.line, column, field, code, severity, zh, en });
    };

    // ── identity ──
    const id = resolveIdNumber(cellOf('idNumber'), cellOf('studentNumber'), mapping, ctx.today);
    for (const i of id.issues) add(i.field, columnOf(i.field), i.code, i.severity, i.zh, i.en);

    const nameText = normalisePersonName(cellText(cellOf('name')));
    if (nameText === '') {
      add(
        'name',
        columnOf('name'),
        'NAME_MISSING',
        'error',
        '姓名为空：请填写学生姓名。',
        'The name is empty: enter the child’s name.',
      );
    }

    const record: Record<string, unknown> = {};
    if (id.parsed) {
      record.idNumber = id.parsed.id;
      record.sex = id.parsed.sex;
      record.birthDate = id.parsed.birthDate;
    }
    if (nameText !== '') record.name = nameText;

    if (id.parsed) checkAgainstId(id.parsed, cellOf, columnOf, add);

    // ── the kind's fields ──
    const extra: Record<string, string> = {};
    const putExtra = (label: string, value: string) => {
      let key = label;
      for (let n = 2; Object.hasOwn(extra, key); n++) key = `${label} (${n})`;
      extra[key] = value;
    };
    let leaveType: 'PERSONAL_LEAVE' | 'SICK_LEAVE' | undefined;
    const required = REQUIRED_FIELDS[kind];
    for (const [field, column] of Object.entries(mapping.fields) as [InputField, HeaderColumn][]) {
      if (field === 'idNumber' || field === 'name' || field === 'sex' || field === 'birthDate') continue;
      const cell = row.cells[column.index];
      const text = cellText(cell);
      const isRequired = required.includes(field);
      if (text === '') {
        if (isRequired) {
          add(
            field,
            column.header,
            'REQUIRED_MISSING',
            'error',
            `“${column.header}”为必填项，本行为空：请填写${fieldNameZh(field)}。`,
            `"${column.header}" is required and empty in this row: enter the ${fieldNameEn(field)}.`,
          );
        }
        continue;
      }
      if (field !== 'leaveType' && field !== 'studentNumber' && !recordFields.has(field)) {
        putExtra(column.header, text); // a known column this kind does not store
        continue;
      }
      const value = readField(field, cell, text, column.header, isRequired, add);
      if (value === undefined) continue;
      if (field === 'leaveType') leaveType = value as typeof leaveType;
      else if (field === 'studentNumber' && !recordFields.has(field)) putExtra(column.header, text);
      else record[field] = value;
    }

    if (leaveType && (record.status === 'LEAVE' || record.status === 'ABSENT')) record.status = leaveType;
    if (recordFields.has('stage') && record.stage === undefined && typeof record.grade === 'string') {
      const stage = stageFromGrade(record.grade);
      if (stage) record.stage = stage;
    }
    if (kind === 'attendance' && typeof record.date === 'string' && record.date > ctx.today) {
      add(
        'date',
        columnOf('date'),
        'DATE_IN_FUTURE',
        'error',
        `考勤日期 ${record.date} 晚于今天（${ctx.today}）：请核对日期。`,
        `The attendance date ${record.date} is after today (${ctx.today}): check the date.`,
      );
    }
    if (kind === 'deferral' && typeof record.from === 'string' && typeof record.until === 'string') {
      if (record.from > record.until) {
        add(
          'until',
          columnOf('until'),
          'DATE_RANGE_INVALID',
          'error',
          `结束日期 ${record.until} 早于开始日期 ${record.from}：请核对两个日期是否填反。`,
          `The end date ${record.until} is before the start date ${record.from}: check whether the two dates are swapped.`,
        );
      }
    }

    // ── unknown columns, kept under their header text ──
    for (const column of mapping.extraColumns) {
      const text = cellText(row.cells[column.index]);
      if (text !== '') putExtra(column.header, text);
    }
    row.cells.forEach((cell, index) => {
      if (headerIndexes.has(index)) return;
      const text = cellText(cell);
      if (text !== '') putExtra(unnamedColumnLabel(index), text);
    });
    if (Object.keys(extra).length > 0) record.extra = extra;

    // ── formula-like text is kept; exports neutralise it ──
    for (const field of FREE_TEXT_FIELDS) {
      const value = record[field];
      if (typeof value === 'string' && looksLikeFormula(value))
        addFormulaWarning(field, columnOf(field), add);
    }
    for (const [label, value] of Object.entries(extra)) {
      if (looksLikeFormula(value)) addFormulaWarning('extra', label, add);
    }

    if (hasError || !id.parsed) return { errors: true, issues: rowIssues };

    const parsed = schema.safeParse(record);
    if (!parsed.success) {
      const reported = new Set<string>();
      for (const zodIssue of parsed.error.issues) {
        const field = String(zodIssue.path[0] ?? 'record');
        if (reported.has(field)) continue;
        reported.add(field);
        const column = field === 'extra' ? String(zodIssue.path[1] ?? '') : columnOf(field as InputField);
        add(
          field as InputField,
          column,
          'RECORD_INVALID',
          'error',
          `“${column}”的内容不符合要求（${zodIssue.message}）：请检查是否过长或填错了列。`,
          `The content of "${column}" is not acceptable (${zodIssue.message}): check that it is not too long and is in the right column.`,
        );
      }
      return { errors: true, issues: rowIssues };
    }
    // A county-wide 学籍 export lists a child enrolled at two schools twice: that is the finding
    // (DUPLICATE_ENROLLMENT), not a duplicate row, so the school is part of the key there.
    const school = String(record.schoolCode ?? record.schoolName ?? '');
    const key =
      kind === 'attendance'
        ? `${id.parsed.id}|${String(record.date)}`
        : kind === 'assistance'
          ? `${id.parsed.id}|${String(record.category)}`
          : kind === 'enrollment' || kind === 'headcount'
            ? `${id.parsed.id}|${school}`
            : id.parsed.id;
    return {
      errors: false,
      record: parsed.data as Record<string, unknown>,
      id: id.parsed.id,
      key,
      issues: rowIssues,
    };
  }

  type Add = (
    field: InputField | 'extra',
    column: string,
    code: RowIssueCode,
    severity: IssueSeverity,
    zh: string,
    en: string,
  ) => void;

  /** Reads a field's cell; reports and returns undefined when it cannot. */
  function readField(
    field: InputField,
    cell: RawCell | undefined,
    text: string,
    column: string,
    isRequired: boolean,
    add: Add,
  ): unknown {
    const severity: IssueSeverity = isRequired ? 'error' : 'warning';
    const droppedZh = isRequired ? '' : '（本项未导入，其余内容已导入）';
    const droppedEn = isRequired ? '' : ' (this value was left out; the rest of the row was imported)';
    if (field === 'date' || field === 'from' || field === 'until') {
      const date = readDate(cell);
      if (date.ok) return date.date;
      add(
        field,
        column,
        'DATE_INVALID',
        'error',
        `“${column}”的值“${show(text)}”不是有效日期：请按 2025-09-08 的格式填写（也可用 2025/9/8、2025.9.8、2025年9月8日 或 20250908）。`,
        `"${show(text)}" in column "${column}" is not a valid date: write it as 2025-09-08 (2025/9/8, 2025.9.8, 2025年9月8日 or 20250908 also work).`,
      );
      return undefined;
    }
    if (TEXT_FIELDS.has(field)) return text.replace(/\s+/g, ' ');
    if (field === 'guardianName') return normalisePersonName(text);
    if (field === 'studentNumber') {
      const sn = normaliseValue(text).toUpperCase().replace(/^'/, '');
      if (/^[0-9A-Z-]{1,32}$/.test(sn) && !(cell?.kind === 'number' && sn.length > 15)) return sn;
      add(
        field,
        column,
        'VALUE_UNRECOGNISED',
        'warning',
        `“${column}”的值“${show(text)}”不像学籍号（应为字母和数字，如 G + 身份证号），或被存成了数字：请核对${droppedZh}。`,
        `"${show(text)}" in column "${column}" does not look like a student number (letters and digits, such as G + ID number) or was stored as a number: check it${droppedEn}.`,
      );
      return undefined;
    }
    if (field === 'schoolCode') {
      const code = normaliseValue(text);
      if (/^\d{10}$/.test(code)) return code;
      add(
        field,
        column,
        'VALUE_UNRECOGNISED',
        'warning',
        `“${column}”的值“${show(text)}”不是 10 位学校标识码：请核对${droppedZh}。`,
        `"${show(text)}" in column "${column}" is not a 10-digit school code: check it${droppedEn}.`,
      );
      return undefined;
    }
    if (field === 'regionCode') {
      const code = normaliseValue(text);
      if (/^(?:1[1-9]|[2-7]\d|8[0-2])\d{4}(?:\d{3}(?:\d{3})?)?$/.test(code)) return code;
      add(
        field,
        column,
        'VALUE_UNRECOGNISED',
        'warning',
        `“${column}”的值“${show(text)}”不是 6、9 或 12 位行政区划代码：请核对${droppedZh}。`,
        `"${show(text)}" in column "${column}" is not a 6-, 9- or 12-digit region code: check it${droppedEn}.`,
      );
      return undefined;
    }
    const vocabulary = vocabularyFor(kind, field);
    if (!vocabulary) return text;
    const value = readWord(vocabulary, text);
    if (value !== undefined) return value;
    add(
      field,
      column,
      'VALUE_UNRECOGNISED',
      severity,
      `“${column}”的值“${show(text)}”无法识别：请填写 ${vocabulary.shown.join('、')} 之一${droppedZh}。`,
      `"${show(text)}" in column "${column}" is not recognised: use one of ${vocabulary.shown.join(', ')}${droppedEn}.`,
    );
    return undefined;
  }

  /** Birth date and sex columns against what the ID number says. */
  function checkAgainstId(
    parsed: ParsedIdNumber,
    cellOf: (field: InputField) => RawCell | undefined,
    columnOf: (field: InputField) => string,
    add: Add,
  ): void {
    const birthCell = cellOf('birthDate');
    const birth = readBirth(birthCell);
    const birthColumn = columnOf('birthDate');
    if (birth.ok) {
      const idBirth = parsed.birthDate;
      const differs =
        birth.precision === 'day' ? birth.date !== idBirth : birth.month !== idBirth.slice(0, 7);
      if (differs) {
        const written = birth.precision === 'day' ? birth.date : birth.month;
        add(
          'birthDate',
          birthColumn,
          'BIRTH_DATE_MISMATCH',
          'error',
          `出生日期 ${written} 与身份证号中的出生日期（第 7–14 位）不一致：身份证号或出生日期有一项填错，请核对后重新填写。`,
          `The birth date ${written} differs from the one in the ID number (digits 7–14): one of them is wrong; check both and correct it.`,
        );
      }
    } else if (!birth.empty) {
      add(
        'birthDate',
        birthColumn,
        'BIRTH_DATE_UNREADABLE',
        'warning',
        `出生日期“${show(cellText(birthCell))}”无法识别，已按身份证号中的出生日期记录：请按 2015-03-12 的格式填写。`,
        `The birth date "${show(cellText(birthCell))}" cannot be read; the one in the ID number was recorded. Write it as 2015-03-12.`,
      );
    }

    const sexText = cellText(cellOf('sex'));
    if (sexText === '') return;
    const sex = readWord(SEX_WORDS, sexText);
    const sexColumn = columnOf('sex');
    if (sex === undefined) {
      add(
        'sex',
        sexColumn,
        'VALUE_UNRECOGNISED',
        'warning',
        `性别“${show(sexText)}”无法识别，已按身份证号记录为${SEX_NAMES_ZH[parsed.sex]}：请填写“男”或“女”。`,
        `The sex "${show(sexText)}" is not recognised; it was recorded from the ID number. Write 男 or 女.`,
      );
    } else if (sex !== parsed.sex) {
      add(
        'sex',
        sexColumn,
        'SEX_MISMATCH',
        'warning',
        `性别填写为“${SEX_NAMES_ZH[sex]}”，但身份证号第 17 位表示${SEX_NAMES_ZH[parsed.sex]}性，已按身份证号记录：请核对性别或身份证号（可能填成了他人的号码）。`,
        `The sex column says ${sex === 'M' ? 'male' : 'female'} but digit 17 of the ID number says ${parsed.sex === 'M' ? 'male' : 'female'}; the ID number was followed. Check the sex and the ID number (it may be someone else’s).`,
      );
    }
  }

  /** Why a row after the header is not data, or undefined when it is. */
  function classifyNonData(row: RawRow, mapping: HeaderMapping): keyof SkippedRows | undefined {
    if (isBlankRow(row)) return 'blank';
    const texts = row.cells.map(cellText);
    const first = texts.find((t) => t !== '') ?? '';
    const firstCompact = first.replace(/\s+/g, '');
    if (TOTAL_PREFIX.test(firstCompact)) return 'total';
    if (FOOTER_PREFIX.test(firstCompact)) return 'footer';
    const at = (column: HeaderColumn | undefined) => (column ? (texts[column.index] ?? '') : '');
    const idText = at(mapping.fields.idNumber);
    const snText = at(mapping.fields.studentNumber);
    const nameText = at(mapping.fields.name);
    if (
      (idText && recogniseHeader(kind, idText) === 'idNumber') ||
      (nameText && recogniseHeader(kind, nameText) === 'name')
    ) {
      return 'repeatedHeader';
    }
    if (idText || snText || nameText) return undefined;
    const serialIndex = mapping.serialColumn?.index;
    // Templates come with 序号 filled in far below the last child: such a row is blank.
    if (texts.every((t, index) => t === '' || index === serialIndex)) return 'blank';
    const numbersOnly = row.cells.every((cell, index) => {
      const text = texts[index] ?? '';
      return text === '' || index === serialIndex || cell.kind === 'number' || /^[-+]?[\d,.]+%?$/.test(text);
    });
    return numbersOnly ? 'total' : undefined;
  }

  return {
    push,
    drain() {
      const batch = pending;
      pending = [];
      return batch;
    },
    finish() {
      const summary: ValidationSummary = {
        kind,
        ...counts,
        skipped: { ...skipped },
        issueCounts: { ...issueCounts },
        issues,
        issuesOmitted,
      };
      if (header) {
        summary.header = {
          line: header.line,
          columns: header.columns.map((c) =>
            c.role === 'field'
              ? { header: c.header, role: c.role, field: c.field }
              : { header: c.header, role: c.role },
          ),
        };
      } else {
        const result = search.result();
        if (!result.ok) summary.fileError = result.error;
      }
      return summary;
    },
  };
}

function addFormulaWarning(
  field: InputField | 'extra',
  column: string,
  add: (
    field: InputField | 'extra',
    column: string,
    code: RowIssueCode,
    severity: IssueSeverity,
    zh: string,
    en: string,
  ) => void,
): void {
  add(
    field,
    column,
    'FORMULA_LIKE',
    'warning',
    `“${column}”的内容以 = + - @ 之一开头，在 Excel 中可能被当作公式执行；已按原文保存，导出时会加前导单引号。如非有意，请删除开头的符号。`,
    `The content of "${column}" starts with = + - or @, which Excel may run as a formula; it was kept as text and is neutralised in exports. Remove the leading symbol unless it is intended.`,
  );
}

interface IdIssue {
  field: 'idNumber' | 'studentNumber';
  code: RowIssueCode;
  severity: IssueSeverity;
  zh: string;
  en: string;
}

// Excel keeps 15 significant digits: an 18-digit number typed into a number cell ends in 000, or is
// shown in scientific notation.
const SCIENTIFIC = /^\d(?:\.\d+)?E\+?\d+$/;

/**
 * The row's ID number from the ID column, or — when that is empty — from a 学籍号 of the form
 * 'G' + ID number. A number cell of more than 15 digits, or text that shows Excel's loss of digits,
 * is refused outright: the number it holds is some other child's.
 */
export function resolveIdNumber(
  idCell: RawCell | undefined,
  studentNumberCell: RawCell | undefined,
  mapping: Pick<HeaderMapping, 'fields'>,
  today: string,
): { parsed?: ParsedIdNumber; issues: IdIssue[] } {
  const issues: IdIssue[] = [];
  const idText = cellText(idCell).replace(/^="(.*)"$/, '$1'); // ="…" is a CSV trick to keep text
  const snText = cellText(studentNumberCell);
  const snColumn = mapping.fields.studentNumber;

  if (idText !== '') {
    const normalised = idText
      .normalize('NFKC')
      .replace(/[\s\u200B-\u200D\u2060\uFEFF]+/g, '')
      .replace(/^'/, '')
      .toUpperCase();
    // A 15-digit number is still exact in Excel (15 significant digits); anything longer is not.
    const excelNumber = idCell?.kind === 'number' && !/^\d{15}$/.test(idText);
    if (excelNumber || SCIENTIFIC.test(normalised) || looksTruncatedByExcel(normalised)) {
      issues.push({
        field: 'idNumber',
        code: 'ID_STORED_AS_NUMBER',
        severity: 'error',
        zh: `${ID_STORED_AS_NUMBER_ZH}。`,
        en: `${ID_STORED_AS_NUMBER_EN}.`,
      });
      return { issues };
    }
    const result = parseIdNumber(normalised, { today });
    if (!result.ok) {
      issues.push({
        field: 'idNumber',
        code: idErrorCode(result.error.code),
        severity: 'error',
        zh: result.error.zh,
        en: result.error.en,
      });
      return { issues };
    }
    if (result.upgradedFrom15) {
      issues.push({
        field: 'idNumber',
        code: 'ID_UPGRADED',
        severity: 'warning',
        zh: `15 位旧身份证号已自动升为 18 位（${maskIdNumber(result.id)}）：请在源系统中更新为 18 位号码。`,
        en: `The old 15-digit ID number was upgraded to 18 characters (${maskIdNumber(result.id)}): update it to the 18-character number in the source system.`,
      });
    }
    const fromSn = snText === '' ? undefined : studentNumberId(snText);
    if (fromSn && fromSn !== result.id) {
      issues.push({
        field: 'studentNumber',
        code: 'STUDENT_NUMBER_MISMATCH',
        severity: 'warning',
        zh: `学籍号中的身份证号（${maskIdNumber(fromSn)}）与身份证号（${maskIdNumber(result.id)}）不一致，已按身份证号记录：请核对学籍号或身份证号。`,
        en: `The ID number inside the student number (${maskIdNumber(fromSn)}) differs from the ID number (${maskIdNumber(result.id)}); the ID number was used. Check both.`,
      });
    }
    return { parsed: result, issues };
  }

  if (snText !== '') {
    const candidate = studentNumberId(snText);
    const normalisedSn = normaliseValue(snText).toUpperCase();
    if (candidate || /^L/.test(normalisedSn)) {
      const result = parseIdNumber(candidate ?? normalisedSn, { today });
      if (!result.ok) {
        issues.push({
          field: 'studentNumber',
          code: idErrorCode(result.error.code),
          severity: 'error',
          zh: result.error.zh,
          en: result.error.en,
        });
        return { issues };
      }
      issues.push({
        field: 'studentNumber',
        code: 'ID_FROM_STUDENT_NUMBER',
        severity: 'warning',
        zh: `身份证号为空，已从学籍号（G + 身份证号）取得身份证号 ${maskIdNumber(result.id)}：请在源表中补填身份证号。`,
        en: `The ID number is empty; ${maskIdNumber(result.id)} was taken from the student number (G + ID number). Fill in the ID number in the source.`,
      });
      return { parsed: result, issues };
    }
  }
  const where = snColumn ? '，学籍号也不是“G + 身份证号”的形式' : '';
  const whereEn = snColumn ? ', and the student number is not G + ID number' : '';
  issues.push({
    field: 'idNumber',
    code: 'ID_MISSING',
    severity: 'error',
    zh: `身份证号为空${where}：请填写 18 位居民身份证号码。`,
    en: `The ID number is empty${whereEn}: enter the 18-character resident identity number.`,
  });
  return { issues };
}

/** 16–18 digits ending in 000 that fail the check: the tail Excel zeroed. */
function looksTruncatedByExcel(id: string): boolean {
  if (!/^\d{16,18}$/.test(id) || !id.endsWith('000')) return false;
  if (id.length < 18) return true;
  return checkDigit(id.slice(0, 17)) !== id[17];
}

/** The ID number inside a 学籍号 'G' + ID (or a bare 18-character ID typed into the 学籍号 column). */
function studentNumberId(text: string): string | undefined {
  const sn = normaliseValue(text).toUpperCase().replace(/^'/, '');
  const match = /^G?(\d{17}[\dX])$/.exec(sn);
  return match?.[1];
}

function idErrorCode(code: string): RowIssueCode {
  return code === 'EMPTY' ? 'ID_MISSING' : (`ID_${code}` as RowIssueCode);
}
