import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it, vi } from 'vitest';
import {
  CSV_BOM,
  csvRow,
  sheetNamer,
  writeAll,
  writeTable,
  xlsxBuffer,
  xlsxWriter,
} from './spreadsheet-export';

describe('csvRow', () => {
  it('quotes what needs quoting and keeps formulas from running', () => {
    expect(csvRow(['a,b', 'say "hi"', '=1+1', '-3', 'plain'])).toBe(`"a,b","say ""hi""",'=1+1,'-3,plain\r\n`);
  });
});

describe('writeAll', () => {
  it('writes every piece in order and ends the stream', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const piece = 'x'.repeat(40_000);
    await writeAll(stream, [CSV_BOM, piece, piece, 'end']);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(`${CSV_BOM}${piece}${piece}end`);
    expect(stream.writableEnded).toBe(true);
  });
});

describe('sheetNamer', () => {
  it('numbers a name asked for again, as a table continued on the next sheet', () => {
    const name = sheetNamer(['汇总 summary']);
    expect([name('决定 decisions'), name('决定 decisions'), name('汇总 summary'), name('a/b')]).toEqual([
      '决定 decisions',
      '决定 decisions (2)',
      '汇总 summary (2)',
      'a b',
    ]);
  });
});

describe('writeTable', () => {
  it('writes a frozen, filtered header, text columns as text and neutralised strings', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const workbook = xlsxWriter(stream);
    await writeTable(
      workbook,
      {
        name: 'list',
        namer: sheetNamer(),
        columns: [
          { header: 'ID', width: 21, text: true },
          { header: 'n', width: 6 },
        ],
        pageHeader: (sheet) => `A & B ${sheet}`,
      },
      [
        ['530124201401010172', 3],
        ['=HYPERLINK("x")', 4],
      ],
    );
    await workbook.commit();
    const read = new ExcelJS.Workbook();
    await read.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
    const sheet = read.getWorksheet('list')!;
    expect(sheet.getRow(1).font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.getCell('A2').value).toBe('530124201401010172');
    expect(sheet.getCell('A2').numFmt).toBe('@');
    expect(sheet.getCell('B2').value).toBe(3);
    expect(sheet.getCell('A3').value).toBe(`'=HYPERLINK("x")`);
    expect(sheet.headerFooter.oddHeader).toBe('&CA && B list');
  });
});

describe('xlsxBuffer', () => {
  it('builds a workbook in memory, leaving nothing in the temporary folder', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'kcbx-xlsx-buffer-'));
    vi.stubEnv('TMPDIR', folder);
    try {
      expect(tmpdir()).toBe(folder);
      const buffer = await xlsxBuffer(async (out) => {
        const workbook = xlsxWriter(out);
        const sheet = workbook.addWorksheet('名单');
        for (let i = 0; i < 2000; i++)
          sheet.addRow([`53012420150312${String(i).padStart(4, '0')}`, '张三']).commit();
        sheet.commit();
        await workbook.commit();
      });
      expect(readdirSync(folder)).toEqual([]);
      const read = new ExcelJS.Workbook();
      await read.xlsx.load(buffer as unknown as ArrayBuffer);
      expect(read.getWorksheet('名单')!.rowCount).toBe(2000);
    } finally {
      vi.unstubAllEnvs();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('is how every service builds its workbooks: no handler, use case or adapter uses the temporary folder', () => {
    const root = path.join(import.meta.dirname, '..', 'services');
    const offenders: string[] = [];
    for (const service of readdirSync(root)) {
      for (const part of ['handlers', 'use-cases', 'adapters']) {
        const dir = path.join(root, service, part);
        let files: string[] = [];
        try {
          files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
        } catch {
          continue;
        }
        for (const f of files) {
          const text = readFileSync(path.join(dir, f), 'utf8');
          if (/\btmpdir\(|mkdtemp|writeFileSync|createWriteStream/.test(text))
            offenders.push(`${service}/${part}/${f}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
