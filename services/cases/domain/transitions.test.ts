import { describe, expect, it } from 'vitest';
import { CASE_STATE_NAMES_ZH, type CaseState, caseStateSchema } from '../../../shared/events/vocab';
import type { Actor, Role } from '../../../shared/org';
import { type CaseRules, caseRulesSchema } from '../../../shared/region-settings';
import { CASE_ACTION_TYPES, type CaseAction, type CaseActionOf, type CaseActionType } from './actions';
import { type CaseRecord, type CaseSignal, caseRecordSchema } from './case';
import {
  ACTION_STATES,
  allowedActions,
  applyAction,
  type CaseContext,
  openCase,
  unchangedForPeopleSince,
} from './transitions';

// ── fixtures ─────────────────────────────────────────────────────────────────────────────────────────

const REGION = '530124';
const SCHOOL_CODE = '2153012401';
const school: Actor = { role: 'school', org: SCHOOL_CODE };
const township: Actor = { role: 'township', org: '530124100' };
const county: Actor = { role: 'county', org: REGION };
const partner: Actor = { role: 'partner', org: '530124:public-security' };
const system: Actor = { role: 'ops', org: REGION };
const ACTORS: Record<Role, Actor> = { school, township, county, partner, ops: system };

const RULES: CaseRules = caseRulesSchema.parse(undefined);
const OPENED_ON = '2025-09-15';
/** The day the table tests run: after every fixture's dates, deadlines and the follow-up period. */
const TODAY = '2026-04-01';

function ctx(actor: Actor = county, today = TODAY, rules: CaseRules = RULES): CaseContext {
  return { actor, by: 'user-0001', now: `${today}T02:00:00.000Z`, today, rules };
}

function signal(signalId: string, receivedOn = OPENED_ON): CaseSignal {
  return {
    source: 'ATTENDANCE',
    receivedOn,
    signalId,
    streak: { days: 3, firstAbsent: '2025-09-10', lastAbsent: '2025-09-12' },
    evidence: [{ uploadId: 'upload-000001', line: 7 }],
  };
}

function opened(): CaseRecord {
  return openCase({
    caseId: `case-${'a'.repeat(32)}-1`,
    region: REGION,
    child: { childKey: `c_${'a'.repeat(32)}`, maskedId: '5301**********123X' },
    school: SCHOOL_CODE,
    township: '530124100',
    signal: signal('sig-0001'),
    priority: false,
    actor: system,
    now: `${OPENED_ON}T01:00:00.000Z`,
    today: OPENED_ON,
    rules: RULES,
  });
}

const FULL_CHAIN = {
  TOWNSHIP_HEAD: { name: '李乡长', title: '款庄乡人民政府乡长' },
  VILLAGE_HEAD: { name: '王主任' },
  PRINCIPAL: { name: '赵校长' },
  HEAD_TEACHER: { name: '钱老师' },
  CONTACT_TEACHER: { name: '孙老师' },
  GUARDIAN: { name: '周某某', phone: '13800000000' },
};

/** Applies actions in order and fails the test if any is refused. */
function run(record: CaseRecord, ...steps: (CaseAction | [CaseAction, Actor?, string?])[]): CaseRecord {
  let current = record;
  for (const step of steps) {
    const [action, actor, today] = Array.isArray(step) ? step : [step];
    const result = applyAction(current, action, ctx(actor ?? (isSystem(action) ? system : county), today));
    if (!result.ok) throw new Error(`${action.type} refused: ${result.error.code} ${result.error.en}`);
    current = result.record;
  }
  return current;
}

const SYSTEM_TYPES: readonly CaseActionType[] = [
  'ADD_SIGNAL',
  'REOPEN_DEFERRAL',
  'RESOLVE_BY_DATA',
  'NOTE_OUTSIDE_REPORT',
  'ATTACH_DOCUMENT',
];

function isSystem(action: CaseAction): boolean {
  return SYSTEM_TYPES.includes(action.type);
}

const monthly = (date: string): CaseAction => ({
  type: 'LOG_FOLLOW_UP',
  date,
  items: ['TUTORING', 'HOMEWORK'],
});

/** One case in every state, reached through the state machine itself. */
function buildFixtures(): Record<CaseState, CaseRecord> {
  const suspected = run(opened(), { type: 'ASSIGN_RESPONSIBLE', chain: FULL_CHAIN });
  const verifying = run(suspected, { type: 'START_VERIFYING' });
  const confirmed = run(verifying, { type: 'CONFIRM' });
  const persuading = run(
    confirmed,
    { type: 'START_PERSUADING' },
    { type: 'LOG_HOME_VISIT', date: '2025-09-20', visitors: ['钱老师', '王主任'], outcome: '家长同意考虑' },
  );
  const education = run(persuading, {
    type: 'FOUR_STEP',
    step: 'EDUCATION',
    date: '2025-10-08',
    documentRef: '款庄乡宣〔2025〕3号',
  });
  const orderToCorrect = run(education, {
    type: 'FOUR_STEP',
    step: 'ORDER_TO_CORRECT',
    date: '2025-10-15',
    documentRef: '富教责〔2025〕12号',
    deadline: '2025-10-25',
  });
  const penalty = run(orderToCorrect, {
    type: 'FOUR_STEP',
    step: 'PENALTY',
    date: '2025-11-03',
    documentRef: '富教罚〔2025〕2号',
    deadline: '2025-11-20',
  });
  const enforcement = run(
    penalty,
    {
      type: 'PENALTY_REMINDER',
      date: '2025-11-24',
      documentRef: '富教催〔2025〕1号',
      deadline: '2025-12-04',
    },
    { type: 'FOUR_STEP', step: 'ENFORCEMENT_OR_SUIT', date: '2025-12-10', documentRef: '富教执〔2025〕1号' },
  );
  const placed = run(persuading, {
    type: 'PLACE',
    kind: 'HOME_TEACHING',
    since: '2025-10-10',
    planRef: '富教特〔2025〕5号',
  });
  const returned = run(
    persuading,
    { type: 'RETURN', school: SCHOOL_CODE, returnedOn: '2025-11-03' },
    monthly('2025-11-10'),
    monthly('2025-12-10'),
    monthly('2026-01-10'),
    monthly('2026-02-25'),
    monthly('2026-03-10'),
  );
  const retained = run(returned, { type: 'RETAIN' });
  return {
    SUSPECTED: suspected,
    VERIFYING: verifying,
    STUDYING_ELSEWHERE: run(verifying, {
      type: 'CLOSE_STUDYING_ELSEWHERE',
      otherSchool: '昆明市五华区第一中学',
      verifiedWith: '刘老师（教务处）',
      verifiedOn: '2025-09-18',
    }),
    DEFERRED: run(verifying, [
      {
        type: 'DEFER',
        kind: 'SUSPENSION',
        documentRef: '富教休〔2025〕7号',
        approvedOn: '2025-09-20',
        endDate: '2026-02-28',
      },
      county,
      '2025-09-25',
    ]),
    NOT_DROPOUT: run(verifying, { type: 'CLOSE_NOT_DROPOUT', explanation: '考勤录入错误，学生实际在校' }),
    OUT_OF_SCOPE: run(verifying, {
      type: 'CLOSE_OUT_OF_SCOPE',
      reason: 'ABROAD',
      documentRef: '出入境记录 2025-0918',
    }),
    CONFIRMED: confirmed,
    PERSUADING: persuading,
    EDUCATION: education,
    ORDER_TO_CORRECT: orderToCorrect,
    PENALTY: penalty,
    ENFORCEMENT_OR_SUIT: enforcement,
    PLACED: placed,
    RETURNED: returned,
    RETAINED: retained,
    CLOSED: run(retained, { type: 'CLOSE' }),
  };
}

