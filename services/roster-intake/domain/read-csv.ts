/**
 * CSV 花名册 — reads a text roster: detects the encoding (UTF-8, UTF-8 with BOM, GB18030/GBK) and the
 * delimiter (comma, semicolon or tab), decodes as the bytes stream in, and parses with papaparse.
 *
 * Encoding detection needs no sample size to be right: the file is ASCII-identical in every candidate
 * encoding until its first non-ASCII byte, so rows are decoded as ASCII until then, and the encoding is
 * decided on the 4 KiB that start at that byte (valid UTF-8 → utf-8, else valid GB18030 → gb18030, else the
 * file is refused). A GB18030 file whose Chinese starts on line 5,000 is read right.
 *
 * How records are read (the rules csv-parse applied here before, with relaxed quotes):
 * - A record ends at CRLF, LF or CR, mixed as they come; a quoted cell keeps its line breaks as written.
 * - A cell that starts with a quote is quoted until a quote followed by the delimiter, the line end or the end
 *   of the file ("" inside is one quote). A closing quote followed by anything else (`"阳光"班`, `"a" ,`) is
 *   text: the cell goes on unquoted and reads `"阳光"班`. Quotes inside an unquoted cell are text.
 * - Nothing is trimmed; a blank line is one empty cell; the empty line after the last line break is no record.
 *
 * papaparse takes one line break and is strict about closing quotes, so the text reaches it with every line
 * break as LF (the breaks inside quoted cells are put back afterwards), and each record it reads from text
 * with quotes is checked against the characters it came from; where papaparse read a closing quote
 * differently, the rest of that text is read by `relaxedRecord`, which follows the rules above.
 */
import Papa from 'papaparse';
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
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

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
    const records = new CsvRecords(delimiter, limits);
    let count = 0;

    function* drain(): Generator<RawRow> {
      for (const row of records.rows.splice(0)) {
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
        records.write(chunk);
        yield* drain();
      }
      for (let next = await text.next(); !next.done; next = await text.next()) {
        records.write(next.value);
        yield* drain();
      }
      records.end();
      yield* drain();
      finished = true;
    } catch (error) {
      // Rows read before the problem still go out first, so the caller sees everything up to it.
      yield* drain();
      throw error;
    } finally {
      if (!finished) {
        await text.return?.(undefined);
        input.close();
      }
    }
  }

  return { info, rows: rows() };
}

/**
 * Decoded text in, records out (into `rows`), chunk by chunk. Only the text of a record whose end has not
 * arrived is kept, and that record is refused (LINE_TOO_LONG) as soon as it is longer than `maxLineBytes`
 * characters: memory stays flat in the file size, and a 10 MB line is refused after reading `maxLineBytes`.
 */
class CsvRecords {
  /** Parsed rows not yet handed out. */
  readonly rows: RawRow[] = [];
  /** The line where the next record starts: messages point there. */
  private line = 1;
  /** Text not read yet, with every line break as LF: it starts with a record whose end had not arrived. */
  private pending = '';
  /** How much of `pending` was found to be one incomplete record when last read. */
  private scanned = 0;
  /** Whether `pending` is to be read by `relaxedRecord`, not papaparse. */
  private relaxing = false;
  private readonly breaks = new LineBreaks();
  private readonly parser: Papa.Parser;
  private readonly delimiter: number;

  constructor(
    delimiter: CsvDelimiter,
    private readonly limits: ReadLimits,
  ) {
    this.parser = new Papa.Parser({ delimiter, newline: '\n', quoteChar: '"' });
    this.delimiter = delimiter.charCodeAt(0);
  }

  write(chunk: string): void {
    const text = this.pending + this.breaks.normalize(chunk, false);
    // A long record is read again only once its text has doubled (or passed the limit), not on every chunk.
    if (text.length < 2 * this.scanned && text.length <= this.limits.maxLineBytes) {
      this.pending = text;
      return;
    }
    this.pending = text.slice(this.parse(text));
    this.scanned = this.pending.length;
    if (this.pending.length > this.limits.maxLineBytes) {
      throw rosterFileError('LINE_TOO_LONG', this.limits, { line: this.line });
    }
    this.breaks.forget(this.line - 1);
  }

  /** The end of the file: the last record needs no line break, and a quote still open is an error. */
  end(): void {
    const text = this.pending + this.breaks.normalize('', true);
    this.pending = '';
    for (let at = this.parse(text); at < text.length; )
      at = this.relaxedRecord(text, at, true) ?? text.length;
  }

