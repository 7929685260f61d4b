/**
 * 名单行 — one accepted row of a roster, as roster-intake stores it and every reader of rosters receives
 * it (the comparison, the subsidy run, the attendance rule, the ledgers and statistics, the CLI's offline
 * engines): the normalised record of its kind (records.ts) without the ID number, which travels beside it
 * with the child's pseudonym and masked form.
 */
import type { RosterKind } from '../roster-kind';

export interface IntakeRow {
  uploadId: string;
  /** The row's line in the uploaded file (1 = the first line). */
  line: number;
  /** The child's keyed pseudonym (c_…). */
  childKey: string;
  maskedId: string;
  idNumber: string;
  kind: RosterKind;
  /** The organisation the roster is for. */
  org: string;
  /** The term ('2025-autumn') or day (attendance) the roster is filed under. */
  period: string;
  record: Record<string, unknown>;
  /** Codes of the warnings the row was accepted with. */
  warnings?: string[];
}
