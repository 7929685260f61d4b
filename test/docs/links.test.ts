import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  anchorsOf,
  domainCitations,
  headingSlug,
  isTextSource,
  linkProblem,
  linksOf,
  numberedSections,
  REPO_ROOT,
  type Repository,
  repositoryFiles,
  repositoryOnDisk,
} from './markdown';

const files = repositoryFiles();
const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const THIS_FOLDER = 'test/docs/';

/** A repository of a few in-memory files, for the checks' own tests. */
function memoryRepository(docs: Record<string, string>): Repository {
  return {
    has: (file) => Object.hasOwn(docs, file) || Object.keys(docs).some((name) => name.startsWith(`${file}/`)),
    anchors: (file) => anchorsOf(docs[file] ?? ''),
  };
}

describe('links between the documents', () => {
  it('gives headings the anchors GitHub gives them', () => {
    expect(headingSlug('1. Who is counted (适龄儿童少年)')).toBe('1-who-is-counted-适龄儿童少年');
    expect(headingSlug('Manual reports (人工报告)')).toBe('manual-reports-人工报告');
    expect(headingSlug('2. 四查三比对 — the semester comparison')).toBe(
      '2-四查三比对--the-semester-comparison',
    );
    expect(headingSlug('4.4 依法控辍四步法 — the four legal steps')).toBe(
      '44-依法控辍四步法--the-four-legal-steps',
    );
    expect(headingSlug('The `Data` table: keys')).toBe('the-data-table-keys');
    expect(anchorsOf('### What `npm start` runs, and where\n').has('what-npm-start-runs-and-where')).toBe(
      true,
    );
    expect([...anchorsOf('# Events\n## In\n## Out\n## In\n```\n## not a heading\n```\n')]).toEqual([
      'events',
      'in',
      'out',
      'in-1',
    ]);
  });

  it('finds a missing file, a missing anchor and a link that leaves the repository, and accepts good ones', () => {
    const repo = memoryRepository({
      'README.md': '# kcbx\n',
      'docs/domain.md': '# Rules\n## 3. Attendance\n',
      'services/cases/README.md': '# cases\n## Manual reports (人工报告)\n',
      'shared/calendar.ts': '',
    });
    const from = 'services/cases/README.md';
    expect(linkProblem(from, '../../docs/domain.md#3-attendance', repo)).toBeUndefined();
    expect(linkProblem(from, '#manual-reports-人工报告', repo)).toBeUndefined();
    expect(linkProblem(from, '#manual-reports-%E4%BA%BA%E5%B7%A5%E6%8A%A5%E5%91%8A', repo)).toBeUndefined();
    expect(linkProblem(from, '../../shared/calendar.ts#L10-L20', repo)).toBeUndefined();
    expect(linkProblem(from, '../../shared', repo)).toBeUndefined();
    expect(linkProblem(from, 'https://example.cn/x.md#nowhere', repo)).toBeUndefined();
    expect(linkProblem('README.md', '../shared/DOMAIN.md', repo)).toMatch(/leaves the repository/);
    expect(linkProblem(from, '../../docs/architecture.md', repo)).toMatch(/not a file of the repository/);
    expect(linkProblem(from, '../../docs/domain.md#4-the-case', repo)).toMatch(
      /no heading with anchor #4-the-case/,
    );
    expect(linkProblem(from, '#manual-reports', repo)).toMatch(/no heading/);
    expect(linkProblem(from, '/docs/domain.md', repo)).toMatch(/relative/);
  });

  it('reads inline links, images and reference definitions, but not code', () => {
    const markdown = [
      'See [the rules](docs/domain.md#1-who) and ![map](<docs/a b.png> "Map").',
      '`[not](a-link.md)`',
      '```',
      '[nor](this.md)',
      '```',
      '[ref]: CONTRIBUTING.md',
    ].join('\n');
    expect(linksOf(markdown)).toEqual([
      { line: 1, target: 'docs/domain.md#1-who' },
      { line: 1, target: 'docs/a b.png' },
      { line: 6, target: 'CONTRIBUTING.md' },
    ]);
  });

  it('every relative link of every Markdown file resolves inside the repository, anchors included', () => {
    const repo = repositoryOnDisk(files);
    const problems: string[] = [];
    const markdownFiles = files.filter((f) => f.endsWith('.md'));
    expect(markdownFiles).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/domain.md']));
    for (const file of markdownFiles) {
      for (const link of linksOf(read(file))) {
        const problem = linkProblem(file, link.target, repo);
        if (problem) problems.push(`${file}:${link.line}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('what the code and docs cite', () => {
  const sources = files.filter((f) => isTextSource(f) && !f.startsWith(THIS_FOLDER));

  it('cites no document outside the repository', () => {
    const problems: string[] = [];
    for (const file of sources) {
      read(file)
        .split('\n')
        .forEach((line, i) => {
          const where = `${file}:${i + 1}`;
          if (/\b(?:DOMAIN|ARCHITECTURE)(?:\.md\b|\s*[§:])/.test(line))
            problems.push(`${where}: ${line.trim()}`);
          // `../shared/x` is fine from cli/ (the repository's shared/), not from the root (a folder beside it).
          for (const m of line.matchAll(/((?:\.\.\/)+)shared\//g)) {
            const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!, 'shared'));
            if (resolved.startsWith('../')) problems.push(`${where}: ${m[0]} leaves the repository`);
          }
        });
    }
    expect(problems).toEqual([]);
  });

  it('speaks of what things are, not of work-tracking numbers', () => {
    const problems: string[] = [];
    for (const file of sources) {
      read(file)
        .split('\n')
        .forEach((line, i) => {
          if (/\b(?:[Ii]ssues?|[Tt]ickets?)\s+#?\d+\b/.test(line))
            problems.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(problems).toEqual([]);
  });

  it('cites only sections that docs/domain.md has', () => {
    const domain = read('docs/domain.md');
    const sections = new Set(numberedSections(domain));
    const problems: string[] = [];
    for (const file of sources) {
      for (const { line, section } of domainCitations(read(file))) {
        if (!sections.has(section)) problems.push(`${file}:${line}: docs/domain.md has no §${section}`);
      }
    }
    // Inside docs/domain.md a bare §n refers to its own sections (policy sections are §二(三)2).
    domain.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/§(\d+(?:\.\d+)?)/g)) {
        if (!sections.has(m[1]!)) problems.push(`docs/domain.md:${i + 1}: no §${m[1]}`);
      }
    });
    expect(problems).toEqual([]);
    expect(
      domainCitations('see docs/domain.md §4.7, §6.1 and docs/domain.md §3–4').map((c) => c.section),
    ).toEqual(['4.7', '6.1', '3', '4']);
  });

  it('numbers the sections of docs/domain.md in order, without gaps, so that citations stay stable', () => {
    const sections = numberedSections(read('docs/domain.md'));
    const expected: string[] = [];
    let chapter = 0;
    let sub = 0;
    for (const s of sections) {
      if (s.includes('.')) expected.push(`${chapter}.${++sub}`);
      else {
        chapter += 1;
        sub = 0;
        expected.push(String(chapter));
      }
    }
    expect(sections).toEqual(expected);
    expect(sections.slice(0, 1)).toEqual(['1']);
  });
});
