import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportEventJsonSchemas, jsonSchemaFileName } from '../../../shared/events/json-schema';
import { type DetailType, detailTypes, parseEventDetail } from '../../../shared/events/publishable';
import { allEventSamples, eventSamples, sampleChild } from '../../../shared/events/samples';
import {
  PARTNER_DEPARTMENT_NAMES_ZH,
  type PartnerDepartment,
  partnerDepartmentSchema,
} from '../../../shared/org';
import {
  allowedFields,
  CONTRACT_VERSION,
  deliveryEnvelope,
  deliveryEnvelopeSchema,
  ENVELOPE_FIELDS,
  minimiseFor,
  PARTNER_FIELDS,
  partnerFieldsMarkdown,
  REQUIRED_NARROWING,
  receivableTypes,
} from './minimise';
import { CAUSE_REFERRALS } from './referral';

const departments = partnerDepartmentSchema.options;
const DISABILITY_CARERS: readonly PartnerDepartment[] = ['disabled-persons-federation', 'health'];

/** Whether `fieldPath` names a field of the JSON Schema `node` (through unions and arrays). */
function schemaHasPath(node: unknown, fieldPath: string[]): boolean {
  if (fieldPath.length === 0) return true;
  if (typeof node !== 'object' || node === null) return false;
  const n = node as Record<string, unknown>;
  const alternatives = [
    ...((n.anyOf as unknown[]) ?? []),
    ...((n.oneOf as unknown[]) ?? []),
    ...((n.allOf as unknown[]) ?? []),
  ];
  if (alternatives.some((alt) => schemaHasPath(alt, fieldPath))) return true;
  if (n.type === 'array') return schemaHasPath(n.items, fieldPath);
  const [key, ...rest] = fieldPath;
  const properties = n.properties as Record<string, unknown> | undefined;
  return (
    properties !== undefined &&
    key !== undefined &&
    Object.hasOwn(properties, key) &&
    schemaHasPath(properties[key], rest)
  );
}

/** A case.opened / case.overdue / subsidy.held detail carrying a disability detail. */
const disabilityDetails: Array<[DetailType, Record<string, unknown>]> = [
  ['case.opened', { ...eventSamples['case.opened'], causeCategory: 'DISABILITY' }],
  ['case.opened', { ...eventSamples['case.opened'], causeCategory: 'ILLNESS' }],
  ['case.overdue', { ...eventSamples['case.overdue'], item: 'HOME_TEACHING_VISIT' }],
  ['subsidy.held', { ...eventSamples['subsidy.held'], benefit: 'DISABILITY_SUPPORT' }],
];

