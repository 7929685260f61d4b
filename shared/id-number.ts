import { isRealDate, todayInChina } from './dates';
/**
 * 居民身份证号码 — Chinese resident identity numbers (GB 11643-1999).
 *
 * 18 characters: 6-digit region code (行政区划代码), 8-digit birth date, 3-digit sequence
 * (odd = male), and a check digit by ISO 7064 MOD 11-2 ('X' stands for 10). Old 15-digit
 * numbers (2-digit year, no check digit) still appear in 公安 exports and are upgraded.
 * The ID number is the join key of every roster, so every source is parsed through here.
 */

/** Why an ID number was rejected. */
export type IdNumberErrorCode =
  | 'EMPTY'
  | 'BAD_LENGTH'
  | 'BAD_CHARACTERS'
  | 'BAD_PROVINCE'
  | 'BAD_BIRTH_DATE'
  | 'FUTURE_BIRTH_DATE'
  | 'BAD_CHECK_DIGIT'
  | 'TEMPORARY_NUMBER';

/** A rejection that says what is wrong and how to fix it. Never quotes the full number. */
export type IdNumberError = {
  code: IdNumberErrorCode;
  zh: string;
  en: string;
};

/** A valid 身份证号 and what it tells about the person. */
export type ParsedIdNumber = {
  ok: true;
  /** Normalised 18-character number (upper-case 'X'). */
  id: string;
  /** 出生日期, 'YYYY-MM-DD'. */
  birthDate: string;
  /** 性别: from the 17th digit, odd = male. */
  sex: 'M' | 'F';
  /** 6-digit 行政区划代码 where the number was issued (not necessarily where the child lives now). */
  regionCode: string;
  /** 2-digit 省级代码. */
  provinceCode: string;
  /** True when the input was an old 15-digit number. */
  upgradedFrom15: boolean;
};

export type IdParseResult = ParsedIdNumber | { ok: false; error: IdNumberError };

export type ParseIdNumberOptions = {
  /** 'YYYY-MM-DD' against which a birth date is "in the future"; default: today in China (UTC+8). */
  today?: string;
};

/** 省级行政区划代码 in GB/T 2260 (71 台湾, 81 香港, 82 澳门). */
// biome-ignore format: one row per region group reads better
const PROVINCE_CODES: ReadonlySet<string> = new Set([
  '11', '12', '13', '14', '15',
  '21', '22', '23',
  '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54',
  '61', '62', '63', '64', '65',
  '71', '81', '82',
]);

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const EARLIEST_BIRTH_DATE = '1900-01-01';

/**
 * Cleans up an ID number as it comes out of a spreadsheet cell, without validating it:
 * trims, removes inner whitespace (also the ideographic space and zero-width characters),
 * converts full-width characters (０-９, Ｘ) to ASCII, upper-cases (the trailing x → X),
 * drops the leading apostrophe Excel uses to keep a number as text, and turns a 学籍号
 * of the form 'G' + 18-character ID number into the ID number.
 */
