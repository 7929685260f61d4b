import { describe, expect, it } from 'vitest';
import { dateCell, num, text } from './validate-test-rows';
import {
  ATTENDANCE_STATUS_WORDS,
  BOARDING_WORDS,
  excelSerialToDate,
  LEAVE_APPROVED_WORDS,
  looksLikeFormula,
  normalisePersonName,
  POVERTY_CATEGORY_WORDS,
  PRESENT_WORDS,
  parseDateText,
  readBirth,
  readDate,
  readWord,
} from './validate-values';

describe('parseDateText', () => {
  it.each([
    ['2025-09-08', '2025-09-08'],
    ['2025/9/8', '2025-09-08'],
    ['2025.9.8', '2025-09-08'],
    ['2025年9月8日', '2025-09-08'],
    ['2025年09月08号', '2025-09-08'],
    ['20250908', '2025-09-08'],
    ['２０２５－０９－０８', '2025-09-08'],
    ['2025/09/08 14:30', '2025-09-08'],
    ['2024-02-29', '2024-02-29'],
  ])('reads %s', (input, expected) => {
    expect(parseDateText(input)).toBe(expected);
  });

  it.each(['2025-02-29', '2025-9', '9/8/2025', '25-9-8', '2025090', 'abc', ''])('refuses %s', (input) => {
    expect(parseDateText(input)).toBeUndefined();
  });
});

describe('readDate', () => {
  it('reads Excel date cells, serial numbers and 8-digit numbers', () => {
    expect(readDate(dateCell('2025-09-08'))).toEqual({ ok: true, date: '2025-09-08' });
    expect(readDate(num(45908))).toEqual({ ok: true, date: '2025-09-08' });
    expect(readDate(num(45908.75))).toEqual({ ok: true, date: '2025-09-08' });
    expect(readDate(num(20250908))).toEqual({ ok: true, date: '2025-09-08' });
  });

  it('tells an empty cell from an unreadable one', () => {
    expect(readDate(undefined)).toEqual({ ok: false, empty: true });
    expect(readDate(text(' '))).toEqual({ ok: false, empty: true });
    expect(readDate(num(12))).toEqual({ ok: false, empty: false });
  });

  it('maps Excel serials from 1900-03-01 on', () => {
    expect(excelSerialToDate(61)).toBe('1900-03-01');
    expect(excelSerialToDate(45658)).toBe('2025-01-01');
    expect(excelSerialToDate(60)).toBeUndefined(); // Excel's fictitious 1900-02-29
  });
});

describe('readBirth', () => {
  it('reads 出生年月 with month precision', () => {
    expect(readBirth(text('2015.03'))).toEqual({ ok: true, precision: 'month', month: '2015-03' });
    expect(readBirth(text('2015年3月'))).toEqual({ ok: true, precision: 'month', month: '2015-03' });
    expect(readBirth(num(201503))).toEqual({ ok: true, precision: 'month', month: '2015-03' });
    expect(readBirth(text('2015-03-12'))).toEqual({ ok: true, precision: 'day', date: '2015-03-12' });
  });
});

describe('vocabularies', () => {
  it('reads boarding from both 就读方式 (住校/走读) and 是否住校 (是/否)', () => {
    expect(['住校', '走读', '是', '否', '寄宿生'].map((w) => readWord(BOARDING_WORDS, w))).toEqual([
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  it('reads headcount presence', () => {
    const words = ['在校', '已到', '到校', '是', '未到', '未到校', '未报到', '否', '辍学', '失学'];
    expect(words.map((w) => readWord(PRESENT_WORDS, w))).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('reads attendance statuses, also inside longer text', () => {
    expect(readWord(ATTENDANCE_STATUS_WORDS, '病假（发烧）')).toBe('SICK_LEAVE');
    expect(readWord(ATTENDANCE_STATUS_WORDS, '旷课半天')).toBe('ABSENT_UNEXCUSED');
    expect(readWord(ATTENDANCE_STATUS_WORDS, '√')).toBe('PRESENT');
    expect(readWord(ATTENDANCE_STATUS_WORDS, '休息')).toBeUndefined();
  });

  it('reads 脱贫不稳定户 as UNSTABLE although it contains 脱贫', () => {
    expect(readWord(POVERTY_CATEGORY_WORDS, '脱贫不稳定户')).toBe('UNSTABLE');
    expect(readWord(POVERTY_CATEGORY_WORDS, '脱贫户（监测对象）')).toBe('LIFTED_OUT_OF_POVERTY');
  });

  it('takes pending leave as not approved', () => {
    expect(readWord(LEAVE_APPROVED_WORDS, '待审批')).toBe(false);
    expect(readWord(LEAVE_APPROVED_WORDS, '已批准')).toBe(true);
  });
});

describe('normalisePersonName', () => {
  it('removes whitespace inside Chinese names and keeps one space between Latin words', () => {
    expect(normalisePersonName(' 张 三 ')).toBe('张三');
    expect(normalisePersonName('欧阳\u3000娜娜')).toBe('欧阳娜娜');
    expect(normalisePersonName('买买提.艾力')).toBe('买买提·艾力');
    expect(normalisePersonName('Anna   Maria\tLi')).toBe('Anna Maria Li');
  });
});

describe('looksLikeFormula', () => {
  it('flags text starting with = + - @ but not plain numbers or a lone dash', () => {
    expect(['=1+1', '+86 138', '-张三', '@SUM(A1)', ' =A1'].map(looksLikeFormula)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['-3', '+5', '-', '张三', ''].map(looksLikeFormula)).toEqual([false, false, false, false, false]);
  });
});
