import { describe, expect, it } from 'vitest';
import type { CaseState } from '../../../shared/events/vocab';
import { checkDigit, maskIdNumber } from '../../../shared/id-number';
import { reportingCadenceSchema } from '../../../shared/region-settings';
import { type CaseRecord, caseRecordSchema, type OverdueRecord } from './case';
import {
  type AgeCohortRow,
  buildLedgers,
  canonicalJson,
  chinaDateOf,
  closureAsOf,
  freezeSnapshot,
  ledgerRowStatusZh,
  ledgerSnapshotSchema,
  overdueAsOf,
  reportingDates,
  reportingPeriodOf,
  snapshotDue,
  stateAsOf,
  verifySnapshot,
} from './ledgers';

// ── fixtures ─────────────────────────────────────────────────────────────────────────────────────────

const idNumber = (seq: number) => {
  const first17 = `53012420140301${String(seq).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
};
const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
const childKey = (seq: number) => `c_${'q'.repeat(30)}${B32[Math.floor(seq / 32) % 32]}${B32[seq % 32]}`;
const SCHOOL_ACTOR = { role: 'school', org: '2153012401' } as const;

/** [China date, new state, action, details] — recorded at 14:00 China time that day. */
type Move = [string, CaseState, string?, Record<string, unknown>?];

interface Fixture {
  seq: number;
  openedOn: string;
  moves?: Move[];
  school?: string;
  schoolName?: string;
  township?: string;
  overdue?: OverdueRecord[];
  patch?: Partial<CaseRecord>;
}

/** A case as the service stores it: opened SUSPECTED (10:00 China time), then each move in order. */
function caseRecord(f: Fixture): CaseRecord {
  const id = idNumber(f.seq);
  let state: CaseState = 'SUSPECTED';
  const history: CaseRecord['history'] = [
    {
      version: 1,
      at: `${f.openedOn}T02:00:00.000Z`,
      actor: SCHOOL_ACTOR,
      action: 'open',
      to: 'SUSPECTED',
      details: {},
    },
  ];
  for (const [date, to, action, details] of f.moves ?? []) {
    history.push({
      version: history.length + 1,
      at: `${date}T06:00:00.000Z`,
      actor: SCHOOL_ACTOR,
      action: action ?? to.toLowerCase(),
      from: state,
      to,
      details: details ?? {},
    });
    state = to;
  }
  const last = history.at(-1)!;
  const terminal = ['STUDYING_ELSEWHERE', 'DEFERRED', 'NOT_DROPOUT', 'OUT_OF_SCOPE', 'CLOSED'].includes(
    state,
  );
  return caseRecordSchema.parse({
    caseId: `case-${String(f.seq).padStart(4, '0')}`,
    region: '530124',
    child: { childKey: childKey(f.seq), maskedId: maskIdNumber(id) },
    idNumber: id,
    name: `学生${f.seq}`,
    school: f.school ?? '2153012401',
    schoolName: f.schoolName ?? '富民县第一中学',
    township: f.township ?? '530124100',
    state,
    version: history.length,
    openedOn: f.openedOn,
    openedAt: history[0]!.at,
    source: 'COMPARISON',
    priority: false,
    causeCategory: 'WEARINESS',
    chain: {},
    signals: [
      {
        source: 'COMPARISON',
        receivedOn: f.openedOn,
        signalId: `evt-${f.seq}`,
        outcome: 'ENROLLED_ABSENT',
        evidence: [
          { uploadId: 'upl-enrollment-1', line: f.seq + 1 },
          { uploadId: 'upl-headcount-1', line: f.seq + 1 },
        ],
      },
    ],
    threeLineReport: {},
    persuasionActions: [],
    fourStep: [],
    followUps: [],
    overdue: f.overdue ?? [],
    ...(terminal
      ? {
          closedAs: state === 'CLOSED' ? history.at(-2)?.to : state,
          closedOn: chinaDateOf(last.at),
        }
      : {}),
    history,
    ...f.patch,
  });
}

/** Closed on 10-20 as not a dropout, with its explanation: the 动态销号 example. */
const closedOn1020 = () =>
  caseRecord({
    seq: 1,
    openedOn: '2025-10-09',
    moves: [
      ['2025-10-10', 'VERIFYING', 'start-verification'],
      [
        '2025-10-20',
        'NOT_DROPOUT',
        'close-not-dropout',
        { explanation: '学籍系统重复学籍，已注销', documentRef: '富教学籍〔2025〕7号' },
      ],
    ],
  });

// ── replay ───────────────────────────────────────────────────────────────────────────────────────────

describe('stateAsOf', () => {
  it('replays the history: nothing before openedOn, then each state from the day it was recorded', () => {
    const record = closedOn1020();
    expect(stateAsOf(record, '2025-10-08')).toBeUndefined();
    expect(stateAsOf(record, '2025-10-09')).toBe('SUSPECTED');
    expect(stateAsOf(record, '2025-10-10')).toBe('VERIFYING');
    expect(stateAsOf(record, '2025-10-19')).toBe('VERIFYING');
    expect(stateAsOf(record, '2025-10-20')).toBe('NOT_DROPOUT');
    expect(stateAsOf(record, '2026-06-30')).toBe('NOT_DROPOUT');
  });

  it('reads history timestamps as China dates: 01:30 on 10-20 in China is still 10-19 in UTC', () => {
    const record = closedOn1020();
    const late = { ...record, history: record.history.map((e) => ({ ...e })) };
    late.history[2]!.at = '2025-10-19T17:30:00.000Z';
    expect(chinaDateOf('2025-10-19T17:30:00.000Z')).toBe('2025-10-20');
    expect(stateAsOf(late, '2025-10-19')).toBe('VERIFYING');
    expect(stateAsOf(late, '2025-10-20')).toBe('NOT_DROPOUT');
  });

  it('follows a case that leaves the dropout ledger and comes back (absent again during follow-up)', () => {
    const record = caseRecord({
      seq: 2,
      openedOn: '2025-09-10',
      moves: [
        ['2025-09-11', 'VERIFYING'],
        ['2025-09-15', 'CONFIRMED'],
        ['2025-09-16', 'PERSUADING'],
        ['2025-10-08', 'RETURNED', 'return', { school: '2153012401', returnedOn: '2025-10-08' }],
        ['2025-11-03', 'CONFIRMED', 'absent-again'],
      ],
    });
    expect(stateAsOf(record, '2025-10-31')).toBe('RETURNED');
    expect(stateAsOf(record, '2025-11-03')).toBe('CONFIRMED');
  });
});

// ── the three ledgers ────────────────────────────────────────────────────────────────────────────────

describe('buildLedgers — 动态销号', () => {
  it('keeps a case closed on 10-20 on the suspected ledger as of 10-15 and clears it, with its closing evidence, as of 10-25', () => {
    const record = closedOn1020();

    const before = buildLedgers({ records: [record], asOf: '2025-10-15' });
    expect(before.suspected).toHaveLength(1);
    const row = before.suspected[0]!;
    expect(row).toMatchObject({
      ledger: 'SUSPECTED',
      caseId: 'case-0001',
      state: 'VERIFYING',
      openedOn: '2025-10-09',
      enteredOn: '2025-10-09',
      maskedId: record.child.maskedId,
      idNumber: record.idNumber,
      evidence: [
        { uploadId: 'upl-enrollment-1', line: 2 },
        { uploadId: 'upl-headcount-1', line: 2 },
      ],
    });
    expect(row.exit).toBeUndefined();
    expect(before.cleared.suspected).toEqual([]);

    const after = buildLedgers({ records: [record], asOf: '2025-10-25' });
    expect(after.suspected).toEqual([]);
    expect(after.dropouts).toEqual([]);
    expect(after.cleared.suspected).toHaveLength(1);
    const cleared = after.cleared.suspected[0]!;
    expect(cleared.caseId).toBe('case-0001');
    expect(cleared.evidence).toEqual(row.evidence);
    expect(cleared.exit).toEqual({
      version: 3,
      action: 'close-not-dropout',
      actor: SCHOOL_ACTOR,
      at: '2025-10-20T06:00:00.000Z',
      date: '2025-10-20',
      from: 'VERIFYING',
      to: 'NOT_DROPOUT',
      closedAs: 'NOT_DROPOUT',
      documentRef: '富教学籍〔2025〕7号',
      explanation: '学籍系统重复学籍，已注销',
      details: { explanation: '学籍系统重复学籍，已注销', documentRef: '富教学籍〔2025〕7号' },
    });
  });

  it('replays history, not the current state: a case closed today is on the ledger of a past date', () => {
    const record = closedOn1020();
    expect(record.state).toBe('NOT_DROPOUT');
    expect(buildLedgers({ records: [record], asOf: '2025-10-19' }).suspected.map((r) => r.caseId)).toEqual([
      'case-0001',
    ]);
  });

  it('moves a confirmed case from the suspected ledger to the dropout ledger, and clears it from there on 复学', () => {
    const record = caseRecord({
      seq: 3,
      openedOn: '2025-09-10',
      moves: [
        ['2025-09-11', 'VERIFYING'],
        ['2025-09-15', 'CONFIRMED'],
        ['2025-09-16', 'PERSUADING'],
        ['2025-10-08', 'RETURNED', 'return', { school: '2153012401', returnedOn: '2025-10-08' }],
        ['2025-11-03', 'CONFIRMED', 'absent-again'],
      ],
    });

    const sept = buildLedgers({ records: [record], asOf: '2025-09-30' });
    expect(sept.suspected).toEqual([]);
    expect(sept.cleared.suspected[0]!.exit).toMatchObject({ to: 'CONFIRMED', date: '2025-09-15' });
    expect(sept.cleared.suspected[0]!.exit!.closedAs).toBeUndefined();
    expect(sept.dropouts).toHaveLength(1);
    expect(sept.dropouts[0]).toMatchObject({ state: 'PERSUADING', enteredOn: '2025-09-15' });

    const oct = buildLedgers({ records: [record], asOf: '2025-10-31' });
    expect(oct.dropouts).toEqual([]);
    expect(oct.cleared.dropouts[0]!.exit).toMatchObject({
      action: 'return',
      from: 'PERSUADING',
      to: 'RETURNED',
      date: '2025-10-08',
      details: { school: '2153012401', returnedOn: '2025-10-08' },
    });
    expect(ledgerRowStatusZh(oct.cleared.dropouts[0]!)).toBe('已复学');

    const nov = buildLedgers({ records: [record], asOf: '2025-11-05' });
    expect(nov.cleared.dropouts).toEqual([]);
    expect(nov.dropouts[0]).toMatchObject({ state: 'CONFIRMED', enteredOn: '2025-11-03' });
  });

  it('lists dropouts in every confirmed state up to placement, and not after 复学', () => {
    const states: CaseState[] = [
      'CONFIRMED',
      'PERSUADING',
      'EDUCATION',
      'ORDER_TO_CORRECT',
      'PENALTY',
      'ENFORCEMENT_OR_SUIT',
      'PLACED',
    ];
    const moves: Move[] = states.map((s, i) => [`2025-09-${String(11 + i).padStart(2, '0')}`, s]);
    const record = caseRecord({
      seq: 4,
      openedOn: '2025-09-10',
      moves: [['2025-09-10', 'VERIFYING'], ...moves],
    });
    for (const [date, state] of moves) {
      const ledgers = buildLedgers({ records: [record], asOf: date });
      expect(ledgers.dropouts.map((r) => r.state)).toEqual([state]);
      expect(ledgers.suspected).toEqual([]);
    }
  });

  it('leaves out cases opened after asOf and cleared rows before clearedSince', () => {
    const records = [closedOn1020(), caseRecord({ seq: 5, openedOn: '2025-11-02' })];
    const ledgers = buildLedgers({ records, asOf: '2025-10-31' });
    expect(ledgers.suspected).toEqual([]);
    expect(ledgers.cleared.suspected.map((r) => r.caseId)).toEqual(['case-0001']);
    expect(
      buildLedgers({ records, asOf: '2025-10-31', clearedSince: '2025-10-21' }).cleared.suspected,
    ).toEqual([]);
  });

  it('only counts signals received by asOf as the row’s source rows', () => {
    const record = closedOn1020();
    record.signals.push({
      source: 'ATTENDANCE',
      receivedOn: '2025-10-14',
      signalId: 'streak-1',
      evidence: [
        { uploadId: 'upl-attendance-9', line: 40 },
        { uploadId: 'upl-enrollment-1', line: 2 },
      ],
    });
    expect(buildLedgers({ records: [record], asOf: '2025-10-13' }).suspected[0]!.evidence).toHaveLength(2);
    expect(buildLedgers({ records: [record], asOf: '2025-10-14' }).suspected[0]!.evidence).toEqual([
      { uploadId: 'upl-enrollment-1', line: 2 },
      { uploadId: 'upl-headcount-1', line: 2 },
      { uploadId: 'upl-attendance-9', line: 40 },
    ]);
  });

  it('orders rows by township, school, then the day they came on the ledger', () => {
    const records = [
      caseRecord({ seq: 6, openedOn: '2025-10-02', township: '530124101', school: '2153012402' }),
      caseRecord({ seq: 7, openedOn: '2025-10-03', township: '530124100', school: '2153012409' }),
      caseRecord({ seq: 8, openedOn: '2025-10-01', township: '530124100', school: '2153012409' }),
    ];
    expect(buildLedgers({ records, asOf: '2025-10-10' }).suspected.map((r) => r.caseId)).toEqual([
      'case-0008',
      'case-0007',
      'case-0006',
    ]);
  });
});

describe('buildLedgers — 适龄儿童台账', () => {
  const child = (seq: number, outcome: AgeCohortRow['outcome']): AgeCohortRow => ({
    childKey: childKey(seq),
    maskedId: maskIdNumber(idNumber(seq)),
    school: '2153012401',
    schoolName: '富民县第一中学',
    township: '530124100',
    outcome,
    evidence: [{ uploadId: 'upl-household-1', line: seq + 10 }],
  });

  it('lists every child with the comparison outcome, and marks those with a case with its state and closure', () => {
    const children = [child(1, 'ENROLLED_ABSENT'), child(9, 'CONSISTENT'), child(5, 'NOT_ENROLLED')];
    const records = [closedOn1020(), caseRecord({ seq: 5, openedOn: '2025-10-01' })];
    const { ageCohort } = buildLedgers({ records, children, asOf: '2025-10-25' });

    expect(ageCohort).toHaveLength(3);
    const bySeq = (seq: number) => ageCohort.find((r) => r.childKey === childKey(seq))!;
    expect(bySeq(9)).toMatchObject({ ledger: 'AGE_COHORT', outcome: 'CONSISTENT' });
    expect(bySeq(9).caseId).toBeUndefined();
    expect(ledgerRowStatusZh(bySeq(9))).toBe('比对一致');

    expect(bySeq(5)).toMatchObject({ caseId: 'case-0005', state: 'SUSPECTED', outcome: 'NOT_ENROLLED' });
    expect(bySeq(5).exit).toBeUndefined();

    const closed = bySeq(1);
    expect(closed).toMatchObject({ caseId: 'case-0001', state: 'NOT_DROPOUT', idNumber: idNumber(1) });
    expect(closed.exit).toMatchObject({ closedAs: 'NOT_DROPOUT', date: '2025-10-20' });
    expect(closed.evidence).toEqual([
      { uploadId: 'upl-household-1', line: 11 },
      { uploadId: 'upl-enrollment-1', line: 2 },
      { uploadId: 'upl-headcount-1', line: 2 },
    ]);
  });

  it('points a child with an old closed case and a new open one at the open one', () => {
    const old = closedOn1020();
    const reopened = caseRecord({ seq: 1, openedOn: '2025-11-05', patch: { caseId: 'case-0001-b' } });
    const { ageCohort } = buildLedgers({
      records: [old, reopened],
      children: [child(1, 'ENROLLED_ABSENT')],
      asOf: '2025-11-06',
    });
    expect(ageCohort[0]).toMatchObject({ caseId: 'case-0001-b', state: 'SUSPECTED' });
    expect(ageCohort[0]!.exit).toBeUndefined();
  });
});

describe('closureAsOf', () => {
  it('names the closing entry of a case closed after 巩固, with what it was closed as', () => {
    const record = caseRecord({
      seq: 10,
      openedOn: '2025-03-03',
      moves: [
        ['2025-03-04', 'VERIFYING'],
        ['2025-03-06', 'CONFIRMED'],
        ['2025-03-07', 'PERSUADING'],
        ['2025-03-20', 'RETURNED'],
        ['2025-07-10', 'RETAINED'],
        ['2025-07-11', 'CLOSED', 'close', { note: '巩固期满，六有齐全' }],
      ],
    });
    expect(closureAsOf(record, '2025-07-10')).toBeUndefined();
    expect(closureAsOf(record, '2025-08-31')).toMatchObject({
      closedAs: 'RETAINED',
      date: '2025-07-11',
      explanation: '巩固期满，六有齐全',
    });
  });
});

// ── overdue items on a date ──────────────────────────────────────────────────────────────────────────

describe('overdueAsOf', () => {
  /** A record as the escalation schedule appends it: one per duty and level reached. */
  const raised = (dutyKey: string, dueOn: string, raisedOn: string, escalationLevel = 0): OverdueRecord => ({
    item: dutyKey.split(':')[0] as OverdueRecord['item'],
    dutyKey,
    dueOn,
    escalationLevel,
    escalatedTo: escalationLevel >= 2 ? 'township' : 'school',
    raisedOn,
  });

  const worked = () =>
    caseRecord({
      seq: 11,
      openedOn: '2025-09-01',
      moves: [
        ['2025-09-02', 'VERIFYING'],
        ['2025-09-03', 'CONFIRMED'],
        ['2025-09-04', 'PERSUADING'],
        ['2025-09-25', 'EDUCATION'],
        ['2025-10-09', 'ORDER_TO_CORRECT'],
        ['2025-10-24', 'PENALTY'],
      ],
      overdue: [
        raised('THREE_LINE_REPORT:PROVINCE_PLATFORM', '2025-09-02', '2025-09-03'),
        raised('THREE_LINE_REPORT:COUNTY_BUREAU', '2025-09-02', '2025-09-03'),
        raised('THREE_LINE_REPORT:COUNTY_BUREAU', '2025-09-02', '2025-09-08', 1),
        raised('FIRST_HOME_VISIT', '2025-09-08', '2025-09-09'),
        raised('PERSUADING_ACTION:2025-09-04', '2025-09-18', '2025-09-19'),
        raised('PERSUADING_ACTION:2025-09-04', '2025-09-18', '2025-09-24', 1),
        raised('FOUR_STEP_DEADLINE:ORDER_TO_CORRECT:2025-10-19', '2025-10-19', '2025-10-20', 2),
      ],
      patch: {
        persuasionActions: ['2025-09-12'],
        threeLineReport: {
          PROVINCE_PLATFORM: { producedOn: '2025-09-01', acknowledgedOn: '2025-09-05' },
          TOWNSHIP: { producedOn: '2025-09-01', acknowledgedOn: '2025-09-01' },
          COUNTY_BUREAU: { producedOn: '2025-09-01', acknowledgedOn: '2025-09-10' },
        },
        fourStep: [
          { step: 'EDUCATION', date: '2025-09-25', documentRef: '宣〔2025〕1号', reminders: [] },
          {
            step: 'ORDER_TO_CORRECT',
            date: '2025-10-09',
            documentRef: '责〔2025〕2号',
            deadline: '2025-10-19',
            reminders: [],
          },
          {
            step: 'PENALTY',
            date: '2025-10-24',
            documentRef: '罚〔2025〕3号',
            deadline: '2025-11-07',
            reminders: [],
          },
        ],
      },
    });
  const standing = (record: CaseRecord, date: string) =>
    overdueAsOf(record, date).map((o) => `${o.dutyKey}@${o.escalationLevel}`);

  it('lists each duty once, at the highest level it had climbed to by the date', () => {
    const record = worked();
    expect(standing(record, '2025-09-02')).toEqual([]);
    expect(standing(record, '2025-09-04')).toEqual([
      'THREE_LINE_REPORT:PROVINCE_PLATFORM@0',
      'THREE_LINE_REPORT:COUNTY_BUREAU@0',
    ]);
    expect(standing(record, '2025-09-09')).toEqual([
      'THREE_LINE_REPORT:COUNTY_BUREAU@1',
      'FIRST_HOME_VISIT@0',
    ]);
  });

  it('drops a duty once the record shows it done by the date', () => {
    const record = worked();
    // The county bureau acknowledged on 09-10 and a home visit was logged on 09-12.
    expect(standing(record, '2025-09-12')).toEqual([]);
    // The 劝返 idle clock of 09-04 was raised on 09-19, but the 09-12 visit already restarted it.
    expect(standing(record, '2025-09-19')).toEqual([]);
  });

  it('keeps an idle 劝返 spell until an action after its start, and drops it when the case leaves PERSUADING', () => {
    const record = worked();
    record.persuasionActions = [];
    expect(standing(record, '2025-09-22')).toEqual(['FIRST_HOME_VISIT@0', 'PERSUADING_ACTION:2025-09-04@0']);
    expect(standing(record, '2025-09-24')).toEqual(['FIRST_HOME_VISIT@0', 'PERSUADING_ACTION:2025-09-04@1']);
    // EDUCATION since 09-25: the legal track, not persuasion, and no first visit is owed either.
    expect(standing(record, '2025-09-25')).toEqual([]);
  });

  it('keeps a passed 四步法 deadline until the next step is taken', () => {
    const record = worked();
    expect(standing(record, '2025-10-20')).toEqual(['FOUR_STEP_DEADLINE:ORDER_TO_CORRECT:2025-10-19@2']);
    expect(standing(record, '2025-10-24')).toEqual([]);
  });

  it('owes a 送教上门 visit until the next visit after the clock started', () => {
    const record = caseRecord({
      seq: 15,
      openedOn: '2025-09-01',
      moves: [
        ['2025-09-02', 'VERIFYING'],
        ['2025-09-03', 'CONFIRMED'],
        ['2025-09-10', 'PLACED'],
      ],
      overdue: [raised('HOME_TEACHING_VISIT:2025-09-17', '2025-09-24', '2025-09-25')],
      patch: {
        persuasionActions: ['2025-09-04'],
        placement: { kind: 'HOME_TEACHING', since: '2025-09-10', visits: ['2025-09-17', '2025-09-28'] },
      },
    });
    expect(standing(record, '2025-09-27')).toEqual(['HOME_TEACHING_VISIT:2025-09-17@0']);
    expect(standing(record, '2025-09-28')).toEqual([]);
  });

  it('counts nothing for a closed case or one in 复学 follow-up', () => {
    const record = closedOn1020();
    record.overdue.push(raised('FIRST_HOME_VISIT', '2025-10-16', '2025-10-17'));
    expect(overdueAsOf(record, '2025-10-17')).toHaveLength(1);
    expect(overdueAsOf(record, '2025-10-20')).toEqual([]);

    const returned = caseRecord({
      seq: 16,
      openedOn: '2025-09-01',
      moves: [
        ['2025-09-02', 'VERIFYING'],
        ['2025-09-03', 'CONFIRMED'],
        ['2025-09-20', 'RETURNED'],
      ],
      overdue: [raised('THREE_LINE_REPORT:TOWNSHIP', '2025-09-02', '2025-09-03')],
    });
    expect(overdueAsOf(returned, '2025-09-19')).toHaveLength(1);
    expect(overdueAsOf(returned, '2025-09-20')).toEqual([]);
  });
});

// ── reporting cadence ────────────────────────────────────────────────────────────────────────────────

describe('reporting cadence', () => {
  it('defaults to school monthly, county quarterly, city each semester, province each school year', () => {
    expect(reportingCadenceSchema.parse(undefined)).toEqual({
      school: 'MONTH',
      county: 'QUARTER',
      city: 'SEMESTER',
      province: 'SCHOOL_YEAR',
    });
    expect(reportingCadenceSchema.parse({ county: 'MONTH' })).toMatchObject({
      school: 'MONTH',
      county: 'MONTH',
    });
    expect(() => reportingCadenceSchema.parse({ county: 'WEEK' })).toThrow();
  });

  it('is due on the last day of each period', () => {
    expect(snapshotDue('MONTH', '2025-09-30')).toBe(true);
    expect(snapshotDue('MONTH', '2025-09-29')).toBe(false);
    expect(snapshotDue('QUARTER', '2025-09-30')).toBe(true);
    expect(snapshotDue('QUARTER', '2025-10-31')).toBe(false);
    expect(snapshotDue('SEMESTER', '2026-02-28')).toBe(true);
    expect(snapshotDue('SEMESTER', '2028-02-28')).toBe(false);
    expect(snapshotDue('SEMESTER', '2028-02-29')).toBe(true);
    expect(snapshotDue('SEMESTER', '2026-08-31')).toBe(true);
    expect(snapshotDue('SEMESTER', '2026-01-31')).toBe(false);
    expect(snapshotDue('SCHOOL_YEAR', '2026-08-31')).toBe(true);
    expect(snapshotDue('SCHOOL_YEAR', '2026-02-28')).toBe(false);
  });

  it('knows the period a date falls in', () => {
    expect(reportingPeriodOf('MONTH', '2024-02-10')).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(reportingPeriodOf('QUARTER', '2025-11-15')).toEqual({ from: '2025-10-01', to: '2025-12-31' });
    expect(reportingPeriodOf('SEMESTER', '2025-09-01')).toEqual({ from: '2025-09-01', to: '2026-02-28' });
    expect(reportingPeriodOf('SEMESTER', '2026-01-15')).toEqual({ from: '2025-09-01', to: '2026-02-28' });
    expect(reportingPeriodOf('SEMESTER', '2026-03-01')).toEqual({ from: '2026-03-01', to: '2026-08-31' });
    expect(reportingPeriodOf('SCHOOL_YEAR', '2026-08-31')).toEqual({ from: '2025-09-01', to: '2026-08-31' });
    expect(reportingPeriodOf('SCHOOL_YEAR', '2025-09-01')).toEqual({ from: '2025-09-01', to: '2026-08-31' });
  });

  it('lists a school year’s snapshots: 12 school, 4 county, 2 city, 1 province', () => {
    const dates = reportingDates(reportingCadenceSchema.parse(undefined), '2025-09-01', '2026-08-31');
    const count = (level: string) => dates.filter((d) => d.level === level).length;
    expect([count('school'), count('county'), count('city'), count('province')]).toEqual([12, 4, 2, 1]);
    // Quarters are calendar quarters: 31 August closes a month, a semester and the school year, not a quarter.
    expect(dates.filter((d) => d.date === '2026-08-31').map((d) => d.level)).toEqual([
      'school',
      'city',
      'province',
    ]);
    expect(dates.filter((d) => d.level === 'county').map((d) => d.date)).toEqual([
      '2025-09-30',
      '2025-12-31',
      '2026-03-31',
      '2026-06-30',
    ]);
    expect(dates.find((d) => d.level === 'city')).toEqual({
      date: '2026-02-28',
      level: 'city',
      period: 'SEMESTER',
      from: '2025-09-01',
    });
    expect(dates.map((d) => d.date)).toEqual(dates.map((d) => d.date).toSorted());
    expect(reportingDates(reportingCadenceSchema.parse(undefined), '2025-09-01', '2025-09-29')).toEqual([]);
  });
});

// ── snapshots ────────────────────────────────────────────────────────────────────────────────────────

describe('freezeSnapshot', () => {
  const records = () => [
    closedOn1020(),
    caseRecord({ seq: 12, openedOn: '2025-10-02', moves: [['2025-10-03', 'VERIFYING']] }),
    caseRecord({
      seq: 13,
      openedOn: '2025-09-05',
      moves: [
        ['2025-09-06', 'VERIFYING'],
        ['2025-09-08', 'CONFIRMED'],
      ],
    }),
  ];
  const meta = { level: 'school' as const, org: '2153012401', periodEnd: '2025-10-31' };

  it('gives the same hash for the same ledgers, whatever the order of the records and when it was taken', () => {
    const a = freezeSnapshot(buildLedgers({ records: records(), asOf: '2025-10-31' }), {
      ...meta,
      takenAt: '2025-10-31T16:00:00.000Z',
    });
    const b = freezeSnapshot(buildLedgers({ records: records().reverse(), asOf: '2025-10-31' }), {
      ...meta,
      takenAt: '2025-12-01T02:00:00.000Z',
    });
    expect(a.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.contentHash).toBe(a.contentHash);
    expect(a.counts).toEqual({
      ageCohort: 0,
      ageCohortWithCase: 0,
      suspected: 1,
      dropouts: 1,
      clearedSuspected: 2,
      clearedDropouts: 0,
    });
  });

  it('survives a round trip through storage and detects a changed figure', () => {
    const snapshot = freezeSnapshot(buildLedgers({ records: records(), asOf: '2025-10-31' }), {
      ...meta,
      takenAt: '2025-10-31T16:00:00.000Z',
    });
    const stored = ledgerSnapshotSchema.parse(JSON.parse(JSON.stringify(snapshot)));
    expect(verifySnapshot(stored)).toBe(true);

    const tampered = structuredClone(stored);
    tampered.counts.dropouts = 0;
    expect(verifySnapshot(tampered)).toBe(false);
    const rowRemoved = structuredClone(stored);
    rowRemoved.ledgers.cleared.suspected.pop();
    expect(verifySnapshot(rowRemoved)).toBe(false);
  });

  it('changes when the ledgers change, and differs between organisations', () => {
    const base = freezeSnapshot(buildLedgers({ records: records(), asOf: '2025-10-31' }), {
      ...meta,
      takenAt: '2025-10-31T16:00:00.000Z',
    });
    const more = [...records(), caseRecord({ seq: 14, openedOn: '2025-10-30' })];
    const other = freezeSnapshot(buildLedgers({ records: more, asOf: '2025-10-31' }), {
      ...meta,
      takenAt: '2025-10-31T16:00:00.000Z',
    });
    expect(other.contentHash).not.toBe(base.contentHash);
    const county = freezeSnapshot(buildLedgers({ records: records(), asOf: '2025-10-31' }), {
      ...meta,
      level: 'county',
      org: '530124',
      takenAt: '2025-10-31T16:00:00.000Z',
    });
    expect(county.contentHash).not.toBe(base.contentHash);
  });

  it('keeps pseudonyms and masked IDs but no names or full ID numbers', () => {
    const snapshot = freezeSnapshot(buildLedgers({ records: records(), asOf: '2025-10-31' }), {
      ...meta,
      takenAt: '2025-10-31T16:00:00.000Z',
    });
    const text = JSON.stringify(snapshot);
    expect(text).not.toMatch(/\d{17}[\dX]/);
    expect(text).not.toContain('学生1');
    expect(snapshot.ledgers.suspected[0]!.maskedId).toMatch(/^\d{4}\*{10}[\dX]{4}$/);
  });

  it('refuses ledgers built for another date than the period end', () => {
    expect(() =>
      freezeSnapshot(buildLedgers({ records: records(), asOf: '2025-10-30' }), {
        ...meta,
        takenAt: '2025-10-31T16:00:00.000Z',
      }),
    ).toThrow(/2025-10-30/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":null,"z":true}]},"b":1}',
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
  });
});
