/**
 * 汇总与去重 — when a message goes out: a daily digest per person instead of a flood (each person
 * chooses), quiet hours, and no message twice. Pure and clock-free: the caller passes `now`.
 *
 * - Each person chooses `immediate` or a daily `digest` at a time of day (China time).
 * - Quiet hours (default 22:00–07:00 China time) hold every message until they end; what piled up is
 *   then sent as one digest.
 * - The same thing told to the same person at the same level on the same day is one message: the key
 *   is person + subject (the case's duty) + level + day, and the message id is derived from it, so a
 *   redelivered event or a second sweep produces the same id and the outbox's conditional put drops it.
 */
import { createHash } from 'node:crypto';
import type { ChainPosition } from '../../../shared/region-settings';
import {
  type Contact,
  matchContacts,
  type Notice,
  type NoticeKind,
  type QuietHours,
  type Recipient,
} from './people';
import { caseLink, digestLine, digestText, messageText } from './templates';

/** One message to one person, planned: sent now, or held until `deliverAt`. */
export interface Message {
  messageId: string;
  /** person | subject | level | day — what makes two messages the same. */
  dedupKey: string;
  personId: string;
  org: string;
  position: ChainPosition;
  recipientName: string;
  kind: NoticeKind;
  caseId: string;
  /** The whole text with the case link (what an immediate message sends). */
  text: string;
  /** Its line in a digest, and the link that goes with it. */
  line: string;
  link: string;
  createdAt: string;
  /** When it may go out (ISO); equal to createdAt for a message sent at once. */
  deliverAt: string;
  /** Why it waits: the person's digest, or quiet hours. */
  hold: 'NONE' | 'DIGEST' | 'QUIET_HOURS';
  /** The person's quiet hours when it was planned: a digest run that comes late still respects them. */
  quietHours: QuietHours;
}

export interface Plan {
  sendNow: Message[];
  queued: Message[];
  /** Recipients no registered contact matches (counted, so a county sees who cannot be reached). */
  unreached: Recipient[];
}

export interface PlanOptions {
  /** Base of the case links, e.g. https://kcbx.example.cn (a deployment setting). */
  linkBase: string;
}

// ── China time ──────────────────────────────────────────────────────────────────────────────────────

/** China has one time zone and no daylight saving: UTC+8. */
const CHINA_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 24 * 3_600_000;

/** Minutes since midnight of a "HH:MM" clock time. */
function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** Minutes since midnight in China at `now`. */
function chinaMinutes(now: Date): number {
  return Math.floor(((now.getTime() + CHINA_OFFSET_MS) % DAY_MS) / 60_000);
}

/** The instant of China clock time `hhmm` on the China day of `day`, `plusDays` later. */
function chinaInstant(day: Date, hhmm: string, plusDays = 0): Date {
  const midnight = Math.floor((day.getTime() + CHINA_OFFSET_MS) / DAY_MS) * DAY_MS - CHINA_OFFSET_MS;
  return new Date(midnight + plusDays * DAY_MS + minutesOf(hhmm) * 60_000);
}

/** Whether `now` falls in the quiet hours (start inclusive, end exclusive; start = end: never). */
export function inQuietHours(now: Date, quiet: QuietHours): boolean {
  const [start, end, t] = [minutesOf(quiet.start), minutesOf(quiet.end), chinaMinutes(now)];
  if (start === end) return false;
  return start < end ? t >= start && t < end : t >= start || t < end;
}

/** When the quiet hours `now` is in end (or `now`, when it is not in them). */
export function quietHoursEnd(now: Date, quiet: QuietHours): Date {
  if (!inQuietHours(now, quiet)) return now;
  const end = chinaInstant(now, quiet.end);
  return end.getTime() > now.getTime() ? end : chinaInstant(now, quiet.end, 1);
}

/** The next daily digest at or after `now`, moved to the end of quiet hours if it falls in them. */
export function nextDigestTime(now: Date, prefs: Pick<Contact, 'digestAt' | 'quietHours'>): Date {
  const today = chinaInstant(now, prefs.digestAt);
  const at = today.getTime() >= now.getTime() ? today : chinaInstant(now, prefs.digestAt, 1);
  return quietHoursEnd(at, prefs.quietHours);
}

