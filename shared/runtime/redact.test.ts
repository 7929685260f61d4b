import { describe, expect, it } from 'vitest';
import { redactPii, redactText } from './redact';

describe('log redaction', () => {
  it('masks an 18-digit ID number inside free text', () => {
    expect(redactText('row 12: 53012420150312123X already enrolled')).toBe(
      'row 12: 5301**********123X already enrolled',
    );
  });

  it('masks a 15-digit legacy number and a G-prefixed 学籍号', () => {
    const out = redactText('old 530124150312123, 学籍号 G53012420150312123X');
    expect(out).not.toContain('530124150312123');
    expect(out).not.toContain('53012420150312123X');
  });

  it('masks the middle of a mobile number', () => {
    expect(redactText('家长电话 13812345678')).toBe('家长电话 138****5678');
  });

  it('leaves longer digit runs such as upload ids alone', () => {
    expect(redactText('upload 1234567890123456789012')).toBe('upload 1234567890123456789012');
  });

  it('replaces the value of sensitive keys whatever their content', () => {
    expect(redactPii('name', '张三')).toBe('[REDACTED]');
    expect(redactPii('idNumber', '53012420150312123X')).toBe('[REDACTED]');
    expect(redactPii('disability', { level: 2 })).toBe('[REDACTED]');
    expect(redactPii('school', '5301240001')).toBe('5301240001');
  });

  it('keeps the name of an error class, which is not a person', () => {
    expect(redactPii('name', 'ConditionalCheckFailedException')).toBe('ConditionalCheckFailedException');
    expect(redactPii('name', 'TypeError')).toBe('TypeError');
    expect(redactPii('name', '王小明')).toBe('[REDACTED]');
  });

  it('redacts a whole log object through JSON.stringify', () => {
    const line = JSON.stringify(
      {
        message: 'bad row',
        row: { name: '李四', idNumber: '53012420150312123X', note: 'see 53012420150312123X' },
      },
      redactPii,
    );
    expect(line).not.toContain('李四');
    expect(line).not.toContain('53012420150312123X');
    expect(line).toContain('5301**********123X');
  });
});
