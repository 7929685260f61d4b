/**
 * 花名册文件读取 — turns an uploaded roster file (a stream of bytes) into a stream of raw rows, or a
 * rejection that tells the uploader, in Chinese and English, what is wrong with the file and how to fix it.
 *
 * The format is told by content, never by the file name: a zip ('PK\x03\x04') is read as .xlsx, an OLE2
 * compound file is a legacy .xls (or a password-protected .xlsx), known binary formats are refused, and
 * anything else is text read as CSV in UTF-8 or GB18030 (GBK), detected without asking the uploader.
 *
 * Pure domain code: no AWS SDK and no file system of its own. Lambda hands it an S3 object body, the CLI a
 * file stream, and both a way to read the same bytes again from the start (`reopen`). Memory stays flat in
 * the file size and nothing of the file is written anywhere: an .xlsx whose worksheets come before its
 * shared strings is read twice rather than parked on disk (see read-xlsx.ts).
 *
 * Cell conventions for callers (the validator):
 * - `line` is the sheet's own row number (.xlsx) or the line where the CSV record starts; lines are not
 *   consecutive: .xlsx rows with nothing in them are not emitted, and a quoted CSV field may span lines.
 * - `cells[i]` is column i+1 (A = 0). A row may be shorter than the header: missing cells are empty.
 *   A blank row may arrive with zero cells or with only empty cells.
 * - Text is neither trimmed nor normalised (full-width spaces, NBSP, zero-width characters pass through).
 * - Numbers keep their binary value; `text` shows them without an exponent, so an ID number that Excel
 *   stored as a number reads '530124201503121000': its last digits are lost and must be re-entered.
 * - The cell objects are shared and read-only.
 */

/** One cell as the file holds it, before any roster rule looks at it. */
export type RawCell =
  | { kind: 'empty' }
  | { kind: 'text'; text: string }
  /** `text` is how the number reads, without an exponent (5.30124201503121e17 → '530124201503121000'). */
  | { kind: 'number'; value: number; text: string }
  /** A real Excel date cell: `date` is YYYY-MM-DD; `text` adds ' HH:MM:SS' when the cell has a time of day. */
  | { kind: 'date'; date: string; text: string };

export interface RawRow {
  /** 1-based row number in the sheet, or the CSV line number where the record starts. */
  line: number;
  cells: RawCell[];
}

export type RosterFormat = 'xlsx' | 'csv';
export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'gb18030';

export interface RosterFileInfo {
  format: RosterFormat;
  /**
   * CSV only. A file that is plain ASCII at the start reads as 'utf-8' until its first non-ASCII byte;
   * the reader then settles the encoding and updates this field while rows are being read.
   */
  encoding?: TextEncoding;
  /** .xlsx only: the sheet being read. */
  sheet?: string;
  /** .xlsx only: every sheet in the workbook, in tab order. */
  sheets?: string[];
}

