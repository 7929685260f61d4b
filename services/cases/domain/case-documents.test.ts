import { describe, expect, it } from 'vitest';
import type { Actor } from '../../../shared/org';
import { type CaseRules, caseRulesSchema } from '../../../shared/region-settings';
import { DOCUMENT_TITLES_ZH, documentText } from '../documents/notice-texts';
import type { CaseAction } from './actions';
import {
  CASE_DOCUMENT_NAMES_ZH,
  type CaseRecord,
  caseDocumentIdSchema,
  caseDocumentKindSchema,
} from './case';
import {
  callsForUnannouncedDocument,
  documentFileName,
  documentIdFor,
  documentObjectKey,
  documentsCalledFor,
  missingDocuments,
} from './case-documents';
import { applyAction, openCase } from './transitions';

const REGION = '530124';
const CASE_ID = `case-${'b'.repeat(32)}-1`;
const RULES: CaseRules = caseRulesSchema.parse(undefined);
const school: Actor = { role: 'school', org: '2153012401' };
const township: Actor = { role: 'township', org: '530124100' };
const county: Actor = { role: 'county', org: REGION };
const system: Actor = { role: 'ops', org: REGION };
const OPTIONS = { regionName: '富民县' };

/** Applies each action on its day (08:00 China time), failing the test on a refusal. */
function run(record: CaseRecord, ...steps: [CaseAction, Actor, string][]): CaseRecord {
  return runUnder(RULES, record, ...steps);
}

function runUnder(rules: CaseRules, record: CaseRecord, ...steps: [CaseAction, Actor, string][]): CaseRecord {
  let current = record;
  for (const [action, actor, today] of steps) {
    const result = applyAction(current, action, { actor, now: `${today}T00:00:00.000Z`, today, rules });
    if (!result.ok) throw new Error(`${action.type}: ${result.error.en}`);
    current = result.record;
  }
  return current;
}

const CHAIN = {
  TOWNSHIP_HEAD: { name: '王乡长' },
  VILLAGE_HEAD: { name: '赵主任' },
  PRINCIPAL: { name: '钱校长' },
  HEAD_TEACHER: { name: '孙老师', title: '六年级班主任' },
  CONTACT_TEACHER: { name: '周老师' },
  GUARDIAN: { name: '李父' },
};

function opened(chain: CaseRecord['chain'] = {}): CaseRecord {
  return {
    ...openCase({
      caseId: CASE_ID,
      region: REGION,
      child: { childKey: `c_${'b'.repeat(32)}`, maskedId: '5301**********0061' },
      name: '李四',
      school: '2153012401',
      schoolName: '富民县第一小学',
      township: '530124100',
      signal: {
        source: 'ATTENDANCE',
        receivedOn: '2026-03-04',
        signalId: 'e_sig-1',
        streak: { days: 3, firstAbsent: '2026-03-02', lastAbsent: '2026-03-04' },
        evidence: [],
      },
      priority: false,
      actor: system,
      now: '2026-03-04T07:00:00.000Z',
      today: '2026-03-04',
      rules: RULES,
    }),
    chain,
  };
}

/** The case of test/local/cases.test.ts, taken on to a 催告书. */
function throughTheLegalTrack(orderedBy: Actor = county): CaseRecord {
  return run(
    opened(CHAIN),
    [{ type: 'START_VERIFYING' }, school, '2026-03-05'],
    [{ type: 'CONFIRM' }, school, '2026-03-05'],
    [{ type: 'START_PERSUADING' }, school, '2026-03-06'],
    [
      { type: 'LOG_HOME_VISIT', date: '2026-03-09', visitors: ['周老师'], outcome: '拒绝送学' },
      school,
      '2026-03-09',
    ],
    [
      { type: 'FOUR_STEP', step: 'EDUCATION', date: '2026-03-10', documentRef: '富教宣〔2026〕3号' },
      county,
      '2026-03-10',
    ],
    [
      {
        type: 'FOUR_STEP',
        step: 'ORDER_TO_CORRECT',
        date: '2026-03-12',
        documentRef: '富政责〔2026〕7号',
        deadline: '2026-03-26',
      },
      orderedBy,
      '2026-03-12',
    ],
    [
      {
        type: 'FOUR_STEP',
        step: 'PENALTY',
        date: '2026-03-30',
        documentRef: '富政罚〔2026〕2号',
        deadline: '2026-04-10',
      },
      county,
      '2026-03-30',
    ],
    [
      {
        type: 'PENALTY_REMINDER',
        date: '2026-04-13',
        documentRef: '富政催〔2026〕1号',
        deadline: '2026-04-23',
      },
      county,
      '2026-04-13',
    ],
  );
}

