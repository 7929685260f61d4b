import { describe, expect, it } from 'vitest';
import {
  type AuthzDecision,
  canAccess,
  canUpload,
  coversRegion,
  deploymentServes,
  idVisibility,
  type PartnerGrant,
  type ResourceScope,
  ROSTER_UPLOADERS,
  requireRole,
  scopeFilterFor,
} from './authz';
import type { Caller } from './org';
import { ROSTER_KIND_NAMES_ZH, rosterKindSchema } from './roster-kind';

// 富民县 530124 with two townships; 禄劝县 530128 next door; 楚雄市 532301 in another prefecture.
const COUNTY = '530124';
const NEIGHBOUR = '530128';
const TOWNSHIP_1 = '530124100';
const TOWNSHIP_2 = '530124101';
const SCHOOL_1A = '2153012401'; // in TOWNSHIP_1
const SCHOOL_1B = '2153012402'; // in TOWNSHIP_1
const SCHOOL_2A = '2153012411'; // in TOWNSHIP_2

const caller = (role: Caller['role'], org: string): Caller => ({ role, org, sub: `${role}-user` });
const school = caller('school', SCHOOL_1A);
const township = caller('township', TOWNSHIP_1);
const county = caller('county', COUNTY);
const cityBureau = caller('county', '530100');
const provinceBureau = caller('county', '530000');
const ops = caller('ops', COUNTY);
const police = caller('partner', `${COUNTY}:public-security`);
const civilAffairs = caller('partner', `${COUNTY}:civil-affairs`);

const atSchool = (s: string, t: string): ResourceScope => ({ region: t.slice(0, 6), township: t, school: s });
const inTownship = (t: string): ResourceScope => ({ region: t.slice(0, 6), township: t });
const inRegion = (region: string): ResourceScope => ({ region });

function denialCode(decision: AuthzDecision): string | undefined {
  return decision.allowed ? undefined : decision.reason.code;
}

describe('canAccess — a school', () => {
  it('sees its own students', () => {
    expect(canAccess(school, atSchool(SCHOOL_1A, TOWNSHIP_1))).toEqual({ allowed: true });
  });

  it('does not see another school of the same township', () => {
    const decision = canAccess(school, atSchool(SCHOOL_1B, TOWNSHIP_1));
    expect(denialCode(decision)).toBe('OUT_OF_SCOPE');
    expect(decision.allowed ? '' : decision.reason.zh).toContain('本校');
  });

  it("does not see another township's school", () => {
    expect(denialCode(canAccess(school, atSchool(SCHOOL_2A, TOWNSHIP_2)))).toBe('OUT_OF_SCOPE');
  });

  it('does not see township- or county-level records', () => {
    expect(canAccess(school, inTownship(TOWNSHIP_1)).allowed).toBe(false);
    expect(canAccess(school, inRegion(COUNTY)).allowed).toBe(false);
  });
});

describe('canAccess — a township', () => {
  it('sees its own records and its schools', () => {
    expect(canAccess(township, inTownship(TOWNSHIP_1)).allowed).toBe(true);
    expect(canAccess(township, atSchool(SCHOOL_1A, TOWNSHIP_1)).allowed).toBe(true);
    expect(canAccess(township, atSchool(SCHOOL_1B, TOWNSHIP_1)).allowed).toBe(true);
  });

  it("does not see another township's records or schools", () => {
    expect(denialCode(canAccess(township, inTownship(TOWNSHIP_2)))).toBe('OUT_OF_SCOPE');
    expect(denialCode(canAccess(township, atSchool(SCHOOL_2A, TOWNSHIP_2)))).toBe('OUT_OF_SCOPE');
  });

  it('does not see county-level records that belong to no township', () => {
    expect(canAccess(township, inRegion(COUNTY)).allowed).toBe(false);
  });
});

describe('canAccess — a county, city or province bureau', () => {
  it('lets a county see its townships and schools', () => {
    expect(canAccess(county, inRegion(COUNTY)).allowed).toBe(true);
    expect(canAccess(county, inTownship(TOWNSHIP_2)).allowed).toBe(true);
    expect(canAccess(county, atSchool(SCHOOL_1A, TOWNSHIP_1)).allowed).toBe(true);
  });

  it('does not let a county see a neighbouring county', () => {
    const decision = canAccess(county, inTownship(`${NEIGHBOUR}100`));
    expect(denialCode(decision)).toBe('OUT_OF_SCOPE');
    expect(decision.allowed ? '' : decision.reason.en).toContain(NEIGHBOUR);
  });

  it('lets the city bureau 530100 see county 530124 but not 532301', () => {
    expect(canAccess(cityBureau, inRegion('530124')).allowed).toBe(true);
    expect(canAccess(cityBureau, inRegion('532301')).allowed).toBe(false);
  });

  it('lets the province bureau 530000 see every county of the province and none outside', () => {
    expect(canAccess(provinceBureau, inRegion('532301')).allowed).toBe(true);
    expect(canAccess(provinceBureau, inRegion('510104')).allowed).toBe(false);
  });
});

