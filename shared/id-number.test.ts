import { describe, expect, it } from 'vitest';
import {
  ageOn,
  checkDigit,
  type IdNumberErrorCode,
  isValidIdNumber,
  maskIdNumber,
  normaliseIdNumber,
  parseIdNumber,
  upgradeFifteenDigit,
} from './id-number';

// Fixtures. Check digits were computed independently (Python) from the GB 11643 weights.
const FUMIN_BOY = '530124201503121236'; // 富民县, born 2015-03-12, sequence 123 (odd → male)
const GB_EXAMPLE = '11010519491231002X'; // the example in GB 11643-1999: 北京朝阳, 1949-12-31, female
const GB_EXAMPLE_1880 = '440524188001010014'; // the standard's other example, born 1880
const LEAP_DAY_GIRL = '53012420160229102X'; // born 2016-02-29
const OLD_FIFTEEN = '530124850615121'; // 1985-06-15, upgrades to 530124198506151217

const TODAY = '2025-09-01';

function errorCode(raw: string, today = TODAY): IdNumberErrorCode | undefined {
  const result = parseIdNumber(raw, { today });
  return result.ok ? undefined : result.error.code;
}

describe('normaliseIdNumber', () => {
  it('trims and removes whitespace inside the number, including the ideographic space', () => {
    expect(normaliseIdNumber('  530124 2015\u30000312 1236\t')).toBe(FUMIN_BOY);
  });

  it('converts full-width digits and Ｘ/ｘ to ASCII', () => {
    expect(normaliseIdNumber('１１０１０５１９４９１２３１００２ｘ')).toBe(GB_EXAMPLE);
    expect(normaliseIdNumber('１１０１０５１９４９１２３１００２Ｘ')).toBe(GB_EXAMPLE);
  });

  it('upper-cases a trailing x', () => {
    expect(normaliseIdNumber('11010519491231002x')).toBe(GB_EXAMPLE);
  });

  it('strips the G of a 学籍号 that is G + the 18-character ID number, in either case', () => {
    expect(normaliseIdNumber('G11010519491231002X')).toBe(GB_EXAMPLE);
    expect(normaliseIdNumber('g11010519491231002x')).toBe(GB_EXAMPLE);
  });

  it('drops the leading apostrophe Excel uses to keep a number as text', () => {
    expect(normaliseIdNumber("'530124201503121236")).toBe(FUMIN_BOY);
  });

  it('does not validate: garbage stays garbage, only cleaned up', () => {
    expect(normaliseIdNumber(' abc 12 ')).toBe('ABC12');
  });
});

describe('checkDigit', () => {
  it('computes the ISO 7064 MOD 11-2 check character, X standing for 10', () => {
    expect(checkDigit('11010519491231002')).toBe('X');
    expect(checkDigit('44052418800101001')).toBe('4');
    expect(checkDigit('53012420150312123')).toBe('6');
  });

  it('rejects anything that is not exactly 17 digits', () => {
    expect(() => checkDigit('1101051949123100')).toThrow(RangeError);
    expect(() => checkDigit('1101051949123100X')).toThrow(RangeError);
  });
});

describe('upgradeFifteenDigit', () => {
  it('upgrades a 15-digit number by inserting 19 and recomputing the check digit', () => {
    expect(upgradeFifteenDigit('110105491231002')).toBe(GB_EXAMPLE);
    expect(upgradeFifteenDigit(OLD_FIFTEEN)).toBe('530124198506151217');
  });

  it('rejects anything that is not exactly 15 digits', () => {
    expect(() => upgradeFifteenDigit('11010549123100')).toThrow(RangeError);
    expect(() => upgradeFifteenDigit(GB_EXAMPLE)).toThrow(RangeError);
  });
});