export interface ReadLimits {
  /** Size of the uploaded file. */
  maxBytes: number;
  maxColumns: number;
  /** Length of one CSV record, counted in characters after decoding (bytes for ASCII). */
  maxLineBytes: number;
  maxRows: number;
  /** .xlsx: bytes inflated from the zip, per entry and in total. */
  maxUncompressedBytes: number;
  /** .xlsx: inflated bytes per compressed byte of one entry (checked once the entry passes 1 MiB). */
  maxCompressionRatio: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_LIMITS: ReadLimits = Object.freeze({
  maxBytes: 50 * MIB,
  maxColumns: 512,
  maxLineBytes: MIB,
  maxRows: 1_000_000,
  maxUncompressedBytes: 500 * MIB,
  maxCompressionRatio: 200,
});

export type RosterFileErrorCode =
  | 'LEGACY_XLS'
  | 'ENCRYPTED_XLSX'
  | 'NOT_A_ROSTER'
  | 'UNSUPPORTED_ENCODING'
  | 'INVALID_ENCODING'
  | 'EMPTY_FILE'
  | 'TOO_LARGE'
  | 'TOO_MANY_COLUMNS'
  | 'LINE_TOO_LONG'
  | 'TOO_MANY_ROWS'
  | 'MALFORMED_CSV'
  | 'ZIP_BOMB'
  | 'SHEET_NOT_FOUND'
  | 'CORRUPT_XLSX';

/** What a file that is not a roster turned out to be; words for the messages. */
export type NotARosterKind =
  | 'pdf'
  | 'image'
  | 'archive'
  | 'zip'
  | 'word'
  | 'powerpoint'
  | 'ods'
  | 'xlsb'
  | 'html'
  | 'rtf'
  | 'binary';

/** Facts that go into a message. Never a cell value: messages end up in logs. */
export interface RosterFileErrorDetails {
  line?: number;
  /** Columns found on the line (TOO_MANY_COLUMNS). */
  columns?: number;
  kind?: NotARosterKind;
  /** The sheet asked for, and the sheets the workbook has (SHEET_NOT_FOUND). */
  sheet?: string;
  sheets?: string[];
  encoding?: TextEncoding;
  /** A technical detail in English, for CORRUPT_XLSX and MALFORMED_CSV. */
  detail?: string;
  cause?: unknown;
}

/** The whole file is rejected. `zh` and `en` say what is wrong and how to fix it. */
export class RosterFileError extends Error {
  override readonly name = 'RosterFileError';
  readonly code: RosterFileErrorCode;
  readonly zh: string;
  readonly en: string;
  /** The line (CSV) or row (.xlsx) where the problem was found, when there is one. */
  readonly line?: number;