const FIXTURES = buildFixtures();
const STATES = caseStateSchema.options;

const NEXT_STEP: Partial<
  Record<CaseState, 'EDUCATION' | 'ORDER_TO_CORRECT' | 'PENALTY' | 'ENFORCEMENT_OR_SUIT'>
> = {
  EDUCATION: 'ORDER_TO_CORRECT',
  ORDER_TO_CORRECT: 'PENALTY',
  PENALTY: 'ENFORCEMENT_OR_SUIT',
  // After the last step there is none; asking for it again must be refused.
  ENFORCEMENT_OR_SUIT: 'ENFORCEMENT_OR_SUIT',
};

/** A well-formed action of each type, with dates that fit every fixture. */
function sample(type: CaseActionType, state: CaseState): CaseAction {
  const date = '2026-03-30';
  switch (type) {
    case 'ASSIGN_RESPONSIBLE':
      return { type, chain: { GROUP_HEAD: { name: '吴组长' } } };
    case 'SET_CAUSE':
      return { type, causeCategory: 'WEARINESS', priority: true };
    case 'START_VERIFYING':
    case 'CONFIRM':
    case 'START_PERSUADING':
    case 'RETAIN':
    case 'REOPEN_DEFERRAL':
      return { type };
    case 'ACKNOWLEDGE_REPORT':
      return { type, line: 'PROVINCE_PLATFORM', date: '2025-09-16' };
    case 'CLOSE_STUDYING_ELSEWHERE':
      return { type, otherSchool: '昆明市五华区第一中学', verifiedWith: '刘老师', verifiedOn: date };
    case 'DEFER':
      return {
        type,
        kind: 'POSTPONEMENT',
        documentRef: '富教缓〔2026〕1号',
        approvedOn: date,
        endDate: '2026-09-01',
      };
    case 'CLOSE_NOT_DROPOUT':
      return { type, explanation: '学籍数据重复' };
    case 'CLOSE_OUT_OF_SCOPE':
      return { type, reason: 'OVER_AGE', documentRef: '户籍证明 2026-01' };
    case 'LOG_HOME_VISIT':
    case 'LOG_TALK':
      return { type, date, visitors: ['孙老师'], outcome: '学生表示下周返校' };
    case 'FOUR_STEP':
      return {
        type,
        step: NEXT_STEP[state] ?? 'EDUCATION',
        date,
        documentRef: '富教〔2026〕9号',
        deadline: '2026-04-20',
      };
    case 'PENALTY_REMINDER':
      return { type, date, documentRef: '富教催〔2026〕2号', deadline: '2026-04-10' };
    case 'PLACE':
      return { type, kind: 'REGULAR_CLASS', since: date, school: SCHOOL_CODE };
    case 'LOG_HOME_TEACHING_VISIT':
      return { type, date, teacher: '赵老师', content: '语文、数学各一课时' };
    case 'RETURN':
      return { type, school: SCHOOL_CODE, returnedOn: date };
    case 'LOG_FOLLOW_UP':
      return { type, date, items: ['HOMEWORK'] };
    case 'CLOSE':
      return { type, documentRef: '入学通知书 2026-03' };
    case 'ADD_SIGNAL':
      return { type, signal: signal('sig-0099', date) };
    case 'RESOLVE_BY_DATA':
      return {
        type,
        signalId: 'e_resolved-1',
        comparisonId: 'cmp-000000000000000000000001',
        previousOutcome: 'ENROLLED_ABSENT',
        outcome: 'CONSISTENT',
      };
    case 'NOTE_OUTSIDE_REPORT':
      return outsideReport();
    case 'ATTACH_DOCUMENT':
      return attachment(`dropout-report-v${FIXTURES[state].version}`);
  }
}

/** Another school's report of the child, as the system notes it on a case outside that school's scope. */
function outsideReport(reportId = `report-${'0f'.repeat(16)}`): CaseActionOf<'NOTE_OUTSIDE_REPORT'> {
  return {
    type: 'NOTE_OUTSIDE_REPORT',
    reportId,
    reportedBy: { role: 'school', org: '2153012404' },
    receivedOn: '2026-03-30',
    note: '家长在本校门口说孩子已两周没上学',
    causeCategory: 'WEARINESS',
    priority: true,
  };
}

/** A generated document of the case (what the documents consumer attaches). */
function attachment(documentId: string, forVersion = 1): CaseActionOf<'ATTACH_DOCUMENT'> {
  return {
    type: 'ATTACH_DOCUMENT',
    documentId,
    kind: 'DROPOUT_REPORT',
    objectKey: `reports/case-documents/case-${'a'.repeat(32)}-1/${documentId}.pdf`,
    forVersion,
    sha256: 'ab'.repeat(32),
    sizeBytes: 70_457,
  };
}

const OPEN: CaseState[] = [
  'SUSPECTED',
  'VERIFYING',
  'CONFIRMED',
  'PERSUADING',
  'EDUCATION',
  'ORDER_TO_CORRECT',
  'PENALTY',
  'ENFORCEMENT_OR_SUIT',
  'PLACED',
  'RETURNED',
  'RETAINED',
];
const LEGAL: CaseState[] = ['EDUCATION', 'ORDER_TO_CORRECT', 'PENALTY', 'ENFORCEMENT_OR_SUIT'];
const WORKING: CaseState[] = ['CONFIRMED', 'PERSUADING', ...LEGAL];

/**
 * The specification: from which states each action succeeds, and where it leads ('same' = no change).
 * Written out here rather than read from the code, so the test says what the machine must do.
 */
const EXPECTED: Record<CaseActionType, { from: CaseState[]; to: (from: CaseState) => CaseState }> = {
  ASSIGN_RESPONSIBLE: { from: OPEN, to: (s) => s },
  SET_CAUSE: { from: OPEN, to: (s) => s },
  START_VERIFYING: { from: ['SUSPECTED'], to: () => 'VERIFYING' },
  ACKNOWLEDGE_REPORT: { from: OPEN, to: (s) => s },
  CLOSE_STUDYING_ELSEWHERE: { from: ['VERIFYING'], to: () => 'STUDYING_ELSEWHERE' },
  DEFER: { from: ['VERIFYING'], to: () => 'DEFERRED' },
  CLOSE_NOT_DROPOUT: { from: ['VERIFYING'], to: () => 'NOT_DROPOUT' },
  CLOSE_OUT_OF_SCOPE: { from: OPEN.filter((s) => s !== 'SUSPECTED'), to: () => 'OUT_OF_SCOPE' },
  CONFIRM: { from: ['VERIFYING'], to: () => 'CONFIRMED' },
  START_PERSUADING: { from: ['CONFIRMED'], to: () => 'PERSUADING' },
  LOG_HOME_VISIT: { from: ['VERIFYING', ...WORKING], to: (s) => s },
  LOG_TALK: { from: ['VERIFYING', ...WORKING], to: (s) => s },
  FOUR_STEP: {
    from: ['PERSUADING', 'EDUCATION', 'ORDER_TO_CORRECT', 'PENALTY'],
    to: (s) => NEXT_STEP[s] ?? 'EDUCATION',
  },
  PENALTY_REMINDER: { from: ['PENALTY'], to: (s) => s },
  PLACE: { from: WORKING, to: () => 'PLACED' },
  LOG_HOME_TEACHING_VISIT: { from: ['PLACED'], to: (s) => s },
  RETURN: { from: ['VERIFYING', ...WORKING, 'PLACED'], to: () => 'RETURNED' },
  LOG_FOLLOW_UP: { from: ['RETURNED'], to: (s) => s },
  RETAIN: { from: ['RETURNED'], to: () => 'RETAINED' },
  CLOSE: { from: ['RETAINED', 'PLACED'], to: () => 'CLOSED' },
  REOPEN_DEFERRAL: { from: ['DEFERRED'], to: () => 'VERIFYING' },
  ADD_SIGNAL: { from: OPEN, to: (s) => (s === 'RETURNED' || s === 'RETAINED' ? 'CONFIRMED' : s) },
  // The fixtures were raised by attendance, so a comparison's explanation is recorded, never closes them.
  RESOLVE_BY_DATA: { from: OPEN, to: (s) => s },
  // Another organisation's report is a note on any open case: it never moves one.
  NOTE_OUTSIDE_REPORT: { from: OPEN, to: (s) => s },
  // Documents are kept with the case in every state, closed ones included, and change no state.
  ATTACH_DOCUMENT: { from: [...STATES], to: (s) => s },
};

