import { describe, expect, it } from 'vitest';
import {
  buildDigests,
  dedupKeyOf,
  inQuietHours,
  nextDigestTime,
  planNotifications,
  quietHoursEnd,
} from './digest';
import { type Contact, DEFAULT_QUIET_HOURS, type Notice } from './people';

const SCHOOL = '2153012401';
const CASE_ID = `case-${'c'.repeat(32)}-1`;
const BASE = 'https://kcbx.example.cn';
const OPTIONS = { linkBase: BASE };

/** An instant given in China time (UTC+8). */
const china = (local: string) => new Date(`${local}+08:00`);

const principal: Contact = {
  personId: 'p_principal',
  org: SCHOOL,
  position: 'PRINCIPAL',
  name: '钱校长',
  mode: 'immediate',
  digestAt: '17:30',
  quietHours: DEFAULT_QUIET_HOURS,
};
const teacher: Contact = {
  ...principal,
  personId: 'p_teacher',
  position: 'HEAD_TEACHER',
  name: '孙老师',
  mode: 'digest',
  digestAt: '18:00',
};

const overdue = (fields: Partial<Notice> = {}): Notice => ({
  kind: 'OVERDUE',
  caseId: CASE_ID,
  maskedId: '5301**********0061',
  subject: `${CASE_ID}:THREE_LINE_REPORT`,
  level: 0,
  day: '2026-03-06',
  item: 'THREE_LINE_REPORT',
  dueOn: '2026-03-05',
  target: 'PRINCIPAL',
  recipients: [{ position: 'PRINCIPAL', org: SCHOOL, name: '钱校长' }],
  ...fields,
});

describe('quiet hours and digest times (China time)', () => {
  it('holds 22:00 to 07:00, across midnight', () => {
    expect(inQuietHours(china('2026-03-06T21:59:00'), DEFAULT_QUIET_HOURS)).toBe(false);
    expect(inQuietHours(china('2026-03-06T22:00:00'), DEFAULT_QUIET_HOURS)).toBe(true);
    expect(inQuietHours(china('2026-03-07T06:59:00'), DEFAULT_QUIET_HOURS)).toBe(true);
    expect(inQuietHours(china('2026-03-07T07:00:00'), DEFAULT_QUIET_HOURS)).toBe(false);
    expect(inQuietHours(china('2026-03-07T03:00:00'), { start: '00:00', end: '00:00' })).toBe(false);
    expect(inQuietHours(china('2026-03-07T13:00:00'), { start: '12:00', end: '14:00' })).toBe(true);
  });

  it('ends quiet hours at 07:00 the same morning, or the next one when they started in the evening', () => {
    expect(quietHoursEnd(china('2026-03-06T23:10:00'), DEFAULT_QUIET_HOURS)).toEqual(
      china('2026-03-07T07:00:00'),
    );
    expect(quietHoursEnd(china('2026-03-07T05:00:00'), DEFAULT_QUIET_HOURS)).toEqual(
      china('2026-03-07T07:00:00'),
    );
  });

  it('sends a digest at its time today, else tomorrow, and never inside quiet hours', () => {
    expect(nextDigestTime(china('2026-03-06T09:00:00'), teacher)).toEqual(china('2026-03-06T18:00:00'));
    expect(nextDigestTime(china('2026-03-06T18:30:00'), teacher)).toEqual(china('2026-03-07T18:00:00'));
    expect(nextDigestTime(china('2026-03-06T09:00:00'), { ...teacher, digestAt: '23:00' })).toEqual(
      china('2026-03-07T07:00:00'),
    );
  });
});

