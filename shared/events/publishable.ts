/**
 * 事件收发 — typed parsing of received events and validated construction of PutEvents entries.
 * Deliberately free of the AWS SDK: adapters pass the plain entry to their own EventBridge client.
 */
import { z } from 'zod';
import { type EventSource, eventCatalogue } from './catalogue';

/** Every detail-type on the kcbx bus. */
export type DetailType = keyof typeof eventCatalogue;

/** The detail of an event of type `T`, as the catalogue's schema defines it. */
export type EventDetail<T extends DetailType> = z.infer<(typeof eventCatalogue)[T]['schema']>;

/** A parsed event of any type; narrowing on `detailType` narrows `detail`. */
export type AnyEvent = { [K in DetailType]: { detailType: K; detail: EventDetail<K> } }[DetailType];

export const detailTypes = Object.keys(eventCatalogue) as DetailType[];

export function isDetailType(value: string): value is DetailType {
  return Object.hasOwn(eventCatalogue, value);
}

export type EventContractError =
  | { code: 'UNKNOWN_DETAIL_TYPE'; detailType: string; zh: string; en: string }
  | { code: 'INVALID_DETAIL'; detailType: DetailType; zh: string; en: string; issues: z.core.$ZodIssue[] };

export type ParseEventResult<E> = { ok: true; event: E } | { ok: false; error: EventContractError };

/**
 * Validates an event detail against the catalogue. With a known detail-type literal the result is
 * typed to that event; with a string from the wire it is {@link AnyEvent}, narrowed by `detailType`.
 */
export function parseEventDetail<T extends DetailType>(
  detailType: T,
  detail: unknown,
): ParseEventResult<{ detailType: T; detail: EventDetail<T> }>;
export function parseEventDetail(detailType: string, detail: unknown): ParseEventResult<AnyEvent>;
export function parseEventDetail(detailType: string, detail: unknown): ParseEventResult<AnyEvent> {
  if (!isDetailType(detailType)) {
    return {
      ok: false,
      error: {
        code: 'UNKNOWN_DETAIL_TYPE',
        detailType,
        zh: `未知的事件类型“${detailType}”，事件目录中没有此类型。`,
        en: `Unknown detail-type "${detailType}": it is not in the event catalogue.`,
      },
    };
  }
  const schema: z.ZodType = eventCatalogue[detailType].schema;
  const parsed = schema.safeParse(detail);
  if (!parsed.success) {
    const details = z.prettifyError(parsed.error);
    return {
      ok: false,
      error: {
        code: 'INVALID_DETAIL',
        detailType,
        zh: `“${detailType}”事件的内容不符合契约：\n${details}`,
        en: `Invalid "${detailType}" event detail:\n${details}`,
        issues: parsed.error.issues,
      },
    };
  }
  return { ok: true, event: { detailType, detail: parsed.data } as AnyEvent };
}

/** The shape of one entry of EventBridge PutEvents (the AWS SDK's PutEventsRequestEntry). */
export interface PutEventsEntry<T extends DetailType = DetailType> {
  Source: EventSource;
  DetailType: T;
  Detail: string;
  EventBusName: string;
}

// EventBridge refuses a PutEvents entry above 256 KB (Source + DetailType + Detail + Resources, UTF-8).
const MAX_ENTRY_BYTES = 256 * 1024;

/**
 * Builds the PutEvents entry for an event after validating its detail against the catalogue.
 * Throws on an invalid detail: publishing a malformed event is a bug in the producer, and the error
 * lists every zod issue.
 */
export function toPutEventsEntry<T extends DetailType>(
  detailType: T,
  detail: EventDetail<T>,
  busName: string,
): PutEventsEntry<T> {
  if (busName.length === 0) throw new Error('toPutEventsEntry: busName is empty');
  const parsed = parseEventDetail(detailType, detail);
  if (!parsed.ok) throw new Error(`Refusing to publish: ${parsed.error.en}`, { cause: parsed.error });
  const entry: PutEventsEntry<T> = {
    Source: eventCatalogue[detailType].source,
    DetailType: detailType,
    Detail: JSON.stringify(parsed.event.detail),
    EventBusName: busName,
  };
  const bytes =
    Buffer.byteLength(entry.Source) + Buffer.byteLength(entry.DetailType) + Buffer.byteLength(entry.Detail);
  if (bytes > MAX_ENTRY_BYTES) {
    throw new Error(
      `Refusing to publish: "${detailType}" entry is ${bytes} bytes, above EventBridge's 256 KB limit`,
    );
  }
  return entry;
}