/** A role allowed to take the action (the table test is about states, not roles). */
function actorFor(type: CaseActionType): Actor {
  return SYSTEM_TYPES.includes(type) ? system : county;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function expectOk(result: ReturnType<typeof applyAction>) {
  if (!result.ok) throw new Error(`refused: ${result.error.code} ${result.error.en}`);
  return result;
}

function expectRefused(result: ReturnType<typeof applyAction>, code: string) {
  if (result.ok) throw new Error(`expected ${code}, but the action was accepted`);
  expect(result.error.code).toBe(code);
  return result.error;
}

// ── the whole table ──────────────────────────────────────────────────────────────────────────────────

describe('the allowed-transition table', () => {
  it('has a fixture in every state, each a valid case record', () => {
    for (const state of STATES) {
      expect(FIXTURES[state].state).toBe(state);
      expect(() => caseRecordSchema.parse(FIXTURES[state])).not.toThrow();
    }
  });

  it('knows every action type', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...CASE_ACTION_TYPES].sort());
    expect(Object.keys(ACTION_STATES).sort()).toEqual([...CASE_ACTION_TYPES].sort());
  });

  for (const type of CASE_ACTION_TYPES) {
    describe(type, () => {
      for (const state of STATES) {
        const allowed = EXPECTED[type].from.includes(state);
        it(`${allowed ? 'is accepted' : 'is refused'} in ${state}`, () => {
          const before = FIXTURES[state];
          const result = applyAction(before, sample(type, state), ctx(actorFor(type)));
          if (allowed) {
            const { record } = expectOk(result);
            expect(record.state).toBe(EXPECTED[type].to(state));
            expect(record.version).toBe(before.version + 1);
            expect(record.history).toHaveLength(before.history.length + 1);
            expect(record.history.at(-1)?.action).toBe(type);
            expect(() => caseRecordSchema.parse(record)).not.toThrow();
          } else {
            const error = expectRefused(
              result,
              type === 'FOUR_STEP' && state === 'ENFORCEMENT_OR_SUIT'
                ? 'STEP_OUT_OF_ORDER'
                : 'TRANSITION_NOT_ALLOWED',
            );
            // The message names the case's state, in both languages.
            expect(error.zh).toContain(CASE_STATE_NAMES_ZH[state]);
            expect(error.en).toContain(state);
          }
        });
      }
    });
  }

  it('offers exactly the accepted actions through allowedActions', () => {
    for (const state of STATES) {
      const expected = CASE_ACTION_TYPES.filter(
        (t) => EXPECTED[t].from.includes(state) && !SYSTEM_TYPES.includes(t),
      );
      expect(allowedActions(FIXTURES[state], 'county')).toEqual(expected);
    }
  });
});

// ── opening ──────────────────────────────────────────────────────────────────────────────────────────

describe('openCase', () => {
  it('opens a SUSPECTED case at version 1 with its first signal and an OPEN history entry', () => {
    const record = opened();
    expect(record).toMatchObject({
      state: 'SUSPECTED',
      version: 1,
      openedOn: OPENED_ON,
      source: 'ATTENDANCE',
    });
    expect(record.signals.map((s) => s.signalId)).toEqual(['sig-0001']);
    expect(record.history).toEqual([
      expect.objectContaining({ version: 1, action: 'OPEN', to: 'SUSPECTED', actor: system }),
    ]);
    expect(() => caseRecordSchema.parse(record)).not.toThrow();
  });

  it('produces the 三线报告 on all three lines the day the case opens, none yet acknowledged', () => {
    expect(opened().threeLineReport).toEqual({
      PROVINCE_PLATFORM: { producedOn: OPENED_ON },
      TOWNSHIP: { producedOn: OPENED_ON },
      COUNTY_BUREAU: { producedOn: OPENED_ON },
    });
  });
});

// ── the chain ────────────────────────────────────────────────────────────────────────────────────────

describe('the responsibility chain guard', () => {
  it('refuses START_VERIFYING while the head teacher is missing, naming the position in Chinese', () => {
    const { HEAD_TEACHER: _, ...withoutHeadTeacher } = FULL_CHAIN;
    const record = run(opened(), { type: 'ASSIGN_RESPONSIBLE', chain: withoutHeadTeacher });
    const error = expectRefused(
      applyAction(record, { type: 'START_VERIFYING' }, ctx(school)),
      'CHAIN_INCOMPLETE',
    );
    expect(error.zh).toContain('尚缺：班主任');
    expect(error.en).toContain('HEAD_TEACHER');
  });

  it('lists every missing position of the region chain', () => {
    const error = expectRefused(
      applyAction(opened(), { type: 'START_VERIFYING' }, ctx(school)),
      'CHAIN_INCOMPLETE',
    );
    expect(error.zh).toContain('乡（镇）长、村（社区）主任、校长、班主任、包保教师、监护人');
  });

  it('follows the region’s chain shape: a region that asks only for the guardian lets the case go on', () => {
    const record = run(opened(), { type: 'ASSIGN_RESPONSIBLE', chain: { GUARDIAN: FULL_CHAIN.GUARDIAN } });
    const rules = { ...RULES, chain: ['GUARDIAN' as const] };
    expect(
      expectOk(applyAction(record, { type: 'START_VERIFYING' }, ctx(school, TODAY, rules))).record.state,
    ).toBe('VERIFYING');
  });

  it('replaces a position and keeps the others when responsible people are reassigned', () => {
    const record = run(FIXTURES.PERSUADING, {
      type: 'ASSIGN_RESPONSIBLE',
      chain: { HEAD_TEACHER: { name: '新班主任' } },
    });
    expect(record.chain.HEAD_TEACHER).toEqual({ name: '新班主任' });
    expect(record.chain.PRINCIPAL).toEqual(FULL_CHAIN.PRINCIPAL);
  });
});

// ── 三线报告 ─────────────────────────────────────────────────────────────────────────────────────────

