import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  openRoster,
  type RawCell,
  type RawRow,
  type ReadLimits,
  RosterFileError,
  type RosterFileErrorCode,
} from './raw-rows';
import { numberText } from './read-xlsx';
import {
  binaryBuffer,
  chunkedStream,
  csvBuffer,
  csvText,
  encodeGb18030,
  encryptedXlsxBuffer,
  legacyXlsBuffer,
  rezip,
  sheetFirstXlsx,
  xlsxBuffer,
  zipBombBuffer,
  zipEntryNames,
  zipEntryText,
} from './test-fixtures';
import { makeId } from './validate-test-rows';

type Input = Buffer | Readable;
interface ReadOptions {
  fileName?: string;
  sheet?: string;
  limits?: Partial<ReadLimits>;
  chunkSize?: number;
  reopen?: () => Readable;
}

async function readRoster(input: Input, { fileName = 'roster.csv', chunkSize, ...opts }: ReadOptions = {}) {
  const stream = Buffer.isBuffer(input) ? chunkedStream(input, chunkSize) : input;
  const reopen = Buffer.isBuffer(input) ? () => chunkedStream(input, chunkSize) : undefined;
  const { info, rows } = await openRoster(stream, { fileName, reopen, ...opts });
  const all: RawRow[] = [];
  for await (const row of rows) all.push(row);
  return { info, rows: all };
}

/** How each cell reads, '' for an empty one. */
function texts(row: RawRow | undefined): string[] {
  return (row?.cells ?? []).map((cell) => (cell.kind === 'empty' ? '' : cell.text));
}

async function rejection(promise: Promise<unknown>, code: RosterFileErrorCode): Promise<RosterFileError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RosterFileError);
  expect((error as RosterFileError).code).toBe(code);
  return error as RosterFileError;
}

const CHILDREN = [
  ['姓名', '身份证号', '学校', '年级'],
  ['张三', '530124201503121234', '东川区第一小学', '一年级'],
  ['李四', '53012420140708002X', '铜都街道中心学校', '二年级'],
  ['欧阳娜娜', '530124201311300041', '阿旺镇中学', '七年级'],
];

