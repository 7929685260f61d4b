import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EVENT_ID_HEADER,
  generateSigningSecret,
  recentRequests,
  SIGNATURE_HEADER,
  signDelivery,
  TIMESTAMP_HEADER,
  verifyDelivery,
} from './signing';

const SECRET = 'whsec-test-0123456789abcdef';
const NOW = 1_757_662_200; // 2025-09-12T07:30:00Z
const EVENT_ID = '01K4Y3N5A1B2C3D4E5F6G7H8J9';
const body = JSON.stringify({ contractVersion: 1, eventId: EVENT_ID, detailType: 'case.opened', data: {} });

const verify = (
  headers: Record<string, string>,
  overrides: Partial<Parameters<typeof verifyDelivery>[0]> = {},
) => verifyDelivery({ secret: SECRET, headers, body, now: NOW, ...overrides });

describe('signDelivery', () => {
  it('signs HMAC-SHA256 over "<timestamp>.<body>" as hex, with the timestamp and event id headers', () => {
    const headers = signDelivery(SECRET, body, NOW, EVENT_ID);
    const expected = createHmac('sha256', SECRET).update(`${NOW}.${body}`).digest('hex');
    expect(headers).toEqual({
      [SIGNATURE_HEADER]: `v1=${expected}`,
      [TIMESTAMP_HEADER]: String(NOW),
      [EVENT_ID_HEADER]: EVENT_ID,
    });
  });

  it('leaves the event id header out when none is given, and signs bytes like the same string', () => {
    expect(Object.keys(signDelivery(SECRET, body, NOW))).toEqual([SIGNATURE_HEADER, TIMESTAMP_HEADER]);
    expect(signDelivery(SECRET, Buffer.from(body), NOW)).toEqual(signDelivery(SECRET, body, NOW));
  });

  it('refuses an empty secret and a timestamp that is not whole seconds', () => {
    expect(() => signDelivery('', body, NOW)).toThrow(/secret/);
    expect(() => signDelivery(SECRET, body, Date.now() / 1000 + 0.5)).toThrow(/unix seconds/);
  });

  it('generates long random secrets', () => {
    const a = generateSigningSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateSigningSecret()).not.toBe(a);
  });
});

