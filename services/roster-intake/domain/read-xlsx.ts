/**
 * .xlsx 花名册 — reads one worksheet with exceljs's streaming reader, behind a zip-bomb guard.
 *
 * What is guarded (解压炸弹防护), before exceljs sees a byte:
 * - Every local file header as it streams by: an entry whose declared uncompressed size is over
 *   `maxUncompressedBytes`, whose declared sizes add up to more than that, or whose declared ratio is over
 *   `maxCompressionRatio` is refused at once (ZIP_BOMB).
 * - The bytes actually inflated: each entry's compressed bytes are inflated here too (counted, then
 *   dropped) and each chunk is passed on to exceljs only once its inflated size is known. An entry that
 *   inflates past `maxUncompressedBytes`, all entries together past it, or an entry past 1 MiB at a ratio
 *   over `maxCompressionRatio` is refused, whatever its headers claim (data descriptors, lying sizes, zip64).
 *   Entries are delimited exactly as exceljs's unzipper does (size from the header, else the data-descriptor
 *   signature), so the guard counts what exceljs would inflate. The central directory is at the end of the
 *   stream and cannot be read first without buffering the file; unzipper never uses it.
 * - Entries exceljs cannot read (encrypted, not deflate or stored) and a file that ends inside an entry are
 *   CORRUPT_XLSX; a zip holding a Word, PowerPoint, .xlsb or .ods document is NOT_A_ROSTER.
 *
 * exceljs traps worked around here:
 * - Its streaming reader decodes each chunk of XML with a non-streaming TextDecoder, so a Chinese character
 *   cut by a chunk boundary becomes U+FFFD (one name in a few hundred). The reader below hands it text
 *   decoded with a streaming decoder instead.
 * - When worksheets come before xl/sharedStrings.xml in the zip (Excel and exceljs both write them so), it
 *   inflates them to temporary files (tmp-<pid>-… in os.tmpdir()) to read them after the last entry, and
 *   deletes each only once its sheet has been read to the end: a rejected sheet, an abandoned read or a
 *   killed process left a sheet's XML, names and ID numbers in the clear, on disk (and /tmp of a warm Lambda
 *   sandbox filling up). Nothing here lets it: such a workbook is read twice instead. The first pass reads
 *   the workbook, relationships, styles and shared strings and drains the worksheets; the second reads the
 *   file again from its first byte (`SniffedInput.reopen`) with those parts in hand and streams the sheet.
 *   Both passes go through the guard, and the second must read the very bytes of the first (SHA-256), or
 *   the file is refused. A workbook whose parts come first is read in one pass. Nothing is buffered beyond
 *   what exceljs keeps anyway (the shared strings), and nothing is written to disk.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import ExcelJS from 'exceljs';
import {
  type NotARosterKind,
  type OpenedRoster,
  type RawCell,
  type RawRow,
  type ReadLimits,
  RosterFileError,
  type RosterFileInfo,
  rosterFileError,
  type SniffedInput,
} from './raw-rows';

const MIB = 1024 * 1024;
/** Below this many inflated bytes an entry's ratio is not judged (small XML parts compress very well). */
const RATIO_FLOOR = MIB;
const INFLATE_SLICE = 64 * 1024;

const LOCAL_FILE_HEADER = 0x04034b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const DATA_DESCRIPTOR = Buffer.from([0x50, 0x4b, 0x07, 0x08]);
const NO_BYTES = Buffer.alloc(0);

interface ZipEntryHeader {
  name: string;
  flags: number;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  /** As unzipper decides it: no data-descriptor flag, or a compressed size in the header anyway. */
  sizeKnown: boolean;
}

/** Inflates one entry's compressed bytes only to count them. */
interface EntryCounter {
  feed(bytes: Buffer): Promise<void>;
  finish(): Promise<void>;
}

