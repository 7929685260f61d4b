/**
 * 责任人通知 — who is told what about a case: the named responsible people on both lines (docs/domain.md §4.1),
 * told of what is due and of overdue work as it escalates (§4.7). Pure: a case event and the case record
 * in, notices out; a notice names chain positions (and the person the chain names there), and {@link
 * matchContacts} finds the people who registered a channel for that position in that organisation.
 *
 * The child is only ever named by masked ID and case id here: the people told work in schools,
 * townships and bureaus, and a message travels over SMS, e-mail or a WeChat Work group, none of which
 * is a place for a minor's identity (个人信息保护法, docs/domain.md §7.2).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { addWorkingDays, type WorkingCalendar } from '../../../shared/calendar';
import { todayInChina } from '../../../shared/dates';
import { deriveEventId } from '../../../shared/events/envelope';
import type { EventDetail } from '../../../shared/events/publishable';
import type { CaseState, OverdueItem } from '../../../shared/events/vocab';
import type { Role } from '../../../shared/org';
import { type CaseRules, type ChainPosition, chainPositionSchema } from '../../../shared/region-settings';
import {
  type CaseRecord,
  type Duty,
  dutiesOf,
  type EscalationRole,
  type EscalationTarget,
} from '../../cases/port';

/** What a notice tells: a new case, a duty coming due, a missed one, its escalation, a milestone, a return. */
export type NoticeKind = 'NEW_CASE' | 'DUE' | 'OVERDUE' | 'ESCALATED' | 'STATE_CHANGED' | 'RETURNED';

/** A position on the case's chain in the organisation that holds it; `name` when the chain names someone. */
export interface Recipient {
  position: ChainPosition;
  org: string;
  name?: string;
}

/** One thing to tell the people of a case. Carries no name or ID number of the child. */
export interface Notice {
  kind: NoticeKind;
  caseId: string;
  maskedId: string;
  /**
   * What the notice is about within the case — a duty (`<caseId>:<dutyKey>`) or a case event — so that
   * the same thing told twice can be recognised (digest.ts builds the dedup key from it).
   */
  subject: string;
  /** Escalation level of OVERDUE/ESCALATED (0 = the responsible person); 0 otherwise. */
  level: number;
  /** The China date the fact belongs to (the day an overdue item was raised, the reminder's day). */
  day: string;
  item?: OverdueItem;
  dueOn?: string;
  /** ESCALATED: who the duty has reached (乡镇人民政府, 县级教育行政部门, or a chain position). */
  target?: EscalationTarget;
  /** STATE_CHANGED: the state the case entered, and the one it left. */
  state?: CaseState;
  from?: CaseState;
  returnedOn?: string;
  recipients: Recipient[];
}

/** The case events people are told of (the bus rule of this consumer subscribes to exactly these). */
export type PeopleEvent =
  | { detailType: 'case.opened'; detail: EventDetail<'case.opened'> }
  | { detailType: 'case.overdue'; detail: EventDetail<'case.overdue'> }
  | { detailType: 'case.state-changed'; detail: EventDetail<'case.state-changed'> }
  | { detailType: 'student.returned'; detail: EventDetail<'student.returned'> };

export const PEOPLE_EVENT_TYPES = [
  'case.opened',
  'case.overdue',
  'case.state-changed',
  'student.returned',
] as const satisfies readonly PeopleEvent['detailType'][];

// ── positions and organisations ─────────────────────────────────────────────────────────────────────

/** Where a position sits: its holder is registered by the school, the township or the county. */
const POSITION_LEVEL = {
  PRINCIPAL: 'school',
  HEAD_TEACHER: 'school',
  CONTACT_TEACHER: 'school',
  TOWNSHIP_HEAD: 'township',
  VILLAGE_HEAD: 'township',
  GROUP_HEAD: 'township',
  BUREAU_HEAD: 'county',
  COUNTY_HEAD: 'county',
} as const satisfies Record<Exclude<ChainPosition, 'GUARDIAN'>, Role>;

/** The positions people are told in: both lines. The guardian is served documents, not messages. */
export const NOTIFIED_POSITIONS = Object.keys(POSITION_LEVEL) as Exclude<ChainPosition, 'GUARDIAN'>[];

/** The positions an organisation of `role` registers contacts for (its own staff). */
export function positionsFor(role: Role): ChainPosition[] {
  return NOTIFIED_POSITIONS.filter((p) => POSITION_LEVEL[p] === role);
}

