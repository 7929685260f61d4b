import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { eventually, recorded, useLocalCloud } from '../local-cloud';
import { reportAbsences } from './case-steps';
import { addEventRecorder } from './subscriber';
import { callApi } from './uploads';

// 东川's rule (3 working days); the overdue events are recorded so one can be delivered again.
// The case opens in the week of 2026-03-02 and is swept up to Thursday 03-12; the messages are queued on
// Friday 03-13 at 10:00 China time, outside anyone's quiet hours, so "at once" is at once.
const local = useLocalCloud({
  now: '2026-03-13T10:00:00+08:00',
  settings: { absenceThreshold: 3 },
  extend: (stack) =>
    addEventRecorder(
      stack,
      'OverdueRecorder',
      { source: ['kcbx.cases'], detailType: ['case.overdue'] },
      'people-overdue',
    ),
});

const SCHOOL = '2153012405';
const REGION = '530124';
const [A, B] = ['530124201503120057', '530124201407230061'];
const MASKED_B = '5301**********0061';
const PHONE = '13800000001';
const WEBHOOK = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aaa-4bc4-97a0-0ec2f1fa5aaa';

interface OutboxEntry {
  messageId: string;
  status: string;
  kind: string;
  caseId?: string;
  position: string;
  recipientName: string;
  text: string;
  deliverAt?: string;
  via?: string;
}

