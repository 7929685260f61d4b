/**
 * 导出表格 — what every CSV and .xlsx export of kcbx has in common: cells that cannot run as formulas, CSV
 * that Excel opens as UTF-8, sheet names Excel accepts, one header style and page setup, and streaming
 * writers that keep memory flat for a million rows.
 *
 * Text comes from uploaded rosters, so every string cell goes through neutraliseFormula, the one rule for
 * formula injection (it lives beside the intake report, the first export that needed it).
 */
import { once } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import ExcelJS from 'exceljs';

/**
 * 防公式注入 — text that a spreadsheet would take for a formula (it starts with = + - @, a tab or a
 * carriage return) gets a leading apostrophe, which Excel and WPS show as text. For CSV exports; in
 * XLSX exports a string is written as a string value, which is never evaluated (see reportToXlsx).
 */
export function neutraliseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

// ── CSV ──────────────────────────────────────────────────────────────────────────────────────────────

/** A byte-order mark first: Excel on Windows reads a CSV without one as GBK. */
export const CSV_BOM = '\uFEFF';

/** One CSV cell: neutralised, and quoted when it holds a quote, comma or line break. */
export function csvCell(value: string): string {
  const safe = neutraliseFormula(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One CSV row with the CRLF line end Excel expects. */
export function csvRow(values: readonly string[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

const CHUNK_CHARS = 64 * 1024;

/** Writes text pieces with back-pressure, then ends the stream and waits until it has flushed. */
export async function writeAll(stream: Writable, pieces: Iterable<string>): Promise<void> {
  let buffer = '';
  for (const piece of pieces) {
    buffer += piece;
    if (buffer.length >= CHUNK_CHARS) {
      const ok = stream.write(buffer);
      buffer = '';
      if (!ok) await once(stream, 'drain');
    }
  }
  if (buffer) stream.write(buffer);
  stream.end();
  await finished(stream);
}

// ── .xlsx ────────────────────────────────────────────────────────────────────────────────────────────

/**
 * A streaming workbook to a file or a stream. Shared strings are off: they would keep every text in
 * memory until the end.
 */
export function xlsxWriter(target: string | Writable): ExcelJS.stream.xlsx.WorkbookWriter {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    ...(typeof target === 'string' ? { filename: target } : { stream: target }),
    useStyles: true,
    useSharedStrings: false,
  });
  workbook.creator = 'kcbx';
  return workbook;
}

/**
 * A workbook written by `write` into memory. A service's workbooks carry children's data, so they never
 * pass through the function's temporary folder: a file there would outlive a timeout or a crash in a warm
 * sandbox. A county's workbook is a few megabytes; the functions that build one are sized for it.
 */
export async function xlsxBuffer(write: (out: Writable) => Promise<void>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  await write(out);
  await ended;
  return Buffer.concat(chunks);
}

/**
 * Cells are written as strings, so Excel keeps IDs as text; an ID column is also formatted as text so that
 * an ID typed in later stays one. Frozen: exceljs caches a style by object, so sharing one is a lookup.
 */
export const TEXT_STYLE: Partial<ExcelJS.Style> = Object.freeze({ numFmt: '@' });
export const PLAIN_STYLE: Partial<ExcelJS.Style> = Object.freeze({});

export const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };

/** Landscape A4 fitted to the page width, the header row repeated on every page. */
export const PRINT: Partial<ExcelJS.PageSetup> = {
  orientation: 'landscape',
  paperSize: 9, // A4
  fitToPage: true,
  fitToWidth: 1,
  fitToHeight: 0,
  printTitlesRow: '1:1',
  margins: { left: 0.4, right: 0.4, top: 0.5, bottom: 0.5, header: 0.3, footer: 0.3 },
};

/** A header row: bold, wrapped, shaded; `height` gives wrapped headers room for two lines. */
export function styleHeader(row: ExcelJS.Row, height?: number): void {
  row.font = { bold: true };
  row.alignment = { vertical: 'middle', wrapText: true };
  row.eachCell((cell) => {
    cell.fill = HEADER_FILL;
  });
  if (height !== undefined) row.height = height;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** 64 KiB buffers a sheet may hold before the writer waits for the zip to take them. */
const MAX_PENDING_BUFFERS = 32;

/**
 * exceljs' sheet stream buffers whatever is written until the zip reads it, and tells no one: rows come
 * much faster than deflate takes them, so without waiting a million rows would sit in memory. Its buffer
 * list is not public API — if it is missing, the writer still works, only without this brake.
 */
export async function letZipCatchUp(sheet: ExcelJS.Worksheet): Promise<void> {
  const stream = (sheet as unknown as { stream?: { buffers?: unknown[] } }).stream;
  while ((stream?.buffers?.length ?? 0) > MAX_PENDING_BUFFERS) await pause(2);
}

// ── sheet names ──────────────────────────────────────────────────────────────────────────────────────

const MAX_SHEET_NAME = 31;

/** Cuts to at most `max` UTF-16 units without splitting a character. */
function cut(text: string, max: number): string {
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
}

/** Gives each wanted sheet name a name Excel accepts that no earlier sheet of the workbook has. */
export type SheetNamer = (wanted: string) => string;

/**
 * Sheet names Excel accepts, all different: no []:*?/\, no apostrophe at either end, at most 31
 * characters, not 'History' (Excel reserves it), unique ignoring case (as Excel compares them) — a repeated
 * name gets ' (2)', ' (3)' …. `taken` names are already in the workbook.
 */
export function sheetNamer(taken: readonly string[] = []): SheetNamer {
  const used = new Set(taken.map((n) => n.toLowerCase()));
  return (wanted) => {
    let base = cut(
      wanted
        .replace(/[[\]:*?/\\]/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .replace(/^'+|'+$/g, ''),
      MAX_SHEET_NAME,
    ).trim();
    if (base === '') base = '（无名称）';
    if (base.toLowerCase() === 'history') base = 'History (1)';
    let name = base;
    for (let n = 2; used.has(name.toLowerCase()); n++) {
      const suffix = ` (${n})`;
      name = cut(base, MAX_SHEET_NAME - suffix.length) + suffix;
    }
    used.add(name.toLowerCase());
    return name;
  };
}

/** {@link sheetNamer} for a list of names at once. */
export function uniqueSheetNames(wanted: readonly string[], taken: readonly string[] = []): string[] {
  return wanted.map(sheetNamer(taken));
}

// ── tables ───────────────────────────────────────────────────────────────────────────────────────────

export type TableCell = string | number;

export interface TableColumn {
  header: string;
  width: number;
  /** Formatted as text, so an ID typed in later stays text too. */
  text?: boolean;
}

export interface TableOptions {
  /** The sheet's name as wanted; a table longer than a sheet continues on '<name> (2)'. */
  name: string;
  namer: SheetNamer;
  columns: readonly TableColumn[];
  pageSetup?: Partial<ExcelJS.PageSetup>;
  /** Centred in the page header of each printed page, given the sheet's name; pages are numbered below. */
  pageHeader?: (sheetName: string) => string;
}

/** Excel holds 1,048,576 rows a sheet; a table with more continues on the next sheet. */
const ROWS_PER_SHEET = 1_000_000;
/** Rows written between checks that the zip writer keeps up (exceljs' stream has no back-pressure). */
const ROWS_PER_PAUSE = 1_000;

/** Text for a page header or footer: '&' starts a code there, so a literal one is doubled. */
const pageHeaderText = (text: string) => text.replaceAll('&', '&&');

/**
 * A table on its own sheet: a frozen, filtered header row, column widths, text columns formatted as text,
 * every string neutralised. Rows stream in; at least one sheet is written, with only the header when there
 * are no rows. Sheets are written one after another: a streaming zip holds one open entry at a time.
 */
export async function writeTable(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  options: TableOptions,
  rows: Iterable<readonly TableCell[]>,
): Promise<void> {
  const { columns } = options;
  const styles = columns.map((c) => (c.text ? TEXT_STYLE : PLAIN_STYLE));
  const open = () => {
    const name = options.namer(options.name);
    const sheet = workbook.addWorksheet(name, {
      pageSetup: options.pageSetup,
      views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }],
      headerFooter: options.pageHeader
        ? { oddHeader: `&C${pageHeaderText(options.pageHeader(name))}`, oddFooter: '&C第 &P 页，共 &N 页' }
        : undefined,
    });
    sheet.columns = columns.map((c, i) => ({ width: c.width, style: styles[i] }));
    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
    styleHeader(sheet.addRow(columns.map((c) => c.header)), 30);
    return sheet;
  };
  let sheet = open();
  let rowsInSheet = 0;
  for (const values of rows) {
    if (rowsInSheet === ROWS_PER_SHEET) {
      sheet.commit();
      sheet = open();
      rowsInSheet = 0;
    }
    const row = sheet.addRow(values.map((v) => (typeof v === 'string' ? neutraliseFormula(v) : v)));
    for (let c = 0; c < styles.length; c++) row.getCell(c + 1).style = styles[c]!;
    row.commit();
    if (++rowsInSheet % ROWS_PER_PAUSE === 0) await letZipCatchUp(sheet);
  }
  sheet.commit();
}