describe('canAccess — ops', () => {
  it('sees the region of its deployment only', () => {
    expect(canAccess(ops, atSchool(SCHOOL_1A, TOWNSHIP_1)).allowed).toBe(true);
    expect(canAccess(ops, inRegion(NEIGHBOUR)).allowed).toBe(false);
  });
});

describe('canAccess — a partner sees only what it subscribed to', () => {
  const grant: PartnerGrant = {
    partnerOrg: police.org,
    eventTypes: ['case.opened', 'case.closed'],
    regionPrefix: COUNTY,
    active: true,
  };
  const subscriptions = [grant];

  it('sees nothing directly', () => {
    const decision = canAccess(police, inRegion(COUNTY), { subscriptions });
    expect(denialCode(decision)).toBe('PARTNER_NO_DIRECT_ACCESS');
    expect(decision.allowed ? '' : decision.reason.zh).toContain('订阅');
  });

  it('receives a subscribed event type in its region', () => {
    expect(
      canAccess(police, atSchool(SCHOOL_1A, TOWNSHIP_1), { subscriptions, eventType: 'case.opened' }),
    ).toEqual({
      allowed: true,
    });
  });

  it('does not receive an event type it did not subscribe to', () => {
    const decision = canAccess(police, inRegion(COUNTY), { subscriptions, eventType: 'dropout.suspected' });
    expect(denialCode(decision)).toBe('NOT_SUBSCRIBED');
  });

  it('does not receive events outside the region of its grant', () => {
    const cityPolice = caller('partner', '530100:public-security');
    const narrow: PartnerGrant = { ...grant, partnerOrg: cityPolice.org, regionPrefix: '530124' };
    expect(
      canAccess(cityPolice, inRegion('530124'), { subscriptions: [narrow], eventType: 'case.opened' })
        .allowed,
    ).toBe(true);
    expect(
      denialCode(
        canAccess(cityPolice, inRegion('530125'), { subscriptions: [narrow], eventType: 'case.opened' }),
      ),
    ).toBe('NOT_SUBSCRIBED');
  });

  it("reads a city or province grant prefix either as significant digits or as a '00'-padded code", () => {
    const cityPolice = caller('partner', '530100:public-security');
    for (const regionPrefix of ['5301', '530100']) {
      const wide: PartnerGrant = { ...grant, partnerOrg: cityPolice.org, regionPrefix };
      expect(
        canAccess(cityPolice, inRegion('530125'), { subscriptions: [wide], eventType: 'case.opened' })
          .allowed,
      ).toBe(true);
    }
  });

  it('never sees outside its own region, even with a wider grant', () => {
    const wide: PartnerGrant = { ...grant, regionPrefix: '53' };
    const decision = canAccess(police, inRegion(NEIGHBOUR), {
      subscriptions: [wide],
      eventType: 'case.opened',
    });
    expect(denialCode(decision)).toBe('OUT_OF_SCOPE');
  });

  it("cannot use another department's grant", () => {
    const decision = canAccess(civilAffairs, inRegion(COUNTY), { subscriptions, eventType: 'case.opened' });
    expect(denialCode(decision)).toBe('NOT_SUBSCRIBED');
  });

  it('is denied by an inactive grant, and told to have it re-enabled', () => {
    const inactive: PartnerGrant = { ...grant, active: false };
    const decision = canAccess(police, inRegion(COUNTY), {
      subscriptions: [inactive],
      eventType: 'case.opened',
    });
    expect(denialCode(decision)).toBe('SUBSCRIPTION_INACTIVE');
    expect(decision.allowed ? '' : decision.reason.en).toContain('re-enable');
  });
});

describe('canAccess — fails closed', () => {
  it('denies a caller whose org does not fit its role', () => {
    expect(denialCode(canAccess(caller('school', COUNTY), inRegion(COUNTY)))).toBe('INVALID_CALLER');
  });

  it('denies a scope whose township lies outside its region', () => {
    const inconsistent = { region: NEIGHBOUR, township: TOWNSHIP_1 };
    expect(denialCode(canAccess(township, inconsistent))).toBe('INVALID_SCOPE');
  });
});

