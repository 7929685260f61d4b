/**
 * Roster files built in memory for tests: CSV in UTF-8 / UTF-8 with BOM / GB18030, .xlsx workbooks, and the
 * files intake must refuse (zip bomb, legacy .xls, encrypted .xlsx, binary junk). Test code only.
 */
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import ExcelJS from 'exceljs';
import type { TextEncoding } from './raw-rows';

// ---------------------------------------------------------------------------------------------------------
// GB18030

let gbTable: Map<string, Uint8Array> | undefined;

/**
 * There is no GB18030 encoder in Node: build the reverse of the decoder over every two-byte code
 * (lead 0x81–0xFE, trail 0x40–0xFE but 0x7F), once. Four-byte codes are left out: common Chinese text
 * (GB2312 and GBK) does not need them.
 */
function gb18030Table(): Map<string, Uint8Array> {
  if (gbTable) return gbTable;
  const table = new Map<string, Uint8Array>();
  const decoder = new TextDecoder('gb18030', { fatal: true });
  const pair = new Uint8Array(2);
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      pair[0] = lead;
      pair[1] = trail;
      let char: string;
      try {
        char = decoder.decode(pair);
      } catch {
        continue;
      }
      if (char.length === 1 && !table.has(char)) table.set(char, Uint8Array.of(lead, trail));
    }
  }
  gbTable = table;
  return table;
}

/** Encodes text as GB18030 (two-byte codes only); throws on a character that needs a four-byte code. */
export function encodeGb18030(text: string): Buffer {
  const table = gb18030Table();
  const out = Buffer.alloc(text.length * 2);
  let at = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) {
      out[at++] = code;
      continue;
    }
    const bytes = table.get(char);
    if (!bytes)
      throw new Error(`encodeGb18030: U+${code.toString(16).toUpperCase()} has no two-byte GB18030 code`);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out.subarray(0, at);
}

export function encodeText(text: string, encoding: TextEncoding): Buffer {
  switch (encoding) {
    case 'utf-8':
      return Buffer.from(text, 'utf8');
    case 'utf-8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'gb18030':
      return encodeGb18030(text);
  }
}

// ---------------------------------------------------------------------------------------------------------
// CSV

export interface CsvOptions {
  encoding: TextEncoding;
  delimiter?: ',' | ';' | '\t';
  eol?: '\r\n' | '\n' | '\r';
}