describe('acknowledging the 三线报告', () => {
  it('marks one line done with the date and who acknowledged it', () => {
    const record = run(FIXTURES.SUSPECTED, [
      { type: 'ACKNOWLEDGE_REPORT', line: 'TOWNSHIP', date: '2025-09-16' },
      township,
    ]);
    expect(record.threeLineReport.TOWNSHIP).toEqual({
      producedOn: OPENED_ON,
      acknowledgedOn: '2025-09-16',
      acknowledgedBy: township,
    });
    expect(record.threeLineReport.COUNTY_BUREAU?.acknowledgedOn).toBeUndefined();
  });

  it('refuses to acknowledge a line twice', () => {
    const once = run(FIXTURES.SUSPECTED, {
      type: 'ACKNOWLEDGE_REPORT',
      line: 'COUNTY_BUREAU',
      date: '2025-09-16',
    });
    const error = expectRefused(
      applyAction(once, { type: 'ACKNOWLEDGE_REPORT', line: 'COUNTY_BUREAU', date: '2025-09-17' }, ctx()),
      'ALREADY_ACKNOWLEDGED',
    );
    expect(error.zh).toContain('2025-09-16');
  });

  it('refuses an acknowledgement dated before the report was produced', () => {
    expectRefused(
      applyAction(
        FIXTURES.SUSPECTED,
        { type: 'ACKNOWLEDGE_REPORT', line: 'TOWNSHIP', date: '2025-09-14' },
        ctx(),
      ),
      'DATE_TOO_EARLY',
    );
  });
});

// ── 四步法 ───────────────────────────────────────────────────────────────────────────────────────────

describe('the 四步法', () => {
  const step = (
    s: 'EDUCATION' | 'ORDER_TO_CORRECT' | 'PENALTY' | 'ENFORCEMENT_OR_SUIT',
    date: string,
    deadline?: string,
  ): CaseAction => ({
    type: 'FOUR_STEP',
    step: s,
    date,
    documentRef: `文书-${s}`,
    ...(deadline && { deadline }),
  });

  it('goes EDUCATION → ORDER_TO_CORRECT → PENALTY → ENFORCEMENT_OR_SUIT, recording each step', () => {
    const record = FIXTURES.ENFORCEMENT_OR_SUIT;
    expect(record.fourStep.map((s) => s.step)).toEqual([
      'EDUCATION',
      'ORDER_TO_CORRECT',
      'PENALTY',
      'ENFORCEMENT_OR_SUIT',
    ]);
    expect(record.fourStep[1]).toMatchObject({ date: '2025-10-15', deadline: '2025-10-25' });
    expect(record.fourStep[2]?.reminders).toEqual([
      { date: '2025-11-24', documentRef: '富教催〔2025〕1号', deadline: '2025-12-04' },
    ]);
  });

  it('starts only from PERSUADING: a CONFIRMED case must be persuaded first', () => {
    const error = expectRefused(
      applyAction(FIXTURES.CONFIRMED, step('EDUCATION', '2025-10-08'), ctx(township)),
      'TRANSITION_NOT_ALLOWED',
    );
    expect(error.zh).toContain('确认辍学');
    expect(error.zh).toContain('开始劝返');
  });

  it('refuses to skip 宣传教育 and go straight to 责令改正', () => {
    const error = expectRefused(
      applyAction(FIXTURES.PERSUADING, step('ORDER_TO_CORRECT', '2025-10-15', '2025-10-25'), ctx(township)),
      'STEP_OUT_OF_ORDER',
    );
    expect(error.zh).toContain('下一步只能是“宣传教育”');
  });

  it('refuses to skip 行政处罚 and go from 责令改正 to enforcement', () => {
    expectRefused(
      applyAction(FIXTURES.ORDER_TO_CORRECT, step('ENFORCEMENT_OR_SUIT', '2025-11-30'), ctx(township)),
      'STEP_OUT_OF_ORDER',
    );
  });

  it('refuses to repeat a step', () => {
    const error = expectRefused(
      applyAction(FIXTURES.EDUCATION, step('EDUCATION', '2025-10-09'), ctx(township)),
      'STEP_OUT_OF_ORDER',
    );
    expect(error.zh).toContain('不能重复');
  });

  it('refuses any step after the last one', () => {
    const error = expectRefused(
      applyAction(FIXTURES.ENFORCEMENT_OR_SUIT, step('ENFORCEMENT_OR_SUIT', '2026-01-10'), ctx(county)),
      'STEP_OUT_OF_ORDER',
    );
    expect(error.zh).toContain('最后一步');
  });

  it('refuses 行政处罚 while the 责令改正 deadline has not passed', () => {
    const error = expectRefused(
      applyAction(FIXTURES.ORDER_TO_CORRECT, step('PENALTY', '2025-10-25', '2025-11-20'), ctx(township)),
      'DEADLINE_NOT_PASSED',
    );
    expect(error.zh).toContain('2025-10-25');
  });

  it('refuses enforcement while the 催告书 deadline has not passed', () => {
    const reminded = run(FIXTURES.PENALTY, {
      type: 'PENALTY_REMINDER',
      date: '2025-11-24',
      documentRef: '催告书',
      deadline: '2025-12-04',
    });
    expectRefused(
      applyAction(reminded, step('ENFORCEMENT_OR_SUIT', '2025-12-01'), ctx(county)),
      'DEADLINE_NOT_PASSED',
    );
  });

  it('refuses a 催告书 before the penalty decision’s own deadline has passed', () => {
    expectRefused(
      applyAction(
        FIXTURES.PENALTY,
        { type: 'PENALTY_REMINDER', date: '2025-11-15', documentRef: '催告书', deadline: '2025-11-25' },
        ctx(county),
      ),
      'DEADLINE_NOT_PASSED',
    );
  });

  it('refuses a step dated before the previous one', () => {
    expectRefused(
      applyAction(FIXTURES.EDUCATION, step('ORDER_TO_CORRECT', '2025-10-01', '2025-10-20'), ctx(township)),
      'DATE_TOO_EARLY',
    );
  });

  it('requires a deadline on 责令改正 and 行政处罚', () => {
    const error = expectRefused(
      applyAction(FIXTURES.EDUCATION, step('ORDER_TO_CORRECT', '2025-10-15'), ctx(township)),
      'INVALID_ACTION',
    );
    expect(error.zh).toContain('责令改正通知书须写明履行期限');
  });

  it('keeps persuading alongside the legal track: visits are logged in every step without changing it', () => {
    for (const state of LEGAL) {
      const record = run(FIXTURES[state], [
        { type: 'LOG_HOME_VISIT', date: '2026-01-05', visitors: ['李乡长'], outcome: '再次说服' },
        school,
      ]);
      expect(record.state).toBe(state);
      expect(record.persuasionActions.at(-1)).toBe('2026-01-05');
    }
  });
});

// ── placement ────────────────────────────────────────────────────────────────────────────────────────

describe('placement', () => {
  it('records 送教上门 visits, in date order, only for a HOME_TEACHING placement', () => {
    const record = run(
      FIXTURES.PLACED,
      { type: 'LOG_HOME_TEACHING_VISIT', date: '2025-10-20', teacher: '赵老师', content: '数学' },
      { type: 'LOG_HOME_TEACHING_VISIT', date: '2025-10-13', teacher: '赵老师', content: '语文' },
    );
    expect(record.placement?.visits).toEqual(['2025-10-13', '2025-10-20']);
    expect(record.state).toBe('PLACED');
  });

  it('refuses a 送教上门 visit for a child placed back in class', () => {
    const inClass = run(FIXTURES.PERSUADING, { type: 'PLACE', kind: 'REGULAR_CLASS', since: '2025-10-10' });
    expectRefused(
      applyAction(
        inClass,
        { type: 'LOG_HOME_TEACHING_VISIT', date: '2025-10-20', teacher: '赵老师', content: '数学' },
        ctx(school),
      ),
      'NOT_HOME_TEACHING',
    );
  });

  it('refuses a visit dated before the placement began', () => {
    expectRefused(
      applyAction(
        FIXTURES.PLACED,
        { type: 'LOG_HOME_TEACHING_VISIT', date: '2025-10-09', teacher: '赵老师', content: '数学' },
        ctx(school),
      ),
      'DATE_TOO_EARLY',
    );
  });

  it('closes a PLACED case only with the document the closure rests on', () => {
    expectRefused(applyAction(FIXTURES.PLACED, { type: 'CLOSE' }, ctx(county)), 'EVIDENCE_REQUIRED');
    const result = expectOk(
      applyAction(FIXTURES.PLACED, { type: 'CLOSE', documentRef: '富教特〔2026〕1号' }, ctx()),
    );
    expect(result.record).toMatchObject({ state: 'CLOSED', closedAs: 'PLACED', closedOn: TODAY });
    expect(result.effects).toEqual([
      { type: 'case.state-changed', from: 'PLACED', to: 'CLOSED' },
      { type: 'case.closed', closedAs: 'PLACED' },
    ]);
  });
});

