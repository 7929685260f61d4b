/**
 * 金额 — money is integer 分 everywhere (1 元 = 100 分); 元 appear only as text for people. Conversions
 * work on the digits, so no floating-point rounding can ever change an amount.
 */

/** 1234.50 from 123450 分; '-3.05' from -305. Throws on anything but a safe integer. */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`fenToYuan expects a whole number of fen, got ${fen}`);
  const digits = String(Math.abs(fen)).padStart(3, '0');
  return `${fen < 0 ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** '1,234.50' — fenToYuan with thousands separators, for terminals and printed lists. */
export function fenToYuanGrouped(fen: number): string {
  const plain = fenToYuan(fen);
  const [whole, cents] = plain.split('.') as [string, string];
  return `${whole.replace(/\B(?=(\d{3})+$)/g, ',')}.${cents}`;
}

/** 123450 from '1234.5', '1234.50', '1,234.50' or '1234'; undefined for anything else (never rounds). */
export function yuanToFen(yuan: string): number | undefined {
  const m = /^(-?)(\d{1,13})(?:\.(\d{1,2}))?$/.exec(yuan.trim().replaceAll(',', ''));
  if (!m) return undefined;
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] === '-' ? -fen : fen;
}

/** Sums integer fen, refusing a total that would leave the safe-integer range. */
export function addFen(a: number, b: number): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) throw new RangeError('a total in fen left the safe-integer range');
  return sum;
}