describe('reading .xlsx rosters', () => {
  it('reads the first sheet by default and says which sheets the workbook has', async () => {
    const file = await xlsxBuffer([
      { name: '名单', rows: CHILDREN },
      { name: '说明', rows: [['填表说明']] },
    ]);
    const { info, rows } = await readRoster(file, { fileName: '名单.xlsx' });
    expect(info).toEqual({ format: 'xlsx', sheet: '名单', sheets: ['名单', '说明'] });
    expect(rows.map(texts)).toEqual(CHILDREN);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3, 4]);
  });

  it('reads the sheet asked for by name', async () => {
    const file = await xlsxBuffer([
      { name: '说明', rows: [['填表说明']] },
      { name: '名单', rows: CHILDREN },
    ]);
    const { info, rows } = await readRoster(file, { fileName: 'a.xlsx', sheet: '名单' });
    expect(info.sheet).toBe('名单');
    expect(rows.map(texts)).toEqual(CHILDREN);
  });

  it('starts from the first visible sheet when the first tab is hidden', async () => {
    const file = await xlsxBuffer([
      { name: '下拉选项', rows: [['一年级']], state: 'hidden' },
      { name: '名单', rows: CHILDREN },
    ]);
    const { info, rows } = await readRoster(file);
    expect(info.sheet).toBe('名单');
    expect(rows).toHaveLength(CHILDREN.length);
  });

  it('refuses a sheet name the workbook does not have, listing the sheets it has', async () => {
    const file = await xlsxBuffer([
      { name: '名单', rows: CHILDREN },
      { name: 'Sheet2', rows: [] },
    ]);
    const error = await rejection(readRoster(file, { sheet: '花名册' }), 'SHEET_NOT_FOUND');
    expect(error.zh).toContain('「花名册」');
    expect(error.zh).toContain('「名单」、「Sheet2」');
    expect(error.en).toContain('"名单", "Sheet2"');
  });

  it('reads Chinese text intact whatever the chunk boundaries (exceljs alone garbles a cut character)', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => [`欧阳娜娜${i}`, '东川区铜都街道中心学校']);
    const file = await xlsxBuffer([{ name: '名单', rows }]);
    for (const chunkSize of [997, 4096, 65536]) {
      const read = await readRoster(file, { chunkSize });
      expect(read.rows.map(texts)).toEqual(rows);
    }
  });

  it('reads an 18-digit ID number typed as a number as a number whose text shows the lost digits', async () => {
    // Excel keeps 15 significant digits: 530124201503121234 is stored as 5.30124201503121E+17.
    const file = await xlsxBuffer([{ name: '名单', rows: [['张三', 5.30124201503121e17, 20150312]] }]);
    const { rows } = await readRoster(file);
    expect(rows[0]!.cells[1]).toEqual({
      kind: 'number',
      value: 530124201503121000,
      text: '530124201503121000',
    });
    expect(rows[0]!.cells[2]).toEqual({ kind: 'number', value: 20150312, text: '20150312' });
  });

  it('reads an Excel date cell as a date', async () => {
    const file = await xlsxBuffer([{ name: '名单', rows: [['张三', new Date(Date.UTC(2015, 2, 12))]] }]);
    const { rows } = await readRoster(file);
    expect(rows[0]!.cells[1]).toEqual({ kind: 'date', date: '2015-03-12', text: '2015-03-12' });
  });

  it('gives a formula cell its cached result, and the formula itself when there is none', async () => {
    const file = await xlsxBuffer([
      {
        name: '名单',
        rows: [
          [
            '张',
            '三',
            { formula: 'A1&B1', result: '张三' },
            { formula: '6+1', result: 7 },
            { formula: 'NOW()' },
          ],
        ],
      },
    ]);
    const { rows } = await readRoster(file);
    expect(rows[0]!.cells.slice(2)).toEqual<RawCell[]>([
      { kind: 'text', text: '张三' },
      { kind: 'number', value: 7, text: '7' },
      { kind: 'text', text: '=NOW()' },
    ]);
  });

  it('reads booleans as TRUE/FALSE text', async () => {
    const file = await xlsxBuffer([{ name: '名单', rows: [['张三', true, false]] }]);
    const { rows } = await readRoster(file);
    expect(texts(rows[0])).toEqual(['张三', 'TRUE', 'FALSE']);
  });

  it('reads a merged title row as its first cell only, and keeps the sheet row numbers across blank rows', async () => {
    const file = await xlsxBuffer([
      {
        name: '名单',
        rows: [['东川区控辍保学名单（2025 年秋季）'], [], CHILDREN[0]!, CHILDREN[1]!, [], [], CHILDREN[2]!],
        merges: ['A1:D1'],
      },
    ]);
    const { rows } = await readRoster(file);
    expect(rows.map((r) => [r.line, texts(r)[0]])).toEqual([
      [1, '东川区控辍保学名单（2025 年秋季）'],
      [3, '姓名'],
      [4, '张三'],
      [7, '李四'],
    ]);
    expect(rows[0]!.cells).toHaveLength(1);
  });

  it('leaves gaps between cells empty and drops nothing in between', async () => {
    const file = await xlsxBuffer([{ name: '名单', rows: [['张三', null, null, '一年级']] }]);
    const { rows } = await readRoster(file);
    expect(rows[0]!.cells).toEqual([
      { kind: 'text', text: '张三' },
      { kind: 'empty' },
      { kind: 'empty' },
      { kind: 'text', text: '一年级' },
    ]);
  });

  describe('whatever order the workbook parts come in', () => {
    const first = (wanted: string[]) => (names: string[]) => [
      ...wanted.filter((n) => names.includes(n)),
      ...names.filter((n) => !wanted.includes(n)),
    ];
    const rows = Array.from({ length: 500 }, (_, i) => [
      `欧阳娜娜${i}`,
      new Date(Date.UTC(2015, 2, 12)),
      5.30124201503121e17,
    ]);
    const expected = rows.map((r) => [r[0], '2015-03-12', '530124201503121000']);

    it.each([
      [
        'as Excel writes them: workbook first, shared strings after the sheets',
        ['xl/workbook.xml', 'xl/_rels/workbook.xml.rels'],
      ],
      [
        'shared strings and styles before the sheets, so the sheet streams straight through',
        ['xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/sharedStrings.xml', 'xl/styles.xml'],
      ],
    ])('reads them %s', async (_, wanted) => {
      const file = rezip(
        await xlsxBuffer([
          { name: '说明', rows: [['填表说明']] },
          { name: '名单', rows },
        ]),
        { order: first(wanted) },
      );
      const read = await readRoster(file, { sheet: '名单', chunkSize: 1000 });
      expect(read.info.sheets).toEqual(['说明', '名单']);
      expect(read.rows.map(texts)).toEqual(expected);
    });

    it('reads entries sized by data descriptors, as streaming zip writers leave them', async () => {
      const file = rezip(await xlsxBuffer([{ name: '名单', rows }]), { dataDescriptors: true });
      const read = await readRoster(file, { chunkSize: 999 });
      expect(read.rows.map(texts)).toEqual(expected);
    });
  });

  it('stops reading the upload when the caller stops early', async () => {
    for (const order of [
      undefined,
      ['xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/sharedStrings.xml', 'xl/styles.xml'],
    ]) {
      const workbook = await xlsxBuffer([
        { name: '名单', rows: Array.from({ length: 5000 }, (_, i) => [`学生${i}`]) },
      ]);
      const file = order
        ? rezip(workbook, { order: (names) => [...order, ...names.filter((n) => !order.includes(n))] })
        : workbook;
      const source = chunkedStream(file, 1000);
      const reopened: Readable[] = [];
      const reopen = () => {
        const again = chunkedStream(file, 1000);
        reopened.push(again);
        return again;
      };
      const { rows } = await openRoster(source, { fileName: '名单.xlsx', reopen });
      for await (const row of rows) {
        expect(texts(row)).toEqual(['学生0']);
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(source.destroyed).toBe(true);
      // Read again only when the sheet comes before the shared strings, and then stopped as well.
      expect(reopened).toHaveLength(order ? 0 : 1);
      expect(reopened.every((stream) => stream.destroyed)).toBe(true);
    }
  });

  it('tells the format by content: an .xlsx named .csv is read as .xlsx', async () => {
    const file = await xlsxBuffer([{ name: '名单', rows: CHILDREN }]);
    const { info } = await readRoster(file, { fileName: '名单.csv' });
    expect(info.format).toBe('xlsx');
  });

  it('refuses a row with more cells than the column limit', async () => {
    const file = await xlsxBuffer([
      {
        name: '名单',
        rows: [
          ['a', 'b'],
          ['a', 'b', 'c', 'd', 'e', 'f'],
        ],
      },
    ]);
    const error = await rejection(readRoster(file, { limits: { maxColumns: 5 } }), 'TOO_MANY_COLUMNS');
    expect(error.line).toBe(2);
  });

  it('refuses a workbook larger than the size limit', async () => {
    const file = await xlsxBuffer([
      { name: '名单', rows: Array.from({ length: 3000 }, (_, i) => [`学生${i}`]) },
    ]);
    await rejection(readRoster(file, { limits: { maxBytes: file.length - 1 } }), 'TOO_LARGE');
  });

  it('refuses a zip that is not a workbook', async () => {
    const word = await xlsxBuffer([{ name: '名单', rows: [['a']] }]);
    // Rename the workbook part so that the zip looks like a Word document.
    const renamed = Buffer.from(
      word.toString('latin1').replaceAll('xl/workbook.xml', 'word/document'),
      'latin1',
    );
    await rejection(readRoster(renamed), 'NOT_A_ROSTER');
  });

  it('refuses a truncated upload as damaged', async () => {
    const file = await xlsxBuffer([{ name: '名单', rows: CHILDREN }]);
    const error = await rejection(
      readRoster(file.subarray(0, Math.floor(file.length * 0.6))),
      'CORRUPT_XLSX',
    );
    expect(error.zh).toContain('重新保存');
  });
});

