import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { deployments } from '../infra/config/deployments';
import {
  type AbsenceStreak,
  type AttendanceDay,
  computeAbsenceStreaks,
  lastRecordedDays,
} from '../services/cases/domain/absence-streaks';
import { CalendarNotCoveredError, calendarCoverage, isWorkingDay, listWorkingDays } from '../shared/calendar';
import { todayInChina } from '../shared/dates';
import { parseRegionSettings } from '../shared/region-settings';
import type { AttendanceRecord } from '../shared/rosters/records';
import { CSV_BOM, csvRow } from '../shared/spreadsheet-export';
import { reportingUnusable, UsageError, usage } from './errors';
import { realDate, regionCode } from './options';
import { checkOutputFile, writeAtomically } from './output-file';
import {
  addRosterOptions,
  offlinePseudonymSecret,
  type RosterOption,
  readRosters,
  requireRosters,
} from './roster-files';
import { cells, padEnd } from './terminal';

/** Offline files are read from disk, not uploaded: the 50 MiB upload limit does not apply. */
const MAX_FILE_BYTES = 500 * 1024 * 1024;
const MAX_SHOWN = 50;
const EXIT_BAD_OPTION = 2;
const CSV_COLUMNS = ['id', 'name', 'school', 'streak_working_days', 'first_absent', 'last_absent'];

interface AbsencesOptions {
  attendance?: string[];
  asOf?: string;
  threshold?: string;
  region?: string;
  out?: string;
}

const ROSTER_OPTIONS = [
  { kind: 'attendance', flag: '--attendance', required: true, help: '考勤 attendance log' },
] as const satisfies readonly RosterOption[];

const RUN_NAME = { zh: '统计', en: 'the count' };

function settingsFrom(opts: AbsencesOptions) {
  requireRosters(ROSTER_OPTIONS, opts, RUN_NAME);
  if (!opts.out)
    throw usage('缺少 --out：请指定结果文件（.csv）。', '--out is missing: name the result file (.csv).');
  checkOutputFile('--out', opts.out, ['.csv']);
  const asOf = realDate('--as-of', opts.asOf ?? '', '2025-10-10');
  try {
    isWorkingDay(asOf);
  } catch (err) {
    if (!(err instanceof CalendarNotCoveredError)) throw err;
    const { firstYear, lastYear } = calendarCoverage();
    throw usage(
      `--as-of ${asOf} 不在工作日历范围内（${firstYear}–${lastYear} 年）。${err.zh}`,
      `--as-of ${asOf} is outside the working-day calendar (${firstYear}–${lastYear}). ${err.en}`,
    );
  }
  if (opts.region !== undefined) regionCode(opts.region);
  // Without --threshold: the setting of the configured deployment for --region (富民 530124 → 4), else 3.
  const configured = deployments.find((d) => d.regionCode === opts.region)?.settings;
  const threshold = opts.threshold ?? String((configured ?? parseRegionSettings({})).absenceThreshold);
  if (!/^\d+$/.test(threshold) || Number(threshold) < 1 || Number(threshold) > 30) {
    throw usage(
      `--threshold 应为 1–30 的整数（连续旷课工作日数，“3天及以上”为 3，“超过3天”为 4），实为“${threshold}”。`,
      `--threshold must be a whole number 1–30 (working days; "3 or more" is 3, "more than 3" is 4), got "${threshold}".`,
    );
  }
  return { out: opts.out, asOf, threshold: Number(threshold), region: opts.region };
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
  return CSV_BOM + rows.map(csvRow).join('');
}

async function runAbsences(given: AbsencesOptions): Promise<void> {
  let settings: ReturnType<typeof settingsFrom>;
  try {
    settings = settingsFrom(given);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`kcbx absences: ${err.message}`);
    process.exitCode = EXIT_BAD_OPTION;
    return;
  }
  // Kept per file and joined in the order given: when two records of a student share a day, the later
  // one names the student's school, so the result must not depend on which file was read first.
  const byFile: AttendanceDay[][] = [];
  await readRosters(
    ROSTER_OPTIONS,
    given,
    { today: todayInChina(), maxBytes: MAX_FILE_BYTES, secret: offlinePseudonymSecret() },
    (rows, fileIndex) => {
      byFile[fileIndex] ??= [];
      const fileRecords = byFile[fileIndex];
      for (const row of rows) {
        const r = row.record as Omit<AttendanceRecord, 'idNumber'>;
        fileRecords.push({
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
    RUN_NAME,
  );
  const records = byFile.flat();
  const { asOf, threshold } = settings;
  const streaks = computeAbsenceStreaks(records, { asOf, threshold });
  await writeAtomically(settings.out, (partial) => writeFileSync(partial, streaksToCsv(streaks)));

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
  const command = program
    .command('absences')
    .description('连续旷课 offline: students whose unexcused-absence streak on a day reached the threshold');
  addRosterOptions(command, ROSTER_OPTIONS);
  command
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
    .action(reportingUnusable(runAbsences));
}
