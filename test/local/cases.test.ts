import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { SAMPLE_CHAIN } from '../fixtures/chain';
import { eventually, recorded, useLocalCloud } from '../local-cloud';
import { onlyCase, reportAbsences } from './case-steps';
import { addEventRecorder } from './subscriber';
import { callApi } from './uploads';

// 东川's rule (3 working days), not the local 富民 default of 4. The case runs from March to its
// closing in the autumn: the actions are recorded on 2026-11-20, and the statistics of November see it closed.
const local = useLocalCloud({
  now: '2026-11-20T10:00:00+08:00',
  settings: { absenceThreshold: 3 },
  extend: (stack) =>
    addEventRecorder(
      stack,
      'CaseSubscriber',
      {
        source: ['kcbx.cases', 'kcbx.comparison'],
        detailType: [
          'case.opened',
          'case.state-changed',
          'case.overdue',
          'case.closed',
          'student.returned',
          'dropout.suspected',
        ],
      },
      'case-events',
    ),
});

const SCHOOL = '2153012401';
const REGION = '530124';
// A is at school every day; B misses three working days; C is reported by hand twice at once.
const [A, B, C] = ['530124201503120057', '530124201407230061', '530124201601010070'];

interface CaseView {
  caseId: string;
  version: number;
  state: string;
  source: string;
  openedOn: string;
  maskedId: string;
  idNumber?: string;
  name?: string;
  overdue: boolean;
  history: { version: number; action: string; from?: string; to?: string }[];
  overdueItems?: unknown;
}

const events = async () =>
  (await recorded(local().cloud, 'case-events')).map(
    (b) => JSON.parse(b) as { 'detail-type': string; detail: any },
  );

