import { describe, expect, it } from 'vitest';
import { addFen, fenToYuan, fenToYuanGrouped, yuanToFen } from './money';

describe('money in 分', () => {
  it('formats integer fen as yuan with two decimals, from the digits', () => {
    expect(fenToYuan(123450)).toBe('1234.50');
    expect(fenToYuan(50_000)).toBe('500.00');
    expect(fenToYuan(5)).toBe('0.05');
    expect(fenToYuan(0)).toBe('0.00');
    expect(fenToYuan(-305)).toBe('-3.05');
    expect(fenToYuan(Number.MAX_SAFE_INTEGER)).toBe('90071992547409.91');
    expect(fenToYuanGrouped(123_456_789)).toBe('1,234,567.89');
  });

  it('refuses anything that is not whole fen', () => {
    expect(() => fenToYuan(0.1)).toThrow(RangeError);
    expect(() => fenToYuan(Number.NaN)).toThrow(RangeError);
  });

  it('adds up exactly where floating-point yuan would not', () => {
    // 0.1 + 0.2 元 is 0.30000000000000004 in floating point; in 分 it is 30.
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(fenToYuan(addFen(10, 20))).toBe('0.30');
    let total = 0;
    for (let i = 0; i < 100_000; i++) total = addFen(total, 31_250);
    expect(fenToYuan(total)).toBe('31250000.00');
    expect(() => addFen(Number.MAX_SAFE_INTEGER, 1)).toThrow(RangeError);
  });

  it('reads yuan written by people into fen without rounding', () => {
    expect(yuanToFen('1234.5')).toBe(123450);
    expect(yuanToFen('1,000')).toBe(100000);
    expect(yuanToFen('0.05')).toBe(5);
    expect(yuanToFen('1.005')).toBeUndefined();
    expect(yuanToFen('abc')).toBeUndefined();
  });
});