/**
 * Positions one person holds per organisation: a school has one 校长, a township one 乡（镇）长, a
 * county one 教育局局长. Before the chain is named (a new case), these are still told — whoever registered
 * for the position — while 班主任, 包保教师, 村主任 … are many per organisation and are told only once
 * the chain names which of them.
 */
const SINGLE_HOLDER = new Set<ChainPosition>(['PRINCIPAL', 'TOWNSHIP_HEAD', 'BUREAU_HEAD']);

/** The organisation that holds `position` for this case, if the case knows it. */
function orgOf(position: ChainPosition, record: CaseRecord): string | undefined {
  if (position === 'GUARDIAN') return undefined;
  switch (POSITION_LEVEL[position]) {
    case 'school':
      return record.school && /^\d{10}$/.test(record.school) ? record.school : undefined;
    case 'township':
      return record.township?.startsWith(record.region) ? record.township : undefined;
    case 'county':
      return record.region;
  }
}

function recipientAt(record: CaseRecord, position: ChainPosition): Recipient | undefined {
  const org = orgOf(position, record);
  if (org === undefined) return undefined;
  const name = record.chain[position]?.name;
  if (name !== undefined) return { position, org, name };
  return SINGLE_HOLDER.has(position) ? { position, org } : undefined;
}

/** Everyone the chain names on both lines, plus the single holders in `alsoUnnamed`. */
function chainRecipients(record: CaseRecord, alsoUnnamed: readonly ChainPosition[]): Recipient[] {
  return NOTIFIED_POSITIONS.filter(
    (p) => record.chain[p]?.name !== undefined || alsoUnnamed.includes(p),
  ).flatMap((p) => recipientAt(record, p) ?? []);
}

/** 逐级上报: who an escalation target is in people (乡镇人民政府 → 乡镇长; 县 → both lines' county heads). */
function targetPositions(target: EscalationTarget): ChainPosition[] {
  if (target === 'TOWNSHIP') return ['TOWNSHIP_HEAD'];
  if (target === 'COUNTY') return ['BUREAU_HEAD', 'COUNTY_HEAD'];
  return [target];
}

/** Above level 0 the event's role names the rung: the school's rung above the teacher is the 校长. */
const ROLE_TARGET = { school: 'PRINCIPAL', township: 'TOWNSHIP', county: 'COUNTY' } as const satisfies Record<
  EscalationRole,
  EscalationTarget
>;

/**
 * The three 三线报告 lines are three duties of one report: told as one thing, so a principal gets one
 * message about the report, not three identical ones.
 */
export function dutySubject(caseId: string, dutyKey: string): string {
  return `${caseId}:${dutyKey.startsWith('THREE_LINE_REPORT:') ? 'THREE_LINE_REPORT' : dutyKey}`;
}

// ── notices from events ─────────────────────────────────────────────────────────────────────────────

/**
 * States whose entry the whole chain hears of: the dropout is confirmed, the legal track moves on
 * (责令改正, 行政处罚, 强制执行/诉讼 — 义务教育法第五十八条 acts the township and bureau must take), the
 * child is placed. Other moves are made by the people who would be told, so they stay quiet.
 */
const MILESTONE_STATES = new Set<CaseState>([
  'CONFIRMED',
  'ORDER_TO_CORRECT',
  'PENALTY',
  'ENFORCEMENT_OR_SUIT',
  'PLACED',
]);

export interface NoticeContext {
  rules: CaseRules;
  calendar?: WorkingCalendar;
}

