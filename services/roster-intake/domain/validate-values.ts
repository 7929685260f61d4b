import { isRealDate } from '../../../shared/dates';
/**
 * 单元格取值 — reading the values users type into roster cells: dates in every common spelling and as
 * Excel dates, yes/no words, and the Chinese terms of each category. Pure functions; the validator
 * turns a failed read into an issue that says which values are accepted.
 */
import type {
  AssistanceCategory,
  AttendanceStatus,
  DeferralType,
  DisabilityCategory,
  PovertyCategory,
  SchoolStage,
  Sex,
} from '../../../shared/rosters/records';
import { normaliseValue } from '../../../shared/rosters/values';
import type { RawCell } from './raw-rows';

// ── dates ────────────────────────────────────────────────────────────────────────────────────────────

function ymd(y: string, m: string, d: string): string | undefined {
  const date = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  return isRealDate(date) ? date : undefined;
}

// Excel's 1900 date system counts days from 1899-12-30 for every serial from 61 (1900-03-01) on;
// below that it has its fictitious 1900-02-29, and no roster holds such dates anyway.
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const DAY_MS = 86_400_000;
const MIN_SERIAL = 61;
const MAX_SERIAL = 109_574; // 2199-12-31

/** The date of an Excel serial day number (45908 → '2025-09-08'); the time of day is dropped. */
export function excelSerialToDate(serial: number): string | undefined {
  if (!Number.isFinite(serial) || serial < MIN_SERIAL || serial > MAX_SERIAL) return undefined;
  return new Date(EXCEL_EPOCH_MS + Math.floor(serial) * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Reads a date typed as text: 2025-09-08, 2025/9/8, 2025.9.8, 2025年9月8日, 20250908, also with a
 * time of day after it ('2025-09-08 00:00:00'). Full-width digits are accepted. Undefined when it is
 * not a real date in one of these forms (US-style 9/8/2025 is ambiguous and refused).
 */
export function parseDateText(raw: string): string | undefined {
  const text = raw
    .normalize('NFKC')
    .trim()
    .replace(/[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/, '');
  let m = /^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$/.exec(text);
  if (m) return ymd(m[1]!, m[2]!, m[3]!);
  m = /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$/.exec(text);
  if (m) return ymd(m[1]!, m[2]!, m[3]!);
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (m) return ymd(m[1]!, m[2]!, m[3]!);
  return undefined;
}

export type DateRead = { ok: true; date: string } | { ok: false; empty: boolean };

/**
 * Reads a date cell: an Excel date, a number (an Excel serial such as 45908, or 20250908 typed as a
 * number), or text in any spelling parseDateText knows.
 */
export function readDate(cell: RawCell | undefined): DateRead {
  if (!cell || cell.kind === 'empty' || cell.text.trim() === '') return { ok: false, empty: true };
  let date: string | undefined;
  if (cell.kind === 'date') date = isRealDate(cell.date) ? cell.date : undefined;
  else if (cell.kind === 'number') date = readNumberDate(cell.value);
  else date = parseDateText(cell.text);
  return date ? { ok: true, date } : { ok: false, empty: false };
}

function readNumberDate(value: number): string | undefined {
  if (Number.isInteger(value) && value >= 19_000_101 && value <= 29_991_231) {
    return parseDateText(String(value));
  }
  return excelSerialToDate(value);
}

export type BirthRead =
  | { ok: true; precision: 'day'; date: string }
  | { ok: true; precision: 'month'; month: string }
  | { ok: false; empty: boolean };

/**
 * Reads an 出生日期 / 出生年月 cell. 出生年月 is often only year and month (2015.03, 2015年3月,
 * 201503), which is read with month precision.
 */
export function readBirth(cell: RawCell | undefined): BirthRead {
  const full = readDate(cell);
  if (full.ok) return { ok: true, precision: 'day', date: full.date };
  if (full.empty || !cell || cell.kind === 'empty' || cell.kind === 'date') return full;
  const text = cell.text.normalize('NFKC').trim();
  const m =
    /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$/.exec(text) ?? /^(\d{4})(\d{2})$/.exec(text.replace(/\.0+$/, ''));
  if (m) {
    const month = `${m[1]}-${m[2]!.padStart(2, '0')}`;
    if (isRealDate(`${month}-01`)) return { ok: true, precision: 'month', month };
  }
  return { ok: false, empty: false };
}

// ── words ────────────────────────────────────────────────────────────────────────────────────────────

/**
 * A vocabulary of accepted spellings. `exact` is looked up first; `contains` is tried in order, so
 * more specific words come first (脱贫不稳定户 is UNSTABLE although it contains 脱贫). `shown` is the
 * list of spellings an error message offers.
 */
export interface Vocabulary<T> {
  exact: Readonly<Record<string, T>>;
  contains?: readonly (readonly [string, T])[];
  shown: readonly string[];
}

/** The value a cell text means in a vocabulary, or undefined. */
export function readWord<T>(vocabulary: Vocabulary<T>, text: string): T | undefined {
  const value = normaliseValue(text);
  if (value === '') return undefined;
  if (Object.hasOwn(vocabulary.exact, value)) return vocabulary.exact[value];
  for (const [part, meaning] of vocabulary.contains ?? []) if (value.includes(part)) return meaning;
  return undefined;
}

const YES = ['是', 'y', 'yes', 'true', '√', '✓', '✔'];
const NO = ['否', 'n', 'no', 'false', '×', '✗', '✘'];

function words<T>(entries: readonly (readonly [readonly string[], T])[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [spellings, meaning] of entries) for (const s of spellings) out[normaliseValue(s)] = meaning;
  return out;
}

export const SEX_WORDS: Vocabulary<Sex> = {
  exact: words([
    [['男', '男性', 'm', 'male', '1'], 'M'],
    [['女', '女性', 'f', 'female', '2'], 'F'],
  ]),
  shown: ['男', '女'],
};

/** 就读方式 (住校/走读) and 是否住校 (是/否) share one vocabulary. */
export const BOARDING_WORDS: Vocabulary<boolean> = {
  exact: words([
    [['住校', '寄宿', '住宿', '住校生', '寄宿生', ...YES], true],
    [['走读', '走读生', '非住校', '不住校', '非寄宿', ...NO], false],
  ]),
  shown: ['住校', '走读', '是', '否'],
};

/** 在校情况 / 到校情况 / 状态 of the term-start headcount. */
export const PRESENT_WORDS: Vocabulary<boolean> = {
  exact: words([
    [['在校', '已到', '到校', '已到校', '在读', '已报到', '报到', '正常', '到', ...YES], true],
    [
      [
        '未到',
        '未到校',
        '未报到',
        '不在校',
        '辍学',
        '失学',
        '辍失学',
        '疑似辍学',
        '缺席',
        '缺勤',
        '离校',
        ...NO,
      ],
      false,
    ],
  ]),
  shown: ['在校', '已到', '到校', '是', '未到', '未到校', '未报到', '否', '辍学', '失学'],
};

/** 出勤状态. A bare 请假 is LEAVE unless a 请假类型 column says 事假 or 病假. */
export const ATTENDANCE_STATUS_WORDS: Vocabulary<AttendanceStatus> = {
  exact: words([
    [['出勤', '正常', '在校', '到校', '已到', '到', '出席', '√', '✓', '✔', '是'], 'PRESENT'],
    [['迟到'], 'LATE'],
    [['早退'], 'LEFT_EARLY'],
    [['事假'], 'PERSONAL_LEAVE'],
    [['病假'], 'SICK_LEAVE'],
    [['请假', '假'], 'LEAVE'],
    [['旷课', '旷学', '无故缺勤', '无故缺席', '无故未到'], 'ABSENT_UNEXCUSED'],
    [['缺勤', '缺席', '未到', '未到校', '×', '✗', '✘', '否'], 'ABSENT'],
  ]),
  contains: [
    ['旷课', 'ABSENT_UNEXCUSED'],
    ['无故', 'ABSENT_UNEXCUSED'],
    ['病假', 'SICK_LEAVE'],
    ['事假', 'PERSONAL_LEAVE'],
    ['迟到', 'LATE'],
    ['早退', 'LEFT_EARLY'],
    ['请假', 'LEAVE'],
  ],
  shown: ['出勤', '迟到', '早退', '事假', '病假', '请假', '旷课', '缺勤'],
};

/** 请假类型 — refines a bare 请假 / 缺勤. */
export const LEAVE_TYPE_WORDS: Vocabulary<'PERSONAL_LEAVE' | 'SICK_LEAVE'> = {
  exact: words([
    [['事假', '事'], 'PERSONAL_LEAVE'],
    [['病假', '病'], 'SICK_LEAVE'],
  ]),
  contains: [
    ['病', 'SICK_LEAVE'],
    ['事', 'PERSONAL_LEAVE'],
  ],
  shown: ['事假', '病假'],
};

/** 请假审批 / 审批状态. Pending (待审批, 审批中) is not approved. */
export const LEAVE_APPROVED_WORDS: Vocabulary<boolean> = {
  exact: words([
    [['已批准', '批准', '同意', '已同意', '已审批', '审批通过', '通过', '已通过', '有', ...YES], true],
    [
      [
        '未批准',
        '不批准',
        '不同意',
        '未审批',
        '待审批',
        '审批中',
        '未通过',
        '不通过',
        '驳回',
        '已驳回',
        '无',
        ...NO,
      ],
      false,
    ],
  ]),
  shown: ['已批准', '未批准', '是', '否'],
};

export const POVERTY_CATEGORY_WORDS: Vocabulary<PovertyCategory> = {
  exact: words([
    [
      ['脱贫户', '脱贫人口', '已脱贫', '脱贫', '建档立卡', '建档立卡户', '建档立卡贫困户', '贫困户'],
      'LIFTED_OUT_OF_POVERTY',
    ],
    [['脱贫不稳定户', '脱贫不稳定', '不稳定户'], 'UNSTABLE'],
    [['边缘易致贫户', '边缘易致贫', '边缘户'], 'MARGINAL'],
    [['突发严重困难户', '突发严重困难', '严重困难户'], 'SUDDEN_HARDSHIP'],
  ]),
  // Specific before general: 脱贫不稳定户 contains 脱贫.
  contains: [
    ['不稳定', 'UNSTABLE'],
    ['边缘', 'MARGINAL'],
    ['突发', 'SUDDEN_HARDSHIP'],
    ['严重困难', 'SUDDEN_HARDSHIP'],
    ['脱贫', 'LIFTED_OUT_OF_POVERTY'],
    ['建档立卡', 'LIFTED_OUT_OF_POVERTY'],
  ],
  shown: ['脱贫户', '建档立卡户', '脱贫不稳定户', '边缘易致贫户', '突发严重困难户'],
};

export const ASSISTANCE_CATEGORY_WORDS: Vocabulary<AssistanceCategory> = {
  exact: words([
    [['低保', '低保户', '城市低保', '农村低保', '最低生活保障', '低保对象'], 'DIBAO'],
    [['特困', '特困供养', '特困人员', '特困供养人员', '五保', '五保户'], 'TEKUN'],
    [['孤儿', '社会散居孤儿', '散居孤儿', '集中供养孤儿'], 'ORPHAN'],
    [['事实无人抚养儿童', '事实无人抚养'], 'UNSUPPORTED'],
    [['留守', '留守儿童', '农村留守儿童'], 'LEFT_BEHIND'],
  ]),
  contains: [
    ['低保', 'DIBAO'],
    ['最低生活保障', 'DIBAO'],
    ['特困', 'TEKUN'],
    ['五保', 'TEKUN'],
    ['事实无人抚养', 'UNSUPPORTED'],
    ['孤儿', 'ORPHAN'],
    ['留守', 'LEFT_BEHIND'],
  ],
  shown: ['低保', '特困', '孤儿', '事实无人抚养儿童', '留守儿童'],
};

export const DISABILITY_CATEGORY_WORDS: Vocabulary<DisabilityCategory> = {
  exact: {},
  contains: [
    ['多重', 'MULTIPLE'],
    ['视力', 'VISUAL'],
    ['听力', 'HEARING'],
    ['言语', 'SPEECH'],
    ['语言', 'SPEECH'],
    ['肢体', 'PHYSICAL'],
    ['智力', 'INTELLECTUAL'],
    ['精神', 'MENTAL'],
  ],
  shown: ['视力', '听力', '言语', '肢体', '智力', '精神', '多重'],
};

export const DISABILITY_LEVEL_WORDS: Vocabulary<number> = {
  // NFKC turns the Roman numerals Ⅰ–Ⅳ into i, ii, iii, iv.
  exact: words([
    [['一级', '1级', '1', '一', 'i级', 'i', '壹级'], 1],
    [['二级', '2级', '2', '二', 'ii级', 'ii', '贰级'], 2],
    [['三级', '3级', '3', '三', 'iii级', 'iii', '叁级'], 3],
    [['四级', '4级', '4', '四', 'iv级', 'iv', '肆级'], 4],
  ]),
  shown: ['一级', '二级', '三级', '四级'],
};

export const DEFERRAL_TYPE_WORDS: Vocabulary<DeferralType> = {
  exact: words([
    [['缓学', '延缓入学', '缓学申请', '缓'], 'DEFERRED'],
    [['休学', '休学申请', '休'], 'SUSPENDED'],
  ]),
  contains: [
    ['缓', 'DEFERRED'],
    ['休学', 'SUSPENDED'],
  ],
  shown: ['缓学', '休学'],
};

export const STAGE_WORDS: Vocabulary<SchoolStage> = {
  exact: words([
    [['小学', '小学段', '小学阶段'], 'PRIMARY'],
    [['初中', '初级中学', '初中段', '初中阶段'], 'JUNIOR'],
  ]),
  shown: ['小学', '初中'],
};

// ── names and text ──────────────────────────────────────────────────────────────────────────────────

// The separator dot of transliterated minority names, in the many forms keyboards produce.
const NAME_DOTS = /[·•・．‧∙⋅]/g;

/**
 * Normalises a person's name: whitespace runs become one space, then every space touching a Chinese
 * character or the name dot is removed ('张 三' → '张三', '阿依古丽 · 买买提' → '阿依古丽·买买提');
 * the dot variants (•, ・, ．, '.' between Chinese characters) become '·'. Latin names keep one
 * space between words.
 */
export function normalisePersonName(raw: string): string {
  return raw
    .replace(/[\s\u200B-\u200D\u2060\uFEFF]+/g, ' ')
    .trim()
    .replace(NAME_DOTS, '·')
    .replace(/(?<=\p{Script=Han}) ?\. ?(?=\p{Script=Han})/gu, '·')
    .replace(/ (?=[\p{Script=Han}·])|(?<=[\p{Script=Han}·]) /gu, '');
}

/**
 * True when spreadsheet software would read the text as a formula (CSV/formula injection): it starts
 * with = + - @ (after trimming). A plain number such as -3 or a lone '-' (used for "none") is not.
 */
export function looksLikeFormula(text: string): boolean {
  const t = text.trim();
  if (!/^[=+\-@]/.test(t)) return false;
  return !/^[+-]?\d+(?:\.\d+)?$/.test(t) && t !== '-';
}