// ── 复学 and 巩固 ─────────────────────────────────────────────────────────────────────────────────────

describe('return and follow-up', () => {
  it('sets the follow-up end to the return date plus the region’s follow-up days and announces the return', () => {
    const result = expectOk(
      applyAction(
        FIXTURES.PERSUADING,
        { type: 'RETURN', school: SCHOOL_CODE, returnedOn: '2025-11-03' },
        ctx(school),
      ),
    );
    expect(result.record.returned).toEqual({
      school: SCHOOL_CODE,
      returnedOn: '2025-11-03',
      followUpEnds: '2026-03-23',
    });
    expect(result.effects).toEqual([
      { type: 'case.state-changed', from: 'PERSUADING', to: 'RETURNED' },
      { type: 'student.returned', school: SCHOOL_CODE, returnedOn: '2025-11-03' },
    ]);
  });

  it('counts the follow-up period in calendar days of the region setting', () => {
    const rules = { ...RULES, followUpDays: 30 };
    const result = expectOk(
      applyAction(
        FIXTURES.PERSUADING,
        { type: 'RETURN', school: SCHOOL_CODE, returnedOn: '2026-02-15' },
        ctx(school, TODAY, rules),
      ),
    );
    expect(result.record.returned?.followUpEnds).toBe('2026-03-17');
  });

  it('refuses RETAIN before the follow-up period is over', () => {
    const returned = FIXTURES.RETURNED;
    const error = expectRefused(
      applyAction(returned, { type: 'RETAIN' }, ctx(school, '2026-03-22')),
      'FOLLOW_UP_INCOMPLETE',
    );
    expect(error.zh).toContain('2026-03-23');
  });

  it('accepts RETAIN on the day the follow-up period ends when every month has tutoring or a test', () => {
    expect(
      expectOk(applyAction(FIXTURES.RETURNED, { type: 'RETAIN' }, ctx(school, '2026-03-23'))).record.state,
    ).toBe('RETAINED');
  });

  it('refuses RETAIN when a month of the period has no follow-up, naming the month', () => {
    const base = run(FIXTURES.PERSUADING, { type: 'RETURN', school: SCHOOL_CODE, returnedOn: '2025-11-03' });
    const gap = run(
      base,
      monthly('2025-11-10'),
      monthly('2025-12-10'),
      monthly('2026-02-10'),
      monthly('2026-03-10'),
    );
    const error = expectRefused(applyAction(gap, { type: 'RETAIN' }, ctx(school)), 'FOLLOW_UP_INCOMPLETE');
    expect(error.zh).toContain('2026年1月');
    expect(error.en).toContain('2026-01');
  });

  it('does not count a month whose records show neither tutoring nor a test (docs/domain.md §4.6)', () => {
    const base = run(FIXTURES.PERSUADING, { type: 'RETURN', school: SCHOOL_CODE, returnedOn: '2025-11-03' });
    const homeworkOnly = run(
      base,
      monthly('2025-11-10'),
      monthly('2025-12-10'),
      monthly('2026-01-10'),
      { type: 'LOG_FOLLOW_UP', date: '2026-02-10', items: ['HOMEWORK', 'TEXTBOOKS', 'AID'] },
      { type: 'LOG_FOLLOW_UP', date: '2026-03-10', items: ['TESTS', 'GRADES'] },
    );
    const error = expectRefused(
      applyAction(homeworkOnly, { type: 'RETAIN' }, ctx(school)),
      'FOLLOW_UP_INCOMPLETE',
    );
    expect(error.zh).toContain('2026年2月');
    expect(error.zh).not.toContain('2026年3月');
  });

  it('refuses a follow-up dated before the return', () => {
    expectRefused(applyAction(FIXTURES.RETURNED, monthly('2025-11-01'), ctx(school)), 'DATE_TOO_EARLY');
  });

  it('closes a RETAINED case as RETAINED', () => {
    const result = expectOk(applyAction(FIXTURES.RETAINED, { type: 'CLOSE' }, ctx(school)));
    expect(result.record).toMatchObject({ state: 'CLOSED', closedAs: 'RETAINED', closedOn: TODAY });
    expect(result.effects).toContainEqual({ type: 'case.closed', closedAs: 'RETAINED' });
  });
});

// ── signals ──────────────────────────────────────────────────────────────────────────────────────────

describe('a new signal for a child with an open case', () => {
  it('moves a case in follow-up back to CONFIRMED: the same case, with the signal appended', () => {
    const before = FIXTURES.RETURNED;
    const result = expectOk(
      applyAction(before, { type: 'ADD_SIGNAL', signal: signal('sig-0002', '2026-03-20') }, ctx(system)),
    );
    expect(result.record.caseId).toBe(before.caseId);
    expect(result.record.state).toBe('CONFIRMED');
    expect(result.record.signals.map((s) => s.signalId)).toEqual(['sig-0001', 'sig-0002']);
    expect(result.effects).toEqual([{ type: 'case.state-changed', from: 'RETURNED', to: 'CONFIRMED' }]);
    expect(result.record.history.at(-1)).toMatchObject({
      action: 'ADD_SIGNAL',
      from: 'RETURNED',
      to: 'CONFIRMED',
      details: { reason: 'ABSENT_AGAIN_DURING_FOLLOW_UP' },
    });
  });

  it('lets the relapsed case be persuaded, returned and followed up again', () => {
    const relapsed = run(FIXTURES.RETURNED, { type: 'ADD_SIGNAL', signal: signal('sig-0002', '2026-03-20') });
    const again = run(
      relapsed,
      { type: 'START_PERSUADING' },
      { type: 'RETURN', school: SCHOOL_CODE, returnedOn: '2026-03-30' },
    );
    expect(again.returned).toEqual({
      school: SCHOOL_CODE,
      returnedOn: '2026-03-30',
      followUpEnds: '2026-08-17',
    });
  });

  it('only records the signal in other open states', () => {
    const before = FIXTURES.PERSUADING;
    const result = expectOk(
      applyAction(before, { type: 'ADD_SIGNAL', signal: signal('sig-0002') }, ctx(system)),
    );
    expect(result.record.state).toBe('PERSUADING');
    expect(result.record.version).toBe(before.version + 1);
    expect(result.record.signals).toHaveLength(2);
    expect(result.effects).toEqual([]);
  });

  it('treats a redelivered signal as a no-op: same record, same version, no history, no effects', () => {
    const before = FIXTURES.RETURNED;
    const result = expectOk(
      applyAction(before, { type: 'ADD_SIGNAL', signal: signal('sig-0001') }, ctx(system)),
    );
    expect(result.record).toBe(before);
    expect(result.effects).toEqual([]);
  });

  it('marks the case priority when a signal says so, and never unmarks it', () => {
    const marked = run(FIXTURES.PERSUADING, {
      type: 'ADD_SIGNAL',
      signal: signal('sig-0002'),
      priority: true,
    });
    expect(marked.priority).toBe(true);
    const still = run(marked, { type: 'ADD_SIGNAL', signal: signal('sig-0003'), priority: false });
    expect(still.priority).toBe(true);
  });
});

