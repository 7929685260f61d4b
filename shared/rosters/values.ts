/**
 * 名单取值 — how roster values written by people are read wherever rosters are read: intake matches
 * cell words after {@link normaliseValue}, and the 年级 a 学籍 row keeps as written is read as a grade
 * number and 学段 by intake, the subsidy engine and the ledgers alike.
 */
import type { SchoolStage } from './records';

/** Normalises a cell value for matching: NFKC (full-width → half-width), no whitespace, lower-case. */
export function normaliseValue(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\s\u200B-\u200D\u2060\uFEFF]+/g, '')
    .toLowerCase();
}

const CHINESE_DIGITS: Record<string, number> = {
  一: 1,
  二: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};

/**
 * 年级 as a number 1–9: 一年级…九年级 (also 1年级, 小学三年级), 初一…初三 and 初中一年级 (7–9). Anything else
 * (2025级, 高一) has none.
 */
export function gradeNumber(grade: string): number | undefined {
  const g = normaliseValue(grade);
  let m = /^(?:小学)?([一二三四五六七八九1-9])年级$/.exec(g);
  if (m) return CHINESE_DIGITS[m[1]!] ?? Number(m[1]);
  m = /^初(?:中)?([一二三1-3])(?:年级)?$/.exec(g);
  if (m) return 6 + (CHINESE_DIGITS[m[1]!] ?? Number(m[1]));
  return undefined;
}

/** 学段 from 年级: grades 1–6 are PRIMARY, 7–9 JUNIOR (see {@link gradeNumber}). */
export function stageFromGrade(grade: string): SchoolStage | undefined {
  const n = gradeNumber(grade);
  if (n === undefined) return undefined;
  return n <= 6 ? 'PRIMARY' : 'JUNIOR';
}
