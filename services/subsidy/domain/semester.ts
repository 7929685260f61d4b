/**
 * 学期 — the semester a subsidy run is for. Users write it as rosters name their period ('2025-autumn',
 * '2026-spring'); events carry the school-year form of the catalogue ('2025-2026-1', '2025-2026-2').
 * Both spellings are accepted and each decision records both.
 */

export type Term = 'autumn' | 'spring';

export interface Semester {
  /** 学年学期 as in the event catalogue: '2025-2026-1' (秋季) or '2025-2026-2' (春季). */
  code: string;
  /** As rosters name their period: '2025-autumn', '2026-spring'. */
  label: string;
  /** 学年 '2025-2026'. */
  schoolYear: string;
  term: Term;
  /**
   * The day the semester's policy is looked up on. 秋季学期 starts around 1 September and 春季学期 in late
   * February or early March; policies are dated "from the autumn (spring) term", so 1 September and
   * 1 March pick the version a finance bureau means.
   */
  startsOn: string;
}

export const TERM_NAMES_ZH = { autumn: '秋季学期', spring: '春季学期' } as const satisfies Record<
  Term,
  string
>;

/** Parses '2025-autumn', '2026-spring', '2025-2026-1' or '2025-2026-2'; undefined for anything else. */
export function parseSemester(text: string): Semester | undefined {
  const trimmed = text.trim();
  let start: number;
  let term: Term;
  let m = /^(\d{4})-(autumn|spring)$/.exec(trimmed);
  if (m) {
    term = m[2] as Term;
    // '2026-spring' is the second term of the school year 2025–2026.
    start = Number(m[1]) - (term === 'spring' ? 1 : 0);
  } else {
    m = /^(\d{4})-(\d{4})-([12])$/.exec(trimmed);
    if (!m || Number(m[2]) !== Number(m[1]) + 1) return undefined;
    start = Number(m[1]);
    term = m[3] === '1' ? 'autumn' : 'spring';
  }
  if (start < 1990 || start > 2200) return undefined;
  const schoolYear = `${start}-${start + 1}`;
  return {
    code: `${schoolYear}-${term === 'autumn' ? 1 : 2}`,
    label: term === 'autumn' ? `${start}-autumn` : `${start + 1}-spring`,
    schoolYear,
    term,
    startsOn: term === 'autumn' ? `${start}-09-01` : `${start + 1}-03-01`,
  };
}

/** '2025—2026 学年秋季学期' — for titles of payment lists. */
export function semesterTitleZh(s: Semester): string {
  return `${s.schoolYear.replace('-', '—')} 学年${TERM_NAMES_ZH[s.term]}`;
}
