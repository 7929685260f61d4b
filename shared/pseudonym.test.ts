import { describe, expect, it } from 'vitest';
import { parseIdNumber, upgradeFifteenDigit } from './id-number';
import { childKey, generatePseudonymSecret, parsePseudonymSecret } from './pseudonym';

// Bytes 0x00..0x1f. Expected keys were computed independently with Python's hmac + base64.b32encode.
const SECRET_BYTES = Uint8Array.from({ length: 32 }, (_, i) => i);
const SECRET_BASE64 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const FUMIN_BOY = '530124201503121236';
const GB_EXAMPLE = '11010519491231002X';

describe('childKey', () => {
  it('is c_ plus 32 lower-case base32 characters of the HMAC-SHA256, stable for a fixed secret', () => {
    expect(childKey(FUMIN_BOY, SECRET_BYTES)).toBe('c_pkohwlltp734b3looxq7tj6yhw7h55ea');
    expect(childKey(GB_EXAMPLE, SECRET_BYTES)).toBe('c_ttodt26k3ca4fkfu5kblejark5lnu2xm');
  });

  it('reads a string secret as base64, giving the same key as the bytes', () => {
    expect(childKey(FUMIN_BOY, SECRET_BASE64)).toBe(childKey(FUMIN_BOY, SECRET_BYTES));
  });

  it('gives a different key under another secret', () => {
    const other = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    expect(childKey(FUMIN_BOY, other)).not.toBe(childKey(FUMIN_BOY, SECRET_BYTES));
  });

  it('gives different children different keys', () => {
    expect(childKey(FUMIN_BOY, SECRET_BYTES)).not.toBe(childKey(GB_EXAMPLE, SECRET_BYTES));
  });

  it('gives the 15-digit and the 18-digit form of one number the same key once callers upgrade it', () => {
    const fifteen = '530124850615121';
    const expected = 'c_hos45znzu33uy5xmkh44fekaoqxadffj';
    expect(childKey(upgradeFifteenDigit(fifteen), SECRET_BYTES)).toBe(expected);
    const parsed = parseIdNumber(fifteen, { today: '2025-09-01' });
    if (!parsed.ok) throw new Error('fixture must parse');
    expect(childKey(parsed.id, SECRET_BYTES)).toBe(expected);
    expect(childKey('530124198506151217', SECRET_BYTES)).toBe(expected);
  });

  it('refuses a 15-digit number, which would give the same child a second key', () => {
    expect(() => childKey('530124850615121', SECRET_BYTES)).toThrow(/18-character/);
  });

  it('gives the same key to spelling variants of one number (lower-case x, full-width, G prefix)', () => {
    const key = childKey(GB_EXAMPLE, SECRET_BYTES);
    expect(childKey('11010519491231002x', SECRET_BYTES)).toBe(key);
    expect(childKey('G１１０１０５１９４９１２３１００２ｘ', SECRET_BYTES)).toBe(key);
  });

  it('rejects a secret shorter than 32 bytes, because a weak key makes pseudonyms enumerable', () => {
    expect(() => childKey(FUMIN_BOY, new Uint8Array(31))).toThrow(/at least 32/);
    expect(() => childKey(FUMIN_BOY, 'c2hvcnQ=')).toThrow(/at least 32/);
  });

  it('never contains the raw ID number or any recognisable part of it', () => {
    for (const id of [FUMIN_BOY, GB_EXAMPLE]) {
      const key = childKey(id, SECRET_BYTES);
      expect(key).toMatch(/^c_[a-z2-7]{32}$/);
      expect(key).not.toContain(id);
      expect(key).not.toContain(id.slice(0, 6)); // region code
      expect(key).not.toContain(id.slice(6, 14)); // birth date
      expect(key).not.toContain(id.slice(-4));
    }
  });
});

describe('generatePseudonymSecret', () => {
  it('makes 32 random bytes in base64 that parsePseudonymSecret accepts', () => {
    const secret = generatePseudonymSecret();
    expect(parsePseudonymSecret(secret)).toHaveLength(32);
    expect(generatePseudonymSecret()).not.toBe(secret);
  });
});

describe('parsePseudonymSecret', () => {
  it('decodes base64 to the secret bytes, ignoring surrounding whitespace such as a trailing newline', () => {
    expect(parsePseudonymSecret(`${SECRET_BASE64}\n`)).toEqual(SECRET_BYTES);
  });

  it('rejects a secret shorter than 32 bytes', () => {
    expect(() => parsePseudonymSecret(Buffer.alloc(16).toString('base64'))).toThrow(/16 bytes/);
  });

  it('rejects text that is not base64 instead of decoding it leniently', () => {
    expect(() => parsePseudonymSecret('this is not base64 at all, not even close!!')).toThrow(/base64/);
    expect(() => parsePseudonymSecret('')).toThrow(/at least 32/);
  });
});