describe('nothing of a roster in the temp folder', () => {
  const children = [
    { name: '王小明', id: makeId('20160909', '001') },
    { name: '欧阳娜娜', id: makeId('20150312', '002') },
  ];
  let tmp: string;
  let savedTmpdir: string | undefined;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'kcbx-tmpdir-'));
    savedTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    // exceljs's tmp package writes where os.tmpdir() says, asked at the time it writes.
    expect(tmpdir()).toBe(tmp);
  });
  afterEach(() => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Everything in the temp folder, and whether it holds one of the children's ID numbers. */
  function leftovers(): { file: string; holdsId: boolean }[] {
    return readdirSync(tmp, { recursive: true, encoding: 'utf8' }).map((file) => {
      const full = path.join(tmp, file);
      const text = statSync(full).isFile() ? readFileSync(full, 'utf8') : '';
      return { file, holdsId: children.some((child) => text.includes(child.id)) };
    });
  }

  /** The kind of workbook that was parked on disk: its worksheet first, with the IDs in its own XML. */
  async function sheetFirst(options: { beyondXfd?: boolean } = {}): Promise<Buffer> {
    const file = await sheetFirstXlsx(children, options);
    const names = zipEntryNames(file);
    expect(names.indexOf('xl/worksheets/sheet1.xml')).toBeLessThan(names.indexOf('xl/sharedStrings.xml'));
    expect(zipEntryText(file, 'xl/worksheets/sheet1.xml')).toContain(children[0]!.id);
    return file;
  }

  it('writes nothing there while or after reading a workbook whose worksheet comes before its shared strings', async () => {
    const file = await sheetFirst();
    const { rows } = await openRoster(chunkedStream(file, 1000), {
      fileName: '学籍.xlsx',
      reopen: () => chunkedStream(file, 1000),
    });
    const read: RawRow[] = [];
    for await (const row of rows) {
      read.push(row);
      // The worksheet is being read: a reader that parked it would have it on disk now.
      expect(leftovers()).toEqual([]);
    }
    expect(read.slice(1).map((row) => texts(row).slice(0, 2))).toEqual(
      children.map((child) => [child.name, child.id]),
    );
    expect(leftovers()).toEqual([]);
  });

  it('writes nothing there when that worksheet is refused (a cell beyond column XFD)', async () => {
    const file = await sheetFirst({ beyondXfd: true });
    const error = await rejection(readRoster(file, { fileName: '学籍.xlsx' }), 'CORRUPT_XLSX');
    expect(error.en).toContain('Out of bounds');
    expect(leftovers()).toEqual([]);
  });

  it('refuses the file when its second read does not give the bytes of the first', async () => {
    const file = await sheetFirst();
    const other = await sheetFirstXlsx([{ name: '李四', id: children[0]!.id }]);
    const error = await rejection(
      readRoster(file, { fileName: '学籍.xlsx', reopen: () => chunkedStream(other) }),
      'CORRUPT_XLSX',
    );
    expect(error.en).toContain('changed');
    expect(leftovers()).toEqual([]);
  });

  it('reads a workbook whose parts come before its worksheet in one pass', async () => {
    const parts = ['xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/sharedStrings.xml', 'xl/styles.xml'];
    const file = rezip(await sheetFirstXlsx(children), {
      order: (names) => [...parts, ...names.filter((n) => !parts.includes(n))],
    });
    const { rows } = await readRoster(file, {
      fileName: '学籍.xlsx',
      reopen: () => {
        throw new Error('read twice');
      },
    });
    expect(rows).toHaveLength(children.length + 1);
    expect(leftovers()).toEqual([]);
  });
});

