import { createReadStream, existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { deployments } from '../infra/config/deployments';
import {
  type AbsenceStreak,
  type AttendanceDay,
  computeAbsenceStreaks,
  lastRecordedDays,
} from '../services/cases/domain/absence-streaks';
import { processRoster } from '../services/roster-intake/domain/intake';
import { neutraliseFormula } from '../services/roster-intake/domain/report';
import { CalendarNotCoveredError, calendarCoverage, isWorkingDay, listWorkingDays } from '../shared/calendar';
import { isRealDate, todayInChina } from '../shared/dates';
import { regionCodeSchema } from '../shared/org';
import { childKey, generatePseudonymSecret, parsePseudonymSecret } from '../shared/pseudonym';
import { parseRegionSettings } from '../shared/region-settings';
import type { AttendanceRecord } from '../shared/rosters/records';
import { cells, padEnd } from '../shared/text-width';

/** Offline files are read from disk, not uploaded: the 50 MiB upload limit does not apply. */
const MAX_FILE_BYTES = 500 * 1024 * 1024;
const MAX_SHOWN = 50;
const EXIT_BAD_OPTION = 2;
const EXIT_INPUT_UNUSABLE = 3;
const CSV_COLUMNS = ['id', 'name', 'school', 'streak_working_days', 'first_absent', 'last_absent'];

interface AbsencesOptions {
  attendance?: string[];
  asOf?: string;
  threshold?: string;
  region?: string;
  out?: string;
}

class OptionError extends Error {}
const bad = (zh: string, en: string) => new OptionError(`${zh}\n${en}`);

function settingsFrom(opts: AbsencesOptions) {
  if (!opts.attendance?.length) {
    throw bad(
      '缺少 --attendance：请指定考勤记录文件（可重复指定多个）。',
      '--attendance is missing: name the attendance log (repeat for several files).',
    );
  }
  if (!opts.out)
    throw bad('缺少 --out：请指定结果文件（.csv）。', '--out is missing: name the result file (.csv).');
  if (!opts.out.toLowerCase().endsWith('.csv')) {
    throw bad(
      `--out 的文件名应以 .csv 结尾，实为“${opts.out}”。`,
      `--out must end in .csv, got "${opts.out}".`,
    );
  }
  const outDir = path.dirname(path.resolve(opts.out));
  if (!existsSync(outDir)) {
    throw bad(
      `结果文件所在的文件夹不存在：${outDir}`,
      `The folder of the result file does not exist: ${outDir}`,
    );
  }
  const asOf = opts.asOf ?? '';
  if (!isRealDate(asOf)) {
    throw bad(
      `--as-of 应为 YYYY-MM-DD 格式的真实日期（如 2025-10-10），实为“${asOf}”。`,
      `--as-of must be a real date written YYYY-MM-DD (e.g. 2025-10-10), got "${asOf}".`,
    );
  }
  try {
    isWorkingDay(asOf);
  } catch (err) {
    if (!(err instanceof CalendarNotCoveredError)) throw err;
    const { firstYear, lastYear } = calendarCoverage();
    throw bad(
      `--as-of ${asOf} 不在工作日历范围内（${firstYear}–${lastYear} 年）。${err.zh}`,
      `--as-of ${asOf} is outside the working-day calendar (${firstYear}–${lastYear}). ${err.en}`,
    );
  }
  if (opts.region !== undefined && !regionCodeSchema.safeParse(opts.region).success) {
    throw bad(
      `--region 应为 6 位行政区划代码（如 530124），实为“${opts.region}”。`,
      `--region must be a 6-digit region code (e.g. 530124), got "${opts.region}".`,
    );
  }
  // Without --threshold: the setting of the configured deployment for --region (富民 530124 → 4), else 3.
  const configured = deployments.find((d) => d.regionCode === opts.region)?.settings;
  const threshold = opts.threshold ?? String((configured ?? parseRegionSettings({})).absenceThreshold);
  if (!/^\d+$/.test(threshold) || Number(threshold) < 1 || Number(threshold) > 30) {
    throw bad(
      `--threshold 应为 1–30 的整数（连续旷课工作日数，“3天及以上”为 3，“超过3天”为 4），实为“${threshold}”。`,
      `--threshold must be a whole number 1–30 (working days; "3 or more" is 3, "more than 3" is 4), got "${threshold}".`,
    );
  }
  return { files: opts.attendance, out: opts.out, asOf, threshold: Number(threshold), region: opts.region };
}

function csvField(value: string): string {
  const safe = neutraliseFormula(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** UTF-8 with a byte-order mark (Excel on Windows reads GBK without it), CRLF, cells neutralised. */
export function streaksToCsv(streaks: readonly AbsenceStreak[]): string {
  const rows = [
    CSV_COLUMNS,
    ...streaks.map((s) => [
      s.idNumber,
      s.name,
      s.school,
      String(s.streakWorkingDays),
      s.firstAbsent,
      s.lastAbsent,
    ]),
  ];
  return `\uFEFF${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

async function runAbsences(given: AbsencesOptions): Promise<void> {
  let settings: ReturnType<typeof settingsFrom>;
  try {
    settings = settingsFrom(given);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    console.error(`kcbx absences: ${err.message}`);
    process.exitCode = EXIT_BAD_OPTION;
    return;
  }
  const secret = parsePseudonymSecret(generatePseudonymSecret()); // offline: nothing is stored
  const today = todayInChina();
  const records: AttendanceDay[] = [];
  const rejected: { file: string; zh: string; en: string }[] = [];

  console.log('读取考勤 reading attendance:');
  for (const file of settings.files) {
    const name = path.basename(file);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      rejected.push({ file, zh: '找不到文件或无法读取。', en: 'The file does not exist or cannot be read.' });
      continue;
    }
    const outcome = await processRoster({
      upload: { id: file, kind: 'attendance', org: 'offline', period: 'offline', fileName: name },
      object: { body: createReadStream(file), size },
      today,
      maxBytes: MAX_FILE_BYTES,
      childKeyOf: (id) => childKey(id, secret),
      writeRows: async (rows) => {
        for (const row of rows) {
          const r = row.record as Omit<AttendanceRecord, 'idNumber'>;
          records.push({
            idNumber: row.idNumber,
            name: r.name,
            date: r.date,
            status: r.status,
            leaveApproved: r.leaveApproved,
            schoolCode: r.schoolCode,
            schoolName: r.schoolName,
          });
        }
      },
    });
    const s = outcome.summary;
    const read = [s.format?.toUpperCase(), s.encoding, s.sheet && `sheet “${s.sheet}”`]
      .filter(Boolean)
      .join(', ');
    console.log(
      `  ${name}${read ? `  [${read}]` : ''}  接收 accepted ${s.accepted}   退回 rejected ${s.rejected}   重复 duplicates ${s.duplicates}`,
    );
    if (outcome.status === 'rejected') {
      const problem = outcome.problems[0];
      rejected.push({
        file,
        zh: problem?.zh ?? '文件无法使用。',
        en: problem?.en ?? 'The file cannot be used.',
      });
    } else if (s.rejected + s.duplicates > 0) {
      console.log(
        `    ! ${s.rejected + s.duplicates} 行未计入 rows left out — 查看 see: npx kcbx validate ${name} --kind attendance --report 报告.xlsx`,
      );
    }
  }
  if (rejected.length > 0) {
    const lines = ['', '✗ 以下文件无法使用，未生成结果 — these files cannot be used, no result was written:'];
    for (const r of rejected) lines.push(`  ${r.file}`, `    ${r.zh}`, `    ${r.en}`);
    lines.push(
      '请修改后重新运行；npx kcbx validate <文件> --kind attendance 可列出全部问题。',
      'Fix them and run again; npx kcbx validate <file> --kind attendance lists every problem.',
    );
    console.error(lines.join('\n'));
    process.exitCode = EXIT_INPUT_UNUSABLE;
    return;
  }

  const { asOf, threshold } = settings;
  const streaks = computeAbsenceStreaks(records, { asOf, threshold });
  const partial = `${settings.out}.partial.csv`;
  try {
    writeFileSync(partial, streaksToCsv(streaks));
    renameSync(partial, settings.out);
  } catch (err) {
    rmSync(partial, { force: true });
    const m = (err as Error).message;
    throw new Error(
      `无法写入结果文件 ${settings.out}：${m}\nCannot write the result file ${settings.out}: ${m}`,
    );
  }

  const lines = [
    '',
    `连续旷课 absence streaks — ${settings.region ? `地区 region ${settings.region}，` : ''}截至 as of ${asOf}，` +
      `连续 ${threshold} 个及以上工作日无故缺勤 / at least ${threshold} consecutive working days of unexcused absence`,
  ];
  const lastWorkingDay = listWorkingDays(`${asOf.slice(0, 4)}-01-01`, asOf).at(-1);
  for (const { school, lastRecorded } of lastRecordedDays(records, { asOf }).values()) {
    if (lastWorkingDay !== undefined && lastRecorded < lastWorkingDay) {
      lines.push(
        `  ! ${school || '（无学校 no school）'}: 考勤只记到 ${lastRecorded}，按该日计算 / attendance recorded only up to ${lastRecorded}, streaks counted to that day`,
      );
    }
  }
  if (streaks.length === 0) {
    lines.push('', '无学生达到阈值 no student reached the threshold.');
  } else {
    const shown = streaks.slice(0, MAX_SHOWN);
    const nameW = Math.max(12, ...shown.map((s) => cells(s.name) + 2));
    const schoolW = Math.min(40, Math.max(14, ...shown.map((s) => cells(s.school) + 2)));
    lines.push(
      '',
      `${padEnd('证件号 ID (masked)', 22)}${padEnd('姓名 name', nameW)}${padEnd('学校 school', schoolW)}${padEnd('天数 days', 11)}${padEnd('首日 first', 12)}末日 last`,
    );
    for (const s of shown) {
      lines.push(
        `${padEnd(s.maskedId, 22)}${padEnd(s.name, nameW)}${padEnd(s.school, schoolW)}${padEnd(String(s.streakWorkingDays), 11)}${padEnd(s.firstAbsent, 12)}${s.lastAbsent}`,
      );
    }
    if (streaks.length > shown.length) {
      lines.push(`… 共 ${streaks.length} 名，全部见结果文件 / ${streaks.length} in all, see the result file`);
    }
  }
  lines.push(
    '',
    `结果已保存 result saved: ${settings.out} (${streaks.length} 名学生 students, 证件号完整 full IDs)`,
  );
  console.log(lines.join('\n'));
}

export function registerAbsencesCommand(program: Command): void {
  const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
  program
    .command('absences')
    .description('连续旷课 offline: students whose unexcused-absence streak on a day reached the threshold')
    .option(
      '--attendance <file>',
      '考勤 attendance log (.xlsx, or .csv in UTF-8/GBK); repeat for several files',
      collect,
    )
    .option('--as-of <date>', 'the day to judge, YYYY-MM-DD, e.g. 2025-10-10')
    .option(
      '--threshold <days>',
      'at least this many consecutive working days (default: the --region deployment setting, else 3)',
    )
    .option('--region <code>', '6-digit 行政区划代码 of the county, shown in the output, e.g. 530124')
    .option(
      '--out <file>',
      'result file (.csv, UTF-8 with BOM): id,name,school,streak_working_days,first_absent,last_absent',
    )
    .addHelpText(
      'after',
      `
Rules 规则:
  Working days follow the China calendar: weekends and holidays neither count nor break a streak,
  a 调休 make-up working Saturday/Sunday counts. 旷课, 缺勤 and leave not marked approved count;
  approved leave (事假/病假 已批准), 出勤, 迟到, 早退 end the streak. A working day with no record for a
  student is not an absence and ends the streak (the school's missing-record flag covers it). Two rows
  for a student and day: the worse one wins. Each school is judged on its last recorded working day
  on or before --as-of. --threshold is "at least N": 东川 3天及以上 → 3; 富民 连续超过3个工作日 → 4.
Standard output shows masked IDs only; the result file holds full IDs.

Examples:
  npx kcbx absences --attendance 考勤-9月.csv --attendance 考勤-10月.xlsx --as-of 2025-10-10 --out 连续旷课.csv
  npx kcbx absences --attendance log.xlsx --as-of 2025-10-10 --threshold 4 --region 530124 --out streaks.csv

Exit code: 0 when it ran (whatever it found), 2 for a wrong option (e.g. a date outside the calendar),
3 when an attendance file cannot be used (the message names the file and the reason).`,
    )
    .exitOverride((err) => {
      if (err.exitCode !== 0) process.exit(EXIT_BAD_OPTION);
    })
    .action(async (opts: AbsencesOptions) => {
      await runAbsences(opts);
    });
}
