import { createReadStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { type IntakeOutcome, processRoster } from '../services/roster-intake/domain/intake';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../services/roster-intake/domain/upload';
import { todayInChina } from '../shared/dates';
import { childKey } from '../shared/pseudonym';
import { ROSTER_KIND_NAMES_ZH, rosterKindSchema } from '../shared/roster-kind';
import { EXIT_INPUT_UNUSABLE } from './errors';
import { offlinePseudonymSecret } from './roster-files';
import { readAs, rosterFileArgs } from './terminal';

/** Prints what a user needs to read: how the file was read, the counts, and what to fix first. */
export function printValidation(
  file: string,
  kind: string,
  outcome: IntakeOutcome,
  issues: { line: number; column: string; severity: string; zh: string; en: string }[],
) {
  const s = outcome.summary;
  const read = readAs(s);
  const lines = [
    `${path.basename(file)} — ${ROSTER_KIND_NAMES_ZH[kind as keyof typeof ROSTER_KIND_NAMES_ZH]} (${kind})${read ? `  [${read}]` : ''}`,
    `结果 result: ${outcome.status === 'accepted' ? '可以接收 accepted' : '会被退回 rejected'}`,
    `行数 rows ${s.rows}   接收 accepted ${s.accepted}   退回 rejected ${s.rejected}   重复 duplicates ${s.duplicates}   提醒 warnings ${s.warnings}   跳过 skipped ${s.skipped}` +
      (s.headerLine ? `   表头 header at line ${s.headerLine}` : ''),
  ];
  for (const p of outcome.problems) lines.push(`  ✗ ${p.zh}`, `    ${p.en}`);
  const shown = issues.slice(0, 20);
  if (shown.length) {
    lines.push('', '前 20 个问题 first issues (IDs masked):');
    for (const i of shown) {
      lines.push(
        `  第 ${i.line} 行${i.column ? ` [${i.column}]` : ''} ${i.severity === 'error' ? '✗' : '!'} ${i.zh}`,
      );
    }
    if (issues.length > shown.length || s.issuesOmitted) {
      lines.push(
        `  … 共 ${issues.length + s.issuesOmitted} 个问题，完整列表见报告 (--report) / all issues in the report (--report)`,
      );
    }
  }
  console.log(lines.join('\n'));
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('Check a roster file offline, exactly as an upload would be checked (离线校验名单)')
    .argument('<file>', 'the roster file (.xlsx or .csv in UTF-8 or GBK)')
    .requiredOption('--kind <kind>', rosterKindSchema.options.join(' | '))
    .option('--sheet <name>', 'the sheet of an .xlsx to read (default: the first)')
    .option('--report <file>', 'write the row-level report (.xlsx or .csv)')
    .option('--today <date>', 'the date to check against (YYYY-MM-DD, default today)')
    .addHelpText(
      'after',
      '\nExamples:\n  npx kcbx validate 2025秋学籍.xlsx --kind enrollment --report 校验报告.xlsx\n' +
        '  npx kcbx validate 户籍.csv --kind household\n\nExit code: 0 when the file would be accepted, 3 when it would be rejected.',
    )
    .action(async (file: string, opts: { kind: string; sheet?: string; report?: string; today?: string }) => {
      const { kind, size } = rosterFileArgs(file, opts.kind);
      const secret = offlinePseudonymSecret();
      const issues: Parameters<typeof printValidation>[3] = [];
      const outcome = await processRoster({
        upload: {
          id: 'offline',
          kind,
          org: 'offline',
          period: 'offline',
          fileName: path.basename(file),
        },
        object: { body: createReadStream(file), size, reopen: async () => createReadStream(file) },
        today: opts.today ?? todayInChina(),
        maxBytes: DEFAULT_MAX_UPLOAD_BYTES,
        sheet: opts.sheet,
        childKeyOf: (id) => childKey(id, secret),
        writeRows: async () => {},
        onIssues: (list) => issues.push(...list),
      });
      printValidation(file, kind, outcome, issues);
      if (opts.report) {
        writeFileSync(
          opts.report,
          opts.report.toLowerCase().endsWith('.csv') ? outcome.reportCsv : outcome.reportXlsx,
        );
        console.log(`\n报告已保存 report saved: ${opts.report}`);
      }
      if (outcome.status === 'rejected') process.exitCode = EXIT_INPUT_UNUSABLE;
    });
}
