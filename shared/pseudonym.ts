/**
 * 假名化 — keyed pseudonyms of 身份证号, so that a raw ID number never appears in a storage
 * key, a log line or an event (个人信息保护法: these are minors' identity numbers).
 *
 * A plain hash would not do: a county's cohort of possible ID numbers (region code × birth
 * dates × sequence numbers) is only about 10^7 candidates, which anyone can hash in seconds.
 * An HMAC under a secret of at least 256 bits cannot be enumerated without the secret.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { normaliseIdNumber } from './id-number';

/** Domain separation: a pseudonym of a child cannot collide with any other keyed value. */
const CHILD_KEY_PREFIX = 'kcbx:child:v1:';
const MIN_SECRET_BYTES = 32;
const KEY_BYTES = 20; // 160 bits → 32 base32 characters
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const BASE32_CODES = [...BASE32_ALPHABET].map((c) => c.charCodeAt(0));

/**
 * 学生假名 — the pseudonym of a child: `c_` + 32 lower-case base32 characters of
 * HMAC-SHA256(secret, 'kcbx:child:v1:' + id). Deterministic for one secret.
 *
 * Pass the normalised, 18-character number (`parseIdNumber(raw).id`): a 15-digit number
 * must be upgraded first, or the same child would get two keys. Anything else is refused.
 * A string secret is read as base64 (as made by generatePseudonymSecret).
 */
export function childKey(id18: string, secret: Uint8Array | string): string {
  const key = typeof secret === 'string' ? parsePseudonymSecret(secret) : checkSecretLength(secret);
  const id = normaliseIdNumber(id18);
  if (!/^\d{17}[\dX]$/.test(id)) {
    throw new RangeError(
      'childKey expects a normalised 18-character ID number (use parseIdNumber(raw).id; 15-digit numbers must be upgraded first)',
    );
  }
  const mac = createHmac('sha256', key)
    .update(CHILD_KEY_PREFIX + id, 'utf8')
    .digest();
  return `c_${base32(mac.subarray(0, KEY_BYTES))}`;
}

/** A new random pseudonym secret (32 bytes, base64), to be kept in the deployment's secret store. */
export function generatePseudonymSecret(): string {
  return randomBytes(MIN_SECRET_BYTES).toString('base64');
}

/** Reads a base64 pseudonym secret and checks it is at least 32 bytes long. */
export function parsePseudonymSecret(text: string): Uint8Array {
  const compact = text.replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw new RangeError(
      'The pseudonym secret is not valid base64; generate one with generatePseudonymSecret()',
    );
  }
  return checkSecretLength(new Uint8Array(Buffer.from(compact, 'base64')));
}

function checkSecretLength(secret: Uint8Array): Uint8Array {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new RangeError(
      `The pseudonym secret has ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed, ` +
        'or the ~10^7 possible ID numbers of a county could be enumerated to undo the pseudonyms. ' +
        'Generate one with generatePseudonymSecret().',
    );
  }
  return secret;
}

/** RFC 4648 base32, lower-case, without padding. */
function base32(bytes: Uint8Array): string {
  // Character codes joined once: concatenating char by char leaves a rope of 32 small strings
  // (~740 bytes per key), and a comparison keeps a million of them.
  const codes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      codes.push(BASE32_CODES[(buffer >>> (bits - 5)) & 31]!);
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) codes.push(BASE32_CODES[(buffer << (5 - bits)) & 31]!);
  return String.fromCharCode(...codes);
}