export interface ZipGuard {
  /** Inspects the next chunk; resolves once it may be passed on, rejects with a RosterFileError. */
  push(chunk: Uint8Array): Promise<void>;
  /** The stream ended: rejects if it ended inside an entry. */
  end(): void;
  /** Whether an entry named xl/workbook.xml went by. */
  readonly sawWorkbook: boolean;
}

export function createZipGuard(limits: ReadLimits): ZipGuard {
  const corrupt = (detail: string, cause?: unknown) =>
    rosterFileError('CORRUPT_XLSX', limits, { detail, cause });
  const bomb = () => rosterFileError('ZIP_BOMB', limits);
  let state: 'header' | 'data' | 'scan' | 'descriptor' | 'tail' = 'header';
  let pending: Buffer = NO_BYTES;
  let remaining = 0;
  let entry: EntryCounter | undefined;
  let declaredTotal = 0;
  let inflatedTotal = 0;
  let sawWorkbook = false;

  function parseLocalHeader(buf: Buffer, at: number): ZipEntryHeader {
    const flags = buf.readUInt16LE(at + 6);
    const method = buf.readUInt16LE(at + 8);
    let compressedSize = buf.readUInt32LE(at + 18);
    let uncompressedSize = buf.readUInt32LE(at + 22);
    const nameLength = buf.readUInt16LE(at + 26);
    const extraLength = buf.readUInt16LE(at + 28);
    const name = buf.toString('utf8', at + 30, at + 30 + nameLength);
    if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff) {
      // zip64: read the sizes where unzipper reads them (fixed offsets in the 0x0001 extra field).
      let extra = buf.subarray(at + 30 + nameLength, at + 30 + nameLength + extraLength);
      let zip64: { uncompressed: number; compressed: number } | undefined;
      while (!zip64 && extra.length >= 4) {
        const size = extra.readUInt16LE(2);
        if (extra.readUInt16LE(0) === 0x0001 && extra.length >= 20) {
          zip64 = {
            uncompressed: Number(extra.readBigUInt64LE(4)),
            compressed: Number(extra.readBigUInt64LE(12)),
          };
        }
        extra = extra.subarray(4 + size);
      }
      if (!zip64) throw corrupt(`zip64 entry ${name} has no zip64 sizes`);
      if (compressedSize === 0xffffffff) compressedSize = zip64.compressed;
      if (uncompressedSize === 0xffffffff) uncompressedSize = zip64.uncompressed;
      if (!Number.isSafeInteger(compressedSize) || !Number.isSafeInteger(uncompressedSize)) throw bomb();
    }
    const sizeKnown = (flags & 0x08) === 0 || compressedSize > 0;
    return { name, flags, method, compressedSize, uncompressedSize, sizeKnown };
  }

  function foreignDocument(name: string): NotARosterKind | undefined {
    if (name === 'xl/workbook.bin') return 'xlsb';
    if (name.startsWith('word/')) return 'word';
    if (name.startsWith('ppt/')) return 'powerpoint';
    if (name === 'mimetype' || name === 'content.xml') return 'ods';
    return undefined;
  }

  function counterFor(header: ZipEntryHeader): EntryCounter {
    let inflated = 0;
    const count = (bytes: number, consumed: number): boolean => {
      inflated += bytes;
      inflatedTotal += bytes;
      return (
        inflated > limits.maxUncompressedBytes ||
        inflatedTotal > limits.maxUncompressedBytes ||
        (inflated > RATIO_FLOOR && inflated > limits.maxCompressionRatio * Math.max(consumed, 1))
      );
    };
    if (header.method === 0) {
      let consumed = 0;
      return {
        async feed(bytes) {
          consumed += bytes.length;
          if (count(bytes.length, consumed)) throw bomb();
        },
        async finish() {},
      };
    }
    const inflater = zlib.createInflateRaw({ chunkSize: 64 * 1024 });
    let failure: RosterFileError | undefined;
    let ended = false;
    inflater.on('data', (out: Buffer) => {
      if (failure) return;
      if (count(out.length, inflater.bytesWritten)) {
        failure = bomb();
        inflater.destroy();
      }
    });
    inflater.on('end', () => {
      ended = true;
    });
    inflater.on('error', (error) => {
      failure ??= corrupt(`entry ${header.name} does not inflate`, error);
    });
    return {
      async feed(bytes) {
        for (let at = 0; at < bytes.length && !failure && !ended; at += INFLATE_SLICE) {
          const slice = bytes.subarray(at, at + INFLATE_SLICE);
          await new Promise<void>((resolve) => inflater.write(slice, () => resolve()));
        }
        if (failure) throw failure;
      },
      async finish() {
        if (!failure && !ended) {
          await new Promise<void>((resolve) => {
            inflater.once('end', resolve);
            inflater.once('close', resolve);
            inflater.end();
          });
        }
        inflater.destroy();
        if (failure) throw failure;
      },
    };
  }

  async function startEntry(header: ZipEntryHeader): Promise<void> {
    const foreign = foreignDocument(header.name);
    if (foreign) throw rosterFileError('NOT_A_ROSTER', limits, { kind: foreign });
    if (header.name === 'xl/workbook.xml') sawWorkbook = true;
    if (header.flags & 0x01) throw rosterFileError('ENCRYPTED_XLSX', limits);
    if (header.method !== 0 && header.method !== 8) {
      throw corrupt(`entry ${header.name} uses compression method ${header.method}`);
    }
    if (header.sizeKnown) {
      declaredTotal += header.uncompressedSize;
      const ratio = header.uncompressedSize / Math.max(header.compressedSize, 1);
      if (
        header.uncompressedSize > limits.maxUncompressedBytes ||
        declaredTotal > limits.maxUncompressedBytes ||
        (header.uncompressedSize > RATIO_FLOOR && ratio > limits.maxCompressionRatio)
      ) {
        throw bomb();
      }
    }
    // Nothing to inflate: an empty deflate entry would be an inflate error that unzipper also reports.
    entry =
      header.sizeKnown && header.compressedSize === 0
        ? counterFor({ ...header, method: 0 })
        : counterFor(header);
    if (header.sizeKnown) {
      remaining = header.compressedSize;
      state = 'data';
    } else {
      state = 'scan';
    }
  }

  return {
    get sawWorkbook() {
      return sawWorkbook;
    },
    async push(chunk) {
      let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (pending.length > 0) {
        buf = Buffer.concat([pending, buf]);
        pending = NO_BYTES;
      }
      let at = 0;
      while (at < buf.length && state !== 'tail') {
        if (state === 'header') {
          if (buf.length - at < 4) break;
          const signature = buf.readUInt32LE(at);
          if (signature === CENTRAL_DIRECTORY_HEADER || signature === END_OF_CENTRAL_DIRECTORY) {
            state = 'tail'; // no entry is inflated after this point
            break;
          }
          if (signature !== LOCAL_FILE_HEADER) throw corrupt('unexpected bytes between zip entries');
          if (buf.length - at < 30) break;
          const headerLength = 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
          if (buf.length - at < headerLength) break;
          const header = parseLocalHeader(buf, at);
          at += headerLength;
          await startEntry(header);
        } else if (state === 'data') {
          const take = Math.min(remaining, buf.length - at);
          await entry!.feed(buf.subarray(at, at + take));
          at += take;
          remaining -= take;
          if (remaining === 0) {
            await entry!.finish();
            state = 'header';
          }
        } else if (state === 'scan') {
          const found = buf.indexOf(DATA_DESCRIPTOR, at);
          if (found === -1) {
            // Keep the last 3 bytes back: they may start the signature.
            const safe = Math.max(at, buf.length - (DATA_DESCRIPTOR.length - 1));
            await entry!.feed(buf.subarray(at, safe));
            at = safe;
            break;
          }
          await entry!.feed(buf.subarray(at, found));
          await entry!.finish();
          at = found;
          state = 'descriptor';
        } else {
          if (buf.length - at < 16) break; // signature, crc-32, compressed and uncompressed size
          at += 16;
          state = 'header';
        }
      }
      // An entry of size 0 finishes without bytes.
      if (state === 'data' && remaining === 0) {
        await entry!.finish();
        state = 'header';
      }
      if (state !== 'tail' && at < buf.length) pending = Buffer.from(buf.subarray(at));
    },
    end() {
      if (state === 'tail' || (state === 'header' && pending.length === 0)) return;
      throw corrupt('the file ends inside a zip entry (incomplete upload?)');
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// exceljs

interface SheetModel {
  name: string;
  id: number;
  state?: string;
}
interface ExcelCell {
  readonly value: unknown;
  readonly numFmt?: string;
}
interface ExcelRow {
  readonly number: number;
  eachCell(iteratee: (cell: ExcelCell, column: number) => void): void;
}
interface WorksheetStream {
  name: string;
  parse(): AsyncGenerator<{ eventType: string; value: unknown }[]>;
}
type ReaderPart = { eventType: string; value: unknown };
type WorkbookModel = { sheets?: SheetModel[] };
type WorkbookProperties = { model?: { date1904?: boolean } };

/** The parts of exceljs's streaming WorkbookReader this module relies on (exceljs 4.4.0). */
interface WorkbookReaderInternals {
  model?: WorkbookModel;
  properties?: WorkbookProperties;
  styles: unknown;
  sharedStrings?: unknown[];
  workbookRels?: unknown[];
  parse(): AsyncGenerator<ReaderPart>;
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<ReaderPart>;
  _parseWorksheet(iterator: AsyncIterable<Uint8Array | string>, sheetNo: string): Generator<ReaderPart>;
}

const ExcelWorkbookReader = ExcelJS.stream.xlsx.WorkbookReader as unknown as new (
  input: Readable,
  options: object,
) => WorkbookReaderInternals;

async function* decodeUtf8(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield text;
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield tail;
}

/** What a worksheet is read with, carried from the first pass into the second. */
interface WorkbookParts {
  sharedStrings: unknown[];
  workbookRels: unknown[];
  model: WorkbookModel | undefined;
  properties: WorkbookProperties | undefined;
  styles: unknown;
}

/**
 * The parts a worksheet needs before it is read: its name (the workbook and its relationships), its text
 * (the shared strings) and its date formats (the styles).
 */
const NEEDED_PARTS = ['workbook', 'rels', 'sharedStrings', 'styles'] as const;
type NeededPart = (typeof NEEDED_PARTS)[number];
const NOTHING_YET: readonly unknown[] = Object.freeze([]);

const READER_OPTIONS = {
  worksheets: 'emit',
  sharedStrings: 'cache',
  hyperlinks: 'ignore',
  styles: 'cache', // needed to tell date cells
  entries: 'ignore',
} as const;

/**
 * exceljs's reader, fed text decoded across chunk boundaries (see the module comment), that never writes
 * a worksheet to disk.
 *
 * exceljs parks a worksheet in a temporary file whenever it meets one while `sharedStrings` or
 * `workbookRels` is unset. Here neither is ever unset (an empty list stands in until the real part is
 * read), so exceljs always streams; a worksheet met before the parts it needs is skipped (exceljs drains
 * it) and listed in `deferred`, for a second pass that starts with the parts of this one (`carried`).
 */
class StreamingWorkbookReader extends ExcelWorkbookReader {
  /** Worksheets (by their number in the zip) skipped because they came before the parts they need. */
  readonly deferred: string[] = [];
  private readonly seen = new Set<NeededPart>();
  private readonly carried: WorkbookParts | undefined;
  private strings: unknown[] | undefined;
  private rels: unknown[] | undefined;

  constructor(input: Readable, carried?: WorkbookParts) {
    super(input, READER_OPTIONS);
    this.carried = carried;
    Object.defineProperties(this, {
      sharedStrings: {
        get: () => this.strings ?? NOTHING_YET,
        set: (value: unknown[] | undefined) => {
          this.strings = value;
        },
        configurable: true,
      },
      workbookRels: {
        get: () => this.rels ?? NOTHING_YET,
        set: (value: unknown[] | undefined) => {
          this.rels = value;
        },
        configurable: true,
      },
    });
    if (carried) {
      this.strings = carried.sharedStrings;
      this.rels = carried.workbookRels;
      this.model = carried.model;
      this.properties = carried.properties;
      this.styles = carried.styles;
    }
  }

  /** What the worksheets of this workbook are read with, for a second pass. */
  parts(): WorkbookParts {
    return {
      sharedStrings: this.strings ?? [],
      workbookRels: this.rels ?? [],
      model: this.model,
      properties: this.properties,
      styles: this.styles,
    };
  }

  // In a second pass the parts are already known: exceljs drains their entries unread.
  override async _parseRels(entry: Readable) {
    if (this.carried) return;
    entry.setEncoding('utf8');
    await super._parseRels(entry);
    this.seen.add('rels');
  }
  override async _parseWorkbook(entry: Readable) {
    if (this.carried) return;
    entry.setEncoding('utf8');
    await super._parseWorkbook(entry);
    this.seen.add('workbook');
  }
  override async _parseStyles(entry: Readable) {
    if (this.carried) return;
    entry.setEncoding('utf8'); // number formats such as yyyy"年"m"月"d"日" tell date cells
    await super._parseStyles(entry);
    this.seen.add('styles');
  }
  override async *_parseSharedStrings(entry: Readable) {
    if (this.carried) return;
    entry.setEncoding('utf8');
    yield* super._parseSharedStrings(entry);
    this.seen.add('sharedStrings');
  }
  override *_parseWorksheet(iterator: AsyncIterable<Uint8Array | string>, sheetNo: string) {
    if (!this.carried && NEEDED_PARTS.some((part) => !this.seen.has(part))) {
      this.deferred.push(sheetNo);
      return;
    }
    // exceljs reads this.model.sheets for the sheet's name and crashes on a workbook part without one.
    this.model ??= { sheets: [] };
    yield* super._parseWorksheet(decodeUtf8(iterator), sheetNo);
  }
}

/** One read of the file, from its first byte, through the zip guard and exceljs. */
interface Pass {
  readonly reader: StreamingWorkbookReader;
  readonly guard: ZipGuard;
  /** Waits for exceljs, or fails as soon as the guard refuses the input (exceljs would hang instead). */
  step<T>(promise: Promise<T>): Promise<T>;
  next(): Promise<IteratorResult<ReaderPart>>;
  /** Reads what is left of the file (exceljs drains it) and returns the SHA-256 of every byte read. */
  finish(): Promise<Buffer>;
  /** The error this pass fails with: the guard's refusal, or `error` as a damaged workbook. */
  fail(error: unknown): RosterFileError;
  /** Stops exceljs and the source of this pass. */
  stop(): void;
}

function startPass(chunks: AsyncIterable<Uint8Array>, limits: ReadLimits, carried?: WorkbookParts): Pass {
  const guard = createZipGuard(limits);
  const digest = createHash('sha256');
  let failure: RosterFileError | undefined;
  let interrupt: ((error: RosterFileError) => void) | undefined;
  const fail = (error: unknown): RosterFileError => {
    failure ??= asRosterFileError(error, limits);
    interrupt?.(failure);
    return failure;
  };

  let sourceDone = false;
  let sourceEnded = () => {};
  const ended = new Promise<void>((resolve) => {
    sourceEnded = resolve;
  });
  async function* guarded(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of chunks) {
        await guard.push(chunk);
        digest.update(chunk);
        yield chunk;
      }
      guard.end();
      sourceDone = true;
      sourceEnded();
    } catch (error) {
      throw fail(error);
    }
  }
  const bytes = Readable.from(guarded(), { objectMode: false });
  bytes.on('error', () => {}); // the guard reports through fail()
  const reader = new StreamingWorkbookReader(bytes, carried);
  const parts = reader.parse();

  // (One settable interrupt rather than Promise.race against a shared promise, which would keep a
  // reaction per wait until the end of the file.)
  const step = <T>(promise: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (failure) {
        reject(failure);
        return;
      }
      interrupt = reject;
      promise.then(resolve, (error: unknown) => reject(fail(error)));
    });

  return {
    reader,
    guard,
    step,
    next: () => step(parts.next()),
    async finish() {
      for (let next = await step(parts.next()); !next.done; next = await step(parts.next())) {
        // drained by exceljs
      }
      if (!sourceDone) {
        // unzipper stops at the end of the central directory: read whatever follows it too.
        bytes.unpipe();
        bytes.resume();
        await step(ended);
      }
      return digest.digest();
    },
    fail,
    stop() {
      parts.return(undefined).catch(() => {});
      bytes.destroy();
    },
  };
}

