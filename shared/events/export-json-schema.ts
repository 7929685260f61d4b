/**
 * Writes the JSON Schema of every event, plus index.json, to a directory (default docs/events):
 *
 *   npx tsx shared/events/export-json-schema.ts [outDir]
 *
 * Run it after changing the event catalogue and commit the result; a test fails while docs/events
 * differs from the catalogue. Stale `*.v<N>.json` files of removed event types are deleted.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { eventJsonSchemaIndex, exportEventJsonSchemas } from './json-schema';

const DEFAULT_OUT_DIR = 'docs/events';
const LINE_WIDTH = 110; // biome.json formatter.lineWidth

/**
 * JSON.stringify with 2-space indent, except that an array of primitives stays on one line when it fits,
 * as Biome formats it — so the committed files pass `biome check` straight from this script.
 */
function formatJson(value: unknown, indent = '', lineStart = 0, suffix = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const inline = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
      if (lineStart + inline.length + suffix.length <= LINE_WIDTH) return inline;
    }
    const inner = `${indent}  `;
    const items = value.map((v, i) => {
      const comma = i < value.length - 1 ? ',' : '';
      return `${inner}${formatJson(v, inner, inner.length, comma)}${comma}`;
    });
    return `[\n${items.join('\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    const lines = entries.map(([k, v], i) => {
      const key = `${inner}${JSON.stringify(k)}: `;
      const comma = i < entries.length - 1 ? ',' : '';
      return `${key}${formatJson(v, inner, key.length, comma)}${comma}`;
    });
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

async function writeEventJsonSchemas(outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files: Record<string, object> = { ...exportEventJsonSchemas(), 'index.json': eventJsonSchemaIndex() };
  for (const existing of await readdir(outDir)) {
    if (/\.v\d+\.json$/.test(existing) && !(existing in files)) await rm(join(outDir, existing));
  }
  for (const [name, schema] of Object.entries(files)) {
    await writeFile(join(outDir, name), `${formatJson(schema)}\n`);
  }
  return Object.keys(files);
}

const outDir = resolve(process.argv[2] ?? DEFAULT_OUT_DIR);
const written = await writeEventJsonSchemas(outDir);
process.stdout.write(`wrote ${written.length} files to ${outDir}\n`);
