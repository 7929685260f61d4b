import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { usage } from './errors';

/** 'a', 'a 或 b', 'a、b 或 c' (and the English 'a, b or c'). */
function oneOf(items: readonly string[], comma: string, or: string): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(comma)}${or}${items.at(-1)}`;
}

/**
 * The format of an output file, from its name, checked before any roster is read: a run of minutes should
 * not end in a name it cannot write.
 */
export function checkOutputFile<F extends string>(flag: string, file: string, formats: readonly F[]): F {
  const format = formats.find((ext) => file.toLowerCase().endsWith(ext));
  if (!format) {
    throw usage(
      `${flag} 的文件名应以 ${oneOf(formats, '、', ' 或 ')} 结尾，实为“${file}”。`,
      `${flag} must end in ${oneOf(formats, ', ', ' or ')}, got "${file}".`,
    );
  }
  const dir = path.dirname(path.resolve(file));
  if (!existsSync(dir)) {
    throw usage(`${flag} 所在的文件夹不存在：${dir}`, `The folder of ${flag} does not exist: ${dir}`);
  }
  return format;
}

/** Writes beside the target and renames, so that an interrupted run never leaves half a file. */
export async function writeAtomically(
  file: string,
  write: (partial: string) => Promise<void> | void,
): Promise<void> {
  const partial = `${file}.partial${path.extname(file)}`;
  try {
    await write(partial);
    renameSync(partial, file);
  } catch (err) {
    rmSync(partial, { force: true });
    const m = (err as Error).message;
    throw new Error(`无法写入 ${file}：${m}\nCannot write ${file}: ${m}`);
  }
}
