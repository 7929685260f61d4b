/** Columns as a terminal or a fixed-width table shows them: CJK and full-width characters take two cells. */
export function cells(text: string): number {
  let n = 0;
  for (const ch of text) {
    n += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/.test(
      ch,
    )
      ? 2
      : 1;
  }
  return n;
}

export const padEnd = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - cells(text)));
export const padStart = (text: string, width: number) => ' '.repeat(Math.max(0, width - cells(text))) + text;