describe('planning who gets what, when', () => {
  it('sends an immediate person their message at once, with the case link', () => {
    const plan = planNotifications([overdue()], [principal], china('2026-03-06T08:00:00'), OPTIONS);
    expect(plan.queued).toEqual([]);
    expect(plan.sendNow).toHaveLength(1);
    expect(plan.sendNow[0]).toMatchObject({
      personId: 'p_principal',
      kind: 'OVERDUE',
      hold: 'NONE',
      deliverAt: china('2026-03-06T08:00:00').toISOString(),
    });
    expect(plan.sendNow[0]!.text).toContain(`${BASE}/cases/${CASE_ID}`);
  });

  it('holds a message that arrives in quiet hours until they end', () => {
    const plan = planNotifications([overdue()], [principal], china('2026-03-06T23:30:00'), OPTIONS);
    expect(plan.sendNow).toEqual([]);
    expect(plan.queued[0]).toMatchObject({
      hold: 'QUIET_HOURS',
      deliverAt: china('2026-03-07T07:00:00').toISOString(),
    });
  });

  it("queues a digest person's messages for their digest time", () => {
    const notice = overdue({
      kind: 'OVERDUE',
      item: 'FIRST_HOME_VISIT',
      subject: `${CASE_ID}:FIRST_HOME_VISIT`,
      recipients: [{ position: 'HEAD_TEACHER', org: SCHOOL, name: '孙老师' }],
    });
    const plan = planNotifications([notice], [principal, teacher], china('2026-03-06T08:00:00'), OPTIONS);
    expect(plan.sendNow).toEqual([]);
    expect(plan.queued[0]).toMatchObject({
      personId: 'p_teacher',
      hold: 'DIGEST',
      deliverAt: china('2026-03-06T18:00:00').toISOString(),
    });
  });

  it('plans the same overdue item at the same level once a day per person, with a stable message id', () => {
    const now = china('2026-03-06T08:00:00');
    const twice = planNotifications([overdue(), overdue()], [principal], now, OPTIONS);
    expect(twice.sendNow).toHaveLength(1);
    const again = planNotifications([overdue()], [principal], china('2026-03-06T15:00:00'), OPTIONS);
    // Planned again later (a redelivered event, a re-run sweep): the same id, which the outbox refuses.
    expect(again.sendNow[0]!.messageId).toBe(twice.sendNow[0]!.messageId);
    const nextLevel = planNotifications([overdue({ level: 1 })], [principal], now, OPTIONS);
    const nextDay = planNotifications([overdue({ day: '2026-03-07' })], [principal], now, OPTIONS);
    expect(nextLevel.sendNow[0]!.messageId).not.toBe(twice.sendNow[0]!.messageId);
    expect(nextDay.sendNow[0]!.messageId).not.toBe(twice.sendNow[0]!.messageId);
    expect(dedupKeyOf('p_principal', overdue())).toBe(
      `p_principal|${CASE_ID}:THREE_LINE_REPORT|0|2026-03-06`,
    );
  });

  it('keeps a due reminder apart from the overdue message of the same duty', () => {
    const due = overdue({ kind: 'DUE', day: '2026-03-06' });
    expect(dedupKeyOf('p', due)).not.toBe(dedupKeyOf('p', overdue()));
  });

  it('counts a recipient nobody registered for', () => {
    const plan = planNotifications(
      [overdue({ recipients: [{ position: 'HEAD_TEACHER', org: SCHOOL, name: '周老师' }] })],
      [principal, teacher],
      china('2026-03-06T08:00:00'),
      OPTIONS,
    );
    expect(plan.sendNow).toEqual([]);
    expect(plan.queued).toEqual([]);
    expect(plan.unreached).toEqual([{ position: 'HEAD_TEACHER', org: SCHOOL, name: '周老师' }]);
  });
});

describe('digests', () => {
  const toTeacher = (n: number) =>
    overdue({
      caseId: `${CASE_ID}${n}`,
      subject: `${CASE_ID}${n}:FIRST_HOME_VISIT`,
      item: 'FIRST_HOME_VISIT',
      recipients: [{ position: 'HEAD_TEACHER', org: SCHOOL, name: '孙老师' }],
    });

  it("sends a person's queued messages as one digest when its time comes, and nothing before", () => {
    const { queued } = planNotifications(
      [toTeacher(1), toTeacher(2), toTeacher(3)],
      [teacher],
      china('2026-03-06T08:00:00'),
      OPTIONS,
    );
    expect(queued).toHaveLength(3);
    const early = buildDigests(queued, china('2026-03-06T17:59:00'));
    expect(early.digests).toEqual([]);
    expect(early.held).toHaveLength(3);

    const { digests, held } = buildDigests(queued, china('2026-03-06T18:00:00'));
    expect(held).toEqual([]);
    expect(digests).toHaveLength(1);
    expect(digests[0]!.messages.map((m) => m.messageId)).toEqual(queued.map((m) => m.messageId).sort());
    expect(digests[0]!.text.split('\n')[0]).toBe('【控辍保学】每日待办汇总（3条）：');
    expect(digests[0]!.text).toContain(`${BASE}/cases/${CASE_ID}2`);
  });

  it('sends a single held message as it was written, once quiet hours are over', () => {
    const { queued } = planNotifications([overdue()], [principal], china('2026-03-06T23:30:00'), OPTIONS);
    const { digests } = buildDigests(queued, china('2026-03-07T07:00:00'));
    expect(digests[0]!.text).toBe(queued[0]!.text);
  });

  it('keeps holding when the run comes late, inside the next quiet hours', () => {
    const { queued } = planNotifications([toTeacher(1)], [teacher], china('2026-03-06T08:00:00'), OPTIONS);
    expect(buildDigests(queued, china('2026-03-06T22:30:00')).digests).toEqual([]);
    expect(buildDigests(queued, china('2026-03-07T07:00:00')).digests).toHaveLength(1);
  });

  it('gives the same digest the same id, so a repeated run can be recognised', () => {
    const { queued } = planNotifications(
      [toTeacher(1), toTeacher(2)],
      [teacher],
      china('2026-03-06T08:00:00'),
      OPTIONS,
    );
    const a = buildDigests(queued, china('2026-03-06T18:00:00')).digests[0]!;
    const b = buildDigests([...queued].reverse(), china('2026-03-06T18:30:00')).digests[0]!;
    expect(a.digestId).toBe(b.digestId);
  });
});
