/**
 * 事件公共字段 — the fields every kcbx event detail carries, and the building blocks (child reference,
 * dates, ids, bilingual messages) that the catalogue composes. Events are a public contract: partner
 * departments receive them, so they carry no raw personal information at all.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { regionCodeSchema } from '../org';

/** 契约版本 — schema version of the event contract. Within a version only additive changes are allowed. */
export const schemaVersionSchema = z
  .literal(1)
  .describe('Event contract version; additive changes only within a version.');

/**
 * 事件标识 — the idempotency key of an event. It is stable for the same fact, so a redelivered or
 * re-published event has the same id and consumers can drop duplicates: derive it from the fact
 * ({@link deriveEventId}) or mint a ULID once and store it with the fact.
 */
export const eventIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/)
  .describe(
    'Idempotency key: the same fact always has the same eventId (ULID or a hash derived by the producer).',
  );

/** 发生时间 — when the fact happened, as an ISO 8601 UTC timestamp (what Date#toISOString() produces). */
export const occurredAtSchema = z.iso.datetime().describe('When the fact happened, ISO 8601 in UTC.');

/** 日期 — a calendar date (YYYY-MM-DD) in the region's local time (China Standard Time). */
export const localDateSchema = z.iso.date().describe('Calendar date, YYYY-MM-DD, local time of the region.');

/** 县级行政区划代码 — the county (6-digit 行政区划代码) the fact belongs to. */
export const eventRegionSchema = regionCodeSchema.describe(
  '6-digit county code (行政区划代码) the fact belongs to.',
);

/** 儿童假名 — the keyed HMAC pseudonym of a child's ID number ('c_' + 32 base32 characters). */
export const childKeySchema = z
  .string()
  .regex(/^c_[a-z2-7]{32}$/, {
    error: 'must be the keyed pseudonym c_ + 32 base32 characters, never an ID number',
  })
  .describe('Keyed HMAC pseudonym of the child: c_ followed by 32 base32 characters.');

/** 脱敏身份证号 — the first 4 and last 4 characters of the ID number, 10 asterisks between (5301**********123X). */
export const maskedIdSchema = z
  .string()
  .regex(/^\d{4}\*{10}[\dX]{4}$/, { error: 'must be a masked ID number such as 5301**********123X' })
  .describe('Masked ID number for display, e.g. 5301**********123X.');

/**
 * 儿童引用 — the only way an event refers to a child: the pseudonym (to join on) and the masked ID (to
 * show). Never a raw ID number, name, birth date, address or guardian.
 */
export const childRefSchema = z.strictObject({ childKey: childKeySchema, maskedId: maskedIdSchema });
export type ChildRef = z.infer<typeof childRefSchema>;

/** A record id minted by a kcbx service: upload, comparison, case, subsidy run. */
export const recordIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{5,127}$/);

/** A machine-readable code such as a rejection or hold reason: UPPER_SNAKE_CASE. */
export const codeSchema = z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/);

/**
 * 说明文字 — free text shown to users. It must never quote a raw ID number: any run of 15 or more digits
 * (an old or new 身份证号) is rejected, so producers must mask before they write.
 */
export const displayTextSchema = z
  .string()
  .min(1)
  .max(500)
  .regex(/^(?![\s\S]*\d{15})[\s\S]*$/, {
    error: 'must not contain a raw ID number (15 or more digits in a row)',
  });

/** 双语原因 — a reason with a code and a message in Chinese and English. */
export const reasonSchema = z.strictObject({
  code: codeSchema,
  zh: displayTextSchema,
  en: displayTextSchema,
});
export type Reason = z.infer<typeof reasonSchema>;

/** The fields every event detail starts with. Spread into each catalogue schema. */
export const envelopeShape = {
  schemaVersion: schemaVersionSchema,
  eventId: eventIdSchema,
  occurredAt: occurredAtSchema,
  region: eventRegionSchema,
} as const;

/** The common fields as a schema of their own, e.g. for a consumer that only routes and deduplicates. */
export const envelopeSchema = z.object(envelopeShape);
export type Envelope = z.infer<typeof envelopeSchema>;

/**
 * A consistency check for details that name a township: its first 6 digits must be the event's county.
 * Add with `.superRefine(townshipInRegion)`.
 */
export function townshipInRegion(
  detail: { region: string; township?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (detail.township !== undefined && !detail.township.startsWith(detail.region)) {
    ctx.addIssue({
      code: 'custom',
      path: ['township'],
      message: `township ${detail.township} is not inside region ${detail.region}`,
    });
  }
}

/**
 * Derives a stable event id from the event type and the facts that identify the event (e.g. the case id
 * and version), so publishing the same fact twice yields the same id. Facts should be ids and
 * pseudonyms, never raw personal data.
 */
export function deriveEventId(detailType: string, ...facts: readonly (string | number)[]): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([detailType, ...facts]))
    .digest('hex');
  return `e_${digest.slice(0, 40)}`;
}
