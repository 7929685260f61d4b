import { statSync } from 'node:fs';
import type { IntakeSummary } from '../services/roster-intake/domain/intake';
import { type RosterKind, rosterKindSchema } from '../shared/roster-kind';
import { cells } from '../shared/text-width';

export { cells, padEnd, padStart } from '../shared/text-width';

/** Counts as the tables print them: 12,345. */
export const num = (n: number) => n.toLocaleString('en-US');

/** How a roster was read: 'CSV, gb18030' or 'XLSX, 工作表 sheet “学生”'. */
export function readAs(summary: Pick<IntakeSummary, 'format' | 'encoding' | 'sheet'>): string {
  return [summary.format?.toUpperCase(), summary.encoding, summary.sheet && `工作表 sheet “${summary.sheet}”`]
    .filter(Boolean)
    .join(', ');
}

/** A school in a table: code and name, cut with '…' to `width` terminal cells. */
export function schoolLabel(school: string, schoolName: string | undefined, width: number): string {
  let label = school === '' ? '（无学校 no school）' : `${school} ${schoolName ?? ''}`.trim();
  while (cells(label) > width) label = `${label.slice(0, -2)}…`;
  return label;
}

/** The --kind and file of a roster command, checked before any work, with errors a user can act on. */
export function rosterFileArgs(file: string, kindOption: string): { kind: RosterKind; size: number } {
  const kind = rosterKindSchema.safeParse(kindOption);
  if (!kind.success) throw new Error(`--kind must be one of ${rosterKindSchema.options.join(', ')}`);
  try {
    return { kind: kind.data, size: statSync(file).size };
  } catch {
    throw new Error(`找不到文件 ${file}\nFile not found: ${file}`);
  }
}