describe('deploymentServes — 部署辖区, the door of every route', () => {
  const served = (c: Caller, region = COUNTY) => denialCode(deploymentServes(region, c));

  it('serves the county, its townships, schools, departments and operator, and the bureaus above it', () => {
    for (const c of [school, township, county, cityBureau, provinceBureau, ops, police]) {
      expect(served(c)).toBeUndefined();
    }
  });

  it('refuses a bureau, township, department or operator of another county or province', () => {
    for (const c of [
      caller('county', NEIGHBOUR),
      caller('county', '532301'),
      caller('county', '110000'),
      caller('county', '520000'),
      caller('township', `${NEIGHBOUR}100`),
      caller('ops', NEIGHBOUR),
      caller('partner', `${NEIGHBOUR}:public-security`),
      caller('partner', '110000:public-security'),
    ]) {
      expect(served(c)).toBe('OUTSIDE_DEPLOYMENT');
    }
  });

  it('serves a county inside a province deployment, but an operator only of its own deployment', () => {
    expect(served(county, '530000')).toBeUndefined();
    expect(served(caller('ops', '530000'), '530000')).toBeUndefined();
    expect(served(ops, '530000')).toBe('OUTSIDE_DEPLOYMENT');
    expect(served(caller('ops', '530100'))).toBe('OUTSIDE_DEPLOYMENT');
  });

  it('says in both languages which region the deployment serves', () => {
    const decision = deploymentServes(COUNTY, caller('county', NEIGHBOUR));
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(decision.reason.zh).toContain(COUNTY);
    expect(decision.reason.en).toContain(COUNTY);
  });

  it('fails closed on a malformed caller or deployment region', () => {
    expect(served(caller('county', '5301240001'))).toBe('INVALID_CALLER');
    expect(served(school, 'x')).toBe('OUTSIDE_DEPLOYMENT');
    expect(served(ops, 'x')).toBe('OUTSIDE_DEPLOYMENT');
  });
});

describe('coversRegion — region-wide records', () => {
  it('is true only for a bureau or operator whose jurisdiction covers the region', () => {
    expect(coversRegion(county, COUNTY)).toBe(true);
    expect(coversRegion(provinceBureau, COUNTY)).toBe(true);
    expect(coversRegion(ops, COUNTY)).toBe(true);
    expect(coversRegion(county, '530000')).toBe(false);
    expect(coversRegion(caller('county', NEIGHBOUR), COUNTY)).toBe(false);
    expect(coversRegion(school, COUNTY)).toBe(false);
    expect(coversRegion(township, COUNTY)).toBe(false);
    expect(coversRegion(police, COUNTY)).toBe(false);
  });
});

describe('scopeFilterFor — 查询范围', () => {
  it('restricts each role the way canAccess does', () => {
    expect(scopeFilterFor(school)).toEqual({ kind: 'school', school: SCHOOL_1A });
    expect(scopeFilterFor(township)).toEqual({ kind: 'township', township: TOWNSHIP_1 });
    expect(scopeFilterFor(county)).toEqual({ kind: 'region', prefix: COUNTY });
    expect(scopeFilterFor(cityBureau)).toEqual({ kind: 'region', prefix: '5301' });
    expect(scopeFilterFor(provinceBureau)).toEqual({ kind: 'region', prefix: '53' });
    expect(scopeFilterFor(ops)).toEqual({ kind: 'region', prefix: COUNTY });
  });

  it('gives partners and malformed callers no records', () => {
    expect(scopeFilterFor(police)).toEqual({ kind: 'none' });
    expect(scopeFilterFor(caller('county', '53'))).toEqual({ kind: 'none' });
  });
});

