/** China has one time zone and no daylight saving: UTC+8 all year. */
const CHINA_UTC_OFFSET_MS = 8 * 3_600_000;

/** Today's calendar date in China (YYYY-MM-DD), whatever the machine's time zone (Lambda runs in UTC). */
export function todayInChina(now: Date = new Date()): string {
  return new Date(now.getTime() + CHINA_UTC_OFFSET_MS).toISOString().slice(0, 10);
}