describe('PARTNER_FIELDS — the allow-list', () => {
  it('names only fields of the published event contracts (docs/events)', () => {
    const schemas = exportEventJsonSchemas() as Record<string, { properties: { detail: unknown } }>;
    for (const department of departments) {
      for (const type of receivableTypes(department)) {
        const detail = schemas[jsonSchemaFileName(type)]!.properties.detail;
        for (const field of allowedFields(department, type)!) {
          expect(schemaHasPath(detail, field.split('.')), `${department} ${type} ${field}`).toBe(true);
        }
      }
    }
  });

  it('gives every department something, and each type only to departments that need it', () => {
    for (const department of departments) expect(receivableTypes(department).length).toBeGreaterThan(0);
    const nobody = detailTypes.filter((t) => departments.every((d) => allowedFields(d, t) === undefined));
    expect(nobody).toEqual(['roster.accepted', 'roster.rejected', 'attendance.missing']);
  });

  it('requires narrowing only by a filter whose field the department receives', () => {
    for (const department of departments) {
      const required: Partial<Record<DetailType, readonly string[]>> = REQUIRED_NARROWING[department];
      for (const [type, filters] of Object.entries(required) as Array<[DetailType, readonly string[]]>) {
        const fields = allowedFields(department, type)!;
        for (const filter of filters) {
          expect(fields).toContain(filter === 'cause' ? 'causeCategory' : 'priority');
        }
      }
    }
  });

  it('never lists a name, raw ID number, address, guardian or the roster evidence', () => {
    for (const department of departments) {
      for (const fields of Object.values(PARTNER_FIELDS[department]) as (readonly string[])[]) {
        for (const field of fields) {
          expect(field).not.toMatch(/name|idNumber|address|guardian|birth|evidence|actor/i);
        }
      }
    }
  });

  it('gives the masked ID only with the event that brings a child to attention; follow-ups carry pseudonyms', () => {
    const followUps: DetailType[] = [
      'case.state-changed',
      'case.overdue',
      'case.closed',
      'student.returned',
      'dropout.resolved',
    ];
    for (const department of departments) {
      for (const type of followUps)
        expect(allowedFields(department, type) ?? []).not.toContain('child.maskedId');
    }
  });

  it('is documented, row for row, in services/notifications/README.md', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Partner event contracts'));
    const rows = (text: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
        .map((line) =>
          line
            .split('|')
            .map((cell) => cell.trim())
            .join('|'),
        );
    const expected = rows(partnerFieldsMarkdown());
    expect(expected.length).toBeGreaterThan(40);
    const documented = rows(section).filter(
      (row) => expected[0] === row || /`[a-z-]+`\|`[a-z.-]+`\|/.test(row),
    );
    expect(documented).toEqual(expected);
  });

  it('documents the referral routing as referral.ts has it', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '../README.md'), 'utf8');
    for (const [cause, route] of Object.entries(CAUSE_REFERRALS)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${cause}\``));
      expect(row, cause).toBeDefined();
      const names = route.departments.map((d) => PARTNER_DEPARTMENT_NAMES_ZH[d]);
      const cell = row!.split('|')[2]!.trim();
      if (names.length === 0) expect(cell.startsWith('—')).toBe(true);
      else expect(cell.replace(/\s*\(.*\)$/, '')).toBe(names.join(', '));
    }
  });
});