describe('zip bombs', () => {
  async function refusedQuicklyInLittleMemory(file: Buffer) {
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    await rejection(readRoster(file, { fileName: '名单.xlsx', chunkSize: 64 * 1024 }), 'ZIP_BOMB');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
  }

  it('refuses an entry whose header declares 1 GiB inflated, before inflating it', async () => {
    await refusedQuicklyInLittleMemory(zipBombBuffer());
  });

  it('refuses an entry whose header lies about its size, by counting what actually inflates', async () => {
    await refusedQuicklyInLittleMemory(zipBombBuffer({ headers: 'lying' }));
  });

  it('refuses an entry whose sizes come only after the data (data descriptor)', async () => {
    await refusedQuicklyInLittleMemory(zipBombBuffer({ headers: 'descriptor' }));
  });

  it('refuses an entry that inflates past the uncompressed limit even at an ordinary ratio', async () => {
    const file = zipBombBuffer({ inflatedBytes: 8 * 1024 * 1024, headers: 'descriptor' });
    await rejection(
      readRoster(file, { limits: { maxUncompressedBytes: 4 * 1024 * 1024, maxCompressionRatio: 1e9 } }),
      'ZIP_BOMB',
    );
  });
});

describe('reading CSV rosters', () => {
  it.each([
    ['utf-8', 'utf-8'],
    ['utf-8-bom', 'utf-8-bom'],
    ['gb18030', 'gb18030'],
  ] as const)('decodes Chinese in %s and reports the encoding', async (encoding, detected) => {
    const { info, rows } = await readRoster(csvBuffer(CHILDREN, { encoding }), { chunkSize: 7 });
    expect(info).toEqual({ format: 'csv', encoding: detected });
    expect(rows.map(texts)).toEqual(CHILDREN);
    expect(texts(rows[0])[0]).toBe('姓名'); // no BOM left on the first cell
  });

  it('detects GB18030 whose first Chinese comes after 64 KiB of ASCII', async () => {
    const ascii = Array.from({ length: 3000 }, (_, i) => [
      `S${i}`,
      `5301242015${String(i).padStart(8, '0')}`,
      'No.1',
    ]);
    const chinese = [['张三', '530124201503121234', '东川区第一小学']];
    const file = csvBuffer([...ascii, ...chinese], { encoding: 'gb18030' });
    expect(file.indexOf(0xd5)).toBeGreaterThan(64 * 1024); // 张 = D5 C5
    const { info, rows } = await readRoster(file, { chunkSize: 1001 });
    expect(info.encoding).toBe('gb18030');
    expect(rows).toHaveLength(3001);
    expect(texts(rows[3000])).toEqual(chinese[0]);
    expect(rows[3000]!.line).toBe(3001);
  });

  it('detects UTF-8 whose first Chinese comes after 64 KiB of ASCII', async () => {
    const ascii = Array.from({ length: 3000 }, (_, i) => [`S${i}`, 'No.1']);
    const file = csvBuffer([...ascii, ['欧阳娜娜', '阿旺镇中学']], { encoding: 'utf-8' });
    const { info, rows } = await readRoster(file, { chunkSize: 1001 });
    expect(info.encoding).toBe('utf-8');
    expect(texts(rows.at(-1))).toEqual(['欧阳娜娜', '阿旺镇中学']);
  });

  it('reads an ASCII-only file as UTF-8', async () => {
    const { info, rows } = await readRoster(Buffer.from('name,id\r\nZhang San,530124201503121234\r\n'));
    expect(info.encoding).toBe('utf-8');
    expect(rows.map(texts)).toEqual([
      ['name', 'id'],
      ['Zhang San', '530124201503121234'],
    ]);
  });

  it.each([
    ['semicolon', ';'],
    ['tab', '\t'],
    ['comma', ','],
  ] as const)('detects a %s delimiter from the first line', async (_, delimiter) => {
    const rows = [...CHILDREN, ['王五', '530124201503121234', '学校, 分校; 其他', '三年级']];
    const { rows: read } = await readRoster(csvBuffer(rows, { encoding: 'utf-8', delimiter }));
    expect(read.map(texts)).toEqual(rows);
  });

  it.each(['\r\n', '\n', '\r'] as const)('reads records ended by %j', async (eol) => {
    const { rows } = await readRoster(csvBuffer(CHILDREN, { encoding: 'utf-8', eol }));
    expect(rows.map(texts)).toEqual(CHILDREN);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3, 4]);
  });

  it('numbers each record by the line where it starts, across quoted line breaks and blank lines', async () => {
    // As Excel writes it: CRLF between records, a bare LF inside a quoted cell (Alt+Enter).
    const text = [
      '姓名,备注\r\n',
      '张三,"住校\n周末回家"\r\n',
      '李四,"三行\r\n的\r\n备注"\r\n',
      '\r\n',
      '王五,"引号""里面"""\r\n',
      '赵六,无\r\n',
    ].join('');
    const { rows } = await readRoster(Buffer.from(text), { chunkSize: 5 });
    expect(rows.map((r) => [r.line, texts(r)])).toEqual([
      [1, ['姓名', '备注']],
      [2, ['张三', '住校\n周末回家']],
      [4, ['李四', '三行\r\n的\r\n备注']],
      [7, ['']],
      [8, ['王五', '引号"里面"']],
      [9, ['赵六', '无']],
    ]);
  });

  it('keeps cells as written: untrimmed, empty cells empty, ragged rows as they are', async () => {
    const { rows } = await readRoster(Buffer.from('姓名,年级,备注\n 张三 ,,\n李四\n'));
    expect(rows[1]!.cells).toEqual([{ kind: 'text', text: ' 张三 ' }, { kind: 'empty' }, { kind: 'empty' }]);
    expect(texts(rows[2])).toEqual(['李四']);
  });

  it('stops reading the upload when the caller stops early', async () => {
    const source = chunkedStream(
      csvBuffer(
        Array.from({ length: 20_000 }, (_, i) => [`学生${i}`]),
        { encoding: 'utf-8' },
      ),
    );
    const { rows } = await openRoster(source, { fileName: 'a.csv' });
    for await (const row of rows) {
      expect(texts(row)).toEqual(['学生0']);
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });

  it('tells the format by content: a CSV named .xlsx is read as CSV', async () => {
    const { info } = await readRoster(csvBuffer(CHILDREN, { encoding: 'gb18030' }), {
      fileName: '名单.xlsx',
    });
    expect(info).toEqual({ format: 'csv', encoding: 'gb18030' });
  });

  it('refuses a line with 10,000 columns', async () => {
    const header = Array.from({ length: 10_000 }, (_, i) => `c${i}`);
    const error = await rejection(
      readRoster(csvBuffer([['姓名'], header], { encoding: 'utf-8' })),
      'TOO_MANY_COLUMNS',
    );
    expect(error.line).toBe(2);
    expect(error.zh).toContain('10000 列');
  });

  it('refuses a 10 MB line from the row iterator after the rows before it', async () => {
    const line = Buffer.alloc(10 * 1024 * 1024, 'a');
    const file = Buffer.concat([Buffer.from('姓名,备注\n张三,"'), line, Buffer.from('"\n')]);
    const { rows } = await openRoster(chunkedStream(file, 64 * 1024), { fileName: 'a.csv' });
    const seen: RawRow[] = [];
    const error = await rejection(
      (async () => {
        for await (const row of rows) seen.push(row);
      })(),
      'LINE_TOO_LONG',
    );
    expect(seen.map(texts)).toEqual([['姓名', '备注']]);
    expect(error.line).toBe(2);
    expect(error.zh).toContain('引号');
  });

  it('refuses a quote left open at the end of the file', async () => {
    const error = await rejection(readRoster(Buffer.from('姓名,备注\n张三,"住校\n')), 'MALFORMED_CSV');
    expect(error.line).toBe(2);
  });

  it('refuses more rows than the row limit', async () => {
    const rows = Array.from({ length: 11 }, (_, i) => [`S${i}`]);
    const error = await rejection(
      readRoster(csvBuffer(rows, { encoding: 'utf-8' }), { limits: { maxRows: 10 } }),
      'TOO_MANY_ROWS',
    );
    expect(error.line).toBe(11);
  });

  it('refuses a file larger than the size limit, also when the excess comes after many rows', async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => [`S${i}`, '东川区第一小学']);
    const file = csvBuffer(rows, { encoding: 'utf-8' });
    await rejection(readRoster(file, { limits: { maxBytes: 1000 } }), 'TOO_LARGE');
    await rejection(readRoster(file, { limits: { maxBytes: file.length - 1 } }), 'TOO_LARGE');
    await expect(readRoster(file, { limits: { maxBytes: file.length } })).resolves.toBeDefined();
  });

  it('reads from any async iterable of bytes, not only Node streams', async () => {
    const file = csvBuffer(CHILDREN, { encoding: 'gb18030' });
    async function* bytes() {
      for (let at = 0; at < file.length; at += 5) yield new Uint8Array(file.subarray(at, at + 5));
    }
    const { info, rows } = await openRoster(bytes(), { fileName: 'a.csv' });
    const read: RawRow[] = [];
    for await (const row of rows) read.push(row);
    expect(info.encoding).toBe('gb18030');
    expect(read.map(texts)).toEqual(CHILDREN);
  });

  it('refuses bytes that stop being the detected encoding, saying where', async () => {
    const utf8 = csvText(Array.from({ length: 3000 }, () => ['张三', '东川区第一小学']));
    const file = Buffer.concat([Buffer.from(utf8), encodeGb18030('李四,阿旺镇中学\r\n')]);
    const error = await rejection(readRoster(file), 'INVALID_ENCODING');
    expect(error.line).toBe(3001);
  });
});

