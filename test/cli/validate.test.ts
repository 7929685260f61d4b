import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerValidateCommand } from '../../cli/validate';
import { sheetFirstXlsx, zipEntryNames } from '../../services/roster-intake/domain/test-fixtures';
import { makeId } from '../../services/roster-intake/domain/validate-test-rows';

const children = [
  { name: '王小明', id: makeId('20160909', '001') },
  { name: '欧阳娜娜', id: makeId('20150312', '002') },
];

/** `kcbx validate <file> --kind enrollment`, run in this process: its exit code and what it printed. */
async function validate(file: string): Promise<{ exitCode: number; output: string }> {
  const program = new Command().exitOverride();
  registerValidateCommand(program);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args.join(' '));
  });
  const before = process.exitCode;
  try {
    await program.parseAsync(['validate', file, '--kind', 'enrollment', '--today', '2025-09-08'], {
      from: 'user',
    });
    return { exitCode: Number(process.exitCode ?? 0), output: printed.join('\n') };
  } finally {
    log.mockRestore();
    process.exitCode = before;
  }
}

describe('kcbx validate leaves nothing of a roster in the temp folder', () => {
  let dir: string;
  let tmp: string;
  let savedTmpdir: string | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kcbx-validate-'));
    // Excel's order, the worksheet before the shared strings: what exceljs parked in a temporary file.
    const accepted = await sheetFirstXlsx(children);
    const names = zipEntryNames(accepted);
    expect(names.indexOf('xl/worksheets/sheet1.xml')).toBeLessThan(names.indexOf('xl/sharedStrings.xml'));
    writeFileSync(path.join(dir, '学籍.xlsx'), accepted);
    writeFileSync(path.join(dir, '学籍-XFE.xlsx'), await sheetFirstXlsx(children, { beyondXfd: true }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'kcbx-tmpdir-'));
    savedTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    expect(tmpdir()).toBe(tmp);
  });
  afterEach(() => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Everything in the temp folder, and whether it holds a child's name or ID number. */
  function leftovers(): { file: string; holdsChild: boolean }[] {
    return readdirSync(tmp, { recursive: true, encoding: 'utf8' }).map((file) => {
      const full = path.join(tmp, file);
      const text = statSync(full).isFile() ? readFileSync(full, 'utf8') : '';
      return { file, holdsChild: children.some((c) => text.includes(c.id) || text.includes(c.name)) };
    });
  }

  it('after a roster it accepts', async () => {
    const { exitCode, output } = await validate(path.join(dir, '学籍.xlsx'));
    expect(output).toContain('可以接收 accepted');
    expect(output).toMatch(/接收 accepted 2\b/);
    expect(exitCode).toBe(0);
    expect(leftovers()).toEqual([]);
  });

  it('after a roster it rejects (a cell beyond column XFD)', async () => {
    const { exitCode, output } = await validate(path.join(dir, '学籍-XFE.xlsx'));
    expect(output).toContain('会被退回 rejected');
    expect(output).toContain('无法作为 .xlsx 读取');
    expect(exitCode).toBe(3);
    expect(leftovers()).toEqual([]);
  });
});
