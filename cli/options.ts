import { isRealDate } from '../shared/dates';
import { regionCodeSchema } from '../shared/org';
import { usage } from './errors';

/** Collects a repeatable option (`--headcount a.csv --headcount b.csv`) into a list. */
export const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function wholeNumber(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) {
    throw usage(`${flag} 应为整数，实为“${text}”。`, `${flag} must be a whole number, got "${text}".`);
  }
  return Number(text);
}

/** --region: the county's 6-digit 行政区划代码. */
export function regionCode(text: string): string {
  if (!regionCodeSchema.safeParse(text).success) {
    throw usage(
      `--region 应为 6 位行政区划代码（如 530124），实为“${text}”。`,
      `--region must be a 6-digit region code (e.g. 530124), got "${text}".`,
    );
  }
  return text;
}

/** A date option written YYYY-MM-DD; `example` shows a date that makes sense for the command. */
export function realDate(flag: string, text: string, example: string): string {
  if (!isRealDate(text)) {
    throw usage(
      `${flag} 应为 YYYY-MM-DD 格式的真实日期（如 ${example}），实为“${text}”。`,
      `${flag} must be a real date written YYYY-MM-DD (e.g. ${example}), got "${text}".`,
    );
  }
  return text;
}
