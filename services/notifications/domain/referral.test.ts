import { describe, expect, it } from 'vitest';
import { causeCategorySchema } from '../../../shared/events/vocab';
import { partnerDepartmentSchema } from '../../../shared/org';
import { CAUSE_REFERRALS, causesReferredTo, FLAG_REFERRALS, referralsFor } from './referral';

const departments = (...args: Parameters<typeof referralsFor>) =>
  referralsFor(...args).map((r) => r.department);

describe('referralsFor — cause routing of docs/domain.md §4.8', () => {
  it('refers child labour to 人社 and 市场监管', () => {
    expect(departments('WORK')).toEqual(['human-resources', 'market-regulation']);
  });

  it('refers early marriage and 户籍 problems to 公安', () => {
    expect(departments('EARLY_MARRIAGE')[0]).toBe('public-security');
    expect(departments('HOUSEHOLD_REGISTRATION')).toEqual(['public-security']);
  });

  it('refers disability to 残联 and 卫健, illness to 卫健 only', () => {
    expect(departments('DISABILITY')).toEqual(['disabled-persons-federation', 'health']);
    expect(departments('ILLNESS')).toEqual(['health']);
  });

  it('refers left-behind children to 民政 first, religious cases to 统战部, poverty to 乡村振兴 and 民政', () => {
    expect(departments('LEFT_BEHIND')[0]).toBe('civil-affairs');
    expect(departments('RELIGIOUS')).toEqual(['united-front']);
    expect(departments('POVERTY')).toEqual(['rural-revitalization', 'civil-affairs']);
  });

  it('refers nobody for a child with migrant parents: the education line verifies 异地就读', () => {
    expect(departments('WITH_MIGRANT_PARENTS')).toEqual([]);
    expect(departments('OTHER')).toEqual([]);
  });

  it('cites the rule and explains it in both languages', () => {
    const [referral] = referralsFor('WORK');
    expect(referral?.departmentZh).toBe('人社');
    expect(referral?.rules[0]?.cites).toContain('docs/domain.md §4.8');
    expect(referral?.rules[0]?.zh).toMatch(/童工/);
    expect(referral?.rules[0]?.en).toMatch(/child labour/);
  });

  it('adds departments for the flags whatever the cause, even before the cause is known', () => {
    expect(departments(undefined)).toEqual([]);
    expect(departments(undefined, { fourStep: true })).toEqual(['justice']);
    expect(departments('WORK', { fourStep: true, disabled: true })).toEqual([
      'human-resources',
      'market-regulation',
      'justice',
      'disabled-persons-federation',
    ]);
  });

  it('names a department once, with every rule that sends the case there', () => {
    const referrals = referralsFor('POVERTY', { assistance: true, monitoredHousehold: true });
    expect(referrals.map((r) => r.department)).toEqual(['rural-revitalization', 'civil-affairs']);
    expect(referrals.every((r) => r.rules.length === 2)).toBe(true);
  });

  it('routes every cause and flag to real partner departments, each rule cited', () => {
    for (const cause of causeCategorySchema.options) {
      const route = CAUSE_REFERRALS[cause];
      for (const d of route.departments) expect(partnerDepartmentSchema.safeParse(d).success).toBe(true);
      expect(route.cites).toMatch(/docs\/domain\.md §\d/);
      expect(route.zh.length).toBeGreaterThan(0);
      expect(route.en.length).toBeGreaterThan(0);
    }
    for (const route of Object.values(FLAG_REFERRALS)) {
      expect(partnerDepartmentSchema.safeParse(route.department).success).toBe(true);
      expect(route.cites).toMatch(/docs\/domain\.md §\d/);
    }
  });
});

describe('causesReferredTo', () => {
  it('lists the causes a department may learn', () => {
    expect(causesReferredTo('public-security')).toEqual(['HOUSEHOLD_REGISTRATION', 'EARLY_MARRIAGE']);
    expect(causesReferredTo('disabled-persons-federation')).toEqual(['DISABILITY']);
    expect(causesReferredTo('health')).toEqual(['ILLNESS', 'DISABILITY']);
    expect(causesReferredTo('finance')).toEqual([]);
    expect(causesReferredTo('justice')).toEqual([]);
  });

  it('shows disability and illness to nobody but 残联 and 卫健', () => {
    for (const department of partnerDepartmentSchema.options) {
      if (department === 'disabled-persons-federation' || department === 'health') continue;
      expect(causesReferredTo(department)).not.toContain('DISABILITY');
      expect(causesReferredTo(department)).not.toContain('ILLNESS');
    }
  });
});
