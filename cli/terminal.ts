import { statSync } from 'node:fs';
import { type RosterKind, rosterKindSchema } from '../shared/roster-kind';

/** Columns as a terminal shows them: CJK and full-width characters take two cells. */
export function cells(text: string): number {
  let n = 0;
  for (const ch of text) {
    n += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/.test(
      ch,
    )
      ? 2
      : 1;
  }
  return n;
}

export const padEnd = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - cells(text)));
export const padStart = (text: string, width: number) => ' '.repeat(Math.max(0, width - cells(text))) + text;

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
