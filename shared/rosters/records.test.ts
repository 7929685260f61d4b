import { describe, expect, it } from 'vitest';
import { rosterKindSchema } from '../roster-kind';
import {
  attendanceRecordSchema,
  deferralRecordSchema,
  enrollmentRecordSchema,
  householdRecordSchema,
  idNumberSchema,
  personNameSchema,
  povertyRecordSchema,
  ROSTER_FIELD_NAMES_EN,
  ROSTER_FIELD_NAMES_ZH,
  rosterRecordFields,
  rosterRecordSchemas,
} from './records';

const BOY = '530124201503121236';

describe('idNumberSchema', () => {
  it('accepts a normalised 18-character ID number', () => {
    expect(idNumberSchema.parse(BOY)).toBe(BOY);
    expect(idNumberSchema.parse('11010519491231002X')).toBe('11010519491231002X');
  });

  it('refuses a wrong check digit, a lower-case x and anything not normalised', () => {
    for (const bad of ['530124201503121235', '11010519491231002x', ` ${BOY}`, '530124850615121']) {
      expect(idNumberSchema.safeParse(bad).success).toBe(false);
    }
  });
});

describe('personNameSchema', () => {
  it('accepts normalised names and refuses spaces inside Chinese names', () => {
    expect(personNameSchema.safeParse('阿依古丽·买买提').success).toBe(true);
    expect(personNameSchema.safeParse('Anna Li').success).toBe(true);
    expect(personNameSchema.safeParse('张 三').success).toBe(false);
    expect(personNameSchema.safeParse(' 张三').success).toBe(false);
    expect(personNameSchema.safeParse('').success).toBe(false);
  });
});

describe('roster record schemas', () => {
  it('has one schema per roster kind', () => {
    expect(Object.keys(rosterRecordSchemas).sort()).toEqual([...rosterKindSchema.options].sort());
  });

  it('is strict: an unknown field must go under extra', () => {
    expect(householdRecordSchema.safeParse({ idNumber: BOY, name: '张三', phone: '1' }).success).toBe(false);
    expect(
      householdRecordSchema.safeParse({ idNumber: BOY, name: '张三', extra: { 电话: '1' } }).success,
    ).toBe(true);
  });

  it('types the enrollment fields', () => {
    const record = enrollmentRecordSchema.parse({
      idNumber: BOY,
      name: '张三',
      sex: 'M',
      birthDate: '2015-03-12',
      studentNumber: `G${BOY}`,
      schoolCode: '2153012401',
      grade: '四年级',
      boarding: true,
      stage: 'PRIMARY',
    });
    expect(record.stage).toBe('PRIMARY');
    expect(
      enrollmentRecordSchema.safeParse({ idNumber: BOY, name: '张三', schoolCode: '215301' }).success,
    ).toBe(false);
  });

  it('requires the kind-specific fields', () => {
    expect(
      attendanceRecordSchema.safeParse({ idNumber: BOY, name: '张三', date: '2025-09-08' }).success,
    ).toBe(false);
    expect(povertyRecordSchema.safeParse({ idNumber: BOY, name: '张三', category: 'MARGINAL' }).success).toBe(
      true,
    );
  });

  it('refuses a deferral that ends before it starts', () => {
    const base = { idNumber: BOY, name: '张三', type: 'DEFERRED' };
    expect(deferralRecordSchema.safeParse({ ...base, from: '2025-09-01', until: '2026-08-31' }).success).toBe(
      true,
    );
    expect(deferralRecordSchema.safeParse({ ...base, from: '2026-09-01', until: '2026-08-31' }).success).toBe(
      false,
    );
  });

  it('names every field of every kind in Chinese and English', () => {
    for (const kind of rosterKindSchema.options) {
      for (const field of rosterRecordFields(kind)) {
        expect(
          ROSTER_FIELD_NAMES_ZH[field as keyof typeof ROSTER_FIELD_NAMES_ZH],
          `${kind}.${field}`,
        ).toBeTruthy();
        expect(
          ROSTER_FIELD_NAMES_EN[field as keyof typeof ROSTER_FIELD_NAMES_EN],
          `${kind}.${field}`,
        ).toBeTruthy();
      }
    }
  });
});
