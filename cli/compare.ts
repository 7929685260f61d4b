import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Command } from 'commander';
import {
  type ChildResult,
  type ComparisonOutcome,
  type ComparisonSettings,
  createComparison,
  entryCutoffDate,
} from '../services/comparison/domain/classify';
import { writeResultsCsv, writeResultsJsonl, writeResultsXlsx } from '../services/comparison/domain/export';
import type { IntakeOutcome, IntakeRow } from '../services/roster-intake/domain/intake';
import { isRealDate, todayInChina } from '../shared/dates';
import { OUTCOME_NAMES_ZH, type OutcomeCode, outcomeCodeSchema } from '../shared/events/vocab';
import { regionCodeSchema } from '../shared/org';
import { generatePseudonymSecret, parsePseudonymSecret } from '../shared/pseudonym';
import { regionSettingsSchema } from '../shared/region-settings';
import { ROSTER_KIND_NAMES_ZH, type RosterKind } from '../shared/roster-kind';
import { cells, padEnd, padStart } from '../shared/text-width';

/** The roster options, in the order files are read. */
const ROSTER_OPTIONS = [
  { kind: 'household', flag: '--household', required: true },
  { kind: 'enrollment', flag: '--enrollment', required: true },
  { kind: 'headcount', flag: '--headcount', required: true },
  { kind: 'poverty', flag: '--poverty', required: false },
  { kind: 'assistance', flag: '--assistance', required: false },
  { kind: 'disability', flag: '--disability', required: false },
  { kind: 'deferral', flag: '--deferral', required: false },
] as const satisfies readonly { kind: RosterKind; flag: string; required: boolean }[];

const KIND_HELP: Record<(typeof ROSTER_OPTIONS)[number]['kind'], string> = {
  household: '户籍 household roster (公安/乡镇)',
  enrollment: '学籍 enrollment export (学籍系统), one file per school or one for all',
  headcount: '在校清点 term-start head count of a school',
  poverty: '脱贫户/三类监测 poverty and monitoring roster (乡村振兴)',
  assistance: '低保/特困/孤儿/留守 assistance roster (民政)',
  disability: '残疾 disability roster (残联)',
  deferral: '缓学/休学 approved deferrals and suspensions',
};

/** Short outcome labels for the per-school table. */
const SHORT_ZH: Record<OutcomeCode, string> = {
  CONSISTENT: '一致',
  NOT_ENROLLED: '均不在校',
  ENROLLED_ABSENT: '疑似辍学',
  PRESENT_UNENROLLED: '人籍分离',
  IDENTITY_MISMATCH: '人籍不符',
  DUPLICATE_ENROLLMENT: '重复学籍',
  DEFERRED: '缓学休学',
};

/** Offline files are read from disk, not uploaded: the 50 MiB upload limit does not apply. */
const DEFAULT_MAX_FILE_MB = 500;
const MAX_SCHOOLS_SHOWN = 50;
const MAX_CHILDREN_SHOWN = 10;
/** Exit code when an input file cannot be used (as `kcbx validate` for a rejected file). */
const EXIT_INPUT_UNUSABLE = 3;

interface CompareOptions {
  region: string;
  asOf: string;
  household: string[];
  enrollment: string[];
  headcount: string[];
  poverty: string[];
  assistance: string[];
  disability: string[];
  deferral: string[];
  entryCutoff: string;
  minAge: string;
  maxAge: string;
  maxFileMb: string;
  out: string;
}

const OUT_FORMATS = ['.csv', '.xlsx', '.jsonl'] as const;
type OutFormat = (typeof OUT_FORMATS)[number];

/** Usage errors, thrown before any file is read: `kcbx: …` and exit code 1. */
function usage(zh: string, en: string): Error {
  return new Error(`${zh}\n${en}`);
}