  constructor(
    code: RosterFileErrorCode,
    zh: string,
    en: string,
    options: { line?: number; cause?: unknown } = {},
  ) {
    super(`${code}: ${en}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.zh = zh;
    this.en = en;
    if (options.line !== undefined) this.line = options.line;
  }
}

const KIND_WORDS: Record<NotARosterKind, [zh: string, en: string]> = {
  pdf: ['PDF 文档', 'a PDF document'],
  image: ['图片', 'an image'],
  archive: ['压缩包', 'a compressed archive'],
  zip: ['不是 Excel 工作簿的 zip 压缩包', 'a zip archive that is not an Excel workbook'],
  word: ['Word 文档', 'a Word document'],
  powerpoint: ['PowerPoint 演示文稿', 'a PowerPoint presentation'],
  ods: ['OpenDocument 表格（.ods）', 'an OpenDocument spreadsheet (.ods)'],
  xlsb: ['Excel 二进制工作簿（.xlsb）', 'an Excel binary workbook (.xlsb)'],
  html: [
    '网页（HTML）或 XML 文件（常见于从网页系统导出的“假 .xls”）',
    'a web page (HTML) or XML file (often a ".xls" exported from a web system)',
  ],
  rtf: ['RTF 文档', 'an RTF document'],
  binary: [
    '二进制文件，或不是 UTF-8/GB18030 编码的文本',
    'a binary file, or text in an encoding other than UTF-8 and GB18030',
  ],
};

/** Kinds that a spreadsheet program can open and save again as .xlsx. */
const RESAVABLE: ReadonlySet<NotARosterKind> = new Set(['ods', 'xlsb', 'html']);

function mb(bytes: number): string {
  return `${Math.round((bytes / MIB) * 10) / 10} MB`;
}

const RESAVE_ZH = '请用 Excel 或 WPS 打开，另存为“Excel 工作簿 (*.xlsx)”或“CSV UTF-8（逗号分隔）”后重新上传';
const RESAVE_EN =
  'Open it in Excel or WPS, save it as "Excel Workbook (*.xlsx)" or "CSV UTF-8 (Comma delimited)" and upload it again';

/** Builds the rejection for `code`. The wording lives here, in one place. */
export function rosterFileError(
  code: RosterFileErrorCode,
  limits: ReadLimits,
  d: RosterFileErrorDetails = {},
): RosterFileError {
  const at = d.line === undefined ? ['', ''] : [`第 ${d.line} 行：`, `Line ${d.line}: `];
  const [zh, en] = ((): [string, string] => {
    switch (code) {
      case 'LEGACY_XLS':
        return [
          '旧版 .xls 格式不受支持，请在 Excel 中另存为 .xlsx（文件 → 另存为 → Excel 工作簿），然后重新上传。',
          'Legacy .xls is not supported: open it in Excel and save as .xlsx (File → Save As → Excel Workbook), then upload it again.',
        ];
      case 'ENCRYPTED_XLSX':
        return [
          '工作簿设置了打开密码，系统无法读取。请在 Excel 中打开，文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码并保存为 .xlsx 后重新上传。',
          'The workbook is password-protected and cannot be read. Open it in Excel, go to File → Info → Protect Workbook → Encrypt with Password, clear the password, save as .xlsx and upload it again.',
        ];
      case 'NOT_A_ROSTER': {
        const [kindZh, kindEn] = KIND_WORDS[d.kind ?? 'binary'];
        return RESAVABLE.has(d.kind ?? 'binary')
          ? [
              `文件不是可读取的花名册：它是${kindZh}。${RESAVE_ZH}。`,
              `This file is not a readable roster: it is ${kindEn}. ${RESAVE_EN}.`,
            ]
          : [
              `文件不是花名册表格：它看起来是${kindZh}。请上传 .xlsx 或 CSV UTF-8 格式的名单（如果文件扩展名被改过，请找到原始表格文件）。`,
              `This file is not a roster spreadsheet: it looks like ${kindEn}. Upload the roster as .xlsx or CSV UTF-8 (if the file was renamed, find the original spreadsheet).`,
            ];
      }
      case 'UNSUPPORTED_ENCODING':
        return [
          `文件是 UTF-16（Excel 的“Unicode 文本”）编码，不受支持。${RESAVE_ZH}。`,
          `The file is UTF-16 text (Excel's "Unicode Text"), which is not supported. ${RESAVE_EN}.`,
        ];
      case 'INVALID_ENCODING':
        return [
          `${at[0]}从这里起出现了既不是 UTF-8 也不是 GB18030/GBK 的字节（文件可能由不同编码的内容拼接而成，或已损坏）。${RESAVE_ZH}。`,
          `${at[1]}from here on the file holds bytes that are neither UTF-8 nor GB18030/GBK (it may mix encodings or be damaged). ${RESAVE_EN}.`,
        ];
      case 'EMPTY_FILE':
        return [
          '文件是空的，没有任何内容。请确认名单已导出并保存后再上传。',
          'The file is empty. Check that the roster was exported and saved, then upload it again.',
        ];
      case 'TOO_LARGE':
        return [
          `文件超过 ${mb(limits.maxBytes)} 的上限。请按学校或年级拆分成多个文件分别上传。`,
          `The file is larger than the ${mb(limits.maxBytes)} limit. Split it by school or grade and upload the parts separately.`,
        ];
      case 'TOO_MANY_COLUMNS':
        return [
          `${at[0]}有 ${d.columns ?? '过多'} 列，超过 ${limits.maxColumns} 列的上限。请删除多余的列；如果是 CSV，请检查分隔符是否正确。`,
          `${at[1]}${d.columns ?? 'too many'} columns, more than the limit of ${limits.maxColumns}. Delete the extra columns; for a CSV, check that the delimiter is right.`,
        ];
      case 'LINE_TOO_LONG':
        return [
          `${at[0]}这一条记录超过 ${mb(limits.maxLineBytes)}。通常是某个单元格里的英文双引号 " 没有成对，使后面的内容都被当成了一个单元格。请检查这一行附近的引号，或用 Excel 打开后另存为 .xlsx。`,
          `${at[1]}this record is longer than ${mb(limits.maxLineBytes)}. Usually a double quote (") in a cell is not closed, so everything after it reads as one cell. Check the quotes near this line, or open the file in Excel and save it as .xlsx.`,
        ];
      case 'TOO_MANY_ROWS':
        return [
          `${at[0]}名单超过 ${limits.maxRows.toLocaleString('en-US')} 行的上限。请按学校或年级拆分后分别上传。`,
          `${at[1]}the roster has more than ${limits.maxRows.toLocaleString('en-US')} rows. Split it by school or grade and upload the parts separately.`,
        ];
      case 'MALFORMED_CSV':
        return [
          `${at[0]}CSV 格式有误${d.detail ? `（${d.detail}）` : ''}：通常是英文双引号 " 没有成对。请检查这一行的引号，或用 Excel 打开后另存为 .xlsx。`,
          `${at[1]}the CSV is malformed${d.detail ? ` (${d.detail})` : ''}: usually a double quote (") is not closed. Check the quotes on this line, or open the file in Excel and save it as .xlsx.`,
        ];
      case 'ZIP_BOMB':
        return [
          `文件解压后的大小异常（超过 ${mb(limits.maxUncompressedBytes)}，或压缩比超过 ${limits.maxCompressionRatio} 倍），为安全起见拒绝读取。请在 Excel 中打开，删除多余内容（空白行列、图片、隐藏工作表）后另存为 .xlsx 再上传。`,
          `The file unpacks to an abnormal size (more than ${mb(limits.maxUncompressedBytes)}, or compressed more than ${limits.maxCompressionRatio}:1), so it is refused for safety. Open it in Excel, delete what is not needed (blank rows and columns, pictures, hidden sheets), save as .xlsx and upload it again.`,
        ];
      case 'SHEET_NOT_FOUND': {
        const list = (d.sheets ?? []).map((s) => `「${s}」`).join('、') || '（无）';
        const listEn = (d.sheets ?? []).map((s) => `"${s}"`).join(', ') || '(none)';
        return [
          `工作簿里没有名为「${d.sheet ?? ''}」的工作表。现有工作表：${list}。请选择其中一个，或在 Excel 中修改工作表名称。`,
          `The workbook has no sheet named "${d.sheet ?? ''}". Sheets in the file: ${listEn}. Pick one of them, or rename the sheet in Excel.`,
        ];
      }
      case 'CORRUPT_XLSX':
        return [
          `文件已损坏或不完整，无法作为 .xlsx 读取${d.detail ? `（${d.detail}）` : ''}。请在 Excel 中打开并重新保存为 .xlsx，然后重新上传；如果打不开，请重新导出名单。`,
          `The file is damaged or incomplete and cannot be read as .xlsx${d.detail ? ` (${d.detail})` : ''}. Open it in Excel, save it again as .xlsx and upload it again; if it does not open, export the roster again.`,
        ];
    }
  })();
  return new RosterFileError(code, zh, en, { line: d.line, cause: d.cause });
}

