import { maskIdNumber } from '../id-number';

/** Keys whose values are personal data of a child or guardian and never reach a log line. */
const SENSITIVE_KEYS = new Set(
  [
    'name',
    'studentName',
    'childName',
    'guardian',
    'guardianName',
    'idNumber',
    'id_number',
    'rawId',
    'address',
    'phone',
    'mobile',
    'contact',
    'poverty',
    'povertyCategory',
    'disability',
    'disabilityCategory',
    'authorization',
  ].map((k) => k.toLowerCase()),
);

// 18-digit IDs (17 digits + digit/X) and legacy 15-digit ones, not inside a longer digit run.
const ID_PATTERN = /(?<![\dA-Za-z])(\d{17}[\dXx]|\d{15})(?![\dA-Za-z])/g;
// 学籍号: G or L followed by an ID number.
const STUDENT_NUMBER_PATTERN = /(?<![\dA-Za-z])[GLgl](\d{17}[\dXx])(?![\dA-Za-z])/g;
// 11-digit mainland mobile numbers.
const MOBILE_PATTERN = /(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g;

const ERROR_NAME = /^[A-Za-z]*(Error|Exception|Fault)$/;

/** Masks anything in a free-text string that looks like an ID number or a mobile number. */
export function redactText(text: string): string {
  return text
    .replace(STUDENT_NUMBER_PATTERN, (_m, id: string) => maskIdNumber(id))
    .replace(ID_PATTERN, (m) => maskIdNumber(m))
    .replace(MOBILE_PATTERN, '$1****$2');
}

/**
 * JSON replacer for the Powertools logger: sensitive keys are replaced, and ID or phone numbers
 * hidden in any other string (an error message quoting a row, say) are masked.
 */
export function redactPii(key: string, value: unknown): unknown {
  // An error's `name` (TypeError, ConditionalCheckFailedException…) is not a person's name.
  if (key === 'name' && typeof value === 'string' && ERROR_NAME.test(value)) return value;
  if (key && SENSITIVE_KEYS.has(key.toLowerCase()) && value !== undefined && value !== null)
    return '[REDACTED]';
  if (typeof value === 'string') return redactText(value);
  return value;
}