/** What to tell, and whom, about one case event, read against the case as it stands now. */
export function noticesForEvent(event: PeopleEvent, record: CaseRecord, ctx: NoticeContext): Notice[] {
  const base = { caseId: record.caseId, maskedId: record.child.maskedId };
  switch (event.detailType) {
    case 'case.opened': {
      // The 三线报告 is the first thing owed (by default by the end of the next working day, docs/domain.md §3.4).
      const report = dutiesOf(record, ctx.rules, ctx.calendar).find((d) => d.item === 'THREE_LINE_REPORT');
      return [
        {
          ...base,
          kind: 'NEW_CASE',
          subject: `${record.caseId}:OPENED`,
          level: 0,
          day: record.openedOn,
          dueOn: report?.dueOn,
          recipients: chainRecipients(record, ['PRINCIPAL', 'TOWNSHIP_HEAD']),
        },
      ];
    }
    case 'case.overdue':
      return overdueNotices(event.detail, record, ctx);
    case 'case.state-changed': {
      const d = event.detail;
      const reopened = d.from === 'DEFERRED';
      if (!MILESTONE_STATES.has(d.to) && !reopened) return [];
      return [
        {
          ...base,
          kind: 'STATE_CHANGED',
          subject: `${record.caseId}:STATE:${d.version}`,
          level: 0,
          day: todayInChina(new Date(d.occurredAt)),
          state: d.to,
          from: d.from,
          recipients: chainRecipients(record, ['PRINCIPAL', 'TOWNSHIP_HEAD']),
        },
      ];
    }
    case 'student.returned': {
      const d = event.detail;
      return [
        {
          ...base,
          kind: 'RETURNED',
          subject: `${record.caseId}:RETURNED:${d.returnedOn}`,
          level: 0,
          day: d.returnedOn,
          returnedOn: d.returnedOn,
          // 巩固 is the school's work: the chain, and the principal who answers for the school.
          recipients: chainRecipients(record, ['PRINCIPAL']),
        },
      ];
    }
  }
}

/**
 * case.overdue → the level it reached gets the message: level 0 the duty's responsible person, then the
 * rung the event names (校长, 乡镇人民政府, 县级教育行政部门). The event names the duty only by item, due
 * date and level; its id is derived from the duty key, so the key is recovered from `record.overdue`.
 * A duty done since the raise (a line acknowledged at 06:31) is no longer chased: nothing is sent.
 */
function overdueNotices(
  detail: EventDetail<'case.overdue'>,
  record: CaseRecord,
  ctx: NoticeContext,
): Notice[] {
  const entry =
    record.overdue.find(
      (o) =>
        deriveEventId('case.overdue', record.caseId, o.dutyKey, o.dueOn, o.escalationLevel) ===
        detail.eventId,
    ) ??
    record.overdue.find(
      (o) =>
        o.item === detail.item && o.dueOn === detail.dueOn && o.escalationLevel === detail.escalationLevel,
    );
  if (entry === undefined) return [];
  const duty: Duty | undefined = dutiesOf(record, ctx.rules, ctx.calendar).find(
    (d) => d.dutyKey === entry.dutyKey,
  );
  if (duty === undefined) return [];
  const level = entry.escalationLevel;
  // Escalation climbs the two lines only; no duty escalates to a partner department.
  const role = detail.escalatedTo;
  const target: EscalationTarget | undefined =
    level === 0 ? duty.responsible : role === 'partner' ? undefined : ROLE_TARGET[role];
  if (target === undefined) return [];
  return [
    {
      caseId: record.caseId,
      maskedId: record.child.maskedId,
      kind: level === 0 ? 'OVERDUE' : 'ESCALATED',
      subject: dutySubject(record.caseId, entry.dutyKey),
      level,
      day: entry.raisedOn,
      item: entry.item,
      dueOn: entry.dueOn,
      target,
      recipients: targetPositions(target).flatMap((p) => recipientAt(record, p) ?? []),
    },
  ];
}

/**
 * 到期提醒 — the duties of an open case whose last on-time day is `today` or the next working day, for
 * their responsible person: told the working day before and on the day, never after (then it is
 * overdue and the sweep's case.overdue takes over).
 */
export function dueNotices(record: CaseRecord, today: string, ctx: NoticeContext): Notice[] {
  const horizon = addWorkingDays(today, 1, ctx.calendar);
  const bySubject = new Map<string, Notice>();
  for (const duty of dutiesOf(record, ctx.rules, ctx.calendar)) {
    if (duty.dueOn < today || duty.dueOn > horizon) continue;
    const subject = dutySubject(record.caseId, duty.dutyKey);
    if (bySubject.has(subject)) continue;
    bySubject.set(subject, {
      caseId: record.caseId,
      maskedId: record.child.maskedId,
      kind: 'DUE',
      subject,
      level: 0,
      day: today,
      item: duty.item,
      dueOn: duty.dueOn,
      recipients: [recipientAt(record, duty.responsible)].flatMap((r) => r ?? []),
    });
  }
  return [...bySubject.values()];
}

// ── contacts ────────────────────────────────────────────────────────────────────────────────────────

const clockTime = z
  .string()
  .regex(
    /^([01]\d|2[0-3]):[0-5]\d$/,
    'expected HH:MM China time, e.g. 18:00 / 应为 时:分（北京时间），如 18:00',
  );