/** The bytes of an upload after sniffing: plumbing between `openRoster` and the format readers. */
export interface SniffedInput {
  /** The first bytes of the file (at least 64 KiB unless the file is shorter). */
  head: Uint8Array;
  /** True when `head` is the whole file. */
  complete: boolean;
  /** Every byte of the file, `head` included, in chunks of at most 64 KiB; over `maxBytes` it throws TOO_LARGE. */
  chunks: AsyncIterable<Uint8Array>;
  /**
   * Every byte of the file again, from the first (same bounds as `chunks`), for a reader that needs a second
   * pass. The caller compares what both passes read; `close` stops this source too.
   */
  reopen(): Promise<AsyncIterable<Uint8Array>>;
  /** Stops reading the upload (destroys the source streams). Safe to call more than once. */
  close(): void;
}

/** A byte stream: a Node Readable or any async iterable of bytes. */
export type RosterBytes = AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

export interface OpenedRoster {
  info: RosterFileInfo;
  /** Read once. Problems found on the way (a line too long on row 80,000) are thrown as RosterFileError. */
  rows: AsyncIterable<RawRow>;
}

const HEAD_BYTES = 64 * 1024;
const MAX_CHUNK = 64 * 1024;

/**
 * Opens an uploaded roster: detects the format and encoding, checks the file can be read, and returns the
 * rows to stream. Throws RosterFileError for a file that is refused before any row is read.
 */
