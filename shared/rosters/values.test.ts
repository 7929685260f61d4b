import { describe, expect, it } from 'vitest';
import { gradeNumber, normaliseValue, stageFromGrade } from './values';

describe('normaliseValue', () => {
  it('folds full-width characters, drops whitespace and lower-cases, so spellings of one word match', () => {
    expect(normaliseValue(' Ｙｅｓ\u3000')).toBe('yes');
    expect(normaliseValue('初 一')).toBe('初一');
  });
});

describe('gradeNumber', () => {
  it.each([
    ['一年级', 1],
    ['3年级', 3],
    ['小学六年级', 6],
    ['初一', 7],
    ['初中三年级', 9],
    ['九年级', 9],
    ['2025级', undefined],
    ['高一', undefined],
  ])('%s → %s', (grade, n) => {
    expect(gradeNumber(grade)).toBe(n);
  });
});

describe('stageFromGrade', () => {
  it.each([
    ['一年级', 'PRIMARY'],
    ['六年级', 'PRIMARY'],
    ['3年级', 'PRIMARY'],
    ['小学五年级', 'PRIMARY'],
    ['七年级', 'JUNIOR'],
    ['九年级', 'JUNIOR'],
    ['初一', 'JUNIOR'],
    ['初三', 'JUNIOR'],
    ['初中二年级', 'JUNIOR'],
    ['2025级', undefined],
    ['高一', undefined],
  ])('%s → %s', (grade, stage) => {
    expect(stageFromGrade(grade)).toBe(stage);
  });
});
