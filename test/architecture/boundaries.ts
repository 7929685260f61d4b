/**
 * The boundaries of services/ and shared/ (docs/architecture.md: each service has one door), as rules over
 * the import specifiers of each file: static imports, re-exports (`export … from`), side-effect imports
 * and dynamic `import()`, type-only ones included — a type import still couples the files. The
 * specifiers are read by TypeScript's own scanner (`ts.preProcessFile`), which skips comments and strings.
 */
import path from 'node:path';
import ts from 'typescript';

export interface SourceFile {
  /** Repository-relative, with forward slashes: 'services/cases/handlers/api.ts'. */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  /** Why the import is refused and how to do without it. */
  rule: string;
}

/** Where a path lies: its service (if any), whether it is a service's port, and its folder inside it. */
function placeOf(file: string) {
  const parts = file.split('/');
  if (parts[0] === 'shared') return { area: 'shared' as const };
  if (parts[0] !== 'services' || parts.length < 3) return { area: 'other' as const };
  const service = parts[1]!;
  const rest = parts.slice(2);
  return {
    area: 'service' as const,
    service,
    isPort: rest.length === 1 && rest[0]!.replace(/\.ts$/, '') === 'port',
    folders: rest.slice(0, -1),
  };
}

/** The repository-relative target of a relative specifier, without its extension; undefined for a package. */
function targetOf(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return path.posix
    .normalize(path.posix.join(path.posix.dirname(file), specifier))
    .replace(/\.(ts|js|mjs)$/, '');
}

/** The imports of one file that cross a boundary. */
export function violationsOf(file: SourceFile): Violation[] {
  const from = placeOf(file.path);
  if (from.area === 'other') return [];
  const out: Violation[] = [];
  const lineOf = (pos: number) => file.text.slice(0, pos).split('\n').length;
  for (const ref of ts.preProcessFile(file.text, true, true).importedFiles) {
    const specifier = ref.fileName;
    const refuse = (rule: string) => out.push({ file: file.path, line: lineOf(ref.pos), specifier, rule });
    const target = targetOf(file.path, specifier);
    const to = target === undefined ? undefined : placeOf(target);

    if (from.area === 'shared') {
      if (to?.area === 'service')
        refuse(
          `shared/ is the common package every service builds on and imports nothing of services/; move what both need into shared/ instead`,
        );
      continue;
    }

    if (to?.area === 'service' && to.service !== from.service && !to.isPort)
      refuse(
        `another service is read only through its door, services/${to.service}/port.ts: export what is needed there (or move what no single service owns to shared/)`,
      );

    const inDomain = from.folders.includes('domain');
    if (inDomain && (specifier === '@aws-sdk' || specifier.startsWith('@aws-sdk/')))
      refuse('domain/ is pure: it does no AWS I/O; take the data as parameters and let adapters/ fetch it');
    if (inDomain && to?.area === 'service' && to.service === from.service) {
      const layer = to.folders.find((f) => f === 'adapters' || f === 'handlers' || f === 'use-cases');
      if (layer)
        refuse(
          `domain/ is pure and is called by ${layer}/, never the other way round: move the rule into domain/ or pass what it needs as a parameter`,
        );
    }
    if (from.isPort && to?.area === 'service' && to.folders.includes('handlers'))
      refuse(
        'a port offers reads and rules, never a Lambda entry point: export from adapters/ or domain/, and move shared handler code there',
      );
  }
  return out;
}

/** One line per violation, naming the file, the line, the import and the rule. */
export function describeViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.file}:${v.line} imports '${v.specifier}': ${v.rule}`).join('\n');
}