describe('a report from an organisation outside the case’s scope', () => {
  it('is a note in the history of a RETURNED case: who, when, what; the case otherwise unchanged', () => {
    const before = deepFreeze(FIXTURES.RETURNED);
    const { record, effects } = expectOk(applyAction(before, outsideReport(), ctx(system)));
    expect(effects).toEqual([]);
    const { version, history, ...rest } = record;
    const { version: v0, history: h0, ...rest0 } = before;
    // State, signals, priority, cause, follow-up: all as they were.
    expect(rest).toEqual(rest0);
    expect(record.state).toBe('RETURNED');
    expect(version).toBe(v0 + 1);
    expect(history.slice(0, -1)).toEqual(h0);
    const entry = history.at(-1)!;
    expect(entry).toMatchObject({
      version: v0 + 1,
      actor: system,
      by: 'user-0001',
      action: 'NOTE_OUTSIDE_REPORT',
      details: {
        reportId: `report-${'0f'.repeat(16)}`,
        reportedBy: { role: 'school', org: '2153012404' },
        receivedOn: '2026-03-30',
        note: '家长在本校门口说孩子已两周没上学',
        causeCategory: 'WEARINESS',
        priority: true,
      },
    });
    expect(entry.details.zh).toContain('学校（2153012404）于 2026-03-30 报告');
    expect(entry).not.toHaveProperty('from');
    expect(entry).not.toHaveProperty('to');
  });

  it('records a retried report once: same record, same version, no effects', () => {
    const once = run(FIXTURES.PERSUADING, outsideReport());
    const again = expectOk(applyAction(once, outsideReport(), ctx(system)));
    expect(again.record).toBe(once);
    expect(again.effects).toEqual([]);
    const other = run(once, outsideReport(`report-${'1e'.repeat(16)}`));
    expect(other.history.filter((h) => h.action === 'NOTE_OUTSIDE_REPORT')).toHaveLength(2);
  });

  it('is not joined as a signal later if the same report arrives again as one', () => {
    const noted = run(FIXTURES.RETURNED, outsideReport());
    const again = expectOk(
      applyAction(
        noted,
        { type: 'ADD_SIGNAL', signal: { ...signal(`report-${'0f'.repeat(16)}`), source: 'MANUAL' } },
        ctx(system),
      ),
    );
    expect(again.record).toBe(noted);
  });

  it('keeps the people’s commands fresh: a note since their version does not make them stale', () => {
    const base = FIXTURES.PERSUADING;
    const noted = run(base, outsideReport(), attachment('return-notice-v9', 9));
    expect(unchangedForPeopleSince(noted, base.version)).toBe(true);
    const visit: CaseAction = {
      type: 'LOG_HOME_VISIT',
      date: '2026-03-30',
      visitors: ['孙老师'],
      outcome: '家长同意返校',
    };
    expect(expectOk(applyAction(noted, visit, ctx(school))).record.state).toBe('PERSUADING');
  });

  it('is refused on a closed case (a report for a child without an open case opens a new one)', () => {
    expectRefused(applyAction(FIXTURES.CLOSED, outsideReport(), ctx(system)), 'TRANSITION_NOT_ALLOWED');
  });

  it('is the system’s to record, not a person’s', () => {
    expectRefused(applyAction(FIXTURES.PERSUADING, outsideReport(), ctx(school)), 'ROLE_NOT_ALLOWED');
  });
});

// ── 缓学休学 ─────────────────────────────────────────────────────────────────────────────────────────

describe('deferral', () => {
  it('closes the case as DEFERRED with its document and end date', () => {
    const record = FIXTURES.DEFERRED;
    expect(record).toMatchObject({ closedAs: 'DEFERRED', closedOn: '2025-09-25' });
    expect(record.deferral).toEqual({
      documentRef: '富教休〔2025〕7号',
      approvedOn: '2025-09-20',
      endDate: '2026-02-28',
      kind: 'SUSPENSION',
    });
  });

  it('refuses a deferral that has already ended', () => {
    const error = expectRefused(
      applyAction(
        FIXTURES.VERIFYING,
        {
          type: 'DEFER',
          kind: 'POSTPONEMENT',
          documentRef: '富教缓〔2025〕1号',
          approvedOn: '2025-03-01',
          endDate: '2025-09-01',
        },
        ctx(county, '2025-09-20'),
      ),
      'DEFERRAL_ALREADY_ENDED',
    );
    expect(error.zh).toContain('2025-09-01');
  });

  it('stays closed on its end date', () => {
    expectRefused(
      applyAction(FIXTURES.DEFERRED, { type: 'REOPEN_DEFERRAL' }, ctx(system, '2026-02-28')),
      'DEFERRAL_NOT_ENDED',
    );
  });

  it('reopens for verification the day after its end date passed without return, recording why', () => {
    const result = expectOk(
      applyAction(FIXTURES.DEFERRED, { type: 'REOPEN_DEFERRAL' }, ctx(system, '2026-03-01')),
    );
    expect(result.record.state).toBe('VERIFYING');
    expect(result.record.closedAs).toBeUndefined();
    expect(result.record.closedOn).toBeUndefined();
    expect(result.effects).toEqual([{ type: 'case.state-changed', from: 'DEFERRED', to: 'VERIFYING' }]);
    expect(result.record.history.at(-1)).toMatchObject({
      action: 'REOPEN_DEFERRAL',
      actor: system,
      from: 'DEFERRED',
      to: 'VERIFYING',
      details: { reason: 'DEFERRAL_ENDED_WITHOUT_RETURN', endDate: '2026-02-28', asOf: '2026-03-01' },
    });
    expect(() => caseRecordSchema.parse(result.record)).not.toThrow();
  });
});

// ── closing ──────────────────────────────────────────────────────────────────────────────────────────

describe('closing after verification', () => {
  it.each([
    [{ type: 'CLOSE_NOT_DROPOUT', explanation: '数据错误' }, 'NOT_DROPOUT'],
    [{ type: 'CLOSE_OUT_OF_SCOPE', reason: 'DECEASED', documentRef: '死亡证明 2025-001' }, 'OUT_OF_SCOPE'],
    [
      {
        type: 'CLOSE_STUDYING_ELSEWHERE',
        otherSchool: '外县中学',
        verifiedWith: '陈老师',
        verifiedOn: '2025-09-18',
      },
      'STUDYING_ELSEWHERE',
    ],
  ] as const)('%o closes the case and announces it', (action, closedAs) => {
    const result = expectOk(applyAction(FIXTURES.VERIFYING, action as CaseAction, ctx(county)));
    expect(result.record).toMatchObject({ state: closedAs, closedAs, closedOn: TODAY });
    expect(result.effects).toEqual([
      { type: 'case.state-changed', from: 'VERIFYING', to: closedAs },
      { type: 'case.closed', closedAs },
    ]);
  });

  it('closes a case out of scope at any stage after SUSPECTED (a child who turns over-age while persuaded)', () => {
    const result = expectOk(
      applyAction(
        FIXTURES.PENALTY,
        { type: 'CLOSE_OUT_OF_SCOPE', reason: 'OVER_AGE', documentRef: '户籍证明' },
        ctx(),
      ),
    );
    expect(result.record.state).toBe('OUT_OF_SCOPE');
  });

  it('refuses every change to a closed case, saying it is closed', () => {
    const error = expectRefused(
      applyAction(FIXTURES.CLOSED, { type: 'SET_CAUSE', causeCategory: 'OTHER' }, ctx()),
      'TRANSITION_NOT_ALLOWED',
    );
    expect(error.zh).toContain('已结案');
  });
});