describe('parseIdNumber', () => {
  it('reads birth date, sex, region and province out of a valid 18-character number', () => {
    expect(parseIdNumber(FUMIN_BOY, { today: TODAY })).toEqual({
      ok: true,
      id: FUMIN_BOY,
      birthDate: '2015-03-12',
      sex: 'M',
      regionCode: '530124',
      provinceCode: '53',
      upgradedFrom15: false,
    });
  });

  it('reads an even sequence number as female and accepts X as the check digit', () => {
    const result = parseIdNumber(GB_EXAMPLE, { today: TODAY });
    expect(result).toMatchObject({ ok: true, sex: 'F', birthDate: '1949-12-31', regionCode: '110105' });
  });

  it('parses what a spreadsheet hands over: full-width, spaced, lower-case x, G-prefixed 学籍号', () => {
    for (const raw of [
      '１１０１０５ １９４９１２３１ ００２ｘ',
      'G11010519491231002x',
      ' 11010519491231002x ',
    ]) {
      expect(parseIdNumber(raw, { today: TODAY })).toMatchObject({ ok: true, id: GB_EXAMPLE });
    }
  });

  it('upgrades an old 15-digit number and says so', () => {
    expect(parseIdNumber(OLD_FIFTEEN, { today: TODAY })).toEqual({
      ok: true,
      id: '530124198506151217',
      birthDate: '1985-06-15',
      sex: 'M',
      regionCode: '530124',
      provinceCode: '53',
      upgradedFrom15: true,
    });
  });

  it('rejects an empty cell as EMPTY', () => {
    expect(errorCode('')).toBe('EMPTY');
    expect(errorCode(' \u3000 ')).toBe('EMPTY');
  });

  it('rejects a number with a wrong check digit, naming the expected and the found digit', () => {
    const result = parseIdNumber('53012420150312123X', { today: TODAY });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('BAD_CHECK_DIGIT');
    expect(result.error.zh).toBe('身份证号校验位错误：应为 6，实为 X。请核对号码是否抄错。');
    expect(result.error.en).toBe('Check digit is wrong: expected 6, found X. Check the number for a typo.');
  });

  it('points at Excel when a number lost its last digits to a number-formatted cell', () => {
    const result = parseIdNumber('530124201503121000', { today: TODAY });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('BAD_CHECK_DIGIT');
    expect(result.error.zh).toContain('Excel');
    expect(result.error.en).toContain('format the column as text');
  });

  it('rejects a number Excel turned into scientific notation as BAD_CHARACTERS with the fix', () => {
    const result = parseIdNumber('5.30124E+17', { today: TODAY });
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_CHARACTERS' } });
    if (!result.ok) expect(result.error.zh).toContain('文本格式');
  });

  it('rejects letters other than a final X and says which character is wrong', () => {
    const result = parseIdNumber('5301242015O3121236', { today: TODAY });
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_CHARACTERS' } });
    if (!result.ok) expect(result.error.en).toContain('Character 11');
    expect(errorCode('5301242015X3121236')).toBe('BAD_CHARACTERS');
    expect(errorCode('53012485061512X')).toBe('BAD_CHARACTERS');
  });

  it('rejects a number with missing or extra digits as BAD_LENGTH', () => {
    expect(errorCode('53012420150312123')).toBe('BAD_LENGTH');
    expect(errorCode('5301242015031212366')).toBe('BAD_LENGTH');
    const result = parseIdNumber('53012420150312123', { today: TODAY });
    if (!result.ok) expect(result.error.zh).toContain('实为 17 位');
  });

  it('rejects a province code that does not exist', () => {
    // 10, 16, 83 and 99 fall in or around 11–82 but are not provinces.
    for (const prefix of ['10', '16', '83', '99']) {
      const first17 = `${prefix}012420150312123`;
      expect(errorCode(first17 + checkDigit(first17))).toBe('BAD_PROVINCE');
    }
  });

  it('accepts every real province code, including 台湾, 香港 and 澳门', () => {
    for (const prefix of [
      '11',
      '15',
      '21',
      '23',
      '31',
      '37',
      '41',
      '46',
      '50',
      '54',
      '61',
      '65',
      '71',
      '81',
      '82',
    ]) {
      const first17 = `${prefix}012420150312123`;
      expect(isValidIdNumber(first17 + checkDigit(first17), { today: TODAY })).toBe(true);
    }
  });

  it('rejects a birth date that is not on the calendar, such as 2023-02-30', () => {
    const first17 = '53012420230230123';
    expect(errorCode(first17 + checkDigit(first17))).toBe('BAD_BIRTH_DATE');
    const notLeap = '53012420230229123';
    expect(errorCode(notLeap + checkDigit(notLeap))).toBe('BAD_BIRTH_DATE');
    const month13 = '53012420151312123';
    expect(errorCode(month13 + checkDigit(month13))).toBe('BAD_BIRTH_DATE');
  });

  it('accepts 29 February of a leap year', () => {
    expect(parseIdNumber(LEAP_DAY_GIRL, { today: TODAY })).toMatchObject({
      ok: true,
      birthDate: '2016-02-29',
    });
  });

  it('rejects a birth date before 1900, even with a correct check digit', () => {
    expect(errorCode(GB_EXAMPLE_1880)).toBe('BAD_BIRTH_DATE');
  });

  it('rejects a birth date after today, and accepts one born today', () => {
    expect(errorCode(FUMIN_BOY, '2015-03-11')).toBe('FUTURE_BIRTH_DATE');
    expect(errorCode(FUMIN_BOY, '2015-03-12')).toBeUndefined();
  });

  it('uses the current date when no today is given', () => {
    const first17 = '53012429990101123';
    expect(parseIdNumber(first17 + checkDigit(first17))).toMatchObject({
      ok: false,
      error: { code: 'FUTURE_BIRTH_DATE' },
    });
    expect(isValidIdNumber(FUMIN_BOY)).toBe(true);
  });

  it('reports a mistyped birth date as a birth-date error, not a check-digit error', () => {
    expect(errorCode('530124201513121236')).toBe('BAD_BIRTH_DATE');
  });

  it('tells the user an L-prefixed 学籍号 is a temporary number and the real ID number is needed', () => {
    const result = parseIdNumber('L530124201503121236', { today: TODAY });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('TEMPORARY_NUMBER');
    expect(result.error.zh).toContain('临时学籍号');
    expect(result.error.zh).toContain('居民身份证号码');
    expect(result.error.en).toContain('temporary');
    expect(result.error.en).toContain('resident identity number');
  });

  it('never repeats the number in its messages, in Chinese or English', () => {
    const bad = [
      '53012420150312123X',
      '530124201503121000',
      '5301242015O3121236',
      '53012420150312123',
      '99012420150312123X',
      '530124201513121236',
      'L530124201503121236',
    ];
    for (const raw of bad) {
      const result = parseIdNumber(raw, { today: TODAY });
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      for (const text of [result.error.zh, result.error.en]) {
        expect(text).not.toContain(raw);
        expect(text).not.toContain(raw.slice(0, 15));
        expect(text).not.toContain(raw.slice(6, 14)); // nor the birth date digits
      }
    }
  });

  it('gives every error a Chinese and an English message that say how to fix it', () => {
    const bad = ['', 'L5301242015', '5301242015O3121236', '53012420150312123', '99012420150312123X'];
    for (const raw of bad) {
      const result = parseIdNumber(raw, { today: TODAY });
      if (result.ok) throw new Error('expected a rejection');
      expect(result.error.zh).toMatch(/请/);
      expect(result.error.en).toMatch(/\b(Enter|Check|Get|Remove|Format|complete)\b/i);
    }
  });

  it('refuses a malformed today option instead of comparing against it', () => {
    expect(() => parseIdNumber(FUMIN_BOY, { today: '2025/09/01' })).toThrow(RangeError);
  });
});