describe('the documents a case calls for', () => {
  it('names the same four kinds, with the same titles, as the renderer', () => {
    expect(CASE_DOCUMENT_NAMES_ZH).toEqual(DOCUMENT_TITLES_ZH);
  });

  it('calls for the 辍学情况报告单 when the case opens, one form for the township and one for the bureau', () => {
    const [report, ...rest] = documentsCalledFor(opened(), OPTIONS);
    expect(rest).toEqual([]);
    expect(report).toMatchObject({
      documentId: 'dropout-report-v1',
      kind: 'DROPOUT_REPORT',
      forVersion: 1,
      titleZh: '辍学情况报告单',
    });
    expect(report!.parts.map((p) => p.report?.recipient)).toEqual(['乡（镇）人民政府', '县教育体育局']);
    for (const part of report!.parts) {
      expect(part).toMatchObject({ issuer: '富民县第一小学', issuedOn: '2026-03-04', childName: '李四' });
      expect(documentText('DROPOUT_REPORT', part).table).toContainEqual(['当前状态', '疑似辍学']);
    }
  });

  it('states the case in the report as it was when it opened, not as it is now', () => {
    const later = documentsCalledFor(throughTheLegalTrack(), OPTIONS)[0]!;
    expect(later.parts[0]!.report?.state).toBe('疑似辍学');
    // The responsible people named since are on it.
    expect(later.parts[0]!.report?.chain.map((p) => p.name)).toContain('孙老师');
  });

  it('calls for each document of the legal track on the change that needs it', () => {
    const record = throughTheLegalTrack();
    const calls = documentsCalledFor(record, OPTIONS);
    const version = (action: string, step?: string) =>
      record.history.find((h) => h.action === action && (step === undefined || h.details.step === step))!
        .version;
    expect(calls.map((c) => c.documentId)).toEqual([
      'dropout-report-v1',
      `return-notice-v${version('START_PERSUADING')}`,
      `order-to-send-v${version('FOUR_STEP', 'ORDER_TO_CORRECT')}`,
      `enforcement-reminder-v${version('PENALTY_REMINDER')}`,
    ]);
    for (const call of calls) {
      expect(caseDocumentIdSchema.safeParse(call.documentId).success).toBe(true);
      expect(call.parts.length).toBeGreaterThan(0);
      // Every form has what its template needs.
      for (const part of call.parts) expect(() => documentText(call.kind, part)).not.toThrow();
    }
  });

  it('gives the 限期返校通知书 five working days from the day persuasion started', () => {
    const notice = documentsCalledFor(throughTheLegalTrack(), OPTIONS).find(
      (c) => c.kind === 'RETURN_NOTICE',
    )!;
    // Friday 6 March 2026 + 5 working days = Friday 13 March.
    expect(notice.parts[0]).toMatchObject({
      issuer: '富民县第一小学',
      issuedOn: '2026-03-06',
      deadline: '2026-03-13',
      guardianName: '李父',
    });
  });

  it('fills the 责令通知书 with the step’s number and deadline, issued by who took the step', () => {
    const byCounty = documentsCalledFor(throughTheLegalTrack(), OPTIONS).find(
      (c) => c.kind === 'ORDER_TO_SEND',
    )!;
    expect(byCounty.parts[0]).toMatchObject({
      issuer: '富民县教育体育局',
      issuedOn: '2026-03-12',
      documentRef: '富政责〔2026〕7号',
      deadline: '2026-03-26',
    });
    const byTownship = documentsCalledFor(throughTheLegalTrack(township), OPTIONS).find(
      (c) => c.kind === 'ORDER_TO_SEND',
    )!;
    expect(byTownship.parts[0]!.issuer).toBe('富民县乡（镇）人民政府（530124100）');
  });

  it('fills the 催告书 with the reminder and the penalty decision it enforces', () => {
    const reminder = documentsCalledFor(throughTheLegalTrack(), OPTIONS).find(
      (c) => c.kind === 'ENFORCEMENT_REMINDER',
    )!;
    expect(reminder.parts[0]).toMatchObject({
      issuedOn: '2026-04-13',
      documentRef: '富政催〔2026〕1号',
      deadline: '2026-04-23',
      decision: { documentRef: '富政罚〔2026〕2号', date: '2026-03-30' },
    });
  });

  it('calls for one 催告书 per reminder, each with its own number', () => {
    const twice = run(throughTheLegalTrack(), [
      {
        type: 'PENALTY_REMINDER',
        date: '2026-04-27',
        documentRef: '富政催〔2026〕4号',
        deadline: '2026-05-08',
      },
      county,
      '2026-04-27',
    ]);
    const reminders = documentsCalledFor(twice, OPTIONS).filter((c) => c.kind === 'ENFORCEMENT_REMINDER');
    expect(reminders.map((r) => r.parts[0]!.documentRef)).toEqual(['富政催〔2026〕1号', '富政催〔2026〕4号']);
  });

  it('asks for a document directly only when the change that calls for it announces no state change', () => {
    const atPenalty = throughTheLegalTrack();
    const reminded = run(atPenalty, [
      {
        type: 'PENALTY_REMINDER',
        date: '2026-04-27',
        documentRef: '富政催〔2026〕4号',
        deadline: '2026-05-08',
      },
      county,
      '2026-04-27',
    ]);
    expect(callsForUnannouncedDocument(atPenalty, reminded)).toBe(true);
    // START_PERSUADING calls for a notice, but case.state-changed announces it.
    const confirmed = run(
      opened(CHAIN),
      [{ type: 'START_VERIFYING' }, school, '2026-03-05'],
      [{ type: 'CONFIRM' }, school, '2026-03-05'],
    );
    const persuading = run(confirmed, [{ type: 'START_PERSUADING' }, school, '2026-03-06']);
    expect(callsForUnannouncedDocument(confirmed, persuading)).toBe(false);
    // A visit calls for nothing.
    const visited = run(persuading, [
      { type: 'LOG_HOME_VISIT', date: '2026-03-09', visitors: ['周老师'], outcome: '拒绝送学' },
      school,
      '2026-03-09',
    ]);
    expect(callsForUnannouncedDocument(persuading, visited)).toBe(false);
  });

  it('leaves a blank for the guardian’s name when the region’s chain does not ask for one', () => {
    const { GUARDIAN: _guardian, ...noGuardian } = CHAIN;
    const rules = { ...RULES, chain: RULES.chain.filter((p) => p !== 'GUARDIAN') };
    const record = runUnder(
      rules,
      opened(noGuardian),
      [{ type: 'START_VERIFYING' }, school, '2026-03-05'],
      [{ type: 'CONFIRM' }, school, '2026-03-05'],
      [{ type: 'START_PERSUADING' }, school, '2026-03-06'],
    );
    const notice = documentsCalledFor(record, OPTIONS).find((c) => c.kind === 'RETURN_NOTICE')!;
    expect(notice.parts[0]!.guardianName).toMatch(/^＿+$/);
    expect(() => documentText('RETURN_NOTICE', notice.parts[0]!)).not.toThrow();
  });

  it('is the same every time it is computed, and only what is not attached yet is missing', () => {
    const record = throughTheLegalTrack();
    const calls = documentsCalledFor(record, OPTIONS);
    expect(documentsCalledFor(record, OPTIONS)).toEqual(calls);
    const report = calls[0]!;
    const attached = applyAction(
      record,
      {
        type: 'ATTACH_DOCUMENT',
        documentId: report.documentId,
        kind: report.kind,
        objectKey: documentObjectKey(CASE_ID, report.documentId),
        forVersion: report.forVersion,
        sha256: '0'.repeat(64),
        sizeBytes: 1000,
      },
      { actor: system, now: '2026-04-13T01:00:00.000Z', today: '2026-04-13', rules: RULES },
    );
    if (!attached.ok) throw new Error(attached.error.en);
    expect(missingDocuments(record, calls)).toHaveLength(4);
    expect(missingDocuments(attached.record, calls).map((c) => c.kind)).toEqual([
      'RETURN_NOTICE',
      'ORDER_TO_SEND',
      'ENFORCEMENT_REMINDER',
    ]);
    // Attaching a document calls for none.
    expect(documentsCalledFor(attached.record, OPTIONS)).toEqual(calls);
  });

  it('keeps each case’s documents in its own folder, under names without child data', () => {
    expect(documentIdFor('ORDER_TO_SEND', 12)).toBe('order-to-send-v12');
    expect(documentObjectKey(CASE_ID, 'order-to-send-v12')).toBe(
      `reports/case-documents/${CASE_ID}/order-to-send-v12.pdf`,
    );
    const name = documentFileName(CASE_ID, { documentId: 'order-to-send-v12', kind: 'ORDER_TO_SEND' });
    expect(name).toBe(`责令送被监护人接受义务教育通知书-${CASE_ID}-order-to-send-v12.pdf`);
    expect(name).not.toContain('李四');
    for (const kind of caseDocumentKindSchema.options) {
      expect(caseDocumentIdSchema.safeParse(documentIdFor(kind, 999_999)).success).toBe(true);
    }
  });
});