describe('cases on the local cloud', () => {
  it('runs a child from a 3-day absence to RETAINED, with the events a subscriber sees', async () => {
    const { cloud, logs } = local();
    const school = await cloud.token({ role: 'school', org: SCHOOL });
    const county = await cloud.token({ role: 'county', org: REGION });
    const otherSchool = await cloud.token({ role: 'school', org: '2153012402' });

    // Monday to Wednesday: B absent without leave.
    const check = await reportAbsences(cloud, {
      school,
      county,
      schoolCode: SCHOOL,
      children: [
        { name: '张三', idNumber: A, grade: '五年级', status: 'PRESENT' },
        { name: '李四', idNumber: B, grade: '六年级', status: 'ABSENT_UNEXCUSED' },
      ],
      dates: ['2026-03-02', '2026-03-03', '2026-03-04'],
    });
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ newSignals: 1, missingSchools: [] });

    const opened = await onlyCase<CaseView>(cloud, school);
    expect(opened).toMatchObject({
      state: 'SUSPECTED',
      source: 'ATTENDANCE',
      openedOn: '2026-03-04',
      maskedId: '5301**********0061',
      idNumber: B,
      name: '李四',
    });
    const id = opened.caseId;

    // The rule run again the same day signals nothing new; another school does not see the case.
    const again = await callApi<{ newSignals: number }>(cloud, 'POST', '/checks/attendance', county, {
      asOf: '2026-03-04',
    });
    expect(again.body.newSignals).toBe(0);
    expect((await callApi(cloud, 'GET', `/cases/${id}`, otherSchool)).status).toBe(404);

    // 三线报告 was due by the end of Thursday: Friday's sweep raises it, a second sweep does not.
    const sweep = await callApi<{ overdueEvents: number }>(cloud, 'POST', '/checks/deadlines', county, {
      asOf: '2026-03-06',
    });
    expect(sweep.body.overdueEvents).toBe(3);
    const sweep2 = await callApi<{ overdueEvents: number }>(cloud, 'POST', '/checks/deadlines', county, {
      asOf: '2026-03-06',
    });
    expect(sweep2.body.overdueEvents).toBe(0);

    const act = async (token: string, action: Record<string, unknown>) => {
      const current = await callApi<CaseView>(cloud, 'GET', `/cases/${id}`, token);
      const res = await callApi<CaseView & { error?: { code: string; zh: string } }>(
        cloud,
        'POST',
        `/cases/${id}/actions`,
        token,
        { expectedVersion: current.body.version, action },
      );
      if (res.status !== 200) throw new Error(`${action.type}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };

    for (const line of ['PROVINCE_PLATFORM', 'TOWNSHIP', 'COUNTY_BUREAU'])
      await act(county, { type: 'ACKNOWLEDGE_REPORT', line, date: '2026-03-06' });
    await act(school, {
      type: 'ASSIGN_RESPONSIBLE',
      chain: SAMPLE_CHAIN,
    });
    await act(school, { type: 'START_VERIFYING' });
    await act(school, { type: 'CONFIRM', note: '家访核实：在家务农，未到校' });
    await act(school, {
      type: 'LOG_HOME_VISIT',
      date: '2026-03-06',
      visitors: ['孙老师', '赵主任'],
      outcome: '监护人同意下周返校',
    });
    await act(school, { type: 'START_PERSUADING' });
    await act(school, {
      type: 'LOG_HOME_VISIT',
      date: '2026-03-09',
      visitors: ['周老师'],
      outcome: '监护人改口，拒绝送学',
    });
    await act(county, {
      type: 'FOUR_STEP',
      step: 'EDUCATION',
      date: '2026-03-10',
      documentRef: '富教宣〔2026〕3号',
    });
    const ordered = await act(county, {
      type: 'FOUR_STEP',
      step: 'ORDER_TO_CORRECT',
      date: '2026-03-12',
      documentRef: '富政责〔2026〕7号',
      deadline: '2026-03-26',
    });
    expect(ordered.state).toBe('ORDER_TO_CORRECT');

    // A stale version is refused and changes nothing.
    const stale = await callApi<{ error: { code: string } }>(cloud, 'POST', `/cases/${id}/actions`, school, {
      expectedVersion: 1,
      action: { type: 'START_PERSUADING' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('STALE_VERSION');

    await act(school, { type: 'RETURN', school: SCHOOL, returnedOn: '2026-03-20' });
    for (const date of ['2026-03-27', '2026-04-15', '2026-05-15', '2026-06-15', '2026-07-15', '2026-08-05'])
      await act(school, {
        type: 'LOG_FOLLOW_UP',
        date,
        items: ['TEXTBOOKS', 'HOMEWORK', 'TUTORING', 'TESTS'],
      });
    const retained = await act(school, { type: 'RETAIN' });
    expect(retained.state).toBe('RETAINED');
    const closed = await act(school, { type: 'CLOSE', note: '巩固期满，在校就读' });
    expect(closed.state).toBe('CLOSED');
    expect(closed.history.map((h) => h.to).filter(Boolean)).toEqual([
      'SUSPECTED',
      'VERIFYING',
      'CONFIRMED',
      'PERSUADING',
      'EDUCATION',
      'ORDER_TO_CORRECT',
      'RETURNED',
      'RETAINED',
      'CLOSED',
    ]);

    await cloud.eventsIdle();
    const seen = await eventually(async () => {
      const all = (await events()).filter(
        (e) => e.detail.caseId === id || e['detail-type'] === 'dropout.suspected',
      );
      return all.some((e) => e['detail-type'] === 'case.closed') && all;
    });
    const count = (type: string) => seen.filter((e) => e['detail-type'] === type).length;
    expect(count('dropout.suspected')).toBe(1);
    expect(count('case.opened')).toBe(1);
    expect(count('case.overdue')).toBe(3);
    expect(count('student.returned')).toBe(1);
    expect(count('case.closed')).toBe(1);
    expect(
      seen
        .filter((e) => e['detail-type'] === 'case.state-changed')
        .sort((a, b) => a.detail.version - b.detail.version)
        .map((e) => `${e.detail.from}>${e.detail.to}`),
    ).toEqual([
      'SUSPECTED>VERIFYING',
      'VERIFYING>CONFIRMED',
      'CONFIRMED>PERSUADING',
      'PERSUADING>EDUCATION',
      'EDUCATION>ORDER_TO_CORRECT',
      'ORDER_TO_CORRECT>RETURNED',
      'RETURNED>RETAINED',
      'RETAINED>CLOSED',
    ]);
    // Each event once (ids unique), none with the raw ID number or the name.
    expect(new Set(seen.map((e) => e.detail.eventId)).size).toBe(seen.length);
    const wire = JSON.stringify(seen);
    expect(wire).not.toContain(B);
    expect(wire).not.toContain('李四');
    expect(logs.join('\n')).not.toContain(B);

    // The ledgers: closed with its evidence, the row has left the open ledgers (动态销号).
    const ledgers = await callApi<{
      suspected: unknown[];
      dropouts: unknown[];
      cleared: {
        suspected: { caseId: string; exit?: { closedAs?: string } }[];
        dropouts: { caseId: string }[];
      };
    }>(cloud, 'GET', '/ledgers', county);
    expect(ledgers.status).toBe(200);
    expect(ledgers.body.suspected).toEqual([]);
    expect(ledgers.body.dropouts).toEqual([]);
    expect(ledgers.body.cleared.dropouts.map((r) => r.caseId)).toContain(id);

    const exported = await callApi<{ url: string; cases: number }>(cloud, 'GET', '/ledgers/export', school);
    expect(exported.status).toBe(200);
    expect(exported.body.cases).toBe(1);
    const xlsx = Buffer.from(await (await fetch(exported.body.url)).arrayBuffer());
    expect(xlsx.subarray(0, 2).toString()).toBe('PK');

    const stats = await callApi<{ county: { openNow: number }; schools: { school: string }[] }>(
      cloud,
      'GET',
      '/stats?period=2026-11',
      county,
    );
    expect(stats.status).toBe(200);
    expect(stats.body.county.openNow).toBe(0);
    expect((await callApi(cloud, 'GET', '/stats?period=spring', county)).status).toBe(400);

    // The sweep on 1 November freezes October's school snapshot once.
    const monthEnd = await callApi<{ snapshots: number }>(cloud, 'POST', '/checks/deadlines', county, {
      asOf: '2026-11-01',
    });
    expect(monthEnd.body.snapshots).toBeGreaterThan(0);
    const rerun = await callApi<{ snapshots: number }>(cloud, 'POST', '/checks/deadlines', county, {
      asOf: '2026-11-01',
    });
    expect(rerun.body.snapshots).toBe(0);
    const frozen = await callApi<{ verified: boolean; counts: object }>(
      cloud,
      'GET',
      `/ledgers/snapshots?level=school&periodEnd=2026-10-31`,
      school,
    );
    expect(frozen.status).toBe(200);
    expect(frozen.body.verified).toBe(true);

    // Every read of the case left a trace: who, which organisation, whether full IDs were shown.
    const audit = cloud.model.tables.find((t) => t.logicalId.startsWith('DataAudit'))!;
    const trail = await cloud.clients.dynamodb.send(
      new QueryCommand({
        TableName: audit.name,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `RECORD#${id}` } },
      }),
    );
    expect(trail.Items?.length).toBeGreaterThan(10);
    expect(trail.Items?.[0]).toMatchObject({ action: { S: 'READ' }, fullIds: { BOOL: true } });
  });

  it('opens one case when two reports for the same child race', async () => {
    const { cloud } = local();
    const school = await cloud.token({ role: 'school', org: SCHOOL });
    const report = (note: string) =>
      callApi<{ outcome: string; reportId: string; href: string }>(cloud, 'POST', '/cases', school, {
        idNumber: C,
        name: '王五',
        note,
      });
    const [a, b] = await Promise.all([report('家长电话告知孩子外出打工'), report('村委会反映孩子在外打工')]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect([a.body.outcome, b.body.outcome]).toEqual(['received', 'received']);
    const found = await callApi<{ cases: CaseView[] }>(cloud, 'GET', a.body.href, school);
    expect(found.body.cases).toHaveLength(1);
    const caseId = found.body.cases[0]!.caseId;
    // Both reports lead to the same case. Its version may have moved on between the two reads (its
    // 辍学情况报告单 is attached after it opens), so the case is compared by id.
    const viaB = await callApi<{ cases: CaseView[] }>(cloud, 'GET', b.body.href, school);
    expect(viaB.body.cases.map((c) => c.caseId)).toEqual([caseId]);
    const view = await callApi<CaseView & { signals: { signalId: string }[] }>(
      cloud,
      'GET',
      `/cases/${caseId}`,
      school,
    );
    expect(view.body.signals.map((s) => s.signalId).sort()).toEqual(
      [a.body.reportId, b.body.reportId].sort(),
    );
    expect(view.body.state).toBe('SUSPECTED');

    // The same report sent twice at once (a double click) is one report.
    const [c, d] = await Promise.all([
      report('家长电话告知孩子外出打工'),
      report('家长电话告知孩子外出打工'),
    ]);
    expect(c).toEqual(a);
    expect(d).toEqual(a);
    const again = await callApi<{ signals: unknown[] }>(cloud, 'GET', `/cases/${caseId}`, school);
    expect(again.body.signals).toHaveLength(2);
  });

  it('opens exactly one case when many signals for a child race on the table itself', async () => {
    const { cloud } = local();
    const fn = cloud.model.functions.find((f) => f.entry === 'services/cases/handlers/signals.ts')!;
    Object.assign(process.env, cloud.awsEnv, fn.environment);
    const { receiveSignal, flowContextFromEnv } = await import('../../services/cases/adapters/case-flow');
    const { listCases } = await import('../../services/cases/adapters/cases-repo');
    const child = { childKey: `c_${'r'.repeat(32)}`, maskedId: '5301**********0099' };
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        receiveSignal(
          {
            child,
            school: SCHOOL,
            priority: false,
            signal: { source: 'COMPARISON', receivedOn: '2026-03-02', signalId: `race-${i}`, evidence: [] },
          },
          flowContextFromEnv(),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.outcome === 'opened')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'joined')).toHaveLength(7);
    expect(new Set(outcomes.map((o) => o.caseId)).size).toBe(1);
    const cases = (await listCases(REGION)).filter((c) => c.record.child.childKey === child.childKey);
    expect(cases).toHaveLength(1);
    expect(cases[0]!.record.signals.map((s) => s.signalId).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `race-${i}`).sort(),
    );
    // A redelivered signal changes nothing.
    const again = await receiveSignal(
      {
        child,
        priority: false,
        signal: { source: 'COMPARISON', receivedOn: '2026-03-02', signalId: 'race-3', evidence: [] },
      },
      flowContextFromEnv(),
    );
    expect(again.outcome).toBe('duplicate');
    // Only the system's own document for the new case (its 报告单) may have been attached meanwhile.
    const people = (history: { action: string }[]) => history.filter((h) => h.action !== 'ATTACH_DOCUMENT');
    expect(
      people(
        (await listCases(REGION)).find((c) => c.record.child.childKey === child.childKey)!.record.history,
      ),
    ).toEqual(people(cases[0]!.record.history));
  });

  it('sends the events a crash left in a case outbox on the next sweep', async () => {
    const { cloud } = local();
    const fn = cloud.model.functions.find((f) => f.entry === 'services/cases/handlers/signals.ts')!;
    Object.assign(process.env, cloud.awsEnv, fn.environment);
    const { flowContextFromEnv, systemActor } = await import('../../services/cases/adapters/case-flow');
    const { insertCase, caseIdFor, getCase } = await import('../../services/cases/adapters/cases-repo');
    const { openCase } = await import('../../services/cases/domain/transitions');
    const { caseOpenedEvent } = await import('../../services/cases/domain/case-events');
    const ctx = flowContextFromEnv();
    const child = { childKey: `c_${'k'.repeat(32)}`, maskedId: '5301**********0088' };
    const at = new Date().toISOString();
    const record = openCase({
      caseId: caseIdFor(child.childKey, 1),
      region: REGION,
      child,
      school: SCHOOL,
      priority: false,
      signal: { source: 'COMPARISON', receivedOn: '2026-03-02', signalId: 'crash-1', evidence: [] },
      actor: systemActor(REGION),
      now: at,
      today: '2026-03-02',
      rules: ctx.rules,
    });
    // The write happened, the process died before publishing: the event waits in the outbox.
    expect(await insertCase(record, [caseOpenedEvent(record, at)])).toBe(true);
    expect((await getCase(record.caseId))!.pending).toHaveLength(1);

    const county = await cloud.token({ role: 'county', org: REGION });
    await callApi(cloud, 'POST', '/checks/deadlines', county, { asOf: '2026-03-02' });
    await cloud.eventsIdle();
    const opened = await eventually(async () => {
      const found = (await events()).filter(
        (e) => e['detail-type'] === 'case.opened' && e.detail.caseId === record.caseId,
      );
      return found.length > 0 && found;
    });
    expect(opened).toHaveLength(1);
    expect((await getCase(record.caseId))!.pending).toHaveLength(0);
  });
});