// ── planning ────────────────────────────────────────────────────────────────────────────────────────

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** person + subject + level + day: the same overdue item at the same level is told once a day. */
export function dedupKeyOf(personId: string, notice: Notice): string {
  const level = notice.kind === 'DUE' ? 'due' : String(notice.level);
  return [personId, notice.subject, level, notice.day].join('|');
}

export function messageIdOf(dedupKey: string): string {
  return `m_${hash(dedupKey, 32)}`;
}

/**
 * Who gets which message, and when. A notice reaches every registered contact its recipients match;
 * a message already planned in this batch (the same key) is not planned twice. Immediate messages
 * outside quiet hours go now; the rest are queued with the time they may go.
 */
export function planNotifications(
  notices: readonly Notice[],
  contacts: readonly Contact[],
  now: Date,
  options: PlanOptions,
): Plan {
  const plan: Plan = { sendNow: [], queued: [], unreached: [] };
  const seen = new Set<string>();
  const createdAt = now.toISOString();
  for (const notice of notices) {
    for (const recipient of notice.recipients) {
      const people = matchContacts(recipient, contacts);
      if (people.length === 0) plan.unreached.push(recipient);
      for (const person of people) {
        const dedupKey = dedupKeyOf(person.personId, notice);
        if (seen.has(dedupKey)) continue;
        seen.add(dedupKey);
        const quiet = inQuietHours(now, person.quietHours);
        const deliverAt =
          person.mode === 'digest'
            ? nextDigestTime(now, person)
            : quiet
              ? quietHoursEnd(now, person.quietHours)
              : now;
        const message: Message = {
          messageId: messageIdOf(dedupKey),
          dedupKey,
          personId: person.personId,
          org: person.org,
          position: person.position,
          recipientName: person.name,
          kind: notice.kind,
          caseId: notice.caseId,
          text: messageText(notice, options.linkBase),
          line: digestLine(notice),
          link: caseLink(options.linkBase, notice.caseId),
          createdAt,
          deliverAt: deliverAt.toISOString(),
          hold: person.mode === 'digest' ? 'DIGEST' : quiet ? 'QUIET_HOURS' : 'NONE',
          quietHours: person.quietHours,
        };
        (message.hold === 'NONE' ? plan.sendNow : plan.queued).push(message);
      }
    }
  }
  return plan;
}

/** What one person receives from the queue: one message as it is, or several as one digest text. */
export interface Digest {
  digestId: string;
  personId: string;
  org: string;
  position: ChainPosition;
  recipientName: string;
  messages: Message[];
  text: string;
}

/**
 * The queued messages whose time has come, one delivery per person; `held` are the rest (not yet
 * due, or the person is in quiet hours now — a digest run late at night waits for the morning).
 */
export function buildDigests(queued: readonly Message[], now: Date): { digests: Digest[]; held: Message[] } {
  const due = new Map<string, Message[]>();
  const held: Message[] = [];
  for (const message of queued) {
    if (Date.parse(message.deliverAt) > now.getTime() || inQuietHours(now, message.quietHours)) {
      held.push(message);
      continue;
    }
    const list = due.get(message.personId) ?? [];
    list.push(message);
    due.set(message.personId, list);
  }
  const digests = [...due.values()].map((messages): Digest => {
    const sorted = [...messages].sort(
      (a, b) => a.createdAt.localeCompare(b.createdAt) || a.messageId.localeCompare(b.messageId),
    );
    const first = sorted[0]!;
    return {
      digestId: `d_${hash(sorted.map((m) => m.messageId).join(','), 32)}`,
      personId: first.personId,
      org: first.org,
      position: first.position,
      recipientName: first.recipientName,
      messages: sorted,
      text:
        sorted.length === 1 ? first.text : digestText(sorted.map((m) => ({ line: m.line, link: m.link }))),
    };
  });
  return { digests, held };
}
