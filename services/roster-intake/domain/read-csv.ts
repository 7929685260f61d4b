/**
 * CSV 花名册 — reads a text roster: detects the encoding (UTF-8, UTF-8 with BOM, GB18030/GBK) and the
 * delimiter (comma, semicolon or tab), decodes as the bytes stream in, and parses with csv-parse.
 *
 * Encoding detection needs no sample size to be right: the file is ASCII-identical in every candidate
 * encoding until its first non-ASCII byte, so rows are decoded as ASCII until then, and the encoding is
 * decided on the 4 KiB that start at that byte (valid UTF-8 → utf-8, else valid GB18030 → gb18030, else the
 * file is refused). A GB18030 file whose Chinese starts on line 5,000 is read right.
 */
import { type CsvError, type Info, type Options, parse } from 'csv-parse';
import {
  type OpenedRoster,
  type RawCell,
  type RawRow,
  type ReadLimits,
  RosterFileError,
  type RosterFileInfo,
  rosterFileError,
  type SniffedInput,
} from './raw-rows';

const EMPTY: RawCell = Object.freeze({ kind: 'empty' });
/** How many bytes from the first non-ASCII byte decide the encoding. */
const DECISION_WINDOW = 4096;

export type CsvDelimiter = ',' | ';' | '\t';

export async function openCsv(input: SniffedInput, limits: ReadLimits): Promise<OpenedRoster> {
  refuseBinary(input.head, limits);
  const info: RosterFileInfo = { format: 'csv' };
  const progress = { bytes: 0 };
  const text = decodeText(input, info, progress, limits)[Symbol.asyncIterator]();

  // Decode the whole head before answering: a file that is text in neither encoding, or blank, is refused
  // now rather than from the row iterator, and the first line tells the delimiter.
  const prefetched: string[] = [];
  let done = false;
  while (input.complete || progress.bytes < input.head.length || prefetched.length === 0) {
    const next = await text.next();
    if (next.done) {
      done = true;
      break;
    }
    prefetched.push(next.value);
  }
  const opening = prefetched.join('');
  if (done && opening.trim() === '') throw rosterFileError('EMPTY_FILE', limits);
  if (looksLikeMarkup(opening)) throw rosterFileError('NOT_A_ROSTER', limits, { kind: 'html' });
  const delimiter = detectDelimiter(opening);

  async function* rows(): AsyncGenerator<RawRow> {
    let line = 1; // where the record being parsed starts: messages point there
    let count = 0;
    let csvLines = 0; // csv-parse's own line counter at the end of the previous record
    const batch: RawRow[] = [];
    const options: Options<RawRow, string[]> = {
      delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      max_record_size: limits.maxLineBytes,
      on_record: (record: string[], context: Info): RawRow => {
        const start = line;
        // csv-parse counts a CRLF inside quotes twice and nothing else reliably: when it saw more than the
        // record's own line break, count the breaks inside the fields ourselves.
        const seen = context.lines - csvLines;
        csvLines = context.lines;
        line += seen === 1 ? 1 : 1 + lineBreaksIn(record);
        const cells: RawCell[] = new Array(record.length);
        for (let i = 0; i < record.length; i++) {
          const value = record[i]!;
          cells[i] = value === '' ? EMPTY : { kind: 'text', text: value };
        }
        return { line: start, cells };
      },
    };
    // csv-parse's overloads type on_record as returning the record type; it may return anything.
    const parser = parse(options as unknown as Options);
    parser.on('data', (row: RawRow) => batch.push(row));
    parser.on('error', () => {}); // reported through the write callbacks below
    const write = (chunk: string) =>
      new Promise<void>((resolve, reject) => parser.write(chunk, (e) => (e ? reject(e) : resolve())));
    const end = () =>
      new Promise<void>((resolve, reject) => {
        parser.once('error', reject);
        parser.end(() => resolve());
      });

    function* drain(): Generator<RawRow> {
      for (const row of batch.splice(0)) {
        if (row.cells.length > limits.maxColumns) {
          throw rosterFileError('TOO_MANY_COLUMNS', limits, { line: row.line, columns: row.cells.length });
        }
        if (++count > limits.maxRows) throw rosterFileError('TOO_MANY_ROWS', limits, { line: row.line });
        yield row;
      }
    }

    let finished = false;
    try {
      for (const chunk of prefetched.splice(0)) {
        await write(chunk).catch((e) => failed(e));
        yield* drain();
      }
      for (let next = await text.next(); !next.done; next = await text.next()) {
        await write(next.value).catch((e) => failed(e));
        yield* drain();
      }
      await end().catch((e) => failed(e));
      yield* drain();
      finished = true;
    } catch (error) {
      // Rows parsed before the problem still go out first, so the caller sees everything up to it.
      if (error instanceof FailedParse) {
        yield* drain();
        throw csvError(error.cause, line, limits);
      }
      throw error;
    } finally {
      parser.destroy();
      if (!finished) {
        await text.return?.(undefined);
        input.close();
      }
    }
  }

  return { info, rows: rows() };
}