  /** Reads the complete records of `text`, which starts with a record; returns where the incomplete one starts. */
  private parse(text: string): number {
    let from = 0;
    if (this.relaxing) {
      // papaparse misread the start of this record last time: read it by the rules alone until it ends.
      const next = this.relaxedRecord(text, 0, false);
      if (next === undefined) return 0;
      this.relaxing = false;
      from = next;
    }
    return from + this.parseRecords(from === 0 ? text : text.slice(from));
  }

  private parseRecords(text: string): number {
    if (text.length === 0) return 0;
    const result: Papa.ParseResult<string[]> = this.parser.parse(text, 0, true);
    const rows = result.data;
    if (text.indexOf('"') === -1) {
      // papaparse split the text at LF and the delimiter: one line per record, nothing to check.
      for (const row of rows) {
        let length = row.length - 1;
        for (const value of row) length += value.length;
        this.emit(row, length, false);
      }
      return result.meta.cursor;
    }
    let suspect = rows.length; // from the first record with a quote papaparse found odd, to the end of the text
    for (const error of result.errors) suspect = Math.min(suspect, error.row ?? 0);
    let at = 0;
    for (let r = 0; r < suspect; r++) {
      const row = rows[r]!;
      const end = this.recordEnd(text, at, row);
      if (end === -1) break;
      this.emit(row, end - at - 1, true);
      at = end;
    }
    if (at === result.meta.cursor && result.errors.length === 0) return at;
    for (let next = this.relaxedRecord(text, at, false); next !== undefined; ) {
      at = next;
      next = this.relaxedRecord(text, at, false);
    }
    this.relaxing = at < text.length;
    return at;
  }

  /**
   * Where the record that papaparse read as `row` from `start` ends (after its LF), or -1 when its characters
   * do not read that way by the rules of this module: a closing quote followed by spaces, which papaparse
   * skips, or by other text, which papaparse reads as part of the quoted cell.
   */
  private recordEnd(text: string, start: number, row: string[]): number {
    let at = start;
    const last = row.length - 1;
    for (let i = 0; i <= last; i++) {
      const value = row[i]!;
      let end = at + value.length;
      if (text.charCodeAt(at) === QUOTE) end += 2 + occurrences(value, '"');
      if (text.charCodeAt(end) !== (i === last ? LF : this.delimiter)) return -1;
      at = end + 1;
    }
    return at;
  }

  /**
   * Reads the record that starts at `start` by the rules in the module comment, char by char where papaparse
   * cannot; returns where the next record starts, or undefined when the record has not ended yet.
   */
  private relaxedRecord(text: string, start: number, eof: boolean): number | undefined {
    const delimiter = String.fromCharCode(this.delimiter);
    const row: string[] = [];
    let at = start;
    for (;;) {
      let value = '';
      let end: number; // where the cell ends: its delimiter, its line break, or the end of the text
      if (text.charCodeAt(at) === QUOTE) {
        let from = at + 1;
        for (let quote = text.indexOf('"', from); ; quote = text.indexOf('"', from)) {
          if (quote === -1 || (quote + 1 === text.length && !eof)) {
            if (!eof) return undefined;
            throw rosterFileError('MALFORMED_CSV', this.limits, {
              line: this.line,
              detail: 'quote not closed',
            });
          }
          const next = text.charCodeAt(quote + 1);
          if (next === QUOTE) {
            value += text.slice(from, quote + 1);
            from = quote + 2;
            continue;
          }
          value += text.slice(from, quote);
          if (quote + 1 === text.length || next === this.delimiter || next === LF) {
            end = quote + 1;
          } else {
            // Not a closing quote after all: the quotes are text, and the cell goes on unquoted.
            end = cellEnd(text, quote + 1, delimiter);
            if (end === -1) {
              if (!eof) return undefined;
              end = text.length;
            }
            value = `"${value}"${text.slice(quote + 1, end)}`;
          }
          break;
        }
      } else {
        end = cellEnd(text, at, delimiter);
        if (end === -1) {
          if (!eof) return undefined;
          end = text.length;
        }
        value = text.slice(at, end);
      }
      row.push(value);
      if (end < text.length && text.charCodeAt(end) === this.delimiter) {
        at = end + 1;
        continue;
      }
      this.emit(row, end - start, true);
      return end < text.length ? end + 1 : end;
    }
  }

