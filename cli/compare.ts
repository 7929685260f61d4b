import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import {
  type ChildResult,
  type ComparisonOutcome,
  type ComparisonSettings,
  createComparison,
  entryCutoffDate,
} from '../services/comparison/domain/classify';
import { writeResultsCsv, writeResultsJsonl, writeResultsXlsx } from '../services/comparison/domain/export';
import { isRealDate, todayInChina } from '../shared/dates';
import { OUTCOME_NAMES_ZH, type OutcomeCode, outcomeCodeSchema } from '../shared/events/vocab';
import { regionSettingsSchema } from '../shared/region-settings';
import { reportingUnusable, usage } from './errors';
import { realDate, regionCode, wholeNumber } from './options';
import { checkOutputFile, writeAtomically } from './output-file';
import {
  addRosterOptions,
  offlinePseudonymSecret,
  type RosterFiles,
  type RosterOption,
  readRosters,
  requireRosters,
} from './roster-files';
import { cells, num, padEnd, padStart, schoolLabel } from './terminal';

/** The roster options, in the order files are read. */
const ROSTER_OPTIONS = [
  { kind: 'household', flag: '--household', required: true, help: '户籍 household roster (公安/乡镇)' },
  {
    kind: 'enrollment',
    flag: '--enrollment',
    required: true,
    help: '学籍 enrollment export (学籍系统), one file per school or one for all',
  },
  {
    kind: 'headcount',
    flag: '--headcount',
    required: true,
    help: '在校清点 term-start head count of a school',
  },
  {
    kind: 'poverty',
    flag: '--poverty',
    required: false,
    help: '脱贫户/三类监测 poverty and monitoring roster (乡村振兴)',
  },
  {
    kind: 'assistance',
    flag: '--assistance',
    required: false,
    help: '低保/特困/孤儿/留守 assistance roster (民政)',
  },
  { kind: 'disability', flag: '--disability', required: false, help: '残疾 disability roster (残联)' },
  {
    kind: 'deferral',
    flag: '--deferral',
    required: false,
    help: '缓学/休学 approved deferrals and suspensions',
  },
] as const satisfies readonly RosterOption[];

const RUN_NAME = { zh: '比对', en: 'the comparison' };

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

interface CompareOptions extends RosterFiles {
  region: string;
  asOf: string;
  entryCutoff: string;
  minAge: string;
  maxAge: string;
  maxFileMb: string;
  out: string;
}

const OUT_FORMATS = ['.csv', '.xlsx', '.jsonl'] as const;
type OutFormat = (typeof OUT_FORMATS)[number];

function settingsFrom(opts: CompareOptions): ComparisonSettings & { maxBytes: number; format: OutFormat } {
  regionCode(opts.region);
  realDate('--as-of', opts.asOf, '2025-09-08');
  const region = regionSettingsSchema.safeParse({
    minAge: wholeNumber('--min-age', opts.minAge),
    maxAge: wholeNumber('--max-age', opts.maxAge),
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
  const format = checkOutputFile('--out', opts.out, OUT_FORMATS);
  requireRosters(ROSTER_OPTIONS, opts, RUN_NAME);
  return {
    region: opts.region,
    asOf: opts.asOf,
    minAge: region.data.minAge,
    maxAge: region.data.maxAge,
    entryCutoff: region.data.entryCutoff,
    maxBytes: wholeNumber('--max-file-mb', opts.maxFileMb) * 1024 * 1024,
    format,
  };
}

// ── printing ─────────────────────────────────────────────────────────────────────────────────────────

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
    const label = schoolLabel(s.school, s.schoolName, schoolWidth);
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

// ── the command ──────────────────────────────────────────────────────────────────────────────────────

async function runCompare(opts: CompareOptions): Promise<void> {
  const settings = settingsFrom(opts);
  const comparison = createComparison(settings);
  const files = await readRosters(
    ROSTER_OPTIONS,
    opts,
    { today: todayInChina(), maxBytes: settings.maxBytes, secret: offlinePseudonymSecret() },
    (rows) => {
      for (const row of rows) comparison.add(row);
    },
    RUN_NAME,
  );
  const outcome = comparison.finish();
  await writeAtomically(opts.out, async (partial) => {
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
  });
  printSummary(outcome, settings, files, opts.out);
}

export function registerCompareCommand(program: Command): void {
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
  addRosterOptions(command, ROSTER_OPTIONS);
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
    .action(reportingUnusable(runCompare));
}