function sheetNames(reader: StreamingWorkbookReader): string[] {
  return (reader.model?.sheets ?? []).map((s) => s.name);
}

function assertSheetExists(reader: StreamingWorkbookReader, sheet: string | undefined, limits: ReadLimits) {
  const names = sheetNames(reader);
  if (sheet !== undefined && names.length > 0 && !names.includes(sheet)) {
    throw rosterFileError('SHEET_NOT_FOUND', limits, { sheet, sheets: names });
  }
}

/** The worksheet to read, as exceljs emits it; `seen` gets the names of those passed over. */
async function findWorksheet(
  pass: Pass,
  sheet: string | undefined,
  limits: ReadLimits,
  seen: Set<string>,
): Promise<WorksheetStream | undefined> {
  for (let next = await pass.next(); !next.done; next = await pass.next()) {
    if (next.value.eventType !== 'worksheet') continue;
    const worksheet = next.value.value as WorksheetStream;
    assertSheetExists(pass.reader, sheet, limits);
    // The first sheet is the first visible tab, as Excel opens the file; exceljs emits in zip order.
    const sheets = pass.reader.model?.sheets ?? [];
    const wanted =
      sheet ?? (sheets.find((s) => s.state !== 'hidden' && s.state !== 'veryHidden') ?? sheets[0])?.name;
    if (wanted === undefined || worksheet.name === wanted) return worksheet;
    seen.add(worksheet.name); // exceljs drains a worksheet nobody parses
  }
  return undefined;
}

