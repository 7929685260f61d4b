import { describe, expect, it } from 'vitest';
import {
  callerSchema,
  ORG_CLAIM,
  orgMatchesRole,
  PARTNER_DEPARTMENT_NAMES_ZH,
  parseCaller,
  parsePartnerOrg,
  partnerDepartmentSchema,
  ROLE_CLAIM,
  regionCovers,
  significantPrefix,
} from './org';

describe('org codes', () => {
  it('uses kcbx:role and kcbx:org as the primary claim names', () => {
    expect(ROLE_CLAIM).toBe('kcbx:role');
    expect(ORG_CLAIM).toBe('kcbx:org');
  });

  it('requires the org format of each role', () => {
    expect(orgMatchesRole('school', '2153012401')).toBe(true);
    expect(orgMatchesRole('school', '530124')).toBe(false);
    expect(orgMatchesRole('township', '530124100')).toBe(true);
    expect(orgMatchesRole('township', '2153012401')).toBe(false);
    expect(orgMatchesRole('county', '530124')).toBe(true);
    expect(orgMatchesRole('county', '530100')).toBe(true);
    expect(orgMatchesRole('county', '000000')).toBe(false);
    expect(orgMatchesRole('partner', '530124:public-security')).toBe(true);
    expect(orgMatchesRole('partner', '530124:education')).toBe(false);
    expect(orgMatchesRole('partner', '530124')).toBe(false);
    expect(orgMatchesRole('ops', '530124')).toBe(true);
  });

  it('names every partner department in Chinese, and education is not a partner', () => {
    for (const d of partnerDepartmentSchema.options)
      expect(PARTNER_DEPARTMENT_NAMES_ZH[d]).toMatch(/\p{Script=Han}/u);
    expect(PARTNER_DEPARTMENT_NAMES_ZH['public-security']).toBe('公安');
    expect(partnerDepartmentSchema.safeParse('education').success).toBe(false);
  });

  it('splits a partner org into region and department', () => {
    expect(parsePartnerOrg('530124:civil-affairs')).toEqual({
      region: '530124',
      department: 'civil-affairs',
    });
    expect(parsePartnerOrg('530124:police')).toBeUndefined();
  });
});

describe('regionCovers — 辖区覆盖', () => {
  it('reduces a city or province code to its significant prefix', () => {
    expect(significantPrefix('530000')).toBe('53');
    expect(significantPrefix('530100')).toBe('5301');
    expect(significantPrefix('530124')).toBe('530124');
    expect(significantPrefix('531000')).toBe('5310');
  });

  it('lets a county cover only itself', () => {
    expect(regionCovers('530124', '530124')).toBe(true);
    expect(regionCovers('530124', '530125')).toBe(false);
  });

  it('lets a city bureau cover the counties of its city', () => {
    expect(regionCovers('530100', '530124')).toBe(true);
    expect(regionCovers('530100', '532301')).toBe(false);
  });

  it('lets a province bureau cover every county of the province', () => {
    expect(regionCovers('530000', '532301')).toBe(true);
    expect(regionCovers('530000', '510104')).toBe(false);
  });

  it('covers nothing when either code is malformed', () => {
    expect(regionCovers('53', '530124')).toBe(false);
    expect(regionCovers('000000', '000124')).toBe(false);
    expect(regionCovers('530100', '5301240')).toBe(false);
  });
});

describe('parseCaller — 当前用户', () => {
  it('reads the kcbx claims', () => {
    const result = parseCaller({
      sub: 'u-1',
      [ROLE_CLAIM]: 'school',
      [ORG_CLAIM]: '2153012401',
      name: '李老师',
    });
    expect(result).toEqual({
      ok: true,
      caller: { role: 'school', org: '2153012401', sub: 'u-1', name: '李老师' },
    });
  });

  it('accepts plain role and org claims', () => {
    const result = parseCaller({ sub: 'u-2', role: 'county', org: '530124' });
    expect(result).toEqual({ ok: true, caller: { role: 'county', org: '530124', sub: 'u-2' } });
  });

  it('refuses a token without a role, saying whom to ask', () => {
    const result = parseCaller({ sub: 'u-3', [ORG_CLAIM]: '530124' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('MISSING_ROLE');
    expect(result.error.zh).toContain('管理员');
    expect(result.error.en).toContain('kcbx:role');
  });

  it('refuses a school role with a 6-digit org', () => {
    const result = parseCaller({ sub: 'u-4', [ROLE_CLAIM]: 'school', [ORG_CLAIM]: '530124' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('ORG_FORMAT_MISMATCH');
    expect(result.error.en).toContain('10-digit');
    expect(result.error.zh).toContain('学校标识码');
  });

  it('refuses a partner org that names no known department', () => {
    const result = parseCaller({ sub: 'u-5', [ROLE_CLAIM]: 'partner', [ORG_CLAIM]: '530124:education' });
    expect(result.ok ? undefined : result.error.code).toBe('ORG_FORMAT_MISMATCH');
  });

  it('refuses an unknown role, listing the valid ones', () => {
    const result = parseCaller({ sub: 'u-6', [ROLE_CLAIM]: 'admin', [ORG_CLAIM]: '530124' });
    expect(result.ok ? undefined : result.error.code).toBe('UNKNOWN_ROLE');
    expect(result.ok ? '' : result.error.en).toContain('school, township, county, partner, ops');
  });

  it('refuses a token without org or subject', () => {
    expect(parseCaller({ sub: 'u-7', role: 'county' })).toMatchObject({
      ok: false,
      error: { code: 'MISSING_ORG' },
    });
    expect(parseCaller({ role: 'county', org: '530124' })).toMatchObject({
      ok: false,
      error: { code: 'MISSING_SUBJECT' },
    });
  });

  it('refuses claims whose two spellings disagree instead of picking one', () => {
    const result = parseCaller({ sub: 'u-8', [ROLE_CLAIM]: 'school', role: 'county', org: '530124' });
    expect(result).toMatchObject({ ok: false, error: { code: 'CONFLICTING_CLAIMS' } });
  });

  it('ignores claims that are not strings', () => {
    const result = parseCaller({ sub: 'u-9', [ROLE_CLAIM]: ['county'], [ORG_CLAIM]: 530124 });
    expect(result).toMatchObject({ ok: false, error: { code: 'MISSING_ROLE' } });
  });

  it('produces callers that callerSchema accepts', () => {
    const result = parseCaller({ sub: 'u-10', role: 'township', org: '530124100' });
    expect(result.ok && callerSchema.safeParse(result.caller).success).toBe(true);
  });
});
