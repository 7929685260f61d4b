import { describe, expect, it } from 'vitest';
import { SAMPLE_CHAIN } from '../fixtures/chain';
import { eventually, recorded, useLocalCloud } from '../local-cloud';
import { addEventRecorder } from './subscriber';
import { callApi } from './uploads';

const local = useLocalCloud({
  now: '2026-10-15T10:00:00+08:00',
  extend: (stack) =>
    addEventRecorder(
      stack,
      'ReportSubscriber',
      { source: ['kcbx.cases'], detailType: ['case.opened', 'case.state-changed'] },
      'report-events',
    ),
});

const REGION = '530124';
const SCHOOL_A = '2153012401';
const SCHOOL_B = '2153012404';
const TOWNSHIP_B = '530124101';
// X is school B's pupil with an open case; nobody has a case for Y.
const [X, Y] = ['530124201407230061', '530124201601010070'];

interface Receipt {
  outcome: string;
  reportId: string;
  href: string;
}

interface HistoryEntry {
  version: number;
  action: string;
  by?: string;
  from?: string;
  to?: string;
  details: Record<string, unknown>;
}

interface CaseView {
  caseId: string;
  version: number;
  state: string;
  openedOn: string;
  signals: { signalId: string; source: string; note?: string }[];
  history: HistoryEntry[];
}

/** What a person did to a case: its history without the documents the system attaches meanwhile. */
const people = (history: HistoryEntry[]) => history.filter((h) => h.action !== 'ATTACH_DOCUMENT');
const notes = (view: CaseView) => view.history.filter((h) => h.action === 'NOTE_OUTSIDE_REPORT');
/** The answer with its report id blanked: what must not differ between two reports. */
const shapeOf = (res: { status: number; body: Receipt }) => ({
  status: res.status,
  body: JSON.parse(JSON.stringify(res.body).replaceAll(res.body.reportId, '<reportId>')),
});

