/**
 * Intake rows for comparison tests: valid ID numbers (real check digits) and rows of each kind as intake
 * stores them (`record` without the ID; sex and birth date from the ID). Test code only.
 */
import { checkDigit } from '../../../shared/id-number';
import type { RosterKind } from '../../../shared/roster-kind';
import type { IntakeRow } from '../../roster-intake/domain/intake';
import type { ComparisonSettings } from './classify';

export const SETTINGS: ComparisonSettings = {
  region: '530124',
  asOf: '2025-09-08',
  minAge: 6,
  maxAge: 15,
  entryCutoff: '08-31',
};

/** A valid 18-character ID of someone born on `birth` (YYYY-MM-DD); odd `seq` is male. */
export function idNumber(birth: string, seq = 1, region = '530124'): string {
  const first17 = `${region}${birth.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
}

export const birthOf = (id: string) => `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
export const sexOf = (id: string) => (Number(id[16]) % 2 === 1 ? 'M' : 'F');

/** One stored row of `kind` for `id`, as intake hands it over (line numbers count up per upload). */
export function rowOf(
  kind: RosterKind,
  id: string,
  record: Record<string, unknown>,
  where: { uploadId?: string; line?: number; org?: string } = {},
): IntakeRow {
  return {
    uploadId: where.uploadId ?? `${kind}.csv`,
    line: where.line ?? 2,
    childKey: `c_${id}`,
    maskedId: `${id.slice(0, 4)}**********${id.slice(14)}`,
    idNumber: id,
    kind,
    org: where.org ?? 'offline',
    period: '2025-autumn',
    record: { sex: sexOf(id), birthDate: birthOf(id), ...record },
  };
}

export const SCHOOL_A = { schoolCode: '5301240001', schoolName: '富民县第一小学' };
export const SCHOOL_B = { schoolCode: '5301240002', schoolName: '富民县第二小学' };

/** A small deterministic pseudo-random generator (mulberry32), for shuffles that can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
