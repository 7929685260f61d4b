import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import Papa from 'papaparse';
import {
  createSubsidyRun,
  type PreviousDecision,
  ruralFromText,
  type SchoolInfo,
  SUBSIDY_STATUSES,
  type SubsidyRunResult,
  type SubsidyStatus,
} from '../services/subsidy/domain/determine';
import { fenToYuanGrouped } from '../services/subsidy/domain/money';
import {
  writeDecisionsCsv,
  writeDecisionsXlsx,
  writePaymentListXlsx,
} from '../services/subsidy/domain/payment-list';
import { BUILT_IN_POLICIES, builtInPolicy } from '../services/subsidy/domain/policies/built-in';
import {
  isInForceOn,
  type Policy,
  type PolicyError,
  policyVersionLabel,
  validatePolicy,
} from '../services/subsidy/domain/policy';
import { parseSemester, type Semester } from '../services/subsidy/domain/semester';
import { todayInChina } from '../shared/dates';
import { parseIdNumber } from '../shared/id-number';
import { childKey } from '../shared/pseudonym';
import { reportingUnusable, unusable, usage } from './errors';
import { wholeNumber } from './options';
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
  { kind: 'enrollment', flag: '--enrollment', required: true, help: '学籍 enrollment export (学籍系统)' },
  {
    kind: 'poverty',
    flag: '--poverty',
    required: true,
    help: '脱贫户/三类监测 poverty and monitoring roster (乡村振兴)',
  },
  {
    kind: 'assistance',
    flag: '--assistance',
    required: false,
    help: '低保/特困/孤儿 assistance roster (民政)',
  },
  { kind: 'disability', flag: '--disability', required: false, help: '残疾 disability roster (残联)' },
  {
    kind: 'headcount',
    flag: '--headcount',
    required: false,
    help: '在校清点 term-start head count: children not marked present are held (empty-seat check)',
  },
] as const satisfies readonly RosterOption[];

const RUN_NAME = { zh: '测算', en: 'the run' };

const DEFAULT_MAX_FILE_MB = 500;
const MAX_HELD_SHOWN = 10;
const MAX_SCHOOLS_SHOWN = 50;

interface SubsidyOptions extends RosterFiles {
  policy?: string;
  listPolicies?: boolean;
  showPolicy?: boolean;
  semester?: string;
  schools?: string;
  previous?: string;
  out?: string;
  paymentList?: string;
  maskIds?: boolean;
  maxFileMb: string;
}

// ── policies ─────────────────────────────────────────────────────────────────────────────────────────

function listPolicies(): void {
  const lines = ['内置政策 built-in policies:'];
  for (const [name, p] of BUILT_IN_POLICIES) {
    lines.push(
      '',
      `  ${name}${p.example ? '  （示例，非官方 EXAMPLE, not official）' : ''}`,
      `    ${p.name.zh}`,
      `    ${p.name.en ?? ''}`.trimEnd(),
      `    地区 region ${p.region}   版本 version ${p.version}   生效 effective from ${p.effectiveFrom}${p.effectiveUntil ? ` to ${p.effectiveUntil}` : ''}`,
      `    资助项目 benefits: ${p.benefits.map((b) => b.code).join(', ')}`,
    );
  }
  lines.push(
    '',
    '用法 use: npx kcbx subsidy --policy national-baseline …；自定义政策见 services/subsidy/README.md',
    'Write your own policy as JSON (see services/subsidy/README.md); --show-policy prints a built-in one to start from.',
  );
  console.log(lines.join('\n').replace(/\n\s*\n\s*\n/g, '\n\n'));
}

function policyErrorLines(file: string, errors: readonly PolicyError[]): string[] {
  const lines = [`✗ 政策文件无法使用 — the policy file cannot be used: ${file}`];
  for (const e of errors) lines.push(`  ${e.path}`, `    ${e.zh}`, `    ${e.en}`);
  lines.push('请修改后重新运行。Fix the file and run again.');
  return lines;
}