export async function openRoster(
  input: RosterBytes,
  opts: {
    fileName: string;
    sheet?: string;
    limits?: Partial<ReadLimits>;
    /**
     * The same file again from its first byte (the same S3 object version, the same local file). Needed for
     * an .xlsx whose worksheets come before its shared strings, as Excel writes them: that file is read
     * twice instead of being parked in a temporary file. Without it such a file cannot be read.
     */
    reopen?: () => Promise<RosterBytes> | RosterBytes;
  },
): Promise<OpenedRoster> {
  const limits: ReadLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const source = boundedChunks(asByteIterable(input), limits);
  const it = source[Symbol.asyncIterator]();
  const reopened: RosterBytes[] = [];
  let closed = false;
  const destroy = (stream: RosterBytes) => {
    const s = stream as { destroy?: () => void };
    if (typeof s.destroy === 'function') s.destroy();
  };
  const close = () => {
    if (closed) return;
    closed = true;
    it.return?.(undefined).catch(() => {});
    destroy(input);
    for (const again of reopened) destroy(again);
  };
  const reopen = async (): Promise<AsyncIterable<Uint8Array>> => {
    if (!opts.reopen) {
      throw new Error(
        'openRoster: this .xlsx has its worksheets before its shared strings and must be read twice; pass `reopen`',
      );
    }
    if (closed) throw new Error('openRoster: the roster is closed');
    const again = await opts.reopen();
    reopened.push(again);
    if (closed) destroy(again);
    return boundedChunks(asByteIterable(again), limits);
  };
  try {
    const headChunks: Uint8Array[] = [];
    let headBytes = 0;
    let complete = false;
    while (headBytes < HEAD_BYTES) {
      const next = await it.next();
      if (next.done) {
        complete = true;
        break;
      }
      headChunks.push(next.value);
      headBytes += next.value.length;
    }
    if (headBytes === 0) throw rosterFileError('EMPTY_FILE', limits);
    const head = headChunks.length === 1 ? headChunks[0]! : Buffer.concat(headChunks);
    const sniffed: SniffedInput = {
      head,
      complete,
      chunks: replay(headChunks, complete ? undefined : it),
      reopen,
      close,
    };

    const magic = sniffMagic(head);
    switch (magic) {
      case 'zip': {
        const { openXlsx } = await import('./read-xlsx');
        return await openXlsx(sniffed, { sheet: opts.sheet, limits });
      }
      case 'ole2':
        throw await classifyCompoundFile(sniffed.chunks, limits);
      case 'utf-16':
        throw rosterFileError('UNSUPPORTED_ENCODING', limits);
      case 'text': {
        // Loaded on demand: a CSV upload never pays for loading exceljs (and vice versa).
        const { openCsv } = await import('./read-csv');
        return await openCsv(sniffed, limits);
      }
      default:
        throw rosterFileError('NOT_A_ROSTER', limits, { kind: magic });
    }
  } catch (error) {
    close();
    throw error;
  }
}