/** 免打扰时段 — China time; start after end wraps midnight (22:00–07:00); start = end means none. */
export const quietHoursSchema = z.strictObject({ start: clockTime, end: clockTime });
export type QuietHours = z.infer<typeof quietHoursSchema>;

/** Default quiet hours: nobody's phone rings about a case between 22:00 and 07:00 China time. */
export const DEFAULT_QUIET_HOURS: QuietHours = { start: '22:00', end: '07:00' };
/** Default time of a daily digest: after the school day, before the evening. */
export const DEFAULT_DIGEST_AT = '17:30';

/** 发送方式 — each message at once, or one digest a day at `digestAt`. */
export const deliveryModeSchema = z.enum(['immediate', 'digest']);
export type DeliveryMode = z.infer<typeof deliveryModeSchema>;

/** The channels a person can register; `local` is what every channel becomes in the local cloud. */
export const registrableChannelSchema = z.enum(['sms', 'email', 'wecom']);
export type RegistrableChannel = z.infer<typeof registrableChannelSchema>;

/** Mainland mobile (11 digits from 13–19) or an E.164 number. */
const PHONE = /^(?:1[3-9]\d{9}|\+[1-9]\d{7,14})$/;
/** 企业微信群机器人 webhook: only WeChat Work's own host, over HTTPS. */
const WECOM_WEBHOOK = /^https:\/\/qyapi\.weixin\.qq\.com\/cgi-bin\/webhook\/send\?key=[A-Za-z0-9-]{8,64}$/;

/**
 * PUT /contacts — a person of the caller's organisation and how to reach them. The address is checked
 * against its channel so a typo is refused here, not discovered when a message bounces.
 */
export const contactRegistrationSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(50),
    position: chainPositionSchema.exclude(['GUARDIAN'], {
      error: 'the guardian is not a registered contact / 监护人不登记通知渠道',
    }),
    channel: registrableChannelSchema,
    address: z.string().trim().min(3).max(300),
    mode: deliveryModeSchema.default('immediate'),
    digestAt: clockTime.default(DEFAULT_DIGEST_AT),
    quietHours: quietHoursSchema.default(DEFAULT_QUIET_HOURS),
  })
  .superRefine((c, ctx) => {
    const ok =
      c.channel === 'sms'
        ? PHONE.test(c.address.replace(/[\s-]/g, ''))
        : c.channel === 'email'
          ? z.email().safeParse(c.address).success
          : WECOM_WEBHOOK.test(c.address);
    if (!ok) {
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: {
          sms: 'a mobile number such as 13800000000 or +8613800000000 / 应为手机号，如 13800000000',
          email: 'an e-mail address / 应为电子邮箱地址',
          wecom:
            'a WeChat Work group robot webhook https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… / 应为企业微信群机器人 webhook 地址',
        }[c.channel],
      });
    }
  });
export type ContactRegistration = z.infer<typeof contactRegistrationSchema>;

/** A registered person as the planner sees them: who, where, and when they want to hear. No address. */
export interface Contact {
  personId: string;
  org: string;
  position: ChainPosition;
  name: string;
  mode: DeliveryMode;
  digestAt: string;
  quietHours: QuietHours;
}

/** Names compare without spaces (全角 or not): 孙 老师 and 孙老师 are one person. */
export function normaliseName(name: string): string {
  return name.replace(/[\s\u3000]+/g, '');
}

/**
 * A stable id for a person of an organisation at a position, so registering them again replaces
 * their entry. A plain hash is enough: it hides nothing (the name is stored beside it) and only keys.
 */
export function personIdOf(org: string, position: ChainPosition, name: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([org, position, normaliseName(name)]))
    .digest('hex');
  return `p_${digest.slice(0, 24)}`;
}

/** The registered people a recipient means: the named person, or anyone at a single-holder position. */
export function matchContacts(recipient: Recipient, contacts: readonly Contact[]): Contact[] {
  return contacts.filter(
    (c) =>
      c.org === recipient.org &&
      c.position === recipient.position &&
      (recipient.name === undefined || normaliseName(c.name) === normaliseName(recipient.name)),
  );
}

/** The organisations whose contacts a set of notices needs (one query each). */
export function orgsOf(notices: readonly Notice[]): string[] {
  return [...new Set(notices.flatMap((n) => n.recipients.map((r) => r.org)))];
}