function settingsFrom(opts: CompareOptions): ComparisonSettings & { maxBytes: number; format: OutFormat } {
  if (!regionCodeSchema.safeParse(opts.region).success) {
    throw usage(
      `--region 应为 6 位行政区划代码（如 530124），实为“${opts.region}”。`,
      `--region must be a 6-digit region code (e.g. 530124), got "${opts.region}".`,
    );
  }
  if (!isRealDate(opts.asOf)) {
    throw usage(
      `--as-of 应为 YYYY-MM-DD 格式的真实日期（如 2025-09-08），实为“${opts.asOf}”。`,
      `--as-of must be a real date written YYYY-MM-DD (e.g. 2025-09-08), got "${opts.asOf}".`,
    );
  }
  const whole = (flag: string, text: string) => {
    if (!/^\d+$/.test(text)) {
      throw usage(`${flag} 应为整数，实为“${text}”。`, `${flag} must be a whole number, got "${text}".`);
    }
    return Number(text);
  };
  const region = regionSettingsSchema.safeParse({
    minAge: whole('--min-age', opts.minAge),
    maxAge: whole('--max-age', opts.maxAge),
    entryCutoff: opts.entryCutoff,
  });
  if (!region.success) {
    const detail = region.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw usage(`年龄或入学截止日设置无效：${detail}`, `Invalid age or cut-off setting: ${detail}`);
  }
  if (region.data.minAge > region.data.maxAge || !isRealDate(`2001-${region.data.entryCutoff}`)) {
    throw usage(
      '--min-age 不能大于 --max-age，--entry-cutoff 须是每年都有的日期（不能是 02-29）。',
      '--min-age cannot exceed --max-age, and --entry-cutoff must exist every year (not 02-29).',
    );
  }
  const format = OUT_FORMATS.find((ext) => opts.out.toLowerCase().endsWith(ext));
  if (!format) {
    throw usage(
      `--out 的文件名应以 .csv、.xlsx 或 .jsonl 结尾，实为“${opts.out}”。`,
      `--out must end in .csv, .xlsx or .jsonl, got "${opts.out}".`,
    );
  }
  const outDir = path.dirname(path.resolve(opts.out));
  if (!existsSync(outDir)) {
    throw usage(
      `结果文件所在的文件夹不存在：${outDir}`,
      `The folder of the result file does not exist: ${outDir}`,
    );
  }
  for (const option of ROSTER_OPTIONS) {
    if (option.required && opts[option.kind].length === 0) {
      throw usage(
        `缺少 ${option.flag}：比对需要${ROSTER_KIND_NAMES_ZH[option.kind]}名单（可重复指定多个文件）。`,
        `${option.flag} is missing: the comparison needs the ${option.kind} roster (repeat the flag for several files).`,
      );
    }
  }
  return {
    region: opts.region,
    asOf: opts.asOf,
    minAge: region.data.minAge,
    maxAge: region.data.maxAge,
    entryCutoff: region.data.entryCutoff,
    maxBytes: whole('--max-file-mb', opts.maxFileMb) * 1024 * 1024,
    format,
  };
}

// ── printing ─────────────────────────────────────────────────────────────────────────────────────────

const num = (n: number) => n.toLocaleString('en-US');

function printSummary(
  outcome: ComparisonOutcome,
  settings: ComparisonSettings,
  files: number,
  out: string,
): void {
  const { counts, bySchool, results } = outcome;
  const outcomes = outcomeCodeSchema.options;
  const cutoff = entryCutoffDate(settings.asOf, settings.entryCutoff);
  const lines: string[] = [
    '',
    `四查三比对 comparison — 地区 region ${settings.region}，比对日 as of ${settings.asOf}`,
    `适龄 age window: ${cutoff} 满 ${settings.minAge} 周岁 – 比对日不超过 ${settings.maxAge} 周岁 (aged ${settings.minAge} by ${cutoff}, at most ${settings.maxAge} on ${settings.asOf}); ${files} 个文件 files`,
    '',
  ];
  const width = 50;
  lines.push(`${padEnd('比对结果 outcome', width)}${padStart('人数 children', 14)}`);
  let classified = 0;
  for (const o of outcomes) {
    classified += counts[o];
    lines.push(`${padEnd(`  ${OUTCOME_NAMES_ZH[o]} ${o}`, width)}${padStart(num(counts[o]), 14)}`);
    if (o === 'CONSISTENT' && counts.presenceUnchecked > 0) {
      lines.push(
        `${padEnd('    其中未核对在校 presence not checked', width)}${padStart(num(counts.presenceUnchecked), 14)}`,
      );
    }
  }
  lines.push(`${padEnd('  合计 classified', width)}${padStart(num(classified), 14)}`);
  lines.push(
    `${padEnd('  不在适龄范围 out of the age window', width)}${padStart(num(counts.outOfWindow), 14)}`,
  );

  // Per school: all when few, else the ones with the most children needing attention.
  const problems = (s: (typeof bySchool)[number]) =>
    outcomes.reduce((n, o) => n + s.counts[o], 0) - s.counts.CONSISTENT;
  const shown =
    bySchool.length <= MAX_SCHOOLS_SHOWN
      ? bySchool
      : [...bySchool].sort((a, b) => problems(b) - problems(a)).slice(0, MAX_SCHOOLS_SHOWN);
  lines.push(
    '',
    bySchool.length <= MAX_SCHOOLS_SHOWN
      ? `按学校 by school (${bySchool.length}):`
      : `按学校 by school — 问题最多的 ${MAX_SCHOOLS_SHOWN} 所 / the ${MAX_SCHOOLS_SHOWN} with most to check, of ${num(bySchool.length)} (全部见结果文件 / all in the result file):`,
  );
  const schoolWidth = Math.min(
    40,
    Math.max(16, ...shown.map((s) => cells(`${s.school} ${s.schoolName ?? ''}`.trim()) + 2)),
  );
  lines.push(
    padEnd('  学校 school', schoolWidth + 2) +
      outcomes.map((o) => padStart(SHORT_ZH[o], 10)).join('') +
      padStart('合计', 10),
  );
  for (const s of shown) {
    let label = s.school === '' ? '（无学校 no school）' : `${s.school} ${s.schoolName ?? ''}`.trim();
    while (cells(label) > schoolWidth) label = `${label.slice(0, -2)}…`;
    const total = outcomes.reduce((n, o) => n + s.counts[o], 0);
    lines.push(
      padEnd(`  ${label}`, schoolWidth + 2) +
        outcomes.map((o) => padStart(num(s.counts[o]), 10)).join('') +
        padStart(num(total), 10),
    );
  }

  // A first list to act on: suspected dropouts, priority groups first. IDs masked, no names.
  const suspects = results
    .filter((r) => r.outcome === 'ENROLLED_ABSENT' || r.outcome === 'NOT_ENROLLED')
    .sort((a, b) => priority(b) - priority(a))
    .slice(0, MAX_CHILDREN_SHOWN);
  if (suspects.length > 0) {
    lines.push('', `需核查 to check first (前 ${suspects.length} 名，证件号已脱敏 / IDs masked):`);
    for (const r of suspects) {
      const place = [r.schoolName ?? r.school, r.grade, r.className].filter(Boolean).join(' ');
      lines.push(
        `  ${r.maskedId}  ${padEnd(OUTCOME_NAMES_ZH[r.outcome], 30)} ${place}${r.flags.length ? `  [${r.flags.join(', ')}]` : ''}`,
      );
    }
  }
  lines.push('', `结果已保存 result saved: ${out} (${num(results.length)} 名儿童 children)`);
  console.log(lines.join('\n'));
}