type Magic = 'zip' | 'ole2' | 'utf-16' | 'text' | NotARosterKind;

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Tells the format from the first bytes. The file name is never consulted. */
function sniffMagic(head: Uint8Array): Magic {
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  if (startsWith(head, [0x50, 0x4b, 0x05, 0x06]) || startsWith(head, [0x50, 0x4b, 0x07, 0x08])) return 'zip';
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'ole2';
  if (startsWith(head, [0xff, 0xfe]) || startsWith(head, [0xfe, 0xff])) return 'utf-16';
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46])) return 'pdf';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47]) || startsWith(head, [0xff, 0xd8, 0xff])) return 'image';
  if (startsWith(head, [0x47, 0x49, 0x46, 0x38])) return 'image';
  if (startsWith(head, [0x52, 0x61, 0x72, 0x21]) || startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) {
    return 'archive';
  }
  if (startsWith(head, [0x1f, 0x8b])) return 'archive';
  if (startsWith(head, [0x7b, 0x5c, 0x72, 0x74, 0x66])) return 'rtf';
  return 'text';
}

const utf16 = (s: string) => Buffer.from(s, 'utf16le');
const COMPOUND_STREAM_NAMES: readonly [Buffer, RosterFileErrorCode, NotARosterKind?][] = [
  // An encrypted .xlsx is an OLE2 file holding EncryptionInfo and EncryptedPackage streams.
  [utf16('EncryptedPackage'), 'ENCRYPTED_XLSX'],
  [utf16('WordDocument'), 'NOT_A_ROSTER', 'word'],
  [utf16('PowerPoint Document'), 'NOT_A_ROSTER', 'powerpoint'],
  [utf16('Workbook'), 'LEGACY_XLS'],
];

/**
 * An OLE2 compound file: a legacy .xls, a password-protected .xlsx, or another Office document. Looks for the
 * directory entry names (UTF-16LE) as the bytes stream by; no OLE2 parsing, at most `maxBytes` read.
 */
async function classifyCompoundFile(
  chunks: AsyncIterable<Uint8Array>,
  limits: ReadLimits,
): Promise<RosterFileError> {
  const overlap = Math.max(...COMPOUND_STREAM_NAMES.map(([name]) => name.length)) - 1;
  let tail: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of chunks) {
      const window: Buffer = Buffer.concat([tail, chunk]);
      for (const [name, code, kind] of COMPOUND_STREAM_NAMES) {
        if (window.includes(name)) return rosterFileError(code, limits, { kind });
      }
      tail = window.subarray(Math.max(0, window.length - overlap));
    }
  } catch (error) {
    if (!(error instanceof RosterFileError && error.code === 'TOO_LARGE')) throw error;
  }
  return rosterFileError('LEGACY_XLS', limits);
}

type ByteChunk = Uint8Array | string;

function asByteIterable(input: RosterBytes): AsyncIterable<ByteChunk> {
  if (Symbol.asyncIterator in input) return input as AsyncIterable<ByteChunk>;
  throw new TypeError('openRoster needs an async-iterable byte stream (a Node Readable or an AsyncIterable)');
}

/** Counts bytes against maxBytes and cuts large chunks so that every later step works on bounded pieces. */
async function* boundedChunks(
  input: AsyncIterable<ByteChunk>,
  limits: ReadLimits,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const raw of input) {
    // A stream with an encoding set would have decoded the bytes already; the roster needs the raw bytes.
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    total += chunk.length;
    if (total > limits.maxBytes) throw rosterFileError('TOO_LARGE', limits);
    for (let at = 0; at < chunk.length; at += MAX_CHUNK) {
      yield at === 0 && chunk.length <= MAX_CHUNK ? chunk : chunk.subarray(at, at + MAX_CHUNK);
    }
  }
}

/** The head chunks again, then the rest of the source. Closes the source when iteration stops early. */
async function* replay(
  head: Uint8Array[],
  rest: AsyncIterator<Uint8Array> | undefined,
): AsyncGenerator<Uint8Array> {
  let done = rest === undefined;
  try {
    yield* head;
    while (rest && !done) {
      const next = await rest.next();
      if (next.done) done = true;
      else yield next.value;
    }
  } finally {
    if (!done) await rest?.return?.();
  }
}