  private emit(row: string[], length: number, multiline: boolean): void {
    const line = this.line;
    if (length > this.limits.maxLineBytes) throw rosterFileError('LINE_TOO_LONG', this.limits, { line });
    let breaks = 0;
    if (multiline) for (const value of row) breaks += occurrences(value, '\n');
    if (breaks > 0) this.breaks.restore(row, line - 1);
    const cells: RawCell[] = new Array(row.length);
    for (let i = 0; i < row.length; i++) {
      const value = row[i]!;
      cells[i] = value === '' ? EMPTY : { kind: 'text', text: value };
    }
    this.rows.push({ line, cells });
    this.line = line + 1 + breaks;
  }
}

/** Where the unquoted cell from `start` ends: its delimiter or LF, -1 when neither has arrived. */
function cellEnd(text: string, start: number, delimiter: string): number {
  const d = text.indexOf(delimiter, start);
  const n = text.indexOf('\n', start);
  return d === -1 ? n : n === -1 ? d : Math.min(d, n);
}

function occurrences(text: string, char: string): number {
  let count = 0;
  for (let at = text.indexOf(char); at !== -1; at = text.indexOf(char, at + 1)) count++;
  return count;
}

const BREAKS = ['\n', '\r\n', '\r'] as const;
type BreakKind = 0 | 1 | 2; // an index into BREAKS

/**
 * Turns every line break into LF on the way to the parser, and remembers what each one was (by its ordinal:
 * the break that ends line n is number n - 1) until the records that hold it have been read, so that a quoted
 * cell gets its CRLF or CR back. A CR at the end of a chunk waits for the next one: it may be half a CRLF.
 */
class LineBreaks {
  private total = 0;
  private held = false;
  private crSeen = false;
  /** Per chunk: its first break, how many, and what they are (all `kind`, or each in `kinds`). */
  private readonly segments: { first: number; count: number; kind: BreakKind; kinds?: Uint8Array }[] = [];

  normalize(chunk: string, last: boolean): string {
    let text = this.held ? `\r${chunk}` : chunk;
    this.held = !last && text.charCodeAt(text.length - 1) === CR;
    if (this.held) text = text.slice(0, -1);
    if (text.indexOf('\r') === -1) {
      this.add(occurrences(text, '\n'), 0);
      return text;
    }
    this.crSeen = true;
    const normalized = text.replace(/\r\n?/g, '\n');
    const count = occurrences(normalized, '\n');
    const crlf = text.length - normalized.length;
    if (crlf === count) this.add(count, 1);
    else if (crlf === 0 && occurrences(text, '\r') === count) this.add(count, 2);
    else {
      const kinds = new Uint8Array(count);
      let i = 0;
      for (const [found] of text.matchAll(/\r\n?|\n/g))
        kinds[i++] = found === '\n' ? 0 : found === '\r' ? 2 : 1;
      this.add(count, 0, kinds);
    }
    return normalized;
  }

  /** Puts the line breaks back into the cells of a record whose first inner break is number `first`. */
  restore(row: string[], first: number): void {
    if (!this.crSeen) return; // every break was LF
    let ordinal = first;
    for (let i = 0; i < row.length; i++) {
      const value = row[i]!;
      if (value.indexOf('\n') === -1) continue;
      let restored = '';
      let from = 0;
      for (let at = value.indexOf('\n'); at !== -1; at = value.indexOf('\n', from)) {
        restored += value.slice(from, at) + this.kind(ordinal++);
        from = at + 1;
      }
      row[i] = restored + value.slice(from);
    }
  }

  /** Forgets the breaks before number `ordinal`: the records that hold them have been read. */
  forget(ordinal: number): void {
    while (this.segments.length > 0 && this.segments[0]!.first + this.segments[0]!.count <= ordinal) {
      this.segments.shift();
    }
  }

  private add(count: number, kind: BreakKind, kinds?: Uint8Array): void {
    if (count === 0) return;
    this.segments.push({ first: this.total, count, kind, kinds });
    this.total += count;
  }

  private kind(ordinal: number): string {
    for (const s of this.segments) {
      if (ordinal < s.first + s.count)
        return BREAKS[s.kinds ? (s.kinds[ordinal - s.first] as BreakKind) : s.kind];
    }
    return '\n';
  }
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
