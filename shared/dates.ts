/** Calendar dates as the project writes them: 'YYYY-MM-DD', China time (UTC+8, no daylight saving). */

const CHINA_UTC_OFFSET_MS = 8 * 3_600_000;

/** Today's calendar date in China (YYYY-MM-DD), whatever the machine's time zone (Lambda runs in UTC). */
export function todayInChina(now: Date = new Date()): string {
  return new Date(now.getTime() + CHINA_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

/** True for a real calendar date written 'YYYY-MM-DD' (no 2023-02-30). */
export function isRealDate(date: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = new Date(Date.UTC(y, m - 1, d));
  return utc.getUTCFullYear() === y && utc.getUTCMonth() === m - 1 && utc.getUTCDate() === d;
}

/** `date` moved by `days` calendar days (negative: back), 'YYYY-MM-DD' in and out. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
