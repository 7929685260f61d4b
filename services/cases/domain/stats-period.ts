/**
 * 统计期间 — the periods `GET /stats?period=` and `kcbx stats --period` accept, in the words bureaus use:
 * a term ('2025-autumn' 秋季学期 September–January, '2026-spring' 春季学期 February–August), a school year
 * ('2025-2026', 1 September to 31 August), a month ('2026-03') or two dates ('2026-03-01..2026-03-31').
 */
import { isRealDate } from '../../../shared/dates';
import type { Bilingual } from '../../../shared/runtime/errors';

export interface StatsPeriodSpec {
  from: string;
  to: string;
  /** The term whose rosters give the enrollment (学籍) counts. */
  term: string;
  /** The school year (its first calendar year) the period lies in, for the school-year table. */
  schoolYear: number;
  label: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
const monthEnd = (y: number, m: number) => `${y}-${pad(m)}-${pad(new Date(Date.UTC(y, m, 0)).getUTCDate())}`;

/** The term a date falls in: autumn from August to January, spring from February to July. */
function termOf(date: string): string {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  if (m >= 8) return `${y}-autumn`;
  if (m === 1) return `${y - 1}-autumn`;
  return `${y}-spring`;
}

const schoolYearOf = (date: string) => {
  const y = Number(date.slice(0, 4));
  return Number(date.slice(5, 7)) >= 9 ? y : y - 1;
};

export type ParsedPeriod = { ok: true; period: StatsPeriodSpec } | { ok: false; error: Bilingual };

export function parseStatsPeriod(text: string): ParsedPeriod {
  const t = text.trim();
  let m = /^(\d{4})-(autumn|spring)$/.exec(t);
  if (m) {
    const y = Number(m[1]);
    const [from, to] = m[2] === 'autumn' ? [`${y}-09-01`, `${y + 1}-01-31`] : [`${y}-02-01`, `${y}-08-31`];
    return ok(from, to, `${y}年${m[2] === 'autumn' ? '秋季' : '春季'}学期`, t);
  }
  m = /^(\d{4})-(\d{4})$/.exec(t);
  if (m && Number(m[2]) === Number(m[1]) + 1) {
    return ok(`${m[1]}-09-01`, `${m[2]}-08-31`, `${m[1]}—${m[2]}学年`);
  }
  m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(t);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    return ok(`${m[1]}-${m[2]}-01`, monthEnd(y, mo), `${y}年${mo}月`);
  }
  m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(t);
  if (m && isRealDate(m[1]!) && isRealDate(m[2]!) && m[1]! <= m[2]!) {
    return ok(m[1]!, m[2]!, `${m[1]} 至 ${m[2]}`);
  }
  return {
    ok: false,
    error: {
      zh: `无法识别统计期间“${text}”。可用：学期 2025-autumn / 2026-spring，学年 2025-2026，月份 2026-03，或日期段 2026-03-01..2026-03-31。`,
      en: `Cannot read the period "${text}". Use a term (2025-autumn, 2026-spring), a school year (2025-2026), a month (2026-03) or dates (2026-03-01..2026-03-31).`,
    },
  };
}

function ok(from: string, to: string, label: string, term = termOf(from)): ParsedPeriod {
  return { ok: true, period: { from, to, term, schoolYear: schoolYearOf(from), label } };
}