describe('maskIdNumber', () => {
  it('keeps the first 4 and last 4 characters of an 18-character number behind exactly 10 stars', () => {
    expect(maskIdNumber('53012420150312123X')).toBe('5301**********123X');
  });

  it('masks the normalised number, so a G-prefixed 学籍号 or a spaced number masks the same way', () => {
    expect(maskIdNumber('G53012420150312123x')).toBe('5301**********123X');
    expect(maskIdNumber(' 530124 20150312 123X ')).toBe('5301**********123X');
  });

  it('keeps at most 2 characters at each end of anything that is not 18 characters long', () => {
    expect(maskIdNumber(OLD_FIFTEEN)).toBe('53***********21');
    expect(maskIdNumber('5301242015031212366')).toBe('53***************66');
  });

  it('stars at least half of a short fragment and all of a very short one', () => {
    expect(maskIdNumber('530124')).toBe('5****4');
    expect(maskIdNumber('5301')).toBe('5**1');
    expect(maskIdNumber('123')).toBe('***');
    expect(maskIdNumber('')).toBe('');
  });

  it('never reveals more than 8 characters, whatever the length', () => {
    for (let length = 0; length <= 40; length++) {
      const masked = maskIdNumber('7'.repeat(length));
      expect(masked).toHaveLength(length);
      expect(masked.replace(/\*/g, '').length).toBeLessThanOrEqual(Math.min(8, Math.floor(length / 2)));
    }
  });
});

describe('ageOn', () => {
  it('counts completed years (周岁), a year older on the birthday itself', () => {
    expect(ageOn('2019-08-31', '2025-08-30')).toBe(5);
    expect(ageOn('2019-08-31', '2025-08-31')).toBe(6);
    expect(ageOn('2019-09-01', '2025-08-31')).toBe(5);
  });

  it('is 0 on the day of birth', () => {
    expect(ageOn('2025-03-12', '2025-03-12')).toBe(0);
  });

  it('takes a 29 February birthday as 1 March in a non-leap year', () => {
    expect(ageOn('2016-02-29', '2022-02-28')).toBe(5);
    expect(ageOn('2016-02-29', '2022-03-01')).toBe(6);
  });

  it('takes a 29 February birthday on the day itself in a leap year', () => {
    expect(ageOn('2016-02-29', '2024-02-28')).toBe(7);
    expect(ageOn('2016-02-29', '2024-02-29')).toBe(8);
  });

  it('rejects a date before the birth date and malformed dates', () => {
    expect(() => ageOn('2016-02-29', '2016-02-28')).toThrow(RangeError);
    expect(() => ageOn('2016-02-30', '2020-01-01')).toThrow(RangeError);
    expect(() => ageOn('2016-02-01', '20200101')).toThrow(RangeError);
  });
});
