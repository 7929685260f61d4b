/**
 * 名单文件 — the roster files of an offline command (`kcbx compare`, `kcbx subsidy`, `kcbx absences`).
 * Each file goes through the intake engine, exactly as an upload would, on a worker thread: as many files
 * at once as there are cores. The accepted rows reach the command's engine as they come; the engines take
 * rows in any order, so a result does not depend on which file finishes first.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Command } from 'commander';
import type { IntakeOutcome } from '../services/roster-intake/domain/intake';
import { generatePseudonymSecret, parsePseudonymSecret } from '../shared/pseudonym';
import { ROSTER_KIND_NAMES_ZH, type RosterKind } from '../shared/roster-kind';
import type { IntakeRow } from '../shared/rosters/rows';
import { unusable, usage } from './errors';
import { collect } from './options';
import { num, padEnd, readAs } from './terminal';

/** A repeatable roster option of a command, e.g. `--headcount <file>`. */
export interface RosterOption {
  kind: RosterKind;
  flag: string;
  required: boolean;
  help: string;
}

/** What a command reads the rosters for, as its messages say it: { zh: '比对', en: 'the comparison' }. */
export interface RunName {
  zh: string;
  en: string;
}

export type RosterFiles = Partial<Record<RosterKind, string[]>>;

export function addRosterOptions(command: Command, options: readonly RosterOption[]): void {
  for (const option of options) {
    command.option(
      `${option.flag} <file>`,
      `${option.help} (.xlsx, or .csv in UTF-8/GBK)${option.required ? ' — required' : ''}; repeat for several files`,
      collect,
    );
  }
}

export function requireRosters(options: readonly RosterOption[], given: RosterFiles, run: RunName): void {
  for (const option of options) {
    if (option.required && !given[option.kind]?.length) {
      throw usage(
        `缺少 ${option.flag}：${run.zh}需要${ROSTER_KIND_NAMES_ZH[option.kind]}名单（可重复指定多个文件）。`,
        `${option.flag} is missing: ${run.en} needs the ${option.kind} roster (repeat the flag for several files).`,
      );
    }
  }
}

/**
 * Offline nothing is stored: pseudonyms are computed only because the engines are the services', keyed by
 * them. Decoded once, not per row.
 */
export function offlinePseudonymSecret(): Uint8Array {
  return parsePseudonymSecret(generatePseudonymSecret());
}

/** A file that cannot be used, with the reason in Chinese and English. */
interface RejectedFile {
  file: string;
  kind: RosterKind;
  zh: string;
  en: string;
}

export interface ReadSettings {
  today: string;
  maxBytes: number;
  secret: Uint8Array;
}

interface RosterJob {
  file: string;
  kind: RosterKind;
  name: string;
  uploadId: string;
  size: number;
}

type FileOutcome = Pick<IntakeOutcome, 'status' | 'summary' | 'problems'>;

const INTAKE_WORKER = fileURLToPath(new URL('./intake-worker.mjs', import.meta.url));

/** Runs the intake engine on one file in a worker thread; accepted rows arrive through onRows. */
function validateInWorker(
  job: RosterJob,
  settings: ReadSettings,
  onRows: (rows: IntakeRow[]) => void,
): Promise<FileOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(INTAKE_WORKER, {
      workerData: { ...job, ...settings, secret: Array.from(settings.secret) },
      execArgv: [],
    });
    worker.on(
      'message',
      (msg: { type: string; rows?: IntakeRow[]; outcome?: FileOutcome; message?: string }) => {
        if (msg.type === 'rows') onRows(msg.rows!);
        else if (msg.type === 'done') resolve(msg.outcome!);
        else reject(new Error(`${job.name}: ${msg.message}`));
      },
    );
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${job.name}: the validation worker exited with code ${code}`));
    });
  });
}

/** Runs at most `size` tasks at once and returns their results in the order of `items`. */
async function runPool<T, R>(items: readonly T[], size: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(size, items.length)) }, lane));
  return results;
}

/**
 * Reads and validates the files of the options, in the order of the options, and prints a line per file
 * (how it was read, rows accepted and rejected). Rows of several files arrive interleaved; `onRows` is told
 * which file (its index in the order read) they come from, for an engine that must see them in file order.
 * Returns the number of files; throws an unusable-input error naming every file that is missing or that
 * the intake rejects, so that no result is written from part of the rosters.
 */
export async function readRosters(
  options: readonly RosterOption[],
  given: RosterFiles,
  settings: ReadSettings,
  onRows: (rows: IntakeRow[], fileIndex: number) => void,
  run: RunName,
): Promise<number> {
  const files = options.flatMap((o) => (given[o.kind] ?? []).map((file) => ({ kind: o.kind, file })));
  const rejected: RejectedFile[] = [];
  const jobs: (RosterJob & { fileIndex: number })[] = [];
  const usedIds = new Set<string>();
  for (const [fileIndex, { kind, file }] of files.entries()) {
    const name = path.basename(file);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      rejected.push({
        file,
        kind,
        zh: '找不到文件或无法读取。',
        en: 'The file does not exist or cannot be read.',
      });
      continue;
    }
    // Evidence names a row by upload and line: the file's name, or its path when two files share a name.
    const uploadId = usedIds.has(name) ? file : name;
    usedIds.add(uploadId);
    jobs.push({ file, kind, name, uploadId, size, fileIndex });
  }
  const outcomes = await runPool(jobs, availableParallelism(), ({ fileIndex, ...job }) =>
    validateInWorker(job, settings, (rows) => onRows(rows, fileIndex)),
  );

  console.log('读取名单 reading rosters:');
  jobs.forEach(({ file, kind, name }, i) => {
    const outcome = outcomes[i]!;
    const s = outcome.summary;
    const read = readAs(s);
    console.log(
      `  ${padEnd(`${ROSTER_KIND_NAMES_ZH[kind]} ${kind}`, 28)} ${name}${read ? `  [${read}]` : ''}  ` +
        `接收 accepted ${num(s.accepted)}   退回 rejected ${num(s.rejected)}   重复 duplicates ${num(s.duplicates)}`,
    );
    if (outcome.status === 'rejected') {
      const problem = outcome.problems[0];
      rejected.push({
        file,
        kind,
        zh: problem?.zh ?? '文件无法使用。',
        en: problem?.en ?? 'The file cannot be used.',
      });
    } else if (s.rejected + s.duplicates > 0) {
      console.log(
        `    ! ${num(s.rejected + s.duplicates)} 行未参与${run.zh} rows left out — 查看 see: npx kcbx validate ${name} --kind ${kind} --report 报告.xlsx`,
      );
    }
  });
  if (rejected.length > 0) throw unusable(unusableFilesLines(rejected, run));
  return files.length;
}

/** What to print when files cannot be used: each file and why, and how to see every problem. */
function unusableFilesLines(rejected: readonly RejectedFile[], run: RunName): string[] {
  const lines = [
    '',
    `✗ 以下文件无法使用，未生成${run.zh}结果 — these files cannot be used, no result was written:`,
  ];
  for (const r of rejected) {
    lines.push(`  ${r.file}（${ROSTER_KIND_NAMES_ZH[r.kind]} ${r.kind}）`, `    ${r.zh}`, `    ${r.en}`);
  }
  lines.push(
    '请修改后重新运行；npx kcbx validate <文件> --kind <类型> --report 报告.xlsx 可列出全部问题。',
    'Fix them and run again; npx kcbx validate <file> --kind <kind> --report report.xlsx lists every problem.',
  );
  return lines;
}