// ── roles ────────────────────────────────────────────────────────────────────────────────────────────

describe('role guards', () => {
  const SCHOOL_WORK: CaseActionType[] = [
    'ASSIGN_RESPONSIBLE',
    'SET_CAUSE',
    'START_VERIFYING',
    'ACKNOWLEDGE_REPORT',
    'CLOSE_STUDYING_ELSEWHERE',
    'CLOSE_NOT_DROPOUT',
    'CONFIRM',
    'START_PERSUADING',
    'LOG_HOME_VISIT',
    'LOG_TALK',
    'PLACE',
    'LOG_HOME_TEACHING_VISIT',
    'RETURN',
    'LOG_FOLLOW_UP',
    'RETAIN',
    'CLOSE',
  ];
  const GOVERNMENT_ONLY: CaseActionType[] = ['DEFER', 'CLOSE_OUT_OF_SCOPE', 'FOUR_STEP', 'PENALTY_REMINDER'];
  const SYSTEM_ONLY: CaseActionType[] = [
    'REOPEN_DEFERRAL',
    'ADD_SIGNAL',
    'RESOLVE_BY_DATA',
    'NOTE_OUTSIDE_REPORT',
    'ATTACH_DOCUMENT',
  ];
  const MAY: Record<Role, CaseActionType[]> = {
    school: SCHOOL_WORK,
    township: [...SCHOOL_WORK, ...GOVERNMENT_ONLY],
    county: [...SCHOOL_WORK, ...GOVERNMENT_ONLY],
    partner: [],
    ops: SYSTEM_ONLY,
  };

  it('splits the actions between roles with nothing left over', () => {
    expect([...SCHOOL_WORK, ...GOVERNMENT_ONLY, ...SYSTEM_ONLY].sort()).toEqual(
      [...CASE_ACTION_TYPES].sort(),
    );
  });

  for (const role of ['school', 'township', 'county', 'partner', 'ops'] as const) {
    it(`lets ${role} take exactly its actions`, () => {
      for (const type of CASE_ACTION_TYPES) {
        // A state where the action is accepted, so only the role can refuse it.
        const state = EXPECTED[type].from[0]!;
        const action = sample(type, state);
        const result = applyAction(FIXTURES[state], action, ctx(ACTORS[role]));
        if (MAY[role].includes(type)) {
          expect(result.ok, `${role} ${type}`).toBe(true);
        } else {
          expect(result.ok ? 'accepted' : result.error.code, `${role} ${type}`).toBe('ROLE_NOT_ALLOWED');
        }
      }
    });
  }

  it('tells a school that the 四步法 is the township’s or the bureau’s', () => {
    const error = expectRefused(
      applyAction(
        FIXTURES.PERSUADING,
        { type: 'FOUR_STEP', step: 'EDUCATION', date: '2025-10-08', documentRef: '宣传教育记录' },
        ctx(school),
      ),
      'ROLE_NOT_ALLOWED',
    );
    expect(error.zh).toContain('乡镇（街道）或教育行政部门（县、市、省）');
  });

  it('tells a person that system actions are the system’s', () => {
    const error = expectRefused(
      applyAction(FIXTURES.PERSUADING, { type: 'ADD_SIGNAL', signal: signal('sig-0100') }, ctx(county)),
      'ROLE_NOT_ALLOWED',
    );
    expect(error.zh).toContain('由系统自动执行');
  });

  it('lets a school place a child back in class but not in a special school', () => {
    expectOk(
      applyAction(
        FIXTURES.PERSUADING,
        { type: 'PLACE', kind: 'REGULAR_CLASS', since: '2025-10-10' },
        ctx(school),
      ),
    );
    const error = expectRefused(
      applyAction(
        FIXTURES.PERSUADING,
        { type: 'PLACE', kind: 'SPECIAL_SCHOOL', since: '2025-10-10' },
        ctx(school),
      ),
      'ROLE_NOT_ALLOWED',
    );
    expect(error.zh).toContain('特殊教育学校');
    expectOk(
      applyAction(
        FIXTURES.PERSUADING,
        { type: 'PLACE', kind: 'SPECIAL_SCHOOL', since: '2025-10-10' },
        ctx(county),
      ),
    );
  });

  it('lets each line’s receiver acknowledge it: the school the platform, the township its own, the bureau its own', () => {
    const ack = (line: 'PROVINCE_PLATFORM' | 'TOWNSHIP' | 'COUNTY_BUREAU', actor: Actor) =>
      applyAction(FIXTURES.SUSPECTED, { type: 'ACKNOWLEDGE_REPORT', line, date: '2025-09-16' }, ctx(actor));
    expect(ack('PROVINCE_PLATFORM', school).ok).toBe(true);
    expectRefused(ack('TOWNSHIP', school), 'ROLE_NOT_ALLOWED');
    expect(ack('TOWNSHIP', township).ok).toBe(true);
    expectRefused(ack('COUNTY_BUREAU', township), 'ROLE_NOT_ALLOWED');
    expect(ack('COUNTY_BUREAU', county).ok).toBe(true);
  });

  it('checks the role before the state, so a partner learns nothing about the case', () => {
    expectRefused(applyAction(FIXTURES.CLOSED, { type: 'CONFIRM' }, ctx(partner)), 'ROLE_NOT_ALLOWED');
  });
});

// ── records ──────────────────────────────────────────────────────────────────────────────────────────

