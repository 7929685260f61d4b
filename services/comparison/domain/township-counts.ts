import { outcomeCodeSchema } from '../../../shared/events/vocab';
import type { ChildResult, OutcomeCounts, SchoolCounts } from './classify';

/** 乡镇汇总 — one township's share of a comparison: its children's outcomes, in total and per school. */
export interface TownshipCounts {
  /** 9-digit 乡镇 code. */
  township: string;
  counts: OutcomeCounts;
  /** The schools of the township's children ('' for children without a school), in the results' order. */
  bySchool: SchoolCounts[];
}

const zero = (): OutcomeCounts =>
  Object.fromEntries(outcomeCodeSchema.options.map((o) => [o, 0])) as OutcomeCounts;

/**
 * A township sees the comparison of its own children only, never the per-school figures of the whole
 * county: a school attended by children of several townships appears in each township's list with that
 * township's children alone. Children whose rosters name no township belong to none (the county sees them).
 */
export function countByTownship(results: readonly ChildResult[]): TownshipCounts[] {
  const townships = new Map<string, { counts: OutcomeCounts; schools: Map<string, SchoolCounts> }>();
  for (const r of results) {
    if (!r.township) continue;
    let t = townships.get(r.township);
    if (!t) {
      t = { counts: zero(), schools: new Map() };
      townships.set(r.township, t);
    }
    t.counts[r.outcome] += 1;
    const key = r.school ?? '';
    let s = t.schools.get(key);
    if (!s) {
      s = { school: key, schoolName: r.schoolName, counts: zero() };
      t.schools.set(key, s);
    }
    s.counts[r.outcome] += 1;
  }
  return [...townships.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([township, t]) => ({ township, counts: t.counts, bySchool: [...t.schools.values()] }));
}
