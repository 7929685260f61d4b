/**
 * 事件契约导出 — JSON Schema of every event on the kcbx bus, generated from the zod catalogue, for
 * partner departments that consume the events without TypeScript. Each file describes the whole
 * EventBridge event as delivered to a target; its `detail` is the catalogue schema.
 */
import { z } from 'zod';
import { eventCatalogue } from './catalogue';
import { type DetailType, detailTypes } from './publishable';

export const SCHEMA_VERSION = 1;
export const JSON_SCHEMA_BASE_URL = 'https://schemas.kcbx.cn/events';

/** The file an event's schema is written to, e.g. 'roster.accepted.v1.json'. */
export function jsonSchemaFileName(detailType: DetailType): string {
  return `${detailType}.v${SCHEMA_VERSION}.json`;
}

/** The `$id` of an event's schema, e.g. 'https://schemas.kcbx.cn/events/roster.accepted/v1.json'. */
export function jsonSchemaId(detailType: DetailType): string {
  return `${JSON_SCHEMA_BASE_URL}/${detailType}/v${SCHEMA_VERSION}.json`;
}

function detailJsonSchema(detailType: DetailType): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(eventCatalogue[detailType].schema, {
    target: 'draft-2020-12',
    unrepresentable: 'throw',
  }) as Record<string, unknown>;
  return schema;
}

function eventJsonSchema(detailType: DetailType): Record<string, unknown> {
  const entry = eventCatalogue[detailType];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: jsonSchemaId(detailType),
    title: `${detailType} (v${SCHEMA_VERSION})`,
    description: `${entry.description.en} ${entry.description.zh}`,
    type: 'object',
    properties: {
      version: { type: 'string', description: 'EventBridge envelope version.' },
      id: {
        type: 'string',
        description: 'EventBridge event id; differs on re-publish. Deduplicate on detail.eventId instead.',
      },
      'detail-type': { const: detailType },
      source: { const: entry.source },
      account: { type: 'string', description: 'AWS account that published the event.' },
      time: { type: 'string', format: 'date-time', description: 'When EventBridge received the event.' },
      region: {
        type: 'string',
        description: 'AWS region of the bus (e.g. cn-northwest-1); the county is detail.region.',
      },
      resources: { type: 'array', items: { type: 'string' } },
      detail: detailJsonSchema(detailType),
    },
    required: ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'],
  };
}

/** File name → JSON Schema for every event type in the catalogue (the contents of `docs/events`, minus the index). */
export function exportEventJsonSchemas(): Record<string, object> {
  return Object.fromEntries(detailTypes.map((t) => [jsonSchemaFileName(t), eventJsonSchema(t)]));
}

/** The `index.json` listing every event schema, for partners browsing the contract. */
export function eventJsonSchemaIndex(): object {
  return {
    version: SCHEMA_VERSION,
    events: detailTypes.map((t) => ({
      detailType: t,
      source: eventCatalogue[t].source,
      file: jsonSchemaFileName(t),
      $id: jsonSchemaId(t),
      description: eventCatalogue[t].description,
    })),
  };
}
