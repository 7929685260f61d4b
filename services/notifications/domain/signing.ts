/**
 * 投递签名 — every HTTPS delivery to a partner is signed with HMAC-SHA256 over the timestamp and the body,
 * with the subscription's secret (kept in Secrets Manager; the partner holds a copy):
 *
 *   x-kcbx-timestamp: 1757662200                      unix seconds when the request was signed
 *   x-kcbx-signature: v1=<hex HMAC-SHA256(secret, "1757662200.<raw body>")>
 *   x-kcbx-event-id:  <eventId>                       optional; must equal the body's eventId
 *
 * A receiver recomputes the HMAC over the raw bytes it got, compares in constant time, and refuses a
 * timestamp outside its tolerance (five minutes) and a request it has already seen. Several `v1=` values
 * separated by commas may be sent while a secret is being rotated; any one that verifies is enough.
 *
 * Replay versus redelivery: an attacker who captured a request can only send it again unchanged (a new
 * timestamp needs the secret), so a replay is the same event id with the same timestamp — refused. The
 * platform re-signs every retry and every `kcbx replay` with a fresh timestamp: the same event id with a
 * new timestamp is a genuine redelivery, accepted, and the receiver drops it as a duplicate by eventId.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-kcbx-signature';
export const TIMESTAMP_HEADER = 'x-kcbx-timestamp';
export const EVENT_ID_HEADER = 'x-kcbx-event-id';
export const SIGNATURE_SCHEME = 'v1';
/** How far a timestamp may be from the receiver's clock, either way (clock skew, slow networks). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new random signing secret for a subscription: 32 bytes, base64url (43 characters). */
export function generateSigningSecret(): string {
  return randomBytes(32).toString('base64url');
}

const toBytes = (body: string | Uint8Array) => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

function hmacHex(secret: string, timestamp: number | string, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(toBytes(body)).digest('hex');
}

/**
 * The headers that sign `body` at `timestamp` (unix seconds). Sign the exact bytes you send: any change
 * (re-serialising the JSON, a trailing newline) makes the signature fail.
 */
export function signDelivery(
  secret: string,
  body: string | Uint8Array,
  timestamp: number,
  eventId?: string,
): Record<string, string> {
  if (secret.length === 0) throw new Error('signDelivery: the secret is empty');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new Error(`signDelivery: timestamp must be whole unix seconds, got ${timestamp}`);
  }
  const headers: Record<string, string> = {
    [SIGNATURE_HEADER]: `${SIGNATURE_SCHEME}=${hmacHex(secret, timestamp, body)}`,
    [TIMESTAMP_HEADER]: String(timestamp),
  };
  if (eventId !== undefined) headers[EVENT_ID_HEADER] = eventId;
  return headers;
}

export type VerifyFailureCode =
  | 'MISSING_SIGNATURE'
  | 'MISSING_TIMESTAMP'
  | 'BAD_TIMESTAMP'
  | 'BAD_SIGNATURE'
  | 'STALE_TIMESTAMP'
  | 'MISSING_EVENT_ID'
  | 'EVENT_ID_MISMATCH'
  | 'REPLAYED';

export type VerifyResult =
  | { ok: true; eventId: string; timestamp: number }
  | { ok: false; code: VerifyFailureCode; zh: string; en: string };

/** What a receiver remembers of the requests it accepted, to refuse the same request twice. */
export interface SeenRequests {
  has(key: string): boolean;
  add(key: string): void;
}

export interface VerifyDeliveryInput {
  /** The subscription's secret; several while rotating (the old and the new one). */
  secret: string | readonly string[];
  /** The request headers (any case; Node gives lower-case names). */
  headers: Record<string, string | readonly string[] | undefined>;
  /** The raw body, exactly as received. */
  body: string | Uint8Array;
  /** The receiver's clock: unix seconds, or a Date. */
  now: number | Date;
  toleranceSeconds?: number;
  /** Requests already accepted, keyed by {@link replayKey}; checked, then added to on success. */
  seen?: SeenRequests;
}

/** The key that identifies one signed request: the same event signed at the same second. */
export function replayKey(eventId: string, timestamp: number): string {
  return `${eventId}@${timestamp}`;
}

function header(headers: VerifyDeliveryInput['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const v = typeof value === 'string' ? value : value?.[0];
    return v?.trim() === '' ? undefined : v?.trim();
  }
  return undefined;
}

const fail = (code: VerifyFailureCode, zh: string, en: string): VerifyResult => ({ ok: false, code, zh, en });

/** The eventId the signed body names: the delivery envelope's `eventId` (or an EventBridge event's `detail.eventId`). */
function bodyEventId(body: string | Uint8Array): string | undefined {
  try {
    const parsed: unknown = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const p = parsed as { eventId?: unknown; detail?: { eventId?: unknown } };
    if (typeof p.eventId === 'string') return p.eventId;
    if (typeof p.detail?.eventId === 'string') return p.detail.eventId;
  } catch {
    // Not JSON: only the header can name the event.
  }
  return undefined;
}

/**
 * 验签 — checks a delivery: signature (constant-time, over the raw body), timestamp within tolerance,
 * and that this very request was not accepted before. Never throws; a failure says why in both
 * languages, for the 401 response and the receiver's log.
 */