export async function openXlsx(
  input: SniffedInput,
  opts: { sheet?: string; limits: ReadLimits },
): Promise<OpenedRoster> {
  const { limits } = opts;
  let pass = startPass(input.chunks, limits);
  /** When the worksheet is read in a second pass: the SHA-256 of the first, which the second must match. */
  let firstRead: Buffer | undefined;
  const stop = () => {
    pass.stop();
    input.close();
  };

  const seen = new Set<string>();
  let target: WorksheetStream | undefined;
  try {
    target = await findWorksheet(pass, opts.sheet, limits, seen);
    if (!target && pass.reader.deferred.length > 0 && pass.guard.sawWorkbook) {
      // The worksheets came before the parts they need, as Excel writes them: read the file again with
      // those parts in hand rather than park the worksheets (names, ID numbers) on disk until then.
      assertSheetExists(pass.reader, opts.sheet, limits);
      firstRead = await pass.finish();
      const parts = pass.reader.parts();
      pass.stop();
      let again: AsyncIterable<Uint8Array>;
      try {
        again = await input.reopen();
      } catch (error) {
        // Not the file's fault (S3 unavailable, the object replaced): the caller retries.
        throw new ReopenFailed(error);
      }
      pass = startPass(again, limits, parts);
      target = await findWorksheet(pass, opts.sheet, limits, seen);
    }
    if (!target) {
      if (!pass.guard.sawWorkbook) throw rosterFileError('NOT_A_ROSTER', limits, { kind: 'zip' });
      const names = sheetNames(pass.reader).length > 0 ? sheetNames(pass.reader) : [...seen];
      if (opts.sheet !== undefined) {
        throw rosterFileError('SHEET_NOT_FOUND', limits, { sheet: opts.sheet, sheets: names });
      }
      throw rosterFileError('CORRUPT_XLSX', limits, { detail: 'no worksheet found' });
    }
  } catch (error) {
    stop();
    if (error instanceof ReopenFailed) throw error.cause;
    throw error instanceof RosterFileError ? error : pass.fail(error);
  }

  const worksheet = target;
  const reading = pass;
  const names = sheetNames(reading.reader);
  const info: RosterFileInfo = {
    format: 'xlsx',
    sheet: worksheet.name,
    sheets: names.length > 0 ? names : [worksheet.name],
  };
  const date1904 = reading.reader.properties?.model?.date1904 === true;

  async function* rows(): AsyncGenerator<RawRow> {
    let count = 0;
    const events = worksheet.parse();
    try {
      for (
        let next = await reading.step(events.next());
        !next.done;
        next = await reading.step(events.next())
      ) {
        for (const { eventType, value } of next.value) {
          if (eventType !== 'row') continue;
          const row = toRawRow(value as ExcelRow, date1904, limits);
          if (++count > limits.maxRows) throw rosterFileError('TOO_MANY_ROWS', limits, { line: row.line });
          yield row;
        }
      }
      // The sheet was read with the shared strings of the first pass: both passes must have read one file.
      if (firstRead && !(await reading.finish()).equals(firstRead)) {
        throw rosterFileError('CORRUPT_XLSX', limits, { detail: 'the file changed while it was read' });
      }
    } finally {
      stop();
    }
  }

  return { info, rows: rows() };
}