describe('minimiseFor', () => {
  it('keeps the envelope and the listed fields, and nothing else', () => {
    const data = minimiseFor('public-security', 'case.opened', {
      ...eventSamples['case.opened'],
      causeCategory: 'HOUSEHOLD_REGISTRATION',
    });
    expect(data).toEqual({
      schemaVersion: 1,
      eventId: eventSamples['case.opened'].eventId,
      occurredAt: eventSamples['case.opened'].occurredAt,
      region: '530124',
      caseId: eventSamples['case.opened'].caseId,
      child: sampleChild,
      township: eventSamples['case.opened'].township,
      source: 'COMPARISON',
      causeCategory: 'HOUSEHOLD_REGISTRATION',
    });
  });

  it('gives a 公安 subscription no disability or illness, and no cause it is not referred', () => {
    for (const cause of ['DISABILITY', 'ILLNESS', 'POVERTY', 'WORK']) {
      const data = minimiseFor('public-security', 'case.opened', {
        ...eventSamples['case.opened'],
        causeCategory: cause,
      });
      expect(data).toBeDefined();
      expect(data).not.toHaveProperty('causeCategory');
    }
  });

  it('shows disability details to nobody but 残联 and 卫健', () => {
    for (const department of departments) {
      for (const [type, detail] of disabilityDetails) {
        const text = JSON.stringify(minimiseFor(department, type, detail) ?? {});
        if (DISABILITY_CARERS.includes(department)) continue;
        expect(text, `${department} ${type}`).not.toMatch(/DISABILITY|ILLNESS|HOME_TEACHING_VISIT/);
      }
    }
    expect(minimiseFor('disabled-persons-federation', ...disabilityDetails[0]!)).toHaveProperty(
      'causeCategory',
      'DISABILITY',
    );
    expect(minimiseFor('disabled-persons-federation', ...disabilityDetails[2]!)).toHaveProperty(
      'item',
      'HOME_TEACHING_VISIT',
    );
    expect(minimiseFor('disabled-persons-federation', ...disabilityDetails[3]!)).toHaveProperty(
      'benefit',
      'DISABILITY_SUPPORT',
    );
    expect(minimiseFor('health', ...disabilityDetails[1]!)).toHaveProperty('causeCategory', 'ILLNESS');
    // 司法 still hears that a duty is overdue, without learning that it is a 送教上门 visit.
    expect(minimiseFor('justice', ...disabilityDetails[2]!)).toMatchObject({
      dueOn: '2025-09-19',
      escalationLevel: 1,
    });
    expect(minimiseFor('justice', 'case.overdue', eventSamples['case.overdue'])).toHaveProperty(
      'item',
      'FIRST_HOME_VISIT',
    );
  });

  it('passes on no field an event might gain later unless it is listed, even inside child', () => {
    const future = {
      ...eventSamples['case.opened'],
      causeCategory: 'HOUSEHOLD_REGISTRATION',
      name: '张小明',
      idNumber: '530124201403120216',
      child: { ...sampleChild, name: '张小明', birthDate: '2014-03-12' },
    };
    for (const department of departments) {
      const text = JSON.stringify(minimiseFor(department, 'case.opened', future) ?? {});
      expect(text).not.toContain('张小明');
      expect(text).not.toContain('530124201403120216');
      expect(text).not.toContain('2014-03-12');
    }
  });

  it('withholds an object where the list expects a plain value', () => {
    const odd = { ...eventSamples['case.opened'], township: { code: '530124100', head: '李四' } };
    expect(minimiseFor('public-security', 'case.opened', odd)).not.toHaveProperty('township');
  });

  it('projects each element of a list field', () => {
    expect(minimiseFor('finance', 'subsidy.determined', eventSamples['subsidy.determined'])?.totals).toEqual(
      eventSamples['subsidy.determined'].totals,
    );
  });

  it('returns undefined for a type the department receives nothing of', () => {
    expect(
      minimiseFor('public-security', 'roster.accepted', eventSamples['roster.accepted']),
    ).toBeUndefined();
    expect(minimiseFor('finance', 'case.opened', eventSamples['case.opened'])).toBeUndefined();
    expect(minimiseFor('justice', 'no.such-type', {})).toBeUndefined();
  });

  it('gives 财政 totals and never a child', () => {
    for (const [type, detail] of allEventSamples()) {
      expect(minimiseFor('finance', type, detail) ?? {}).not.toHaveProperty('child');
    }
  });

  it('keeps what it delivers consistent with the contract: every delivered value is the event’s own', () => {
    for (const department of departments) {
      for (const [type, detail] of allEventSamples()) {
        expect(parseEventDetail(type, detail).ok).toBe(true);
        const data = minimiseFor(department, type, detail);
        if (data === undefined) continue;
        for (const field of ENVELOPE_FIELDS)
          expect(data[field]).toEqual((detail as Record<string, unknown>)[field]);
        expect(detail).toMatchObject(data);
      }
    }
  });
});

describe('deliveryEnvelope', () => {
  const sub = { id: 'sub_01K4Y3N5A1B2C3D4E5F6G7H8J9', partnerOrg: '530124:human-resources' };
  const detail = { ...eventSamples['case.opened'], causeCategory: 'WORK' as const };

  it('wraps the minimised detail with the idempotency key and the contract version', () => {
    const envelope = deliveryEnvelope(sub, 'case.opened', detail);
    expect(envelope).toEqual({
      contractVersion: CONTRACT_VERSION,
      eventId: detail.eventId,
      detailType: 'case.opened',
      occurredAt: detail.occurredAt,
      subscriptionId: sub.id,
      partnerOrg: sub.partnerOrg,
      data: minimiseFor('human-resources', 'case.opened', detail),
    });
    expect(envelope?.data).not.toHaveProperty('school');
    expect(deliveryEnvelopeSchema.safeParse(envelope).success).toBe(true);
  });

  it('is the same for the same event, so a redelivery carries the same key', () => {
    expect(deliveryEnvelope(sub, 'case.opened', detail)).toEqual(
      deliveryEnvelope(sub, 'case.opened', { ...detail }),
    );
  });

  it('is undefined when the department may not receive the type (skip it, do not retry)', () => {
    expect(deliveryEnvelope(sub, 'subsidy.held', eventSamples['subsidy.held'])).toBeUndefined();
    expect(deliveryEnvelope({ ...sub, partnerOrg: 'not-an-org' }, 'case.opened', detail)).toBeUndefined();
  });
});
