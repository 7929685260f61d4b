import { describe, expect, it } from 'vitest';
import { caseStateSchema, overdueItemSchema } from '../../../shared/events/vocab';
import type { EscalationTarget } from '../../cases/port';
import type { Notice } from './people';
import {
  caseLink,
  DIGEST_MAX_ITEMS,
  digestLine,
  digestText,
  messageText,
  noticeText,
  SMS_CHARS,
} from './templates';

const CASE_ID = `case-${'b'.repeat(32)}-1`;
const MASKED = '5301**********0061';
const FULL_ID = '530124201407230061';
const BASE = 'https://kcbx.fumin.example.cn';

const notice = (fields: Partial<Notice>): Notice => ({
  kind: 'NEW_CASE',
  caseId: CASE_ID,
  maskedId: MASKED,
  subject: `${CASE_ID}:OPENED`,
  level: 0,
  day: '2026-03-04',
  recipients: [],
  ...fields,
});

/** Every text a template can produce, with the longest item, target and state names. */
function everyNotice(): Notice[] {
  const targets: EscalationTarget[] = ['PRINCIPAL', 'TOWNSHIP', 'COUNTY'];
  return [
    notice({ kind: 'NEW_CASE', dueOn: '2026-12-31' }),
    notice({ kind: 'NEW_CASE' }),
    ...overdueItemSchema.options.flatMap((item) => [
      notice({ kind: 'DUE', item, dueOn: '2026-12-31' }),
      notice({ kind: 'OVERDUE', item, dueOn: '2026-12-31', level: 0 }),
      ...targets.map((target) => notice({ kind: 'ESCALATED', item, dueOn: '2026-12-31', level: 2, target })),
    ]),
    ...caseStateSchema.options.map((state) => notice({ kind: 'STATE_CHANGED', state, from: 'PERSUADING' })),
    notice({ kind: 'STATE_CHANGED', state: 'SUSPECTED', from: 'DEFERRED' }),
    notice({ kind: 'RETURNED', returnedOn: '2026-12-31' }),
  ];
}

describe('message templates', () => {
  it('fits every text in one SMS before its link', () => {
    for (const n of everyNotice()) {
      const text = noticeText(n);
      expect([...text].length, text).toBeLessThanOrEqual(SMS_CHARS);
    }
  });

  it('names the child by masked ID only: no run of digits that could be an ID number', () => {
    for (const n of everyNotice()) {
      const text = messageText(n, BASE);
      expect(text).toContain(MASKED);
      expect(text).not.toContain(FULL_ID);
      expect(text).not.toMatch(/\d{15}/);
    }
  });

  it('ends with the link to the case', () => {
    expect(messageText(notice({ dueOn: '2026-03-05' }), `${BASE}/`)).toBe(
      `【控辍保学】新立案：学生${MASKED}疑似辍学，请3月5日前完成三线报告，落实包保责任。 ${BASE}/cases/${CASE_ID}`,
    );
    expect(caseLink('http://127.0.0.1:3000', CASE_ID)).toBe(`http://127.0.0.1:3000/cases/${CASE_ID}`);
  });

  it('says what is overdue, by when, and who it has reached', () => {
    expect(noticeText(notice({ kind: 'OVERDUE', item: 'FIRST_HOME_VISIT', dueOn: '2026-03-11' }))).toBe(
      `【控辍保学】逾期：学生${MASKED}的首次家访应于3月11日前完成，已逾期，请立即办理。`,
    );
    expect(
      noticeText(
        notice({
          kind: 'ESCALATED',
          item: 'THREE_LINE_REPORT',
          dueOn: '2026-03-05',
          level: 1,
          target: 'TOWNSHIP',
        }),
      ),
    ).toBe(`【控辍保学】督办：学生${MASKED}的三线报告应于3月5日前完成，已逾期，现报乡（镇）人民政府督办。`);
    expect(noticeText(notice({ kind: 'DUE', item: 'THREE_LINE_REPORT', dueOn: '2026-03-05' }))).toBe(
      `【控辍保学】到期提醒：学生${MASKED}的三线报告将于3月5日到期，请按时完成。`,
    );
  });

  it('tells of milestones and returns in the words the users know', () => {
    expect(noticeText(notice({ kind: 'STATE_CHANGED', state: 'ORDER_TO_CORRECT', from: 'EDUCATION' }))).toBe(
      `【控辍保学】学生${MASKED}的案件进入“责令改正”阶段，请按职责跟进。`,
    );
    expect(noticeText(notice({ kind: 'RETURNED', returnedOn: '2026-03-20' }))).toContain('已于3月20日复学');
  });

  it('numbers a digest, one line and link per item, and counts what it leaves out', () => {
    const items = Array.from({ length: DIGEST_MAX_ITEMS + 2 }, (_, i) => ({
      line: digestLine(notice({ kind: 'OVERDUE', item: 'FIRST_HOME_VISIT', dueOn: '2026-03-11' })),
      link: caseLink(BASE, `${CASE_ID}${i}`),
    }));
    const text = digestText(items);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`【控辍保学】每日待办汇总（${DIGEST_MAX_ITEMS + 2}条）：`);
    expect(lines[1]).toBe(`1. 逾期：${MASKED} 首次家访（3月11日） ${BASE}/cases/${CASE_ID}0`);
    expect(lines).toHaveLength(DIGEST_MAX_ITEMS + 2);
    expect(lines.at(-1)).toBe('另有2条，请登录系统查看。');
  });
});