function priority(r: ChildResult): number {
  return (r.flags.includes('priority') ? 2 : 0) + (r.flags.includes('disability') ? 1 : 0);
}

// ── validation on worker threads ──

type FileOutcome = Pick<IntakeOutcome, 'status' | 'summary' | 'problems'>;

const INTAKE_WORKER = fileURLToPath(new URL('./intake-worker.mjs', import.meta.url));

/** Runs the intake engine on one file in a worker thread; accepted rows arrive through onRows. */
function validateInWorker(
  job: { file: string; kind: RosterKind; name: string; uploadId: string; size: number },
  shared: { today: string; maxBytes: number; secret: Uint8Array },
  onRows: (rows: IntakeRow[]) => void,
): Promise<FileOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(INTAKE_WORKER, {
      workerData: { ...job, ...shared, secret: Array.from(shared.secret) },
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

// ── the command ──────────────────────────────────────────────────────────────────────────────────────

interface RejectedFile {
  file: string;
  kind: RosterKind;
  zh: string;
  en: string;
}

async function runCompare(given: CompareOptions): Promise<void> {
  const opts = { ...given };
  for (const option of ROSTER_OPTIONS) opts[option.kind] ??= [];
  const settings = settingsFrom(opts);
  const comparison = createComparison(settings);
  // Offline nothing is stored; pseudonyms are computed only because the engine is the same as the service's.
  const secret = parsePseudonymSecret(generatePseudonymSecret()); // decoded once, not per row
  const today = todayInChina();
  const rejected: RejectedFile[] = [];
  const usedIds = new Set<string>();
  let files = 0;

  // Every file is read and validated on a worker thread, as many at once as there are cores; the
  // engine takes rows in any order, so the result does not depend on which file finishes first.
  const jobs: { file: string; kind: RosterKind; name: string; uploadId: string; size: number }[] = [];
  for (const option of ROSTER_OPTIONS) {
    for (const file of opts[option.kind]) {
      files++;
      const kind = option.kind;
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
      jobs.push({ file, kind, name, uploadId, size });
    }
  }
  const outcomes = await runPool(jobs, availableParallelism(), (job) =>
    validateInWorker(job, { today, maxBytes: settings.maxBytes, secret }, (rows) => {
      for (const row of rows) comparison.add(row);
    }),
  );

  console.log('读取名单 reading rosters:');
  jobs.forEach(({ file, kind, name }, i) => {
    const outcome = outcomes[i]!;
    const s = outcome.summary;
    const read = [s.format?.toUpperCase(), s.encoding, s.sheet && `sheet “${s.sheet}”`]
      .filter(Boolean)
      .join(', ');
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
        `    ! ${num(s.rejected + s.duplicates)} 行未参与比对 rows left out — 查看 see: npx kcbx validate ${name} --kind ${kind} --report 报告.xlsx`,
      );
    }
  });

  if (rejected.length > 0) {
    const lines = [
      '',
      '✗ 以下文件无法使用，未生成比对结果 — these files cannot be used, no result was written:',
    ];
    for (const r of rejected) {
      lines.push(`  ${r.file}（${ROSTER_KIND_NAMES_ZH[r.kind]} ${r.kind}）`, `    ${r.zh}`, `    ${r.en}`);
    }
    lines.push(
      '请修改后重新运行；npx kcbx validate <文件> --kind <类型> --report 报告.xlsx 可列出全部问题。',
      'Fix them and run again; npx kcbx validate <file> --kind <kind> --report report.xlsx lists every problem.',
    );
    console.error(lines.join('\n'));
    process.exitCode = EXIT_INPUT_UNUSABLE;
    return;
  }

  const outcome = comparison.finish();
  // Write beside the target and rename, so that an interrupted run never leaves half a result.
  const partial = `${opts.out}.partial${settings.format}`;
  try {
    if (settings.format === '.xlsx') {
      await writeResultsXlsx(outcome.results, outcome.counts, partial, {
        region: settings.region,
        asOf: settings.asOf,
        bySchool: outcome.bySchool,
      });
    } else {
      const stream = createWriteStream(partial);
      if (settings.format === '.csv') await writeResultsCsv(outcome.results, stream);
      else await writeResultsJsonl(outcome.results, stream);
    }
    renameSync(partial, opts.out);
  } catch (err) {
    rmSync(partial, { force: true });
    throw new Error(
      `无法写入结果文件 ${opts.out}：${(err as Error).message}\nCannot write the result file ${opts.out}: ${(err as Error).message}`,
    );
  }
  printSummary(outcome, settings, files, opts.out);
}

