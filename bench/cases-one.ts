/**
 * Cases and subsidy hot paths at county scale, in one process (`tsx bench/cases-one.ts`):
 * - the daily attendance rule over a county's last 45 days (50,000 pupils, every working day recorded);
 * - applying a command to a case (with a long history);
 * - the three ledgers and the statistics over 10,000 cases;
 * - a subsidy run for 100,000 enrolled children.
 * Prints Markdown rows: | operation | size | time | throughput |.
 */

import { type CheckedAttendance, runAttendanceCheck } from '../services/cases/domain/attendance-check';
import type { CaseRecord } from '../services/cases/domain/case';
import { buildLedgers } from '../services/cases/domain/ledgers';
import { computeStats } from '../services/cases/domain/stats';
import { applyAction, openCase } from '../services/cases/domain/transitions';
import { determineSubsidies, type SubsidyRow } from '../services/subsidy/domain/determine';
import { builtInPolicy } from '../services/subsidy/domain/policies/built-in';
import { listWorkingDays } from '../shared/calendar';
import { checkDigit, maskIdNumber } from '../shared/id-number';
import { childKey, generatePseudonymSecret } from '../shared/pseudonym';
import { regionSettingsSchema } from '../shared/region-settings';

const rules = regionSettingsSchema.parse({}).cases;
const secret = generatePseudonymSecret();
const idOf = (i: number) => {
  const first17 = `530124${2012 + (i % 8)}${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}${String(i % 1000).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
};
const time = <T>(fn: () => T): [T, number] => {
  const t0 = process.hrtime.bigint();
  const out = fn();
  return [out, Number(process.hrtime.bigint() - t0) / 1e9];
};
const row = (op: string, size: string, seconds: number, n: number, unit: string) =>
  `| ${op} | ${size} | ${seconds.toFixed(2)} s | ${Math.round(n / seconds).toLocaleString('en-US')} ${unit}/s |`;

// Attendance: 50,000 pupils × every working day of the 45-day look-back.
const pupils = 50_000;
const days = listWorkingDays('2025-09-01', '2025-10-15');
const keys = Array.from({ length: pupils }, (_, i) => childKey(idOf(i), secret));
const rows: CheckedAttendance[] = [];
for (const date of days) {
  for (let i = 0; i < pupils; i++) {
    rows.push({
      idNumber: `${idOf(i).slice(0, 14)}${String(i).padStart(4, '0')}`,
      childKey: keys[i]!,
      name: '学生',
      date,
      status: i % 500 === 0 && date >= '2025-10-09' ? 'ABSENT_UNEXCUSED' : 'PRESENT',
      schoolCode: `21530124${String(i % 60).padStart(2, '0')}`,
      evidence: { uploadId: `att-${date}`, line: i + 1 },
    });
  }
}
const [check, tAttendance] = time(() =>
  runAttendanceCheck({
    region: '530124',
    asOf: '2025-10-15',
    threshold: 3,
    rows,
    expectedSchools: [],
    at: new Date().toISOString(),
  }),
);
console.log('| operation | size | time | throughput |\n|---|---|---|---|');
console.log(
  row(
    `attendance rule (${check.suspected.length} streaks found)`,
    `${pupils.toLocaleString('en-US')} pupils × ${days.length} days = ${rows.length.toLocaleString('en-US')} rows`,
    tAttendance,
    rows.length,
    'rows',
  ),
);
rows.length = 0;

// Cases: 10,000 opened, verified, confirmed, visited; one with 200 visits for the command cost.
const system = { role: 'ops' as const, org: '530124' };
const county = { role: 'county' as const, org: '530124' };
const chain = Object.fromEntries(rules.chain.map((p) => [p, { name: '某某' }]));
const ctx = (today: string) => ({ actor: county, now: `${today}T02:00:00.000Z`, today, rules });
const must = (r: ReturnType<typeof applyAction>) => {
  if (!r.ok) throw new Error(r.error.en);
  return r.record;
};
const [records, tCases] = time(() =>
  Array.from({ length: 10_000 }, (_, i): CaseRecord => {
    let c = openCase({
      caseId: `case-${'a'.repeat(27)}${String(i)
        .padStart(5, '0')
        .replace(/\d/g, (d) => 'abcdefghij'[Number(d)]!)}-1`,
      region: '530124',
      child: { childKey: keys[i]!, maskedId: maskIdNumber(idOf(i)) },
      school: `21530124${String(i % 60).padStart(2, '0')}`,
      township: `530124${String(100 + (i % 12))}`,
      priority: i % 7 === 0,
      signal: { source: 'COMPARISON', receivedOn: '2025-09-08', signalId: `s${i}`, evidence: [] },
      actor: system,
      now: '2025-09-08T01:00:00.000Z',
      today: '2025-09-08',
      rules,
    });
    c = must(applyAction(c, { type: 'ASSIGN_RESPONSIBLE', chain }, ctx('2025-09-09')));
    c = must(applyAction(c, { type: 'START_VERIFYING' }, ctx('2025-09-09')));
    if (i % 3 === 0) return c;
    c = must(applyAction(c, { type: 'CONFIRM' }, ctx('2025-09-10')));
    c = must(applyAction(c, { type: 'START_PERSUADING' }, ctx('2025-09-10')));
    c = must(
      applyAction(
        c,
        { type: 'LOG_HOME_VISIT', date: '2025-09-11', visitors: ['刘老师'], outcome: '已劝返' },
        ctx('2025-09-11'),
      ),
    );
    if (i % 3 === 1) return c;
    return must(
      applyAction(c, { type: 'RETURN', school: c.school!, returnedOn: '2025-09-15' }, ctx('2025-09-15')),
    );
  }),
);
console.log(row('open and work cases (4–7 commands each)', '10,000 cases', tCases, 10_000, 'cases'));

let long = records[1]!;
for (let v = 0; v < 200; v++)
  long = must(
    applyAction(
      long,
      { type: 'LOG_TALK', date: '2025-09-12', visitors: ['刘老师'], outcome: `第${v}次谈话` },
      ctx('2025-09-12'),
    ),
  );
const [, tCommand] = time(() => {
  for (let i = 0; i < 1000; i++)
    applyAction(
      long,
      { type: 'LOG_TALK', date: '2025-09-12', visitors: ['刘老师'], outcome: '谈话' },
      ctx('2025-09-12'),
    );
});
console.log(
  row('one command on a case with 200 history entries', '1,000 commands', tCommand, 1000, 'commands'),
);

const [, tLedgers] = time(() => buildLedgers({ records, asOf: '2025-09-30' }));
console.log(row('the three ledgers as of a date', '10,000 cases', tLedgers, 10_000, 'cases'));
const [, tStats] = time(() =>
  computeStats({ records, asOf: '2025-09-30', period: { from: '2025-09-01', to: '2025-09-30' } }),
);
console.log(row('statistics of a month', '10,000 cases', tStats, 10_000, 'cases'));

// Subsidy: 100,000 enrolled children, 1 in 8 in a poverty category.
const policy = builtInPolicy('national-baseline')!;
const subsidyRows: SubsidyRow[] = [];
for (let i = 0; i < 100_000; i++) {
  const idNumber = idOf(i);
  const base = {
    uploadId: 'up-enrollment',
    childKey: `c_${String(i).padStart(32, 'a')}`,
    maskedId: maskIdNumber(idNumber),
    idNumber,
  };
  subsidyRows.push({
    ...base,
    kind: 'enrollment',
    line: i + 2,
    org: `21530124${String(i % 60).padStart(2, '0')}`,
    record: {
      idNumber,
      name: '学生',
      grade: i % 2 ? '三年级' : '八年级',
      stage: i % 2 ? 'PRIMARY' : 'JUNIOR',
      boarding: i % 3 === 0,
      schoolCode: `21530124${String(i % 60).padStart(2, '0')}`,
    },
  });
  if (i % 8 === 0)
    subsidyRows.push({
      ...base,
      uploadId: 'up-poverty',
      kind: 'poverty',
      line: i + 2,
      record: { idNumber, name: '学生', category: 'LIFTED_OUT_OF_POVERTY' },
    });
}
const [result, tSubsidy] = time(() =>
  determineSubsidies({ policy, semester: '2025-autumn', rows: subsidyRows }),
);
console.log(
  row(
    `subsidy run (${result.decisions.length.toLocaleString('en-US')} decisions)`,
    '100,000 children',
    tSubsidy,
    100_000,
    'children',
  ),
);