/** Opening the file a second time failed: that error, passed on as it is. */
class ReopenFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('reopen failed');
  }
}

function asRosterFileError(error: unknown, limits: ReadLimits): RosterFileError {
  if (error instanceof RosterFileError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // exceljs and saxes messages name XML positions, not cell contents; keep them short anyway.
  return rosterFileError('CORRUPT_XLSX', limits, { detail: message.slice(0, 120), cause: error });
}

// ---------------------------------------------------------------------------------------------------------
// cells

const EMPTY: RawCell = Object.freeze({ kind: 'empty' });
const TRUE: RawCell = Object.freeze({ kind: 'text', text: 'TRUE' });
const FALSE: RawCell = Object.freeze({ kind: 'text', text: 'FALSE' });

function toRawRow(row: ExcelRow, date1904: boolean, limits: ReadLimits): RawRow {
  const cells: RawCell[] = [];
  row.eachCell((cell, column) => {
    const raw = toRawCell(cell, date1904);
    if (raw === EMPTY) return;
    if (column > limits.maxColumns) {
      throw rosterFileError('TOO_MANY_COLUMNS', limits, { line: row.number, columns: column });
    }
    while (cells.length < column - 1) cells.push(EMPTY);
    cells.push(raw);
  });
  return { line: row.number, cells };
}

function toRawCell(cell: ExcelCell, date1904: boolean): RawCell {
  const value = cell.value;
  switch (typeof value) {
    case 'string':
      return textCell(value);
    case 'number':
      return numberCell(value);
    case 'boolean':
      return value ? TRUE : FALSE;
    case 'object':
      if (value === null) return EMPTY;
      if (value instanceof Date) return dateCell(value);
      return objectCell(value as Record<string, unknown>, cell, date1904);
    default:
      return EMPTY;
  }
}

function objectCell(value: Record<string, unknown>, cell: ExcelCell, date1904: boolean): RawCell {
  if (Array.isArray(value.richText)) return textCell(richText(value.richText));
  if ('formula' in value || 'sharedFormula' in value) {
    const result = value.result;
    const formula = (): RawCell => ({
      kind: 'text',
      text: `=${String(value.formula ?? value.sharedFormula ?? '')}`,
    });
    switch (typeof result) {
      case 'number':
        // exceljs reads error and boolean results as parseFloat of their text: NaN for '#N/A'.
        if (Number.isNaN(result)) return formula();
        return isDateFormat(cell.numFmt) ? dateCell(excelSerialToDate(result, date1904)) : numberCell(result);
      case 'string':
        return textCell(result);
      case 'boolean':
        return result ? TRUE : FALSE;
      case 'object':
        if (result instanceof Date) return dateCell(result);
        if (result && 'error' in result) return { kind: 'text', text: String(result.error) };
        return formula();
      default:
        return formula();
    }
  }
  if ('error' in value) return { kind: 'text', text: String(value.error) };
  if ('text' in value) {
    const text = value.text;
    if (typeof text === 'string') return textCell(text);
    if (text && typeof text === 'object' && Array.isArray((text as { richText?: unknown }).richText)) {
      return textCell(richText((text as { richText: unknown[] }).richText));
    }
  }
  return EMPTY;
}

function richText(runs: unknown[]): string {
  let text = '';
  for (const run of runs) {
    const t = (run as { text?: unknown } | null)?.text;
    if (typeof t === 'string') text += t;
  }
  return text;
}

/** OOXML escapes characters XML cannot hold as _xHHHH_ (a carriage return is _x000D_). */
const OOXML_ESCAPE = /_x([0-9A-Fa-f]{4})_/g;

function textCell(text: string): RawCell {
  if (text === '') return EMPTY;
  return {
    kind: 'text',
    text: text.includes('_x')
      ? text.replace(OOXML_ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
      : text,
  };
}

function numberCell(value: number): RawCell {
  return { kind: 'number', value, text: numberText(value) };
}

/**
 * How a number reads, never with an exponent: the shortest text that gives back the same double, with the
 * exponent written out. 5.30124201503121e17 → '530124201503121000' (so a caller sees the lost digits),
 * 1e21 → '1000000000000000000000', 1.5e-7 → '0.00000015'.
 */
export function numberText(value: number): string {
  const s = String(value);
  const e = s.indexOf('e');
  if (e === -1) return s;
  const sign = s[0] === '-' ? '-' : '';
  const mantissa = s.slice(sign.length, e);
  const exponent = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot === -1 ? mantissa.length : dot) + exponent;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** exceljs gives date cells as UTC midnight (plus the time of day, if any). */
function dateCell(date: Date): RawCell {
  const time = date.getTime();
  if (Number.isNaN(time)) return { kind: 'text', text: '#NUM!' };
  const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  const h = date.getUTCHours();
  const m = date.getUTCMinutes();
  const s = date.getUTCSeconds();
  const text = h === 0 && m === 0 && s === 0 ? day : `${day} ${pad(h)}:${pad(m)}:${pad(s)}`;
  return { kind: 'date', date: day, text };
}

/** As exceljs converts a date cell (utils.excelToDate), for formula results it leaves as numbers. */
function excelSerialToDate(serial: number, date1904: boolean): Date {
  return new Date(Math.round((serial - (date1904 ? 24107 : 25569)) * 24 * 3600 * 1000));
}

/** As exceljs tells a date format (utils.isDateFmt): y m d h s b outside quotes and brackets. */
function isDateFormat(format: string | undefined): boolean {
  if (!format) return false;
  return /[ymdhMsb]+/.test(format.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, ''));
}