export function registerCompareCommand(program: Command): void {
  const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
  const command = program
    .command('compare')
    .description(
      '四查三比对 offline: join the rosters on the ID number and classify every child of compulsory age (离线比对)',
    )
    .requiredOption('--region <code>', '6-digit 行政区划代码 of the county, e.g. 530124')
    .requiredOption(
      '--as-of <date>',
      '比对日 check date YYYY-MM-DD, e.g. a week after term start: 2025-09-08',
    );
  for (const option of ROSTER_OPTIONS) {
    command.option(
      `${option.flag} <file>`,
      `${KIND_HELP[option.kind]} (.xlsx, or .csv in UTF-8/GBK)${option.required ? ' — required' : ''}; repeat for several files`,
      collect,
    );
  }
  command
    .option(
      '--entry-cutoff <MM-DD>',
      '入学截止日: children who are --min-age on this day start grade 1',
      '08-31',
    )
    .option('--min-age <years>', '入学年龄: age reached on the cut-off date', '6')
    .option('--max-age <years>', '适龄上限: not older than this (周岁) on the check date', '15')
    .option('--max-file-mb <MB>', 'largest roster file to read', String(DEFAULT_MAX_FILE_MB))
    .requiredOption(
      '--out <file>',
      'result file: .csv (UTF-8, Excel-ready), .xlsx (printable, sheet per outcome) or .jsonl',
    )
    .addHelpText(
      'after',
      `
Outcomes 比对结果:
${outcomeCodeSchema.options.map((o) => `  ${padEnd(o, 22)}${OUTCOME_NAMES_ZH[o]}`).join('\n')}
Files go through the same checks as uploads; rows rejected there are left out (the counts are printed).
Standard output shows counts per outcome and per school, with masked IDs only; the result file holds full IDs.

Examples:
  npx kcbx compare --region 530124 --as-of 2025-09-08 \\
    --household 户籍.csv --enrollment 学籍.xlsx --headcount 清点-一小.csv --headcount 清点-二小.xlsx \\
    --poverty 脱贫户.csv --out 比对结果.xlsx
  npx kcbx compare --region 530124 --as-of 2026-03-09 --max-age 16 --household hh.csv \\
    --enrollment xj.xlsx --headcount zx.csv --deferral 缓学.xlsx --out result.jsonl

Exit code: 0 when the comparison ran (whatever it found), 1 for a wrong option,
3 when an input file cannot be used (the message names the file and the reason).`,
    )
    .action(async (opts: CompareOptions) => {
      await runCompare(opts);
    });
}