describe('verifyDelivery', () => {
  it('accepts a correctly signed delivery and names its event', () => {
    expect(verify(signDelivery(SECRET, body, NOW, EVENT_ID))).toEqual({
      ok: true,
      eventId: EVENT_ID,
      timestamp: NOW,
    });
  });

  it('refuses a tampered body', () => {
    const headers = signDelivery(SECRET, body, NOW);
    const result = verify(headers, { body: body.replace('case.opened', 'case.closed') });
    expect(result).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });

  it('refuses a signature made with another secret, and a malformed one, without throwing', () => {
    expect(verify(signDelivery('another-secret-0123456789', body, NOW))).toMatchObject({
      code: 'BAD_SIGNATURE',
    });
    expect(verify({ [SIGNATURE_HEADER]: 'v1=abc', [TIMESTAMP_HEADER]: String(NOW) })).toMatchObject({
      code: 'BAD_SIGNATURE',
    });
  });

  it('refuses a request without signature or timestamp, or with a timestamp that is not a number', () => {
    const headers = signDelivery(SECRET, body, NOW);
    expect(verify({ [TIMESTAMP_HEADER]: String(NOW) })).toMatchObject({ code: 'MISSING_SIGNATURE' });
    expect(verify({ [SIGNATURE_HEADER]: 'v0=abc', [TIMESTAMP_HEADER]: String(NOW) })).toMatchObject({
      code: 'MISSING_SIGNATURE',
    });
    expect(verify({ [SIGNATURE_HEADER]: headers[SIGNATURE_HEADER]! })).toMatchObject({
      code: 'MISSING_TIMESTAMP',
    });
    expect(verify({ ...headers, [TIMESTAMP_HEADER]: '2025-09-12T07:30:00Z' })).toMatchObject({
      code: 'BAD_TIMESTAMP',
    });
  });

  it('says what is wrong in Chinese and English', () => {
    const result = verify({});
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.zh).toMatch(/签名/);
      expect(result.en).toMatch(/x-kcbx-signature/);
    }
  });

  it('refuses a timestamp more than the tolerance away, in the past or the future', () => {
    expect(verify(signDelivery(SECRET, body, NOW - 301))).toMatchObject({ code: 'STALE_TIMESTAMP' });
    expect(verify(signDelivery(SECRET, body, NOW + 301))).toMatchObject({ code: 'STALE_TIMESTAMP' });
    expect(verify(signDelivery(SECRET, body, NOW - 300)).ok).toBe(true);
    expect(verify(signDelivery(SECRET, body, NOW - 60), { toleranceSeconds: 30 })).toMatchObject({
      code: 'STALE_TIMESTAMP',
    });
  });

  it('takes the clock as a Date too', () => {
    expect(verify(signDelivery(SECRET, body, NOW), { now: new Date(NOW * 1000 + 999) }).ok).toBe(true);
  });

  it('refuses the same signed request twice, and accepts a redelivery signed afresh', () => {
    const seen = recentRequests(300, () => NOW);
    const first = signDelivery(SECRET, body, NOW, EVENT_ID);
    expect(verify(first, { seen }).ok).toBe(true);
    expect(verify(first, { seen })).toMatchObject({ ok: false, code: 'REPLAYED' });
    // The platform re-signs a retry: same event, new timestamp — genuine, deduplicated by eventId later.
    expect(verify(signDelivery(SECRET, body, NOW + 5, EVENT_ID), { seen })).toEqual({
      ok: true,
      eventId: EVENT_ID,
      timestamp: NOW + 5,
    });
  });

  it('cannot be fooled into a second acceptance by changing the unsigned event id header', () => {
    const seen = recentRequests(300, () => NOW);
    const headers = signDelivery(SECRET, body, NOW, EVENT_ID);
    expect(verify(headers, { seen }).ok).toBe(true);
    expect(verify({ ...headers, [EVENT_ID_HEADER]: 'another-event-id-123' }, { seen })).toMatchObject({
      code: 'EVENT_ID_MISMATCH',
    });
    const { [EVENT_ID_HEADER]: _dropped, ...withoutHeader } = headers;
    expect(verify(withoutHeader, { seen })).toMatchObject({ code: 'REPLAYED' });
  });

  it('takes the event id from the header when the body names none, and refuses when neither does', () => {
    const raw = 'not json';
    const signed = signDelivery(SECRET, raw, NOW, 'evt-from-header-1');
    expect(verify(signed, { body: raw })).toMatchObject({ ok: true, eventId: 'evt-from-header-1' });
    expect(verify(signDelivery(SECRET, raw, NOW), { body: raw })).toMatchObject({ code: 'MISSING_EVENT_ID' });
  });

  it('reads an EventBridge event body by its detail.eventId', () => {
    const event = JSON.stringify({ 'detail-type': 'case.opened', detail: { eventId: EVENT_ID } });
    expect(verify(signDelivery(SECRET, event, NOW), { body: event })).toMatchObject({
      ok: true,
      eventId: EVENT_ID,
    });
  });

  it('accepts either secret while one is rotated, and any of several signatures', () => {
    const oldSig = signDelivery('old-secret-0123456789', body, NOW)[SIGNATURE_HEADER]!;
    const newSig = signDelivery(SECRET, body, NOW)[SIGNATURE_HEADER]!;
    const headers = { [TIMESTAMP_HEADER]: String(NOW), [SIGNATURE_HEADER]: `${oldSig}, ${newSig}` };
    expect(verify(headers).ok).toBe(true);
    expect(
      verify(
        { [TIMESTAMP_HEADER]: String(NOW), [SIGNATURE_HEADER]: oldSig },
        { secret: ['x', 'old-secret-0123456789'] },
      ).ok,
    ).toBe(true);
  });

  it('reads header names in any case and array values (as node:http may give them)', () => {
    const h = signDelivery(SECRET, body, NOW);
    expect(
      verify({ 'X-KCBX-Signature': h[SIGNATURE_HEADER]!, 'X-Kcbx-Timestamp': h[TIMESTAMP_HEADER]! }).ok,
    ).toBe(true);
    expect(
      verifyDelivery({
        secret: SECRET,
        headers: { [SIGNATURE_HEADER]: [h[SIGNATURE_HEADER]!], [TIMESTAMP_HEADER]: h[TIMESTAMP_HEADER] },
        body: Buffer.from(body),
        now: NOW,
      }).ok,
    ).toBe(true);
  });
});

describe('recentRequests', () => {
  it('forgets a request once its timestamp is out of tolerance', () => {
    let now = NOW;
    const seen = recentRequests(300, () => now);
    seen.add(`a@${NOW}`);
    expect(seen.has(`a@${NOW}`)).toBe(true);
    now = NOW + 301;
    seen.add(`b@${now}`);
    expect(seen.has(`a@${NOW}`)).toBe(false);
    expect(seen.size()).toBe(1);
  });
});
