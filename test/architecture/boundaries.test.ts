import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeViolations, type SourceFile, violationsOf } from './boundaries';

const ROOT = path.join(import.meta.dirname, '..', '..');

/** Every .ts file under the given folders of the repository, with its repository-relative path. */
function sources(...folders: string[]): SourceFile[] {
  return folders.flatMap((folder) =>
    readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => {
        const file = `${folder}/${f.split(path.sep).join('/')}`;
        return { path: file, text: readFileSync(path.join(ROOT, file), 'utf8') };
      }),
  );
}

const check = (file: string, text: string) => describeViolations(violationsOf({ path: file, text }));

describe('the boundaries of services and shared code', () => {
  it('holds for every file under services/ and shared/', () => {
    const files = sources('services', 'shared');
    // The walk reaches the code it is meant to guard, deep folders and ports included.
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'services/cases/port.ts',
        'services/subsidy/handlers/worker.ts',
        'services/subsidy/domain/policies/built-in.ts',
        'shared/runtime/http.ts',
      ]),
    );
    const violations = files.flatMap(violationsOf);
    expect(violations, `\n${describeViolations(violations)}\n`).toEqual([]);
  });
});

describe('what the check refuses', () => {
  it("refuses another service's adapters, domain or handlers, and lets its port through", () => {
    const file = 'services/subsidy/handlers/worker.ts';
    expect(check(file, "import { listCases } from '../../cases/adapters/cases-repo';")).toContain(
      "services/subsidy/handlers/worker.ts:1 imports '../../cases/adapters/cases-repo': another service is read only through its door, services/cases/port.ts",
    );
    expect(check(file, "\n\nimport type { CaseRecord } from '../../cases/domain/case';")).toMatch(
      /^services\/subsidy\/handlers\/worker\.ts:3 imports/,
    );
    expect(check(file, "export { handler } from '../../comparison/handlers/worker';")).not.toBe('');
    expect(check(file, "const m = await import('../../roster-intake/domain/upload');")).not.toBe('');
    expect(check(file, "import '../../notifications/adapters/channels';")).not.toBe('');
    expect(check(file, "import { openCasePages } from '../../cases/port';")).toBe('');
    expect(check(file, `import { putReport } from '${SHARED}aws/reports';`)).toBe('');
    expect(check(file, "import { paymentListKey } from '../adapters/payment-lists';")).toBe('');
  });

  it('reads only real imports, not the words of comments and strings', () => {
    const text = [
      "// import { x } from '../../cases/adapters/cases-repo';",
      'const hint = "import { y } from \'../../cases/domain/case\'";',
    ].join('\n');
    expect(check('services/subsidy/handlers/worker.ts', text)).toBe('');
  });

  it('refuses shared code that imports a service, even its port', () => {
    expect(
      check('shared/runtime/http.ts', "import { getCaseRecord } from '../../services/cases/port';"),
    ).toContain('shared/ is the common package');
    expect(check('shared/rosters/values.ts', "import type { RosterKind } from '../roster-kind';")).toBe('');
  });

  it('keeps domain/ free of the AWS SDK, adapters, handlers and use cases', () => {
    const file = 'services/comparison/domain/run.ts';
    expect(check(file, "import { PutCommand } from '@aws-sdk/lib-dynamodb';")).toContain('domain/ is pure');
    expect(check(file, "import { getRun } from '../adapters/comparisons-repo';")).toContain(
      'domain/ is pure',
    );
    expect(check(file, "import { handler } from '../handlers/worker';")).toContain('domain/ is pure');
    expect(check(file, "import { runComparison } from '../use-cases/run-comparison';")).toContain(
      'domain/ is pure',
    );
    expect(check(file, `import type { IntakeRow } from '${SHARED}rosters/rows';`)).toBe('');
    expect(check(file, "import { diffOutcomes } from './changes';")).toBe('');
    // Outside domain/, the SDK is the adapters' business.
    expect(
      check('services/comparison/adapters/x.ts', "import { PutCommand } from '@aws-sdk/lib-dynamodb';"),
    ).toBe('');
  });

  /** From a file at services/<svc>/<part>/x.ts, the repository's shared/ folder. */
  const SHARED = `${'../'.repeat(3)}shared/`;

  it('keeps Lambda entry points out of ports', () => {
    expect(check('services/cases/port.ts', "export { handler } from './handlers/signals';")).toContain(
      'a port offers reads and rules',
    );
    expect(check('services/cases/port.ts', "export { openCasePages } from './adapters/cases-repo';")).toBe(
      '',
    );
  });
});