function loadPolicy(given: string): Policy {
  const builtIn = builtInPolicy(given);
  if (builtIn) return builtIn;
  if (!existsSync(given)) {
    const names = [...BUILT_IN_POLICIES.keys()].join('、');
    if (!given.toLowerCase().endsWith('.json')) {
      throw usage(
        `--policy 应为政策文件（.json）或内置政策名（${names}），实为“${given}”。`,
        `--policy must be a policy file (.json) or a built-in policy (${[...BUILT_IN_POLICIES.keys()].join(', ')}), got "${given}".`,
      );
    }
    throw unusable([`✗ 找不到政策文件 ${given}`, `  The policy file does not exist: ${given}`]);
  }
  let document: unknown;
  try {
    // A policy is a small document written by hand; it is read whole, unlike rosters.
    document = JSON.parse(readFileSync(given, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    throw unusable(
      policyErrorLines(given, [
        {
          path: '$',
          code: 'NOT_JSON',
          zh: `不是有效的 JSON：${(err as Error).message}`,
          en: `not valid JSON: ${(err as Error).message}`,
        },
      ]),
    );
  }
  const result = validatePolicy(document);
  if (!result.ok) throw unusable(policyErrorLines(given, result.errors));
  return result.policy;
}

// ── school list and previous decisions (small CSV files) ─────────────────────────────────────────────

/** Reads a small CSV written by hand or by Excel: UTF-8 (with or without BOM) or GBK. */
function readSmallCsv(file: string): Record<string, string>[] {
  const bytes = readFileSync(file);
  let content: string;
  try {
    content = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    content = new TextDecoder('gb18030').decode(bytes);
  }
  const parsed = Papa.parse<Record<string, string>>(content.replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: (h) => h.trim(),
  });
  return parsed.data;
}

const pickColumn = (headers: readonly string[], names: readonly string[]) =>
  headers.find((h) => names.includes(h.toLowerCase()) || names.includes(h));

/**
 * 学校名单 — the region's schools: code or name, township, and whether the school is rural (营养改善计划).
 * Columns: 学校标识码/school, 学校名称/school_name, 乡镇/township, 是否农村/rural or 城乡类型.
 */
function loadSchools(file: string): Map<string, SchoolInfo> {
  if (!existsSync(file)) {
    throw unusable([`✗ 找不到学校名单 ${file}`, `  The school list does not exist: ${file}`]);
  }
  const rows = readSmallCsv(file);
  const headers = Object.keys(rows[0] ?? {});
  const code = pickColumn(headers, ['学校标识码', '学校代码', 'school', 'school_code']);
  const name = pickColumn(headers, ['学校名称', '学校', 'school_name', 'name']);
  const township = pickColumn(headers, ['乡镇', '乡镇代码', '所属乡镇', 'township']);
  const rural = pickColumn(headers, [
    '是否农村',
    '是否农村学校',
    '农村学校',
    'rural',
    '城乡类型',
    '城乡分类',
  ]);
  if (!code && !name) {
    throw unusable([
      `✗ 学校名单 ${file} 没有“学校标识码”或“学校名称”列`,
      `  The school list ${file} has no school or school_name column`,
    ]);
  }
  const schools = new Map<string, SchoolInfo>();
  for (const row of rows) {
    const info: SchoolInfo = {
      name: name ? row[name]?.trim() || undefined : undefined,
      township: township ? row[township]?.trim() || undefined : undefined,
      rural: rural ? ruralFromText(row[rural] ?? '', rural) : undefined,
    };
    const c = code ? row[code]?.trim() : undefined;
    if (c) schools.set(c, info);
    if (info.name) schools.set(info.name, info);
  }
  return schools;
}

/**
 * 本学期已有决定 — the --out CSV of an earlier run of the same semester; its ELIGIBLE rows bind the
 * transfer rule. IDs must be full (a file written with --mask-ids cannot be matched to children).
 */
function loadPrevious(file: string, secret: Uint8Array, today: string): PreviousDecision[] {
  if (!existsSync(file)) {
    throw unusable([`✗ 找不到上次测算结果 ${file}`, `  The previous decisions file does not exist: ${file}`]);
  }
  const rows = readSmallCsv(file);
  const list: PreviousDecision[] = [];
  for (const [i, row] of rows.entries()) {
    const line = i + 2;
    const parsed = parseIdNumber(row.id ?? '', { today });
    const status = row.status as SubsidyStatus;
    const amount = Number(row.amount_fen);
    if (!parsed.ok || !SUBSIDY_STATUSES.includes(status) || !row.benefit || !Number.isSafeInteger(amount)) {
      throw unusable([
        `✗ 上次测算结果 ${file} 第 ${line} 行无法读取：需要完整身份证号 id、benefit、status、amount_fen 列（用 --mask-ids 写出的文件不能用）`,
        `  Line ${line} of the previous decisions ${file} cannot be read: it needs the full id, benefit, status and amount_fen columns (a file written with --mask-ids cannot be used)`,
      ]);
    }
    list.push({
      childKey: childKey(parsed.id, secret),
      benefit: row.benefit,
      status,
      amountFen: amount,
      payerSchool: row.payer_school || undefined,
      payerSchoolName: row.payer_school_name || undefined,
    });
  }
  return list;
}

// ── printing ─────────────────────────────────────────────────────────────────────────────────────────

function printSummary(result: SubsidyRunResult, outputs: string[]): void {
  const { policy, totals, semester } = result;
  const lines: string[] = [
    '',
    `资助测算 subsidy run — ${policy.name.zh}`,
    `政策 policy ${result.policyVersion}（地区 region ${policy.region}）  学期 semester ${semester.label} (${semester.code})`,
  ];
  if (policy.example)
    lines.push(
      '! 示例政策，非官方文件，金额仅供演示 — EXAMPLE policy, not official: amounts are illustrative',
    );
  const checks = [
    result.presence.headcount && '在校清点 head count',
    result.presence.comparison && '比对结果 comparison',
  ].filter(Boolean);
  lines.push(
    `在籍学生 enrolled children ${num(result.children)}；在校核对 presence check: ${checks.length ? checks.join(', ') : '无 none (no --headcount given: nobody is held as absent)'}`,
    '',
  );
  const nameWidth = Math.max(24, ...policy.benefits.map((b) => cells(b.name.zh) + cells(b.code) + 3));
  lines.push(
    padEnd('资助项目 benefit', nameWidth) +
      padStart('符合 eligible', 14) +
      padStart('金额（元）yuan', 18) +
      padStart('暂缓 held', 12) +
      padStart('暂缓（元）held', 18),
  );
  for (const t of totals.byBenefit) {
    const b = policy.benefits.find((x) => x.code === t.benefit)!;
    lines.push(
      padEnd(`  ${b.name.zh} ${b.code}`, nameWidth) +
        padStart(num(t.eligible), 14) +
        padStart(b.payment === 'IN_KIND' ? '（免除/实物）' : fenToYuanGrouped(t.amountFen), 18) +
        padStart(num(t.held), 12) +
        padStart(b.payment === 'IN_KIND' ? '' : fenToYuanGrouped(t.heldFen), 18),
    );
  }
  lines.push(
    padEnd('  合计 total', nameWidth) +
      padStart('', 14) +
      padStart(fenToYuanGrouped(totals.amountFen), 18) +
      padStart('', 12) +
      padStart(fenToYuanGrouped(totals.heldFen), 18),
  );

  const schools = totals.bySchool.slice(0, MAX_SCHOOLS_SHOWN);
  if (schools.length) {
    lines.push(
      '',
      totals.bySchool.length > MAX_SCHOOLS_SHOWN
        ? `按发放学校 by paying school (前 ${MAX_SCHOOLS_SHOWN} 所 / first ${MAX_SCHOOLS_SHOWN} of ${num(totals.bySchool.length)}):`
        : `按发放学校 by paying school (${totals.bySchool.length}):`,
    );
    for (const s of schools) {
      const label = schoolLabel(s.school, s.schoolName, 40);
      lines.push(
        `${padEnd(`  ${label}`, 44)}${padStart(fenToYuanGrouped(s.amountFen), 16)} 元${s.heldFen ? `   暂缓 held ${fenToYuanGrouped(s.heldFen)} 元` : ''}`,
      );
    }
  }

  const held = result.decisions.filter((d) => d.status === 'ON_HOLD');
  if (held.length) {
    const byReason = new Map<string, { count: number; zh: string }>();
    for (const d of held) {
      const entry = byReason.get(d.reason.code) ?? { count: 0, zh: d.reason.zh };
      entry.count++;
      byReason.set(d.reason.code, entry);
    }
    lines.push('', '暂缓原因 held, by reason (child × benefit):');
    for (const [code, { count }] of [...byReason].sort((a, b) => b[1].count - a[1].count)) {
      lines.push(`  ${padEnd(code, 36)}${padStart(num(count), 8)}`);
    }
    const seen = new Set<string>();
    const first = held.filter((d) => !seen.has(d.childKey) && seen.add(d.childKey)).slice(0, MAX_HELD_SHOWN);
    lines.push('', `暂缓的学生 held children (前 ${first.length} 名，证件号已脱敏 / IDs masked):`);
    for (const d of first) {
      const place = [d.schoolName ?? d.school, d.grade, d.className].filter(Boolean).join(' ');
      lines.push(`  ${d.maskedId}  ${place}  ${d.reason.zh}`);
    }
  }
  if (result.categoryOnlyChildren > 0) {
    lines.push(
      '',
      `! ${num(result.categoryOnlyChildren)} 名儿童在类别名单中但不在学籍中，未测算 — children on a category roster but not in the enrollment roster were not decided`,
    );
  }
  lines.push('', ...outputs.map((o) => `已保存 saved: ${o}`));
  console.log(lines.join('\n'));
}

// ── the command ──────────────────────────────────────────────────────────────────────────────────────

const OUT_FORMATS = ['.csv', '.xlsx'] as const;

async function runSubsidy(opts: SubsidyOptions): Promise<void> {
  if (opts.listPolicies) {
    listPolicies();
    return;
  }
  if (!opts.policy) {
    throw usage(
      `缺少 --policy：请指定政策文件或内置政策（${[...BUILT_IN_POLICIES.keys()].join('、')}），--list-policies 列出内置政策。`,
      `--policy is missing: give a policy file or a built-in policy; --list-policies names the built-in ones.`,
    );
  }
  const policy = loadPolicy(opts.policy);
  if (opts.showPolicy) {
    console.log(JSON.stringify(policy, null, 2));
    return;
  }

  const semester: Semester | undefined = opts.semester ? parseSemester(opts.semester) : undefined;
  if (!semester) {
    throw usage(
      `--semester 应写作 2025-autumn、2026-spring 或 2025-2026-1，实为“${opts.semester ?? ''}”。`,
      `--semester must be written 2025-autumn, 2026-spring or 2025-2026-1, got "${opts.semester ?? ''}".`,
    );
  }
  if (!opts.out)
    throw usage(
      '缺少 --out：测算结果文件（.csv 或 .xlsx）。',
      '--out is missing: the decisions file (.csv or .xlsx).',
    );
  const format = checkOutputFile('--out', opts.out, OUT_FORMATS);
  if (opts.paymentList) checkOutputFile('--payment-list', opts.paymentList, ['.xlsx']);
  requireRosters(ROSTER_OPTIONS, opts, RUN_NAME);
  const maxBytes = wholeNumber('--max-file-mb', opts.maxFileMb) * 1024 * 1024;
  if (!isInForceOn(policy, semester.startsOn)) {
    throw unusable([
      `✗ 政策 ${policyVersionLabel(policy)} 在 ${semester.label}（${semester.startsOn}）未生效：生效期 ${policy.effectiveFrom}${policy.effectiveUntil ? ` 至 ${policy.effectiveUntil}` : ' 起'}`,
      `  Policy ${policyVersionLabel(policy)} is not in force on ${semester.startsOn} (${semester.label}): it runs from ${policy.effectiveFrom}${policy.effectiveUntil ? ` to ${policy.effectiveUntil}` : ''}`,
    ]);
  }

  const secret = offlinePseudonymSecret();
  const today = todayInChina();
  const schools = opts.schools ? loadSchools(opts.schools) : undefined;
  const previous = opts.previous ? loadPrevious(opts.previous, secret, today) : undefined;
  const run = createSubsidyRun({ policy, semester, schools, previous });
  await readRosters(
    ROSTER_OPTIONS,
    opts,
    { today, maxBytes, secret },
    (rows) => {
      for (const row of rows) run.add(row);
    },
    RUN_NAME,
  );

  const result = run.finish();
  const ids = opts.maskIds ? 'masked' : 'full';
  await writeAtomically(opts.out, async (partial) => {
    if (format === '.xlsx') await writeDecisionsXlsx(result, partial, { ids });
    else await writeDecisionsCsv(result, createWriteStream(partial), { ids });
  });
  const outputs = [`${opts.out} (${num(result.decisions.length)} 条决定 decisions)`];
  if (opts.paymentList) {
    const list = opts.paymentList;
    await writeAtomically(list, (partial) => writePaymentListXlsx(result, partial, { ids }));
    outputs.push(`${list} (发放名单 payment list)`);
  }
  printSummary(result, outputs);
}

export function registerSubsidyCommand(program: Command): void {
  const command = program
    .command('subsidy')
    .description(
      "两免一补 offline: decide every enrolled child's benefits under a versioned policy and write the payment list (离线资助测算)",
    )
    .option(
      '--policy <file|name>',
      `policy file (.json) or built-in policy: ${[...BUILT_IN_POLICIES.keys()].join(', ')}`,
    )
    .option('--list-policies', 'name the built-in policies and exit')
    .option('--show-policy', 'print the --policy document as JSON (a start for your own) and exit')
    .option('--semester <term>', "学期: '2025-autumn', '2026-spring' (or '2025-2026-1')");
  addRosterOptions(command, ROSTER_OPTIONS);
  command
    .option(
      '--schools <file.csv>',
      '学校名单: columns 学校标识码 / 学校名称, 乡镇, 是否农村 (or 城乡类型) — rural schools get 营养改善计划',
    )
    .option(
      '--previous <decisions.csv>',
      "an earlier run's --out CSV of the same semester: who already pays (transfers)",
    )
    .option('--out <file>', 'decisions, one row per child and benefit: .csv (UTF-8, Excel-ready) or .xlsx')
    .option(
      '--payment-list <file.xlsx>',
      '发放名单: a sheet per paying school with totals and signature lines',
    )
    .option('--mask-ids', 'write masked ID numbers (5301**********123X) in --out and --payment-list')
    .option('--max-file-mb <MB>', 'largest roster file to read', String(DEFAULT_MAX_FILE_MB))
    .addHelpText(
      'after',
      `
Statuses: ELIGIBLE 符合 (amount_fen is paid), INELIGIBLE 不符合, ON_HOLD 暂缓 (held_fen waits: not at
school, an open case, several schools, or a fact the rosters do not give). Amounts are integer 分.
Standard output shows totals per benefit in 元 and masked IDs only; the files hold full IDs unless --mask-ids.

Examples:
  npx kcbx subsidy --list-policies
  npx kcbx subsidy --policy national-baseline --semester 2025-autumn \\
    --enrollment 学籍.xlsx --poverty 脱贫户.csv --assistance 低保.csv --disability 残疾.xlsx \\
    --headcount 在校清点.csv --schools 学校名单.csv --out 测算结果.csv --payment-list 发放名单.xlsx
  npx kcbx subsidy --policy my-county-2025.json --semester 2026-spring --enrollment xj.xlsx \\
    --poverty tp.csv --previous 秋季测算.csv --out decisions.xlsx

Exit code: 0 when the run finished, 1 for a wrong option, 3 when an input (a roster, the policy file,
the school list) cannot be used — the message says what is wrong, in Chinese and English.`,
    )
    .action(reportingUnusable(runSubsidy));
}