class FailedParse extends Error {}
function failed(cause: unknown): never {
  throw new FailedParse('csv-parse failed', { cause });
}

/** csv-parse errors carry the offending field: only their code goes on, never as a cause (logs). */
function csvError(error: unknown, line: number, limits: ReadLimits): Error {
  if (error instanceof RosterFileError) return error;
  const code = (error as CsvError | undefined)?.code;
  if (code === 'CSV_MAX_RECORD_SIZE') return rosterFileError('LINE_TOO_LONG', limits, { line });
  if (code === 'CSV_QUOTE_NOT_CLOSED')
    return rosterFileError('MALFORMED_CSV', limits, { line, detail: 'quote not closed' });
  if (typeof code === 'string' && code.startsWith('CSV_')) {
    return rosterFileError('MALFORMED_CSV', limits, { line, detail: code });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function lineBreaksIn(record: string[]): number {
  let breaks = 0;
  for (const field of record) {
    if (field.indexOf('\n') === -1 && field.indexOf('\r') === -1) continue;
    for (let i = 0; i < field.length; i++) {
      const c = field.charCodeAt(i);
      if (c === 0x0a) breaks++;
      else if (c === 0x0d) {
        breaks++;
        if (field.charCodeAt(i + 1) === 0x0a) i++;
      }
    }
  }
  return breaks;
}

/** The delimiter that occurs most often (outside quotes) on the first non-blank line; comma when none does. */
export function detectDelimiter(text: string): CsvDelimiter {
  let from = 0;
  let firstLine = '';
  while (from < text.length) {
    let to = from;
    while (to < text.length && text[to] !== '\n' && text[to] !== '\r') to++;
    firstLine = text.slice(from, to);
    if (firstLine.trim() !== '') break;
    from = to + 1;
  }
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const c of firstLine) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ',' || c === ';' || c === '\t')) counts[c]++;
  }
  let best: CsvDelimiter = ',';
  for (const d of ['\t', ';'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

function looksLikeMarkup(text: string): boolean {
  return /^\s*<(?:!doctype|html|\?xml|table|head|body|meta|div|style)\b/i.test(text);
}

/**
 * A text file has no NUL bytes and few control characters. A NUL-riddled start that alternates with ASCII is
 * UTF-16 (Excel's "Unicode Text") without its byte-order mark.
 */
function refuseBinary(head: Uint8Array, limits: ReadLimits): void {
  let nul = 0;
  let nulAtOdd = 0;
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (b >= 0x20) continue;
    if (b === 0) {
      nul++;
      if (i % 2 === 1) nulAtOdd++;
    } else if (b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1a) control++;
  }
  if (nul > 0) {
    const utf16 = nul >= head.length / 4 && (nulAtOdd >= nul * 0.9 || nulAtOdd <= nul * 0.1);
    throw rosterFileError(utf16 ? 'UNSUPPORTED_ENCODING' : 'NOT_A_ROSTER', limits, { kind: 'binary' });
  }
  if (control > 4 && control > head.length / 200)
    throw rosterFileError('NOT_A_ROSTER', limits, { kind: 'binary' });
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
const GB18030_BOM = [0x84, 0x31, 0x95, 0x33] as const;

function hasPrefix(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function firstNonAscii(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return i;
  return -1;
}

/** How many LF bytes `bytes` holds before `end`. LF never occurs inside a UTF-8 or GB18030 character. */
function countLineFeeds(bytes: Uint8Array, end = bytes.length): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (let at = buf.indexOf(0x0a); at !== -1 && at < end; at = buf.indexOf(0x0a, at + 1)) count++;
  return count;
}

/**
 * Which line of `chunk` (0 = the part before its first LF) is not valid `encoding`, decoding line by line.
 * Used only once decoding has failed, to say where.
 */
function firstInvalidLine(chunk: Uint8Array, encoding: string): number {
  const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let line = 1;
  for (let start = buf.indexOf(0x0a) + 1; start > 0 && start < buf.length; line++) {
    const end = buf.indexOf(0x0a, start);
    try {
      new TextDecoder(encoding, { fatal: true }).decode(buf.subarray(start, end === -1 ? buf.length : end), {
        stream: end === -1,
      });
    } catch {
      return line;
    }
    start = end + 1;
  }
  return 0; // the bad bytes are in the first line of the chunk (or join it to the chunk before)
}

/**
 * Bytes → text, settling the encoding on the way (see the module comment). Decoding is fatal: a byte that
 * is invalid in the chosen encoding rejects the file (INVALID_ENCODING, with the line) rather than
 * slipping a U+FFFD into a child's name.
 */
async function* decodeText(
  input: SniffedInput,
  info: RosterFileInfo,
  progress: { bytes: number },
  limits: ReadLimits,
): AsyncGenerator<string> {
  const head = input.head;
  let decoder: InstanceType<typeof TextDecoder> | undefined;
  let encoding = 'utf-8';
  if (hasPrefix(head, UTF8_BOM)) {
    decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    info.encoding = 'utf-8-bom';
  } else if (hasPrefix(head, GB18030_BOM)) {
    encoding = 'gb18030';
    decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
    info.encoding = 'gb18030';
  } else {
    info.encoding = 'utf-8'; // ASCII so far; settled at the first non-ASCII byte
  }
  let window: Uint8Array[] = [];
  let windowBytes = 0;
  let windowStart = 0;
  let windowLine = 0;
  let lineFeeds = 0; // before the current chunk
  let first = true;

  const invalid = (atByte: number, line: number, cause?: unknown) =>
    atByte < head.length
      ? rosterFileError('NOT_A_ROSTER', limits, { kind: 'binary', cause })
      : rosterFileError('INVALID_ENCODING', limits, { line, cause });

  const decide = (final: boolean): string => {
    const bytes = window.length === 1 ? window[0]! : Buffer.concat(window);
    window = [];
    windowBytes = 0;
    for (const candidate of ['utf-8', 'gb18030'] as const) {
      const attempt = new TextDecoder(candidate, { fatal: true, ignoreBOM: true });
      try {
        const text = attempt.decode(bytes, { stream: !final });
        decoder = attempt;
        encoding = candidate;
        info.encoding = candidate;
        return text;
      } catch {
        // not this one
      }
    }
    throw invalid(windowStart, windowLine);
  };

  for await (const chunk of input.chunks) {
    const nul = chunk.indexOf(0);
    if (nul !== -1) throw invalid(progress.bytes + nul, lineFeeds + countLineFeeds(chunk, nul) + 1);
    let text: string;
    if (decoder) {
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch (error) {
        throw invalid(progress.bytes, lineFeeds + 1 + firstInvalidLine(chunk, encoding), error);
      }
    } else if (windowBytes > 0) {
      window.push(chunk);
      windowBytes += chunk.length;
      text = windowBytes >= DECISION_WINDOW ? decide(false) : '';
    } else {
      const at = firstNonAscii(chunk);
      if (at === -1) {
        text = latin1(chunk);
      } else {
        text = latin1(chunk.subarray(0, at));
        window = [chunk.subarray(at)];
        windowBytes = chunk.length - at;
        windowStart = progress.bytes + at;
        windowLine = lineFeeds + countLineFeeds(chunk, at) + 1;
        if (windowBytes >= DECISION_WINDOW) text += decide(false);
      }
    }
    progress.bytes += chunk.length;
    lineFeeds += countLineFeeds(chunk);
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.length > 0) yield text;
  }
  let tail: string;
  try {
    tail = decoder ? decoder.decode() : windowBytes > 0 ? decide(true) : '';
  } catch (error) {
    if (error instanceof RosterFileError) throw error;
    throw invalid(progress.bytes, lineFeeds + 1, error); // the file ends inside a character
  }
  if (first && tail.charCodeAt(0) === 0xfeff) tail = tail.slice(1);
  if (tail.length > 0) yield tail;
}