describe('files that are not rosters', () => {
  it('refuses a legacy .xls with the save-as-.xlsx advice', async () => {
    const error = await rejection(readRoster(legacyXlsBuffer(), { fileName: '名单.xls' }), 'LEGACY_XLS');
    expect(error.zh).toContain('旧版 .xls 格式不受支持，请在 Excel 中另存为 .xlsx');
    expect(error.en).toContain('Legacy .xls is not supported: open it in Excel and save as .xlsx');
  });

  it('refuses a password-protected .xlsx, asking to remove the password', async () => {
    const error = await rejection(
      readRoster(encryptedXlsxBuffer(), { fileName: '名单.xlsx' }),
      'ENCRYPTED_XLSX',
    );
    expect(error.zh).toContain('密码');
  });

  it('refuses a binary file renamed .csv', async () => {
    await rejection(readRoster(binaryBuffer(), { fileName: '名单.csv' }), 'NOT_A_ROSTER');
  });

  it('refuses text that is neither UTF-8 nor GB18030', async () => {
    // 0xFF cannot start a character in either encoding.
    const file = Buffer.concat([
      Buffer.from('name,school\r\n'),
      Buffer.from([0xff, 0xfe, 0x41, 0xff, 0x0d, 0x0a]),
    ]);
    await rejection(readRoster(Buffer.concat([file, Buffer.alloc(100, 0x41)])), 'NOT_A_ROSTER');
  });

  it.each([
    ['a PDF', Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n')],
    ['a PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])],
    [
      'a web page saved as .xls',
      Buffer.from('<html><body><table><tr><td>姓名</td></tr></table></body></html>'),
    ],
  ])('refuses %s', async (_, file) => {
    await rejection(readRoster(file, { fileName: '名单.xls' }), 'NOT_A_ROSTER');
  });

  it('refuses UTF-16 text (Excel "Unicode Text"), with or without a byte-order mark', async () => {
    const text = '姓名\t学校\r\n张三\t东川区第一小学\r\n';
    await rejection(
      readRoster(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])),
      'UNSUPPORTED_ENCODING',
    );
    await rejection(
      readRoster(Buffer.from('name\tschool\r\nZhang\tNo.1\r\n', 'utf16le')),
      'UNSUPPORTED_ENCODING',
    );
  });

  it.each([
    ['no bytes', Buffer.alloc(0)],
    ['only a BOM', Buffer.from([0xef, 0xbb, 0xbf])],
    ['only blank lines', Buffer.from('\r\n \r\n\r\n')],
  ])('refuses an empty file (%s)', async (_, file) => {
    await rejection(readRoster(file), 'EMPTY_FILE');
  });

  it('says what is wrong and how to fix it, in Chinese and English', async () => {
    const error = await rejection(readRoster(Buffer.alloc(0)), 'EMPTY_FILE');
    expect(error.zh).toMatch(/空/);
    expect(error.en).toMatch(/empty/i);
    expect(error.message).toContain('EMPTY_FILE');
  });
});

