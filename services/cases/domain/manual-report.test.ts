import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../shared/org';
import { type CaseRules, caseRulesSchema } from '../../../shared/region-settings';
import { SAMPLE_CHAIN } from '../../../test/fixtures/chain';
import type { CaseAction } from './actions';
import { type CaseRecord, caseRecordSchema, holdsReport, reportIdSchema } from './case';
import { type ManualReportInput, manualReport, reportOnOpenCase, reportReceipt } from './manual-report';
import { applyAction, openCase } from './transitions';

const REGION = '530124';
const SCHOOL_B = '2153012404';
const SCHOOL_A = '2153012401';
const TOWNSHIP_B = '530124101';
const CHILD = `c_${'b'.repeat(32)}`;
const RULES: CaseRules = caseRulesSchema.parse(undefined);
const TODAY = '2026-03-30';
const system = { role: 'ops', org: REGION } as const;

const caller = (role: Caller['role'], org: string): Caller => ({ role, org, sub: `user-${role}-${org}` });
const schoolA = caller('school', SCHOOL_A);
const schoolB = caller('school', SCHOOL_B);

function report(overrides: Partial<ManualReportInput> = {}) {
  return manualReport({
    reporter: schoolA,
    childKey: CHILD,
    receivedOn: TODAY,
    note: '家长说孩子已两周没上学',
    priority: false,
    ...overrides,
  });
}

/** Applies actions in order as `actor`, failing the test on a refusal. */
function run(record: CaseRecord, actor: { role: Caller['role']; org: string }, ...actions: CaseAction[]) {
  let current = record;
  for (const action of actions) {
    const result = applyAction(current, action, {
      actor,
      by: 'user-0001',
      now: `${TODAY}T02:00:00.000Z`,
      today: TODAY,
      rules: RULES,
    });
    if (!result.ok) throw new Error(`${action.type}: ${result.error.en}`);
    current = result.record;
  }
  return current;
}

/** School B's case of the child, back at school and in 巩固 follow-up (RETURNED). */
function returnedCaseOfB(): CaseRecord {
  const opened = openCase({
    caseId: `case-${'b'.repeat(32)}-1`,
    region: REGION,
    child: { childKey: CHILD, maskedId: '5301**********0042' },
    school: SCHOOL_B,
    township: TOWNSHIP_B,
    signal: { source: 'ATTENDANCE', receivedOn: '2026-03-02', signalId: 'e_suspected-1', evidence: [] },
    priority: false,
    actor: system,
    now: '2026-03-02T07:00:00.000Z',
    today: '2026-03-02',
    rules: RULES,
  });
  return run(
    opened,
    schoolB,
    {
      type: 'ASSIGN_RESPONSIBLE',
      chain: SAMPLE_CHAIN,
    },
    { type: 'START_VERIFYING' },
    { type: 'RETURN', school: SCHOOL_B, returnedOn: '2026-03-09' },
  );
}

/** What the report does to the case, applied as the system does it. */
function receive(record: CaseRecord, r: ReturnType<typeof report>) {
  return run(record, system, reportOnOpenCase(record, r));
}

