import { createHash } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { SAMPLE_CHAIN } from '../fixtures/chain';
import { eventually, recorded, useLocalCloud } from '../local-cloud';
import { reportAbsences } from './case-steps';
import { addEventRecorder } from './subscriber';
import { callApi } from './uploads';

// The case runs from March to the 催告书 of 2026-04-13; its actions are recorded a week later, and each
// document's date and deadlines count from the day it is issued.
const local = useLocalCloud({
  now: '2026-04-20T10:00:00+08:00',
  settings: { absenceThreshold: 3 },
  extend: (stack) =>
    addEventRecorder(
      stack,
      'CaseChanges',
      { source: ['kcbx.cases'], detailType: ['case.opened', 'case.state-changed'] },
      'case-changes',
    ),
});

const SCHOOL = '2153012401';
const REGION = '530124';
const CHILD = '530124201407230061';

interface DocumentView {
  documentId: string;
  kind: string;
  titleZh: string;
  forVersion: number;
  sizeBytes: number;
  sha256: string;
  href: string;
}

interface CaseView {
  caseId: string;
  version: number;
  state: string;
  documents: DocumentView[];
  history: { version: number; action: string; details: Record<string, unknown> }[];
}

describe('case documents on the local cloud', () => {
  it('generates the 报告单, the 限期返校通知书, the 责令通知书 and the 催告书, each once, and serves them', async () => {
    const { cloud } = local();
    const school = await cloud.token({ role: 'school', org: SCHOOL });
    const county = await cloud.token({ role: 'county', org: REGION });
    const otherSchool = await cloud.token({ role: 'school', org: '2153012402' });

    // The child is on the school's 学籍 roster and misses three working days.
    const check = await reportAbsences(cloud, {
      school,
      county,
      schoolCode: SCHOOL,
      children: [{ name: '李四', idNumber: CHILD, grade: '六年级', status: 'ABSENT_UNEXCUSED' }],
      dates: ['2026-03-02', '2026-03-03', '2026-03-04'],
    });
    expect(check.body.newSignals).toBe(1);

    const view = async (token = school) => {
      const res = await callApi<{ cases: { caseId: string }[] }>(cloud, 'GET', '/cases', token);
      const id = res.body.cases[0]?.caseId;
      return id ? (await callApi<CaseView>(cloud, 'GET', `/cases/${id}`, token)).body : undefined;
    };
    const withDocuments = (n: number) =>
      eventually(async () => {
        const c = await view();
        return c !== undefined && c.documents.length >= n && c;
      });

    // 立案 → the 辍学情况报告单 of the 三线报告.
    const opened = await withDocuments(1);
    const id = opened.caseId;
    expect(opened.documents[0]).toMatchObject({
      documentId: 'dropout-report-v1',
      kind: 'DROPOUT_REPORT',
      titleZh: '辍学情况报告单',
      forVersion: 1,
      href: `/cases/${id}/documents/dropout-report-v1`,
    });

    const act = async (token: string, action: Record<string, unknown>, expectedVersion?: number) => {
      const version =
        expectedVersion ?? (await callApi<CaseView>(cloud, 'GET', `/cases/${id}`, token)).body.version;
      const res = await callApi<CaseView>(cloud, 'POST', `/cases/${id}/actions`, token, {
        expectedVersion: version,
        action,
      });
      if (res.status !== 200) throw new Error(`${action.type}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };

    await act(school, {
      type: 'ASSIGN_RESPONSIBLE',
      chain: SAMPLE_CHAIN,
    });
    await act(school, { type: 'START_VERIFYING' });
    await act(school, { type: 'CONFIRM', note: '家访核实：在家务农，未到校' });
    const persuading = await act(school, { type: 'START_PERSUADING' });

    // 劝返 starts → the 限期返校通知书. A person who loaded the case before it was attached is not stale.
    const noticed = await withDocuments(2);
    expect(noticed.version).toBe(persuading.version + 1);
    const visited = await act(
      school,
      { type: 'LOG_HOME_VISIT', date: '2026-03-09', visitors: ['周老师'], outcome: '监护人拒绝送学' },
      persuading.version,
    );
    expect(visited.version).toBe(persuading.version + 2);

    await act(county, {
      type: 'FOUR_STEP',
      step: 'EDUCATION',
      date: '2026-03-10',
      documentRef: '富教宣〔2026〕3号',
    });
    await act(county, {
      type: 'FOUR_STEP',
      step: 'ORDER_TO_CORRECT',
      date: '2026-03-12',
      documentRef: '富政责〔2026〕7号',
      deadline: '2026-03-26',
    });
    await withDocuments(3);
    await act(county, {
      type: 'FOUR_STEP',
      step: 'PENALTY',
      date: '2026-03-30',
      documentRef: '富政罚〔2026〕2号',
      deadline: '2026-04-10',
    });
    // A 催告书 changes no state, so no event announces it: the command asks for its document itself.
    await act(county, {
      type: 'PENALTY_REMINDER',
      date: '2026-04-13',
      documentRef: '富政催〔2026〕1号',
      deadline: '2026-04-23',
    });
    const complete = await withDocuments(4);

    const versionOf = (action: string, step?: string) =>
      complete.history.find((h) => h.action === action && (step === undefined || h.details.step === step))!
        .version;
    expect(complete.documents.map((d) => [d.documentId, d.titleZh])).toEqual([
      ['dropout-report-v1', '辍学情况报告单'],
      [`return-notice-v${versionOf('START_PERSUADING')}`, '限期返校通知书'],
      [`order-to-send-v${versionOf('FOUR_STEP', 'ORDER_TO_CORRECT')}`, '责令送被监护人接受义务教育通知书'],
      [`enforcement-reminder-v${versionOf('PENALTY_REMINDER')}`, '履行行政决定催告书'],
    ]);
    // Each is in the case's history, by the system, without changing the state.
    const attachments = complete.history.filter((h) => h.action === 'ATTACH_DOCUMENT');
    expect(attachments.map((h) => h.details.documentId)).toEqual(complete.documents.map((d) => d.documentId));
    expect(attachments.map((h) => h.details.titleZh)).toEqual(complete.documents.map((d) => d.titleZh));
    expect(complete.state).toBe('PENALTY');

    // Each downloads as the PDF the case recorded, through a short-lived link.
    for (const document of complete.documents) {
      const link = await callApi<{ url: string; expiresInSeconds: number; titleZh: string }>(
        cloud,
        'GET',
        document.href,
        school,
      );
      expect(link.status).toBe(200);
      expect(link.body).toMatchObject({ expiresInSeconds: 300, titleZh: document.titleZh });
      const pdf = Buffer.from(await (await fetch(link.body.url)).arrayBuffer());
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.length).toBe(document.sizeBytes);
      expect(createHash('sha256').update(pdf).digest('hex')).toBe(document.sha256);
    }
    // Another school's caller learns nothing (404, as for the case itself); an unknown document is 404.
    expect((await callApi(cloud, 'GET', complete.documents[0]!.href, otherSchool)).status).toBe(404);
    expect((await callApi(cloud, 'GET', `/cases/${id}/documents/return-notice-v1`, school)).status).toBe(404);
    // The downloads left their trace.
    const audit = cloud.model.tables.find((t) => t.logicalId.startsWith('DataAudit'))!;
    const trail = await cloud.clients.dynamodb.send(
      new QueryCommand({
        TableName: audit.name,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `RECORD#${id}` } },
      }),
    );
    expect(trail.Items?.filter((i) => i.action?.S === 'EXPORT')).toHaveLength(4);

    // Redelivered events (and a repeated direct request, and the daily sweep) change nothing:
    // nothing is rendered or stored again, nothing is attached twice.
    const bucket = cloud.model.buckets.find((b) => b.logicalId.startsWith('DataRosters'))!.name;
    const stored = async () =>
      (
        await cloud.clients.s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: `reports/case-documents/${id}/` }),
        )
      ).Contents?.map((o) => `${o.Key} ${o.LastModified?.toISOString()} ${o.Size}`).sort();
    const before = await stored();
    expect(before).toHaveLength(4);
    // case.opened and six state changes (SUSPECTED → … → PENALTY).
    await cloud.eventsIdle();
    const changes = await eventually(async () => {
      const all = (await recorded(cloud, 'case-changes'))
        .map((b) => JSON.parse(b) as { 'detail-type': string; source: string; detail: { caseId: string } })
        .filter((e) => e.detail.caseId === id);
      return all.length === 7 && all;
    });
    const checked = () =>
      local().logs.filter((l) => l.includes('case documents checked') && l.includes(id)).length;
    const checksBefore = checked();
    await cloud.putEvents(
      changes.map((e) => ({
        Source: e.source,
        DetailType: e['detail-type'],
        Detail: JSON.stringify(e.detail),
        EventBusName: cloud.model.buses[0]!.name,
      })),
    );
    // The consumer's queue (the one with a dead-letter queue of its own).
    const queue = cloud.model.queues.find((q) => q.logicalId.startsWith('CasesDocumentQueue') && q.redrive)!;
    await cloud.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: JSON.stringify({ caseId: id, version: 1 }),
      }),
    );
    await cloud.eventsIdle();
    await eventually(async () => checked() >= checksBefore + changes.length + 1);
    const sweep = await callApi(cloud, 'POST', '/checks/deadlines', county, { asOf: '2026-03-04' });
    expect(sweep.body).toMatchObject({ changed: 0, documentsRequested: 0 });

    const after = (await callApi<CaseView>(cloud, 'GET', `/cases/${id}`, school)).body;
    expect(after.version).toBe(complete.version);
    expect(after.documents).toEqual(complete.documents);
    expect(await stored()).toEqual(before);
  });
});