describe('a manual report about a child whose open case belongs to another organisation', () => {
  it('answers as for a child without a case, leaves the case as it is and notes the report on it', async () => {
    const { cloud } = local();
    const schoolA = await cloud.token({ role: 'school', org: SCHOOL_A });
    const schoolB = await cloud.token({ role: 'school', org: SCHOOL_B });
    const township = await cloud.token({ role: 'township', org: TOWNSHIP_B });
    const county = await cloud.token({ role: 'county', org: REGION });
    const report = (token: string, body: Record<string, unknown>) =>
      callApi<Receipt>(cloud, 'POST', '/cases', token, body);
    const view = async (token: string, caseId: string) =>
      (await callApi<CaseView>(cloud, 'GET', `/cases/${caseId}`, token)).body;

    // School B reports its pupil X; the receipt leads B to the case its report opened.
    const fromB = await report(schoolB, {
      idNumber: X,
      name: '李四',
      township: TOWNSHIP_B,
      note: '连续三天未到校，电话联系不上家长',
    });
    expect(fromB.status).toBe(202);
    const mine = await callApi<{ total: number; cases: CaseView[] }>(cloud, 'GET', fromB.body.href, schoolB);
    expect(mine.body.total).toBe(1);
    const caseId = mine.body.cases[0]!.caseId;

    // B works the case until X is back at school and in 巩固 follow-up.
    const act = async (action: Record<string, unknown>) => {
      const current = await view(schoolB, caseId);
      const res = await callApi<CaseView>(cloud, 'POST', `/cases/${caseId}/actions`, schoolB, {
        expectedVersion: current.version,
        action,
      });
      if (res.status !== 200) throw new Error(`${action.type}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    await act({
      type: 'ASSIGN_RESPONSIBLE',
      chain: SAMPLE_CHAIN,
    });
    await act({ type: 'START_VERIFYING' });
    const returned = await act({
      type: 'RETURN',
      school: SCHOOL_B,
      returnedOn: mine.body.cases[0]!.openedOn,
    });
    expect(returned.state).toBe('RETURNED');
    await cloud.eventsIdle();
    const before = await view(schoolB, caseId);

    // School A reports X, whose case is B's, and Y, who has no case: the two answers are the same.
    const note = '家长来校反映孩子又不去上学了';
    const aboutX = await report(schoolA, { idNumber: X, note, causeCategory: 'WEARINESS' });
    const aboutY = await report(schoolA, { idNumber: Y, note, causeCategory: 'WEARINESS' });
    expect(aboutX.status).toBe(202);
    expect(shapeOf(aboutX)).toEqual(shapeOf(aboutY));
    expect(aboutX.body).toEqual({
      outcome: 'received',
      reportId: expect.stringMatching(/^report-[0-9a-f]{32}$/),
      href: `/cases?report=${aboutX.body.reportId}`,
    });
    expect(aboutX.body.reportId).not.toBe(aboutY.body.reportId);

    // B's case is where it was: same state and signals, one note more, and still not A's to see.
    const after = await view(schoolB, caseId);
    expect(after.state).toBe('RETURNED');
    expect(after.signals).toEqual(before.signals);
    expect(people(after.history).slice(0, -1)).toEqual(people(before.history));
    expect((await callApi(cloud, 'GET', `/cases/${caseId}`, schoolA)).status).toBe(404);
    const followed = await callApi<{ total: number }>(cloud, 'GET', aboutX.body.href, schoolA);
    expect(followed.body.total).toBe(0);
    // Y's report opened a case of A's own, which A follows the same way.
    const opened = await callApi<{ total: number; cases: CaseView[] }>(
      cloud,
      'GET',
      aboutY.body.href,
      schoolA,
    );
    expect(opened.body.total).toBe(1);
    expect(opened.body.cases[0]!.state).toBe('SUSPECTED');

    // The people working B's case read who reported, when and what: the school, its township, the county.
    for (const token of [schoolB, township, county]) {
      const seen = await view(token, caseId);
      expect(notes(seen)).toEqual([
        expect.objectContaining({
          action: 'NOTE_OUTSIDE_REPORT',
          by: `dev-school-${SCHOOL_A}`,
          details: expect.objectContaining({
            reportId: aboutX.body.reportId,
            reportedBy: { role: 'school', org: SCHOOL_A },
            receivedOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
            note,
            causeCategory: 'WEARINESS',
          }),
        }),
      ]);
      expect(notes(seen)[0]).not.toHaveProperty('to');
    }

    // A retry of each report answers the same and adds nothing: no second note, no second case or signal.
    const retriedX = await report(schoolA, { idNumber: X, note, causeCategory: 'WEARINESS' });
    const retriedY = await report(schoolA, { idNumber: Y, note, causeCategory: 'WEARINESS' });
    expect(retriedX).toEqual(aboutX);
    expect(retriedY).toEqual(aboutY);
    const afterRetry = await view(county, caseId);
    expect(notes(afterRetry)).toHaveLength(1);
    expect(people(afterRetry.history)).toEqual(people(after.history));
    const stillOne = await callApi<{ total: number; cases: CaseView[] }>(
      cloud,
      'GET',
      aboutY.body.href,
      schoolA,
    );
    expect(stillOne.body.total).toBe(1);
    expect((await view(schoolA, stillOne.body.cases[0]!.caseId)).signals).toHaveLength(1);

    // B reporting its own pupil absent again during follow-up is answered the same way, and B's report
    // does what it always did: the case is CONFIRMED again, with B's report as its signal.
    const again = await report(schoolB, { idNumber: X, note: '复学后又连续三天未到校' });
    expect(shapeOf(again)).toEqual(shapeOf(aboutX));
    const relapsed = await view(schoolB, caseId);
    expect(relapsed.state).toBe('CONFIRMED');
    expect(relapsed.signals.map((s) => s.signalId)).toEqual([fromB.body.reportId, again.body.reportId]);
    expect(people(relapsed.history).at(-1)).toMatchObject({
      action: 'ADD_SIGNAL',
      from: 'RETURNED',
      to: 'CONFIRMED',
      details: { reportedBy: { role: 'school', org: SCHOOL_B } },
    });

    // A's own open case takes A's next report about Y as a signal, as before.
    const more = await report(schoolA, { idNumber: Y, note: '班主任家访未见到学生' });
    expect(shapeOf(more)).toEqual(shapeOf(aboutY));
    const ownCase = await view(schoolA, opened.body.cases[0]!.caseId);
    expect(ownCase.signals.map((s) => s.note)).toEqual([note, '班主任家访未见到学生']);

    // Subscribers heard of no change from A's report: B's case moved only by B's own work and report.
    await cloud.eventsIdle();
    const changes = await eventually(async () => {
      const all = (await recorded(cloud, 'report-events'))
        .map(
          (b) =>
            JSON.parse(b) as {
              'detail-type': string;
              detail: { caseId: string; version: number; from: string; to: string };
            },
        )
        .filter((e) => e['detail-type'] === 'case.state-changed' && e.detail.caseId === caseId);
      return all.length >= 3 && all;
    });
    expect(
      changes
        .sort((a, b) => a.detail.version - b.detail.version)
        .map((e) => `${e.detail.from}>${e.detail.to}`),
    ).toEqual(['SUSPECTED>VERIFYING', 'VERIFYING>RETURNED', 'RETURNED>CONFIRMED']);
  }, 120_000);
});