describe('people are told about a case on the local cloud', () => {
  it('tells the principal, the head teacher and the bureau what is theirs, once each, with no ID number', async () => {
    const { cloud, logs } = local();
    const school = await cloud.token({ role: 'school', org: SCHOOL });
    const county = await cloud.token({ role: 'county', org: REGION });
    const outbox = async () =>
      (await callApi<{ messages: OutboxEntry[] }>(cloud, 'GET', '/outbox?limit=500', county)).body.messages;

    // The school registers its principal (SMS, at once) and a head teacher (WeChat Work, daily digest);
    // the county its bureau head (e-mail).
    const principal = await callApi<{ personId: string; address: string }>(
      cloud,
      'PUT',
      '/contacts',
      school,
      {
        name: '钱校长',
        position: 'PRINCIPAL',
        channel: 'sms',
        address: PHONE,
      },
    );
    expect(principal.status).toBe(200);
    expect(principal.body.address).toBe('138****0001');
    const teacher = await callApi(cloud, 'PUT', '/contacts', school, {
      name: '孙老师',
      position: 'HEAD_TEACHER',
      channel: 'wecom',
      address: WEBHOOK,
      mode: 'digest',
      digestAt: '18:00',
    });
    expect(teacher.status).toBe(200);
    const bureau = await callApi(cloud, 'PUT', '/contacts', county, {
      name: '杨局长',
      position: 'BUREAU_HEAD',
      channel: 'email',
      address: 'yang@jyj.fumin.example.cn',
    });
    expect(bureau.status).toBe(200);
    // A school does not register the township's people.
    const refused = await callApi<{ error: { code: string } }>(cloud, 'PUT', '/contacts', school, {
      name: '王乡长',
      position: 'TOWNSHIP_HEAD',
      channel: 'sms',
      address: '13800000009',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('POSITION_NOT_OF_ORGANISATION');
    expect((await callApi(cloud, 'GET', '/outbox', school)).status).toBe(403);

    // The address is sealed at rest: neither the number nor the webhook is in the stored items.
    const table = cloud.model.tables.find((t) => t.logicalId.startsWith('DataTable'))!;
    const stored = await cloud.clients.dynamodb.send(
      new QueryCommand({
        TableName: table.name,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `CONTACTS#${SCHOOL}` } },
      }),
    );
    expect(stored.Items).toHaveLength(2);
    expect(JSON.stringify(stored.Items)).not.toContain(PHONE);
    expect(JSON.stringify(stored.Items)).not.toContain('693a91f6');

    // B misses Monday to Wednesday: a case opens, and the principal hears of it.
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
    await cloud.eventsIdle();
    const opened = await eventually(async () => {
      const messages = await outbox();
      return messages.find((m) => m.kind === 'NEW_CASE');
    });
    expect(opened).toMatchObject({ position: 'PRINCIPAL', recipientName: '钱校长' });
    const caseId = opened.caseId!;

    // The chain is named: from now on the head teacher hears of what is theirs.
    const current = await callApi<{ version: number }>(cloud, 'GET', `/cases/${caseId}`, school);
    const assigned = await callApi(cloud, 'POST', `/cases/${caseId}/actions`, school, {
      expectedVersion: current.body.version,
      action: {
        type: 'ASSIGN_RESPONSIBLE',
        chain: {
          PRINCIPAL: { name: '钱校长' },
          HEAD_TEACHER: { name: '孙老师' },
          GUARDIAN: { name: '李父' },
        },
      },
    });
    expect(assigned.status).toBe(200);

    // The morning reminders of Wednesday 03-11 (07:00 China time): the first home visit is due that day.
    const reminders = await cloud.invoke('NotificationPeopleDueReminders', {
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-03-10T23:00:00Z',
    });
    expect(reminders).toMatchObject({ today: '2026-03-11', notices: 1, queued: 1 });

    // Friday: the 三线报告 (three lines, three events) is overdue — one message to the principal.
    const friday = await callApi<{ overdueEvents: number }>(cloud, 'POST', '/checks/deadlines', county, {
      asOf: '2026-03-06',
    });
    expect(friday.body.overdueEvents).toBe(3);
    // Thursday after: the report has climbed to the county, the first home visit is the head teacher's.
    const thursday = await callApi<{ overdueEvents: number }>(cloud, 'POST', '/checks/deadlines', county, {
      asOf: '2026-03-12',
    });
    expect(thursday.body.overdueEvents).toBe(4);
    await cloud.eventsIdle();
    const told = await eventually(async () => {
      const messages = (await outbox()).filter((m) => m.caseId === caseId);
      return messages.length >= 5 && messages;
    });
    const summary = told.map((m) => `${m.kind} ${m.position} ${m.recipientName}`).sort();
    expect(summary).toEqual([
      'DUE HEAD_TEACHER 孙老师',
      'ESCALATED BUREAU_HEAD 杨局长',
      'NEW_CASE PRINCIPAL 钱校长',
      'OVERDUE HEAD_TEACHER 孙老师',
      'OVERDUE PRINCIPAL 钱校长',
    ]);
    for (const m of told) {
      expect(m.text).toContain(MASKED_B);
      expect(m.text).toContain(`/cases/${caseId}`);
      expect(m.text).not.toContain(B);
      expect(m.text).not.toContain('李四');
    }
    // The head teacher chose a digest: the message waits for 18:00 China time (10:00 UTC).
    const visit = told.find((m) => m.kind === 'OVERDUE' && m.position === 'HEAD_TEACHER')!;
    expect(visit.deliverAt?.slice(11, 16)).toBe('10:00');
    expect(visit.text).toContain('首次家访');

    // A second sweep raises nothing, and an overdue event delivered again is told no second time.
    const again = await callApi<{ overdueEvents: number }>(cloud, 'POST', '/checks/deadlines', county, {
      asOf: '2026-03-12',
    });
    expect(again.body.overdueEvents).toBe(0);
    const overdueEvent = JSON.parse((await recorded(cloud, 'people-overdue'))[0]!) as {
      'detail-type': string;
      detail: unknown;
    };
    await cloud.putEvents([
      {
        Source: 'kcbx.cases',
        DetailType: overdueEvent['detail-type'],
        Detail: JSON.stringify(overdueEvent.detail),
        EventBusName: cloud.model.buses[0]!.name,
      },
    ]);
    await cloud.eventsIdle();
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await outbox()).filter((m) => m.caseId === caseId)).toHaveLength(5);

    // The digest run at the head teacher's digest time sends what waited (and anything quiet hours held):
    // the head teacher's two messages go as one digest.
    const latest = told
      .map((m) => m.deliverAt!)
      .sort()
      .at(-1)!;
    await cloud.invoke('NotificationPeopleDigest', {
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: latest,
    });
    const everything = await outbox();
    const after = everything.filter((m) => m.caseId === caseId);
    expect(after.filter((m) => m.status === 'QUEUED')).toEqual([]);
    expect(after.filter((m) => m.position === 'HEAD_TEACHER').map((m) => m.status)).toEqual([
      'DIGESTED',
      'DIGESTED',
    ]);
    const digest = everything.find((m) => m.kind === 'DIGEST')!;
    expect(digest).toMatchObject({ recipientName: '孙老师', status: 'SENT', via: 'local' });
    expect(digest.text.split('\n')[0]).toBe('【控辍保学】每日待办汇总（2条）：');
    expect(digest.text).not.toContain(B);

    // Locally every channel prints instead of sending, the address masked.
    const printed = logs.filter((l) => l.includes('[outbox]'));
    expect(printed.some((l) => l.includes('钱校长 via sms 138****0001'))).toBe(true);
    expect(printed.some((l) => l.includes('孙老师 via wecom') && l.includes('首次家访'))).toBe(true);
    expect(printed.some((l) => l.includes('杨局长 via email y***@jyj.fumin.example.cn'))).toBe(true);
    const all = logs.join('\n');
    expect(all).not.toContain(B);
    expect(all).not.toContain(PHONE);
    expect(all).not.toContain('693a91f6');
  }, 240_000);
});
