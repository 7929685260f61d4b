/**
 * Builders for the validator's tests: rows as the reader yields them, without any file, and valid
 * ID numbers with their check digit computed.
 */
import { checkDigit } from '../../../shared/id-number';
import type { RawCell, RawRow } from './raw-rows';

export type CellInput = string | RawCell | undefined;

/** A text cell ('' and undefined are empty cells). */
export function text(value: string): RawCell {
  return value === '' ? { kind: 'empty' } : { kind: 'text', text: value };
}

/** A number cell; `shown` is how Excel shows it (an 18-digit ID loses its last digits: '…121000'). */
export function num(value: number, shown = String(value)): RawCell {
  return { kind: 'number', value, text: shown };
}

/** A real Excel date cell. */
export function dateCell(date: string): RawCell {
  return { kind: 'date', date, text: date };
}

function cell(input: CellInput): RawCell {
  if (input === undefined) return { kind: 'empty' };
  return typeof input === 'string' ? text(input) : input;
}

/** Rows numbered from line 1 (or `firstLine`). */
export function sheet(rows: CellInput[][], firstLine = 1): RawRow[] {
  return rows.map((cells, i) => ({ line: firstLine + i, cells: cells.map(cell) }));
}

/** A valid 18-character ID number: region + birth date (YYYYMMDD) + sequence + computed check digit. */
export function makeId(birth: string, sequence = '123', region = '530124'): string {
  const first17 = `${region}${birth}${sequence}`;
  return first17 + checkDigit(first17);
}