export function normaliseIdNumber(raw: string): string {
  const cleaned = raw
    .replace(/[\uFF01-\uFF5E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0))
    .replace(/[\s\u200B-\u200D\u2060\uFEFF]/g, '')
    .replace(/^'/, '')
    .toUpperCase();
  return /^G\d{17}[\dX]$/.test(cleaned) ? cleaned.slice(1) : cleaned;
}

/** 校验码 — ISO 7064 MOD 11-2 check character for the first 17 digits. */
export function checkDigit(first17: string): string {
  if (!/^\d{17}$/.test(first17)) {
    throw new RangeError('checkDigit expects exactly 17 digits');
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    sum += Number(first17[i]) * WEIGHTS[i]!;
  }
  return CHECK_CHARS[sum % 11]!;
}

/**
 * 15 位升 18 位 — inserts '19' after the 6-digit region code (15-digit numbers were only
 * issued to people born in the 1900s) and appends the computed check digit.
 */
export function upgradeFifteenDigit(id15: string): string {
  if (!/^\d{15}$/.test(id15)) {
    throw new RangeError('upgradeFifteenDigit expects exactly 15 digits');
  }
  const first17 = `${id15.slice(0, 6)}19${id15.slice(6)}`;
  return first17 + checkDigit(first17);
}

/**
 * Parses and validates a 身份证号 (also a 'G'-prefixed 学籍号 and an old 15-digit number).
 * Checks, in order: characters, length, province code, birth date (a real date, not before
 * 1900, not after `today`), then the check digit — so a mistyped birth date is reported as
 * such rather than as a check-digit error.
 */
export function parseIdNumber(raw: string, options: ParseIdNumberOptions = {}): IdParseResult {
  const today = options.today ?? todayInChina();
  if (!isRealDate(today)) {
    throw new RangeError(`parseIdNumber: today must be a real 'YYYY-MM-DD' date`);
  }
  const id = normaliseIdNumber(raw);

  if (id === '') {
    return fail(
      'EMPTY',
      '身份证号为空。请填写 18 位居民身份证号码。',
      'The ID number is empty. Enter the 18-character resident identity number.',
    );
  }
  if (/^L\d/.test(id)) {
    return fail(
      'TEMPORARY_NUMBER',
      '这是临时学籍号（以 L 开头），不是身份证号。请向学籍系统、户籍所在地派出所或监护人获取学生的居民身份证号码后重新填写。',
      'This is a temporary student number (starts with L), not an ID number. Get the student’s resident identity number from the enrolment system, the police station of the household registration or the guardian, and enter it instead.',
    );
  }
  const characterError = findCharacterError(id);
  if (characterError) return { ok: false, error: characterError };
  if (id.length !== 18 && id.length !== 15) {
    return fail(
      'BAD_LENGTH',
      `身份证号应为 18 位（旧版为 15 位），实为 ${id.length} 位。请核对是否漏输或多输了数字。`,
      `An ID number has 18 characters (old numbers 15), found ${id.length}. Check for missing or extra digits.`,
    );
  }

  if (id.length === 15 && id.endsWith('X')) {
    return fail(
      'BAD_CHARACTERS',
      '15 位旧身份证号只由数字组成，不含 X。若这是 18 位号码，说明漏输了 3 位，请补全。',
      'Old 15-digit ID numbers are all digits, without X. If this is an 18-character number, 3 digits are missing: complete it.',
    );
  }

  const upgradedFrom15 = id.length === 15;
  const id18 = upgradedFrom15 ? upgradeFifteenDigit(id) : id;

  const provinceCode = id18.slice(0, 2);
  if (!PROVINCE_CODES.has(provinceCode)) {
    return fail(
      'BAD_PROVINCE',
      `身份证号前两位（省级代码）${provinceCode} 不存在，应在 11–82 之间（如云南为 53）。请核对号码开头是否抄错。`,
      `The first two digits (province code) ${provinceCode} do not exist; they lie between 11 and 82 (Yunnan is 53). Check the start of the number for a typo.`,
    );
  }

  const birthDate = `${id18.slice(6, 10)}-${id18.slice(10, 12)}-${id18.slice(12, 14)}`;
  const birthError = findBirthDateError(birthDate, today, upgradedFrom15);
  if (birthError) return { ok: false, error: birthError };

  if (!upgradedFrom15) {
    const expected = checkDigit(id18.slice(0, 17));
    const found = id18[17]!;
    if (expected !== found) {
      // Excel keeps 15 significant digits: an ID typed into a number cell ends in 000.
      const excelHintZh = id18.endsWith('000')
        ? '号码末尾为 000，多为 Excel 按数字保存丢失了后几位，请将该列设为文本后重新录入。'
        : '';
      const excelHintEn = id18.endsWith('000')
        ? ' It ends in 000, which usually means Excel stored it as a number and lost the last digits: format the column as text and enter the number again.'
        : '';
      return fail(
        'BAD_CHECK_DIGIT',
        `身份证号校验位错误：应为 ${expected}，实为 ${found}。请核对号码是否抄错。${excelHintZh}`,
        `Check digit is wrong: expected ${expected}, found ${found}. Check the number for a typo.${excelHintEn}`,
      );
    }
  }

  return {
    ok: true,
    id: id18,
    birthDate,
    sex: Number(id18[16]) % 2 === 1 ? 'M' : 'F',
    regionCode: id18.slice(0, 6),
    provinceCode,
    upgradedFrom15,
  };
}

/** True when `raw` parses as a valid 身份证号 (see parseIdNumber). */
export function isValidIdNumber(raw: string, options: ParseIdNumberOptions = {}): boolean {
  return parseIdNumber(raw, options).ok;
}

/**
 * 脱敏显示 — the mask used in every log, screen and export. An 18-character number keeps
 * its first 4 and last 4 characters ('5301**********123X'); anything else keeps at most 2 at
 * each end and at least half of it is starred, so a short fragment becomes all stars.
 * The input is normalised first, so a 'G' 学籍号 masks like the ID number inside it.
 */
export function maskIdNumber(id: string): string {
  const chars = Array.from(normaliseIdNumber(id));
  const keep = chars.length === 18 ? 4 : Math.min(2, Math.floor(chars.length / 4));
  if (keep === 0) return '*'.repeat(chars.length);
  return chars.slice(0, keep).join('') + '*'.repeat(chars.length - 2 * keep) + chars.slice(-keep).join('');
}

/**
 * 周岁 — completed years of age on `onDate` (both 'YYYY-MM-DD'). A child is a year older
 * on the birthday itself, which is how enrolment rules read "年满 6 周岁" by a cut-off date
 * (born 31 Aug 2019 → 6 on 31 Aug 2025). A 29 February birthday is taken as 1 March in a
 * non-leap year, so such a child turns a year older on 1 March.
 */
export function ageOn(birthDate: string, onDate: string): number {
  if (!isRealDate(birthDate) || !isRealDate(onDate)) {
    throw new RangeError(`ageOn expects real 'YYYY-MM-DD' dates`);
  }
  if (onDate < birthDate) {
    throw new RangeError('ageOn: the date is before the birth date');
  }
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [oy, om, od] = onDate.split('-').map(Number) as [number, number, number];
  // Comparing month-day pairs makes 29 Feb count as 1 Mar in a non-leap year: 28 Feb < 29 Feb ≤ 1 Mar.
  const hadBirthday = om > bm || (om === bm && od >= bd);
  return oy - by - (hadBirthday ? 0 : 1);
}

function fail(code: IdNumberErrorCode, zh: string, en: string): IdParseResult {
  return { ok: false, error: { code, zh, en } };
}

function findCharacterError(id: string): IdNumberError | undefined {
  if (/^\d(\.\d+)?E\+?\d+$/.test(id)) {
    return {
      code: 'BAD_CHARACTERS',
      zh: '身份证号被 Excel 显示成了科学计数法（如 5.30124E+17），后几位已丢失。请将该列设为文本格式，重新录入完整的 18 位号码。',
      en: 'Excel turned the ID number into scientific notation (like 5.30124E+17) and lost its last digits. Format the column as text and enter the full 18-character number again.',
    };
  }
  const chars = Array.from(id);
  const badIndex = chars.findIndex((ch, i) => !/[\dX]/.test(ch) || (ch === 'X' && i !== chars.length - 1));
  if (badIndex < 0) return undefined;
  const ch = chars[badIndex]!;
  if (ch === 'X') {
    return {
      code: 'BAD_CHARACTERS',
      zh: `身份证号第 ${badIndex + 1} 位是 X，X 只能出现在最后一位。请核对号码是否抄错。`,
      en: `Character ${badIndex + 1} of the ID number is X; X can only be the last character. Check the number for a typo.`,
    };
  }
  return {
    code: 'BAD_CHARACTERS',
    zh: `身份证号第 ${badIndex + 1} 位是“${ch}”，号码只能由数字和末位的 X 组成。请删除多余字符后重新填写。`,
    en: `Character ${badIndex + 1} of the ID number is "${ch}"; an ID number has only digits and a final X. Remove the stray character.`,
  };
}

function findBirthDateError(birthDate: string, today: string, from15: boolean): IdNumberError | undefined {
  const where = from15 ? '第 7–12 位' : '第 7–14 位';
  const whereEn = from15 ? 'digits 7–12' : 'digits 7–14';
  if (!isRealDate(birthDate)) {
    return {
      code: 'BAD_BIRTH_DATE',
      zh: `身份证号${where}的出生日期不是真实存在的日期。请核对出生年月日是否抄错。`,
      en: `The birth date in ${whereEn} of the ID number is not a real calendar date. Check the year, month and day for a typo.`,
    };
  }
  if (birthDate < EARLIEST_BIRTH_DATE) {
    return {
      code: 'BAD_BIRTH_DATE',
      zh: `身份证号${where}的出生年份早于 1900 年，不可能是在册学生。请核对出生年份是否抄错。`,
      en: `The birth year in ${whereEn} is before 1900, which cannot be a student. Check the year for a typo.`,
    };
  }
  if (birthDate > today) {
    return {
      code: 'FUTURE_BIRTH_DATE',
      zh: `身份证号${where}的出生日期晚于今天（${today}）。请核对出生年月日是否抄错。`,
      en: `The birth date in ${whereEn} is after today (${today}). Check the year, month and day for a typo.`,
    };
  }
  return undefined;
}