export function verifyDelivery(input: VerifyDeliveryInput): VerifyResult {
  const { headers, body, seen, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS } = input;
  const secrets = typeof input.secret === 'string' ? [input.secret] : [...input.secret];
  const now = input.now instanceof Date ? Math.floor(input.now.getTime() / 1000) : Math.floor(input.now);

  const signatureHeader = header(headers, SIGNATURE_HEADER);
  const given = (signatureHeader ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${SIGNATURE_SCHEME}=`))
    .map((part) => part.slice(SIGNATURE_SCHEME.length + 1));
  if (given.length === 0) {
    return fail(
      'MISSING_SIGNATURE',
      `请求缺少签名头 ${SIGNATURE_HEADER}: v1=<签名>。`,
      `The request has no ${SIGNATURE_HEADER}: v1=<hex> header.`,
    );
  }
  const timestampText = header(headers, TIMESTAMP_HEADER);
  if (timestampText === undefined) {
    return fail(
      'MISSING_TIMESTAMP',
      `请求缺少时间戳头 ${TIMESTAMP_HEADER}（Unix 秒）。`,
      `The request has no ${TIMESTAMP_HEADER} header (unix seconds).`,
    );
  }
  if (!/^\d{1,12}$/.test(timestampText)) {
    return fail(
      'BAD_TIMESTAMP',
      `时间戳 ${TIMESTAMP_HEADER} 应为整数秒（Unix 时间），实为“${timestampText.slice(0, 40)}”。`,
      `${TIMESTAMP_HEADER} must be whole unix seconds, got "${timestampText.slice(0, 40)}".`,
    );
  }
  const timestamp = Number(timestampText);

  const authentic = secrets.some((secret) => {
    if (secret.length === 0) return false;
    const expected = Buffer.from(hmacHex(secret, timestampText, body), 'hex');
    return given.some((hex) => {
      if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
      return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
    });
  });
  if (!authentic) {
    return fail(
      'BAD_SIGNATURE',
      '签名不符：请求内容被改动，或密钥不一致。请确认使用订阅的密钥，并对原始请求体签名。',
      'The signature does not match: the body was changed, or the secret differs. Check the subscription secret and sign the raw body.',
    );
  }
  // Checked after the signature, so that only the holder of the secret learns how far off its clock is.
  if (Math.abs(now - timestamp) > toleranceSeconds) {
    return fail(
      'STALE_TIMESTAMP',
      `时间戳与接收方时钟相差 ${Math.abs(now - timestamp)} 秒，超过允许的 ${toleranceSeconds} 秒：可能是重放的旧请求，或时钟不准。`,
      `The timestamp is ${Math.abs(now - timestamp)} s from the receiver's clock, more than the ${toleranceSeconds} s allowed: an old request replayed, or a clock out of sync.`,
    );
  }

  // The replay check must rest on an id the signature covers, so the body's eventId comes first.
  const fromBody = bodyEventId(body);
  const fromHeader = header(headers, EVENT_ID_HEADER);
  if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
    return fail(
      'EVENT_ID_MISMATCH',
      `请求头 ${EVENT_ID_HEADER}（${fromHeader.slice(0, 128)}）与请求体中的 eventId（${fromBody.slice(0, 128)}）不一致。`,
      `${EVENT_ID_HEADER} (${fromHeader.slice(0, 128)}) differs from the body's eventId (${fromBody.slice(0, 128)}).`,
    );
  }
  const eventId = fromBody ?? fromHeader;
  if (eventId === undefined) {
    return fail(
      'MISSING_EVENT_ID',
      `无法确定事件标识：请求体中没有 eventId，也没有 ${EVENT_ID_HEADER} 请求头。`,
      `No event id: the body has no eventId and there is no ${EVENT_ID_HEADER} header.`,
    );
  }
  const key = replayKey(eventId, timestamp);
  if (seen?.has(key)) {
    return fail(
      'REPLAYED',
      `重放的请求：事件 ${eventId.slice(0, 128)} 在同一时间戳（${timestamp}）的请求已接收过。平台重发会重新签名并使用新的时间戳。`,
      `Replayed request: event ${eventId.slice(0, 128)} signed at ${timestamp} was already accepted. The platform re-signs every redelivery with a fresh timestamp.`,
    );
  }
  seen?.add(key);
  return { ok: true, eventId, timestamp };
}

/**
 * An in-memory {@link SeenRequests} that forgets a request once its timestamp is out of tolerance (by
 * then the timestamp check refuses it anyway), so a long-running receiver does not grow without bound.
 */
export function recentRequests(
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  clock: () => number = () => Math.floor(Date.now() / 1000),
): SeenRequests & { size(): number } {
  const keys = new Map<string, number>();
  const prune = () => {
    const oldest = clock() - toleranceSeconds;
    for (const [key, timestamp] of keys) if (timestamp < oldest) keys.delete(key);
  };
  return {
    has: (key) => keys.has(key),
    add: (key) => {
      prune();
      keys.set(key, Number(key.slice(key.lastIndexOf('@') + 1)));
    },
    size: () => keys.size,
  };
}