describe('what every change records', () => {
  it('never changes the case it was given', () => {
    for (const state of STATES) {
      const frozen = deepFreeze(structuredClone(FIXTURES[state]));
      const copy = structuredClone(frozen);
      for (const type of CASE_ACTION_TYPES) {
        applyAction(frozen, sample(type, state), ctx(actorFor(type)));
      }
      expect(frozen).toEqual(copy);
    }
  });

  it('adds one history entry with who, when, what and the validated payload', () => {
    const action: CaseAction = {
      type: 'LOG_HOME_VISIT',
      date: '2025-09-22',
      visitors: ['  孙老师  '],
      outcome: '家长同意下周送孩子返校',
    };
    const result = expectOk(applyAction(FIXTURES.VERIFYING, action, { ...ctx(school), by: 'teacher-42' }));
    expect(result.record.history.at(-1)).toEqual({
      version: FIXTURES.VERIFYING.version + 1,
      at: `${TODAY}T02:00:00.000Z`,
      actor: school,
      by: 'teacher-42',
      action: 'LOG_HOME_VISIT',
      details: { date: '2025-09-22', visitors: ['孙老师'], outcome: '家长同意下周送孩子返校' },
    });
  });

  it('records from and to only when the state changes', () => {
    const moved = expectOk(
      applyAction(FIXTURES.VERIFYING, { type: 'CONFIRM', note: '多次联系未返校' }, ctx(school)),
    );
    expect(moved.record.history.at(-1)).toMatchObject({
      action: 'CONFIRM',
      from: 'VERIFYING',
      to: 'CONFIRMED',
      details: { note: '多次联系未返校' },
    });
    const logged = expectOk(applyAction(FIXTURES.PERSUADING, sample('LOG_TALK', 'PERSUADING'), ctx(school)));
    expect(logged.record.history.at(-1)).not.toHaveProperty('from');
    expect(logged.record.history.at(-1)).not.toHaveProperty('to');
    expect(logged.effects).toEqual([]);
  });

  it('keeps persuasion actions in date order', () => {
    const record = run(
      FIXTURES.PERSUADING,
      { type: 'LOG_TALK', date: '2025-09-30', visitors: ['孙老师'], outcome: '电话沟通' },
      { type: 'LOG_HOME_VISIT', date: '2025-09-25', visitors: ['孙老师'], outcome: '入户' },
    );
    expect(record.persuasionActions).toEqual(['2025-09-20', '2025-09-25', '2025-09-30']);
  });

  it('refuses a date in the future', () => {
    const error = expectRefused(
      applyAction(FIXTURES.PERSUADING, sample('LOG_HOME_VISIT', 'PERSUADING'), ctx(school, '2026-03-29')),
      'DATE_IN_FUTURE',
    );
    expect(error.zh).toContain('2026-03-30');
  });

  it('refuses a visit dated before the case opened', () => {
    expectRefused(
      applyAction(
        FIXTURES.VERIFYING,
        { type: 'LOG_HOME_VISIT', date: '2025-09-14', visitors: ['孙老师'], outcome: '入户' },
        ctx(school),
      ),
      'DATE_TOO_EARLY',
    );
  });

  it('refuses a malformed action with a bilingual explanation instead of throwing', () => {
    const error = expectRefused(
      applyAction(
        FIXTURES.VERIFYING,
        { type: 'RETURN', school: '123', returnedOn: '2025-13-01' } as CaseAction,
        ctx(),
      ),
      'INVALID_ACTION',
    );
    expect(error.zh).toContain('school：应为 10 位学校标识码');
    expect(error.zh).not.toContain('expected a real date');
    expect(error.en).toContain('returnedOn: expected a real date YYYY-MM-DD');
    expect(error.en).not.toContain('应为');
  });
});

describe('a later comparison that explains the child (比对销号)', () => {
  const resolved = {
    type: 'RESOLVE_BY_DATA',
    signalId: 'e_resolved-1',
    comparisonId: 'cmp-000000000000000000000002',
    previousOutcome: 'NOT_ENROLLED',
    outcome: 'CONSISTENT',
  } as const;
  const fromComparison = (): CaseRecord => ({
    ...opened(),
    source: 'COMPARISON',
    signals: [{ source: 'COMPARISON', receivedOn: OPENED_ON, signalId: 'e_suspected-1', evidence: [] }],
  });

  it('closes a SUSPECTED case raised only by comparisons as NOT_DROPOUT, with the comparison as evidence', () => {
    const result = applyAction(fromComparison(), resolved, ctx(system));
    if (!result.ok) throw new Error(result.error.en);
    expect(result.record.state).toBe('NOT_DROPOUT');
    expect(result.record.closedAs).toBe('NOT_DROPOUT');
    expect(result.effects.map((e) => e.type)).toEqual(['case.state-changed', 'case.closed']);
    expect(result.record.history.at(-1)?.details.explanation).toContain('cmp-000000000000000000000002');
  });

  it('only records the finding on a case raised by attendance or already being worked', () => {
    const byAttendance = applyAction(opened(), resolved, ctx(system));
    expect(byAttendance.ok && byAttendance.record.state).toBe('SUSPECTED');
    expect(byAttendance.ok && byAttendance.record.history.at(-1)?.details.note).toContain('请核实');
    const worked = FIXTURES.VERIFYING;
    const r = applyAction({ ...worked, signals: fromComparison().signals }, resolved, ctx(system));
    expect(r.ok && r.record.state).toBe('VERIFYING');
  });

  it('changes nothing when the same resolution is delivered again', () => {
    const once = applyAction(opened(), resolved, ctx(system));
    if (!once.ok) throw new Error(once.error.en);
    const twice = applyAction(once.record, resolved, ctx(system));
    expect(twice.ok && twice.record).toBe(once.record);
    expect(twice.ok && twice.effects).toEqual([]);
  });

  it('is the system’s to take, not a person’s', () => {
    const r = applyAction(fromComparison(), resolved, ctx(county));
    expect(r.ok).toBe(false);
  });
});

// ── documents ────────────────────────────────────────────────────────────────────────────────────────

describe('attaching a generated document', () => {
  it('adds the document to the case and a history entry naming it, in any state, the state unchanged', () => {
    const before = FIXTURES.CLOSED;
    const { record, effects } = expectOk(
      applyAction(before, attachment('order-to-send-v12', 12), ctx(system)),
    );
    expect(record.state).toBe('CLOSED');
    expect(effects).toEqual([]);
    expect(record.documents).toEqual([
      {
        documentId: 'order-to-send-v12',
        kind: 'DROPOUT_REPORT',
        objectKey: `reports/case-documents/case-${'a'.repeat(32)}-1/order-to-send-v12.pdf`,
        forVersion: 12,
        sha256: 'ab'.repeat(32),
        sizeBytes: 70_457,
        attachedAt: `${TODAY}T02:00:00.000Z`,
      },
    ]);
    expect(record.history.at(-1)).toMatchObject({
      version: before.version + 1,
      actor: system,
      action: 'ATTACH_DOCUMENT',
      details: { documentId: 'order-to-send-v12', forVersion: 12, titleZh: '辍学情况报告单' },
    });
    expect(record.history.at(-1)).not.toHaveProperty('to');
  });

  it('treats the same document id again as a redelivery: same record, same version, no history', () => {
    const once = run(FIXTURES.PERSUADING, attachment('return-notice-v9', 9));
    const again = expectOk(applyAction(once, attachment('return-notice-v9', 9), ctx(system)));
    expect(again.record).toBe(once);
    expect(again.effects).toEqual([]);
    const other = run(once, attachment('dropout-report-v1'));
    expect(other.documents?.map((d) => d.documentId)).toEqual(['return-notice-v9', 'dropout-report-v1']);
  });

  it('refuses a document outside the case documents’ storage', () => {
    const error = expectRefused(
      applyAction(
        FIXTURES.SUSPECTED,
        { ...attachment('dropout-report-v1'), objectKey: 'incoming/upload-1.csv' },
        ctx(system),
      ),
      'INVALID_ACTION',
    );
    expect(error.en).toContain('objectKey');
  });
});

describe('a command composed against an older version', () => {
  it('still fits when only documents were attached since, not when anything else happened', () => {
    const base = FIXTURES.PERSUADING;
    expect(unchangedForPeopleSince(base, base.version)).toBe(true);
    const documented = run(base, attachment('dropout-report-v1'), attachment('return-notice-v9', 9));
    expect(unchangedForPeopleSince(documented, base.version)).toBe(true);
    expect(unchangedForPeopleSince(documented, base.version + 1)).toBe(true);
    const visited = run(documented, {
      type: 'LOG_HOME_VISIT',
      date: '2026-03-02',
      visitors: ['孙老师'],
      outcome: '家长同意返校',
    });
    expect(unchangedForPeopleSince(visited, base.version)).toBe(false);
    expect(unchangedForPeopleSince(visited, visited.version)).toBe(true);
    expect(unchangedForPeopleSince(base, base.version + 1)).toBe(false);
  });
});