describe('memory and speed', () => {
  function gc(): () => void {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  }

  it('streams a 200,000-row CSV in flat memory', async () => {
    const collect = gc();
    const ROWS = 200_000;
    const source = Readable.from(
      (function* () {
        yield Buffer.from('姓名,身份证号,学校,年级,备注\r\n');
        for (let i = 0; i < ROWS; i += 1000) {
          let batch = '';
          for (let j = i; j < i + 1000; j++)
            batch += `学生${j},53012420150312${String(j % 10000).padStart(4, '0')},东川区第一小学,一年级,无\r\n`;
          yield Buffer.from(batch);
        }
      })(),
      { objectMode: false },
    );
    collect();
    const baseline = process.memoryUsage().heapUsed;
    let retained = 0;
    let count = 0;
    const started = performance.now();
    const { rows } = await openRoster(source, { fileName: 'big.csv' });
    for await (const row of rows) {
      if (++count % 50_000 === 0) {
        expect(row.cells).toHaveLength(5);
        collect();
        retained = Math.max(retained, process.memoryUsage().heapUsed - baseline);
      }
    }
    expect(count).toBe(ROWS + 1);
    expect(retained).toBeLessThan(50 * 1024 * 1024);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('numberText', () => {
  it.each([
    [5.30124201503121e17, '530124201503121000'],
    [1e21, '1000000000000000000000'],
    [1.2345e25, '12345000000000000000000000'],
    [-1.5e-7, '-0.00000015'],
    [0.1, '0.1'],
    [42, '42'],
  ])('writes %d as %s', (value, text) => {
    expect(numberText(value)).toBe(text);
  });
});

it('uses the documented default limits', () => {
  expect(DEFAULT_LIMITS).toEqual({
    maxBytes: 50 * 1024 * 1024,
    maxColumns: 512,
    maxLineBytes: 1024 * 1024,
    maxRows: 1_000_000,
    maxUncompressedBytes: 500 * 1024 * 1024,
    maxCompressionRatio: 200,
  });
});
