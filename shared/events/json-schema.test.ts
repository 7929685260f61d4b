import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { eventCatalogue } from './catalogue';
import { eventJsonSchemaIndex, exportEventJsonSchemas } from './json-schema';
import { detailTypes } from './publishable';

const DOCS = new URL('../../docs/events/', import.meta.url);
const REGENERATE = 'run npx tsx shared/events/export-json-schema.ts';

type JsonObject = Record<string, unknown>;

describe('JSON Schema export for partner departments', () => {
  const schemas = exportEventJsonSchemas() as Record<string, JsonObject>;

  it('covers every detail-type, one versioned file each', () => {
    expect(Object.keys(schemas).sort()).toEqual(detailTypes.map((t) => `${t}.v1.json`).sort());
  });

  it.each(detailTypes)(
    'describes the whole EventBridge event of %s, with the detail from the catalogue',
    (type) => {
      const schema = schemas[`${type}.v1.json`]!;
      expect(schema.$id).toBe(`https://schemas.kcbx.cn/events/${type}/v1.json`);
      expect(schema.title).toContain(type);
      expect(schema.description).toContain(eventCatalogue[type].description.zh);
      const properties = schema.properties as Record<string, JsonObject>;
      expect(properties['detail-type']).toEqual({ const: type });
      expect(properties.source).toEqual({ const: eventCatalogue[type].source });
      expect(schema.required).toEqual(expect.arrayContaining(['detail-type', 'source', 'detail']));
      expect(properties.detail).not.toHaveProperty('$schema');
      expect(JSON.stringify(properties.detail)).toContain('"schemaVersion"');
    },
  );

  it(`matches the committed files in docs/events (if not, ${REGENERATE})`, async () => {
    const committed = (await readdir(DOCS).catch(() => [] as string[]))
      .filter((f) => f.endsWith('.json'))
      .sort();
    const expected = { ...schemas, 'index.json': eventJsonSchemaIndex() };
    expect(committed, `docs/events lists other files than the catalogue: ${REGENERATE}`).toEqual(
      Object.keys(expected).sort(),
    );
    for (const file of committed) {
      const onDisk: unknown = JSON.parse(await readFile(new URL(file, DOCS), 'utf8'));
      expect(onDisk, `docs/events/${file} differs from the event catalogue: ${REGENERATE}`).toEqual(
        expected[file as keyof typeof expected],
      );
    }
  });
});
