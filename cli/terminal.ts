import { statSync } from 'node:fs';
import { type RosterKind, rosterKindSchema } from '../shared/roster-kind';

export { cells, padEnd, padStart } from '../shared/text-width';

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