/** Quotes a field when it holds the delimiter, a quote or a line break (RFC 4180). */
export function csvText(
  rows: string[][],
  { delimiter = ',', eol = '\r\n' }: Omit<CsvOptions, 'encoding'> = {},
): string {
  const quote = (field: string) =>
    field.includes(delimiter) || /["\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
  return rows.map((row) => row.map(quote).join(delimiter) + eol).join('');
}

export function csvBuffer(rows: string[][], options: CsvOptions): Buffer {
  return encodeText(csvText(rows, options), options.encoding);
}

// ---------------------------------------------------------------------------------------------------------
// .xlsx

export type XlsxCellValue = string | number | boolean | Date | null | { formula: string; result?: unknown };

export interface XlsxSheet {
  name: string;
  /** rows[i] is sheet row i+1; an empty array leaves the row blank. */
  rows: XlsxCellValue[][];
  /** Ranges such as 'A1:F1'. */
  merges?: string[];
  state?: 'visible' | 'hidden';
}

/** A workbook written by exceljs (which, like Excel, puts worksheets before the shared strings). */
export async function xlsxBuffer(sheets: XlsxSheet[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  for (const sheet of sheets) {
    const worksheet = workbook.addWorksheet(sheet.name, { state: sheet.state ?? 'visible' });
    sheet.rows.forEach((values, r) => {
      values.forEach((value, c) => {
        if (value === null) return;
        const cell = worksheet.getCell(r + 1, c + 1);
        cell.value = value as ExcelJS.CellValue;
        if (value instanceof Date) cell.numFmt = 'yyyy-mm-dd';
      });
    });
    for (const range of sheet.merges ?? []) worksheet.mergeCells(range);
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

// ---------------------------------------------------------------------------------------------------------
// Files to refuse

export interface ZipBombOptions {
  /** What the single entry inflates to; 1 GiB by default (twice DEFAULT_LIMITS.maxUncompressedBytes). */
  inflatedBytes?: number;
  /**
   * What the local header says: 'honest' sizes, 'lying' (claims 1 KiB inflated), or 'descriptor' (sizes
   * zero in the header, the real ones in a data descriptor after the data, as streaming zip writers do).
   */
  headers?: 'honest' | 'lying' | 'descriptor';
  name?: string;
}

/**
 * A real zip whose one entry is a run of zeros: about 1 KB of deflate per MiB. Built from one compressed
 * MiB ended by a full flush (so copies can follow each other) and a final empty block.
 */
export function zipBombBuffer({
  inflatedBytes = 1024 * 1024 * 1024,
  headers = 'honest',
  name = 'xl/sharedStrings.xml',
}: ZipBombOptions = {}): Buffer {
  const MIB = 1024 * 1024;
  if (inflatedBytes % MIB !== 0) throw new Error('zipBombBuffer: inflatedBytes must be whole MiB');
  const zeros = Buffer.alloc(MIB);
  const segment = zlib.deflateRawSync(zeros, { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const segments = inflatedBytes / MIB;
  const data = Buffer.concat([
    ...Array.from({ length: segments }, () => segment),
    zlib.deflateRawSync(Buffer.alloc(0)),
  ]);
  let crc = 0;
  for (let i = 0; i < segments; i++) crc = zlib.crc32(zeros, crc);
  if (inflatedBytes > 0xfffffffe) throw new Error('zipBombBuffer: use less than 4 GiB (no zip64 here)');

  const nameBytes = Buffer.from(name, 'utf8');
  const descriptor = headers === 'descriptor';
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(descriptor ? 0x08 : 0, 6);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(descriptor ? 0 : crc, 14);
  local.writeUInt32LE(descriptor ? 0 : data.length, 18);
  local.writeUInt32LE(descriptor ? 0 : headers === 'lying' ? 1024 : inflatedBytes, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const trailer = Buffer.alloc(16);
  trailer.writeUInt32LE(0x08074b50, 0);
  trailer.writeUInt32LE(crc, 4);
  trailer.writeUInt32LE(data.length, 8);
  trailer.writeUInt32LE(inflatedBytes, 12);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(descriptor ? 0x08 : 0, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(headers === 'lying' ? 1024 : inflatedBytes, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const entryBytes = [local, nameBytes, data, ...(descriptor ? [trailer] : [])];
  const centralOffset = entryBytes.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([...entryBytes, central, nameBytes, end]);
}

export interface RezipOptions {
  /** The entry names in the order to write them; entries left out are dropped. */
  order?: (names: string[]) => string[];
  /** Write sizes in a data descriptor after each entry's data, as streaming zip writers do. */
  dataDescriptors?: boolean;
  /** New inflated content for an entry (deflated again), or undefined to keep its bytes as they are. */
  edit?: (name: string, content: Buffer) => Buffer | undefined;
}

/**
 * Rewrites a zip with its entries reordered or sized by data descriptors, keeping each entry's compressed
 * bytes. Excel writes xl/workbook.xml first and xl/sharedStrings.xml after the sheets; other writers differ.
 */
export function rezip(
  zip: Buffer,
  { order = (names) => names, dataDescriptors = false, edit }: RezipOptions = {},
): Buffer {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end === -1) throw new Error('rezip: no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map<
    string,
    { method: number; crc: number; compressed: Buffer; size: number; name: Buffer }
  >();
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.subarray(at + 46, at + 46 + nameLength);
    const compressedSize = zip.readUInt32LE(at + 20);
    const local = zip.readUInt32LE(at + 42);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    entries.set(name.toString('utf8'), {
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressed: zip.subarray(dataStart, dataStart + compressedSize),
      size: zip.readUInt32LE(at + 24),
      name,
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  for (const [key, e] of edit ? entries : []) {
    const content = edit!(key, e.method === 8 ? zlib.inflateRawSync(e.compressed) : e.compressed);
    if (content) {
      entries.set(key, {
        ...e,
        method: 8,
        crc: zlib.crc32(content),
        compressed: zlib.deflateRawSync(content),
        size: content.length,
      });
    }
  }
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const key of order([...entries.keys()])) {
    const e = entries.get(key);
    if (!e) throw new Error(`rezip: no entry ${key}`);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(dataDescriptors ? 0x08 : 0, 6);
    local.writeUInt16LE(e.method, 8);
    if (!dataDescriptors) {
      local.writeUInt32LE(e.crc, 14);
      local.writeUInt32LE(e.compressed.length, 18);
      local.writeUInt32LE(e.size, 22);
    }
    local.writeUInt16LE(e.name.length, 26);
    const descriptor = Buffer.alloc(dataDescriptors ? 16 : 0);
    if (dataDescriptors) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(e.crc, 4);
      descriptor.writeUInt32LE(e.compressed.length, 8);
      descriptor.writeUInt32LE(e.size, 12);
    }
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(dataDescriptors ? 0x08 : 0, 8);
    header.writeUInt16LE(e.method, 10);
    header.writeUInt32LE(e.crc, 16);
    header.writeUInt32LE(e.compressed.length, 20);
    header.writeUInt32LE(e.size, 24);
    header.writeUInt16LE(e.name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, e.name);
    parts.push(local, e.name, e.compressed, descriptor);
    offset += local.length + e.name.length + e.compressed.length + descriptor.length;
  }
  const centralBytes = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(central.length / 2, 8);
  eocd.writeUInt16LE(central.length / 2, 10);
  eocd.writeUInt32LE(centralBytes.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, centralBytes, eocd]);
}

/** The names of a zip's entries in the order they are stored (as a streaming reader meets them). */
export function zipEntryNames(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end === -1) throw new Error('zipEntryNames: no end of central directory');
  const entries: { name: string; offset: number }[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      offset: zip.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries.sort((a, b) => a.offset - b.offset).map((e) => e.name);
}

/** The inflated content of one zip entry (found through the central directory), as text. */
export function zipEntryText(zip: Buffer, name: string): string {
  let found: string | undefined;
  rezip(zip, {
    edit: (key, content) => {
      if (key === name) found = content.toString('utf8');
      return undefined;
    },
  });
  if (found === undefined) throw new Error(`zipEntryText: no entry ${name}`);
  return found;
}

/** A child as a roster row names them. */
export interface RosterChild {
  name: string;
  id: string;
}

/**
 * A 学籍 roster as Excel orders its parts: the worksheet before xl/sharedStrings.xml. The children's rows are
 * inline strings, so their names and ID numbers are in the worksheet's own XML, which a reader that parks a
 * worksheet until it has the shared strings would write out as it is. With `beyondXfd`, the last child's row
 * also has a cell in column XFE, past XFD, the last column Excel has: no reader accepts the sheet.
 */
export async function sheetFirstXlsx(
  children: readonly RosterChild[],
  { beyondXfd = false }: { beyondXfd?: boolean } = {},
): Promise<Buffer> {
  const header = ['姓名', '身份证号', '学校标识码', '学校名称', '年级', '班级', '就读方式'];
  const school = ['5301240001', '富民县第一小学', '三年级', '1班', '走读'];
  const workbook = await xlsxBuffer([{ name: '学籍', rows: [header] }]);
  const inline = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;
  const rows = children.map((child, i) => {
    const r = i + 2;
    const cells = [child.name, child.id, ...school].map((text, c) => inline(`${'ABCDEFG'[c]}${r}`, text));
    if (beyondXfd && i === children.length - 1) cells.push(inline(`XFE${r}`, '备注'));
    return `<row r="${r}">${cells.join('')}</row>`;
  });
  return rezip(workbook, {
    edit: (name, content) =>
      name === 'xl/worksheets/sheet1.xml'
        ? Buffer.from(content.toString('utf8').replace('</sheetData>', `${rows.join('')}</sheetData>`))
        : undefined,
  });
}

const OLE2_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** Deterministic junk bytes (a linear congruential generator), NULs included. */
function junk(length: number, seed = 42): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The start of an OLE2 compound file, as a legacy .xls (BIFF8 'Workbook' stream) begins. */
export function legacyXlsBuffer(): Buffer {
  return Buffer.concat([
    Buffer.from(OLE2_MAGIC),
    junk(4096),
    Buffer.from('Workbook', 'utf16le'),
    junk(4096, 7),
  ]);
}

/** A password-protected .xlsx: an OLE2 file with EncryptionInfo and EncryptedPackage streams. */
export function encryptedXlsxBuffer(): Buffer {
  return Buffer.concat([
    Buffer.from(OLE2_MAGIC),
    junk(100_000),
    Buffer.from('EncryptionInfo', 'utf16le'),
    Buffer.from('EncryptedPackage', 'utf16le'),
    junk(4096, 9),
  ]);
}

/** Binary junk such as a program or photo renamed to .csv. */
export function binaryBuffer(length = 8192): Buffer {
  const bytes = junk(length);
  bytes[0] = 0x4d; // no known magic
  bytes[1] = 0x5a;
  return bytes;
}

// ---------------------------------------------------------------------------------------------------------
// Streams

/** The buffer as a stream of `size`-byte chunks, as S3 or a file would deliver it. */
export function chunkedStream(buffer: Uint8Array, size = 16 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < buffer.length; at += size) yield buffer.subarray(at, at + size);
    })(),
    { objectMode: false },
  );
}
