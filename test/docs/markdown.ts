/**
 * What the documentation tests read: the repository's files, the links and headings of its Markdown, and
 * the citations of `docs/domain.md` in code and docs. Plain functions over text, so the checks themselves
 * can be tested on small examples.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The repository's files, relative to its root with `/` separators: those git tracks plus new ones it
 * does not ignore (a document being written counts before its first commit), minus deleted ones. Without
 * git (an unpacked archive), every file outside the folders .gitignore names.
 */
export function repositoryFiles(root = REPO_ROOT): string[] {
  let listed: string[];
  try {
    listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\0');
  } catch {
    listed = walk(root, '');
  }
  const files = new Set(listed.filter((f) => f !== '' && existsSync(path.join(root, f))));
  return [...files].sort();
}

const NOT_SOURCES = new Set(['.git', 'node_modules', 'cdk.out', '.kcbx', 'coverage', 'dist']);

function walk(root: string, dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) return NOT_SOURCES.has(entry.name) ? [] : walk(root, rel);
    return entry.isFile() ? [rel] : [];
  });
}

/** Files whose text the checks read: sources, docs, configuration. Not the lock file, not binaries. */
export function isTextSource(file: string): boolean {
  if (file === 'package-lock.json') return false;
  return /\.(ts|mts|mjs|js|json|md|ya?ml)$/.test(file) || /(^|\/)(run|\.gitignore)$/.test(file);
}

/**
 * The text with code blocks blanked out, and inline code too unless `inline` is false (line breaks kept,
 * so line numbers stay right): a link or heading inside code is an example, not a link or heading.
 */
export function withoutCode(markdown: string, { inline = true } = {}): string {
  const lines = markdown.split('\n');
  let fence: string | undefined;
  return lines
    .map((line) => {
      const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence !== undefined) {
        if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length)
          fence = undefined;
        return '';
      }
      if (marker !== undefined) {
        fence = marker;
        return '';
      }
      return inline ? line.replace(/(`+)(?:(?!\1).)+?\1/g, (code) => ' '.repeat(code.length)) : line;
    })
    .join('\n');
}

/**
 * The anchor GitHub gives a heading: the rendered text in lower case, with every character that is not a
 * letter, mark, number, space, `-` or `_` removed, and spaces turned into `-`. So `## 4. The case (一生一案)`
 * is `#4-the-case-一生一案` and `## 2. 四查三比对 — the comparison` is `#2-四查三比对--the-comparison`.
 */
export function headingSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '')
    .trim();
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file offers: its headings' slugs (a repeated one gets -1, -2 …) and `<a id>`s. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  // A heading's inline code is part of its text (`## What \`npm start\` runs` is #what-npm-start-runs).
  for (const line of withoutCode(markdown, { inline: false }).split('\n')) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const slug = headingSlug(heading);
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

export interface MarkdownLink {
  line: number;
  target: string;
}

/** Inline links and images `[text](target "title")` and reference definitions `[label]: target`. */
export function linksOf(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  withoutCode(markdown)
    .split('\n')
    .forEach((text, i) => {
      for (const m of text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) {
        links.push({ line: i + 1, target: m[1]!.replace(/^<(.*)>$/, '$1') });
      }
      const definition = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(text);
      if (definition) links.push({ line: i + 1, target: definition[1]!.replace(/^<(.*)>$/, '$1') });
    });
  return links;
}

/** What a link check may ask of the repository. */
export interface Repository {
  /** Whether a repository-relative path is a file of the repository, or a folder holding some. */
  has(file: string): boolean;
  /** The anchors of a repository Markdown file. */
  anchors(file: string): Set<string>;
}

/** The repository on disk, reading each Markdown file once. */
export function repositoryOnDisk(files: readonly string[], root = REPO_ROOT): Repository {
  const fileSet = new Set(files);
  const folders = new Set<string>();
  for (const file of files) {
    for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) folders.add(dir);
  }
  const cache = new Map<string, Set<string>>();
  return {
    has: (file) => fileSet.has(file) || folders.has(file),
    anchors(file) {
      let anchors = cache.get(file);
      if (!anchors) {
        const full = path.join(root, file);
        anchors =
          existsSync(full) && statSync(full).isFile() ? anchorsOf(readFileSync(full, 'utf8')) : new Set();
        cache.set(file, anchors);
      }
      return anchors;
    },
  };
}

/**
 * Why a link of `from` (a repository-relative Markdown file) is broken, or undefined when it is fine.
 * Links with a scheme (https:, mailto:) are outside this check. A relative link must name a file or folder
 * of the repository without leaving it, and its `#anchor`, if any, a heading of the Markdown file it names
 * (or, for a source file, a GitHub line anchor such as `#L12`).
 */
export function linkProblem(from: string, target: string, repo: Repository): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const pathPart = hash === -1 ? target : target.slice(0, hash);
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  if (pathPart.startsWith('/')) return `${target}: use a path relative to ${from}, not an absolute one`;
  const resolved =
    pathPart === ''
      ? from
      : path.posix.normalize(path.posix.join(path.posix.dirname(from), decodeURI(pathPart)));
  if (resolved === '..' || resolved.startsWith('../')) return `${target}: leaves the repository`;
  const file = resolved.replace(/\/$/, '');
  if (!repo.has(file)) return `${target}: ${file} is not a file of the repository`;
  if (anchor === undefined || anchor === '') return undefined;
  if (!file.endsWith('.md')) {
    return /^L\d+(-L\d+)?$/.test(anchor) ? undefined : `${target}: #${anchor} is not a line anchor (#L12)`;
  }
  return repo.anchors(file).has(anchor)
    ? undefined
    : `${target}: ${file} has no heading with anchor #${anchor}`;
}

/** The numbered sections of docs/domain.md: `## 4. The case …` is "4", `### 4.4 …` is "4.4". */
export function numberedSections(markdown: string): string[] {
  const sections: string[] = [];
  for (const line of withoutCode(markdown).split('\n')) {
    const m = /^#{2,3}\s+(\d+(?:\.\d+)?)\.?\s/.exec(line);
    if (m) sections.push(m[1]!);
  }
  return sections;
}

/**
 * The section numbers a text cites as `docs/domain.md §n`: "docs/domain.md §4.7, §6.1" cites 4.7 and 6.1,
 * "docs/domain.md §3–4" cites 3 and 4.
 */
export function domainCitations(text: string): { line: number; section: string }[] {
  const found: { line: number; section: string }[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(
      /docs\/domain\.md((?:\s*(?:,|;|and|&)?\s*§\s?\d+(?:\.\d+)?(?:\s*[–-]\s*§?\d+(?:\.\d+)?)?)+)/g,
    )) {
      for (const n of m[1]!.matchAll(/(\d+(?:\.\d+)?)/g)) found.push({ line: i + 1, section: n[1]! });
    }
  });
  return found;
}