describe('the id of a manual report', () => {
  it('is the same for the same report sent again, and a valid report id', () => {
    expect(report().reportId).toBe(report().reportId);
    expect(reportIdSchema.safeParse(report().reportId).success).toBe(true);
  });

  it('differs when anything the reporter said, who reported, the child or the day differs', () => {
    const ids = [
      report(),
      report({ note: '家长说孩子已三周没上学' }),
      report({ reporter: caller('school', '2153012402') }),
      report({ reporter: caller('township', TOWNSHIP_B) }),
      report({ childKey: `c_${'c'.repeat(32)}` }),
      report({ receivedOn: '2026-03-31' }),
      report({ causeCategory: 'WEARINESS' }),
      report({ priority: true }),
      report({ school: SCHOOL_A }),
      report({ township: TOWNSHIP_B }),
    ].map((r) => r.reportId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is the same whoever of one organisation sends it (a colleague repeating the report)', () => {
    expect(report({ reporter: { ...schoolA, sub: 'another-teacher' } }).reportId).toBe(report().reportId);
  });

  it('carries neither the child’s pseudonym nor the words of the note', () => {
    const { reportId } = report();
    expect(reportId).not.toContain('bbbb');
    expect(reportId).not.toContain('上学');
  });
});

describe('a manual report on the child’s open case', () => {
  it('joins the case as a signal when the reporter may see the case: its school, township or county', () => {
    const record = returnedCaseOfB();
    for (const reporter of [schoolB, caller('township', TOWNSHIP_B), caller('county', REGION)]) {
      const action = reportOnOpenCase(record, report({ reporter }));
      expect(action).toMatchObject({
        type: 'ADD_SIGNAL',
        signal: { source: 'MANUAL', signalId: report({ reporter }).reportId, note: '家长说孩子已两周没上学' },
        reportedBy: { role: reporter.role, org: reporter.org },
      });
    }
  });

  it('is only noted when the reporter may not see the case: another school, township or county', () => {
    const record = returnedCaseOfB();
    for (const reporter of [schoolA, caller('township', '530124102'), caller('county', '530125')]) {
      expect(reportOnOpenCase(record, report({ reporter })).type).toBe('NOTE_OUTSIDE_REPORT');
    }
    // A case with no school code is no school's to see.
    const { school: _school, ...withoutSchool } = record;
    expect(reportOnOpenCase(withoutSchool, report({ reporter: schoolA })).type).toBe('NOTE_OUTSIDE_REPORT');
  });

  it('from another school leaves a RETURNED case in follow-up and tells its people who said what', () => {
    const before = returnedCaseOfB();
    const r = report({ causeCategory: 'WEARINESS', priority: true });
    const after = receive(before, r);
    expect(after.state).toBe('RETURNED');
    expect(after.signals).toEqual(before.signals);
    expect(after.priority).toBe(false);
    expect(after.causeCategory).toBeUndefined();
    expect(after.history.at(-1)).toMatchObject({
      action: 'NOTE_OUTSIDE_REPORT',
      details: {
        reportId: r.reportId,
        reportedBy: { role: 'school', org: SCHOOL_A },
        receivedOn: TODAY,
        note: '家长说孩子已两周没上学',
        causeCategory: 'WEARINESS',
        priority: true,
      },
    });
    expect(holdsReport(after, r.reportId)).toBe(true);
    expect(() => caseRecordSchema.parse(after)).not.toThrow();
  });

  it('from another school, sent again, adds nothing', () => {
    const once = receive(returnedCaseOfB(), report());
    const twice = receive(once, report());
    expect(twice).toBe(once);
  });

  it('from the case’s own school or township brings a RETURNED case back to CONFIRMED (absent again)', () => {
    for (const reporter of [schoolB, caller('township', TOWNSHIP_B)]) {
      const r = report({ reporter });
      const after = receive(returnedCaseOfB(), r);
      expect(after.state).toBe('CONFIRMED');
      expect(after.signals.map((s) => s.signalId)).toEqual(['e_suspected-1', r.reportId]);
      expect(after.history.at(-1)).toMatchObject({
        action: 'ADD_SIGNAL',
        from: 'RETURNED',
        to: 'CONFIRMED',
        details: { reportedBy: { role: reporter.role, org: reporter.org } },
      });
      expect(receive(after, r)).toBe(after);
    }
  });
});

describe('the receipt of a report', () => {
  it('has the same status fields for every report, naming only the report', () => {
    const mine = reportReceipt(report({ reporter: schoolB }));
    const outside = reportReceipt(report());
    expect(Object.keys(outside).sort()).toEqual(Object.keys(mine).sort());
    expect(outside).toEqual({
      outcome: 'received',
      reportId: report().reportId,
      href: `/cases?report=${report().reportId}`,
    });
    expect(JSON.stringify(outside)).not.toContain('case-');
  });
});