describe('canUpload — 名单上传权限', () => {
  it('names every roster kind in Chinese', () => {
    expect(Object.keys(ROSTER_KIND_NAMES_ZH).sort()).toEqual([...rosterKindSchema.options].sort());
    expect(Object.keys(ROSTER_UPLOADERS).sort()).toEqual([...rosterKindSchema.options].sort());
  });

  it('lets a school upload its own enrollment, headcount, attendance and deferral rosters', () => {
    for (const kind of ['enrollment', 'headcount', 'attendance', 'deferral'] as const) {
      expect(canUpload(school, kind, SCHOOL_1A).allowed, kind).toBe(true);
    }
  });

  it('does not let a school upload for another school', () => {
    const decision = canUpload(school, 'attendance', SCHOOL_1B);
    expect(denialCode(decision)).toBe('UPLOAD_TARGET_OUT_OF_SCOPE');
  });

  it('does not let a school upload a household roster, and says who does', () => {
    const decision = canUpload(school, 'household', SCHOOL_1A);
    expect(denialCode(decision)).toBe('UPLOAD_KIND_NOT_ALLOWED');
    expect(decision.allowed ? '' : decision.reason.zh).toContain('户籍名单由乡镇（街道）、');
    expect(decision.allowed ? '' : decision.reason.zh).toContain('公安部门');
    expect(decision.allowed ? '' : decision.reason.en).toContain('public-security');
  });

  it('lets a township upload household and deferral rosters for itself only', () => {
    expect(canUpload(township, 'household', TOWNSHIP_1).allowed).toBe(true);
    expect(canUpload(township, 'deferral', TOWNSHIP_1).allowed).toBe(true);
    expect(denialCode(canUpload(township, 'household', TOWNSHIP_2))).toBe('UPLOAD_TARGET_OUT_OF_SCOPE');
    expect(denialCode(canUpload(township, 'attendance', TOWNSHIP_1))).toBe('UPLOAD_KIND_NOT_ALLOWED');
  });

  it('lets a county upload for itself and the townships it covers, not for its neighbour', () => {
    expect(canUpload(county, 'enrollment', COUNTY).allowed).toBe(true);
    expect(canUpload(county, 'household', TOWNSHIP_2).allowed).toBe(true);
    expect(canUpload(county, 'poverty', COUNTY).allowed).toBe(true);
    expect(denialCode(canUpload(county, 'household', NEIGHBOUR))).toBe('UPLOAD_TARGET_OUT_OF_SCOPE');
    expect(denialCode(canUpload(county, 'headcount', COUNTY))).toBe('UPLOAD_KIND_NOT_ALLOWED');
    expect(denialCode(canUpload(county, 'attendance', COUNTY))).toBe('UPLOAD_KIND_NOT_ALLOWED');
  });

  it('lets a city bureau upload for a county under it', () => {
    expect(canUpload(cityBureau, 'assistance', '530124').allowed).toBe(true);
    expect(canUpload(cityBureau, 'assistance', '532301').allowed).toBe(false);
  });

  it('does not let a county target a school code, which does not say where the school is', () => {
    expect(denialCode(canUpload(county, 'enrollment', SCHOOL_1A))).toBe('UPLOAD_TARGET_OUT_OF_SCOPE');
  });

  it('lets each department upload only its own kind, in its own region', () => {
    expect(canUpload(police, 'household', COUNTY).allowed).toBe(true);
    expect(canUpload(police, 'household', police.org).allowed).toBe(true);
    expect(canUpload(police, 'household', TOWNSHIP_1).allowed).toBe(true);
    expect(denialCode(canUpload(police, 'household', NEIGHBOUR))).toBe('UPLOAD_TARGET_OUT_OF_SCOPE');
    expect(denialCode(canUpload(police, 'poverty', COUNTY))).toBe('UPLOAD_KIND_NOT_ALLOWED');
    expect(canUpload(civilAffairs, 'assistance', COUNTY).allowed).toBe(true);
    expect(canUpload(caller('partner', `${COUNTY}:rural-revitalization`), 'poverty', COUNTY).allowed).toBe(
      true,
    );
    expect(
      canUpload(caller('partner', `${COUNTY}:disabled-persons-federation`), 'disability', COUNTY).allowed,
    ).toBe(true);
    expect(denialCode(canUpload(caller('partner', `${COUNTY}:health`), 'disability', COUNTY))).toBe(
      'UPLOAD_KIND_NOT_ALLOWED',
    );
  });

  it('does not let ops upload any roster: ops supplies no children', () => {
    for (const kind of rosterKindSchema.options) {
      const decision = canUpload(ops, kind, COUNTY);
      expect(denialCode(decision), kind).toBe('ROLE_NOT_ALLOWED');
    }
  });

  it('refuses a target that is not an organisation code', () => {
    expect(denialCode(canUpload(county, 'household', '5301'))).toBe('INVALID_UPLOAD_TARGET');
  });
});

describe('idVisibility — 身份证号可见性', () => {
  it('shows full ID numbers to the organisations that work the cases', () => {
    expect(idVisibility(school)).toBe('full');
    expect(idVisibility(township)).toBe('full');
    expect(idVisibility(county)).toBe('full');
  });

  it('masks ID numbers for ops and partners', () => {
    expect(idVisibility(ops)).toBe('masked');
    expect(idVisibility(police)).toBe('masked');
  });
});

describe('requireRole — 403', () => {
  it('allows a listed role', () => {
    expect(requireRole(county, ['county', 'ops'])).toEqual({ allowed: true });
  });

  it('denies any other role, naming the roles that may', () => {
    const decision = requireRole(school, ['county']);
    expect(denialCode(decision)).toBe('ROLE_NOT_ALLOWED');
    expect(decision.allowed ? '' : decision.reason.zh).toContain('教育行政部门');
    expect(decision.allowed ? '' : decision.reason.en).toContain('only for county');
  });
});
