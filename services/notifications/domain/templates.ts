/**
 * 通知模板 — the short Chinese texts people receive: made from templates, never with a full ID number,
 * each with a link to the case. One SMS holds 70 Chinese characters; every text here
 * fits in one before its link, which is appended after a space so a phone makes it tappable. The child
 * appears by masked ID only (5301**********123X, docs/domain.md §7.2), never by name.
 */

import { CASE_STATE_NAMES_ZH, OVERDUE_ITEM_NAMES_ZH } from '../../../shared/events/vocab';
import { ESCALATION_TARGET_NAMES_ZH } from '../../cases/port';
import type { Notice } from './people';

/** Characters of one SMS in Chinese (UCS-2: 70 per message); longer texts go as concatenated parts. */
export const SMS_CHARS = 70;
/** 短信签名 — China's carriers require a 【signature】 in front of every application SMS. */
export const SIGNATURE = '【控辍保学】';
/** A digest lists at most this many items; the rest are counted and found through the link. */
export const DIGEST_MAX_ITEMS = 10;

/** The case page: `<base>/cases/<caseId>` (the base is the deployment's setting, without a trailing slash). */
export function caseLink(base: string, caseId: string): string {
  return `${base.replace(/\/+$/, '')}/cases/${caseId}`;
}

/** 2026-03-05 → 3月5日: the year is the current one in every message, and a short date saves characters. */
export function shortDate(date: string): string {
  const [, m, d] = date.split('-');
  return `${Number(m)}月${Number(d)}日`;
}

function itemZh(notice: Notice): string {
  return notice.item ? OVERDUE_ITEM_NAMES_ZH[notice.item] : '待办事项';
}

/** The message body without its link: one SMS long. */
export function noticeText(notice: Notice): string {
  const child = `学生${notice.maskedId}`;
  const due = notice.dueOn ? shortDate(notice.dueOn) : undefined;
  switch (notice.kind) {
    case 'NEW_CASE':
      return due
        ? `${SIGNATURE}新立案：${child}疑似辍学，请${due}前完成三线报告，落实包保责任。`
        : `${SIGNATURE}新立案：${child}疑似辍学，请落实包保责任并核查。`;
    case 'DUE':
      return `${SIGNATURE}到期提醒：${child}的${itemZh(notice)}将于${due}到期，请按时完成。`;
    case 'OVERDUE':
      return `${SIGNATURE}逾期：${child}的${itemZh(notice)}应于${due}前完成，已逾期，请立即办理。`;
    case 'ESCALATED': {
      const target = notice.target ? ESCALATION_TARGET_NAMES_ZH[notice.target] : '上级';
      return `${SIGNATURE}督办：${child}的${itemZh(notice)}应于${due}前完成，已逾期，现报${target}督办。`;
    }
    case 'STATE_CHANGED':
      return notice.from === 'DEFERRED'
        ? `${SIGNATURE}${child}缓学期满未复学，案件已重新打开，请按职责跟进。`
        : `${SIGNATURE}${child}的案件进入“${notice.state ? CASE_STATE_NAMES_ZH[notice.state] : '新'}”阶段，请按职责跟进。`;
    case 'RETURNED':
      return `${SIGNATURE}${child}已于${shortDate(notice.returnedOn ?? notice.day)}复学，请做好巩固跟踪（每月六有记录）。`;
  }
}

/** The whole message: the text and the case link. */
export function messageText(notice: Notice, linkBase: string): string {
  return `${noticeText(notice)} ${caseLink(linkBase, notice.caseId)}`;
}

const KIND_ZH = {
  NEW_CASE: '新立案',
  DUE: '到期',
  OVERDUE: '逾期',
  ESCALATED: '督办',
  STATE_CHANGED: '进展',
  RETURNED: '复学',
} as const satisfies Record<Notice['kind'], string>;

/** One line of a digest: what, which child (masked), by when. */
export function digestLine(notice: Notice): string {
  const due = notice.dueOn ? `（${shortDate(notice.dueOn)}）` : '';
  const what =
    notice.kind === 'STATE_CHANGED' && notice.state
      ? CASE_STATE_NAMES_ZH[notice.state]
      : notice.kind === 'RETURNED'
        ? '巩固跟踪'
        : notice.kind === 'NEW_CASE'
          ? '疑似辍学'
          : itemZh(notice);
  return `${KIND_ZH[notice.kind]}：${notice.maskedId} ${what}${due}`;
}

/** 每日汇总 — several messages of one person as one: numbered lines, each with its case link. */
export function digestText(items: readonly { line: string; link: string }[]): string {
  const shown = items.slice(0, DIGEST_MAX_ITEMS);
  const more = items.length - shown.length;
  return [
    `${SIGNATURE}每日待办汇总（${items.length}条）：`,
    ...shown.map((item, i) => `${i + 1}. ${item.line} ${item.link}`),
    ...(more > 0 ? [`另有${more}条，请登录系统查看。`] : []),
  ].join('\n');
}
