import { describe, expect, it } from 'vitest';
import { BUILT_IN_POLICIES } from './policies/built-in';
import { nationalBaseline } from './policies/national-baseline';
import { definePolicy, type Policy, type PolicyInput } from './policy';
import {
  checkPublication,
  choosePolicy,
  type PolicyCatalogue,
  policyForRef,
  policyRef,
} from './policy-choice';
import { parseSemester } from './semester';

const COUNTY = '530124';
const autumn = (year: number) => parseSemester(`${year}-autumn`)!;

/** The national baseline as a county version, with the boarding allowance raised by 100 元 a semester. */
function countyDoc(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    ...nationalBaseline,
    id: 'fumin-county',
    version: '2024.1',
    region: COUNTY,
    name: { zh: '富民县义务教育学生资助标准', en: 'Fumin county aid' },
    effectiveFrom: '2024-09-01',
    benefits: nationalBaseline.benefits.map((b) =>
      b.code === 'BOARDING_LIVING_ALLOWANCE'
        ? { ...b, groups: b.groups.map((g) => ({ ...g, amountFen: g.amountFen + 10_000 })) }
        : b,
    ),
    ...overrides,
  };
}

function catalogue(published: Policy[] = [], fallback = 'national-baseline'): PolicyCatalogue {
  return { county: COUNTY, published, builtIns: BUILT_IN_POLICIES, fallback };
}

describe('choosing the policy of a run', () => {
  const v2024 = definePolicy(countyDoc());
  const v2026 = definePolicy(countyDoc({ version: '2026.1', effectiveFrom: '2026-09-01' }));

  it('uses the built-in the region setting names while the county has published nothing in force', () => {
    const choice = choosePolicy(catalogue(), autumn(2025));
    expect(choice).toMatchObject({
      ok: true,
      ref: { source: 'built-in', id: 'national-baseline', label: 'national-baseline.2021.1' },
    });
    // A version that takes effect later does not apply to an earlier semester.
    expect(choosePolicy(catalogue([v2026]), autumn(2025))).toMatchObject({
      ok: true,
      ref: { source: 'built-in' },
    });
    expect(choosePolicy(catalogue([], 'yunnan-example'), autumn(2025))).toMatchObject({
      ok: true,
      ref: { label: 'yunnan-example.2025.1', example: true },
    });
  });

  it("uses the county's latest published version in force on the semester's first day", () => {
    expect(choosePolicy(catalogue([v2024, v2026]), autumn(2025))).toMatchObject({
      ok: true,
      ref: { source: 'published', label: 'fumin-county.2024.1', region: COUNTY, example: false },
      because: { en: expect.stringContaining('2024-09-01') },
    });
    const later = choosePolicy(catalogue([v2024, v2026]), autumn(2026));
    expect(later.ok && later.policy).toBe(v2026);
    // A version that ended leaves the county to the built-in again.
    const ended = definePolicy(countyDoc({ effectiveUntil: '2025-08-31' }));
    expect(choosePolicy(catalogue([ended]), autumn(2025))).toMatchObject({ ref: { source: 'built-in' } });
  });

  it('uses the policy a request names: a built-in by name, else a published id', () => {
    expect(choosePolicy(catalogue([v2024]), autumn(2025), 'national-baseline')).toMatchObject({
      ok: true,
      ref: { source: 'built-in', id: 'national-baseline' },
    });
    expect(choosePolicy(catalogue([v2024, v2026]), autumn(2026), 'fumin-county')).toMatchObject({
      ok: true,
      ref: { source: 'published', version: '2026.1' },
    });
    expect(choosePolicy(catalogue([v2024]), autumn(2025), 'no-such')).toMatchObject({
      ok: false,
      code: 'UNKNOWN_POLICY',
      en: expect.stringContaining('national-baseline, yunnan-example, fumin-county'),
    });
  });

  it('never uses a policy that is not in force on the semester', () => {
    expect(choosePolicy(catalogue(), autumn(2024), 'yunnan-example')).toMatchObject({
      ok: false,
      code: 'POLICY_NOT_IN_FORCE',
      zh: expect.stringContaining('yunnan-example.2025.1'),
    });
    expect(choosePolicy(catalogue([v2026]), autumn(2025), 'fumin-county')).toMatchObject({
      ok: false,
      code: 'POLICY_NOT_IN_FORCE',
    });
    expect(choosePolicy(catalogue([], 'yunnan-example'), autumn(2024))).toMatchObject({
      ok: false,
      code: 'POLICY_NOT_IN_FORCE',
    });
    expect(choosePolicy(catalogue([], 'gone'), autumn(2025))).toMatchObject({
      ok: false,
      code: 'UNKNOWN_POLICY',
    });
  });

  it('finds the document a recorded choice names again', () => {
    const cat = catalogue([v2024, v2026]);
    expect(policyForRef(policyRef(v2026, 'published'), cat)).toBe(v2026);
    expect(policyForRef(policyRef(nationalBaseline, 'built-in'), cat)).toBe(nationalBaseline);
    expect(policyForRef({ source: 'published', id: 'fumin-county', version: '2099.1' }, cat)).toBeUndefined();
    // The source matters: a published version is not looked up among the built-ins.
    expect(policyForRef({ ...policyRef(v2024, 'published'), source: 'built-in' }, cat)).toBeUndefined();
  });
});

describe('publishing a policy', () => {
  it("accepts a valid version of the county's own policy", () => {
    const check = checkPublication(countyDoc(), catalogue());
    expect(check.ok && policyRef(check.policy, 'published').label).toBe('fumin-county.2024.1');
  });

  it("refuses a region other than the deployment's county, national included", () => {
    for (const region of ['CN', '530000', '530125']) {
      const check = checkPublication(countyDoc({ region }), catalogue());
      expect(check).toMatchObject({
        ok: false,
        status: 400,
        errors: [{ path: '$.region', code: 'REGION_NOT_THIS_COUNTY', zh: expect.stringContaining(COUNTY) }],
      });
    }
  });

  it('refuses contradictions with the JSON path, in both languages', () => {
    const doc = countyDoc();
    const boarding = doc.benefits.findIndex((b) => b.code === 'BOARDING_LIVING_ALLOWANCE');
    const benefits = doc.benefits.map((b, i) =>
      i === boarding ? { ...b, groups: [...b.groups, { ...b.groups[0]!, id: 'again', amountFen: 1 }] } : b,
    );
    const check = checkPublication({ ...doc, benefits }, catalogue());
    expect(check).toMatchObject({
      ok: false,
      status: 400,
      errors: [
        {
          path: `$.benefits[${boarding}].groups[2].when`,
          code: 'CONTRADICTION',
          zh: expect.stringContaining('同一人群只能有一个金额'),
          en: expect.stringContaining('one group of children has one amount'),
        },
      ],
    });
  });

  it('refuses a version in force on a day another published version claims', () => {
    const published = [definePolicy(countyDoc())];
    const check = checkPublication(countyDoc({ version: '2024.2' }), catalogue(published));
    expect(check).toMatchObject({
      ok: false,
      status: 400,
      errors: [{ path: '$.effectiveFrom', code: 'OVERLAPPING_VERSIONS' }],
    });
    // Reports the region as well as everything else wrong, all at once.
    const many = checkPublication(countyDoc({ region: 'CN', effectiveFrom: '2024-02-30' }), catalogue());
    expect(!many.ok && many.errors.map((e) => e.path)).toEqual(['$.effectiveFrom', '$.region']);
    expect(checkPublication('not a policy', catalogue())).toMatchObject({ ok: false, status: 400 });
  });

  it('answers 409 for an id + version already taken, published or built in, and says when it is a repeat', () => {
    const published = [definePolicy(countyDoc())];
    // The same document with its keys in another order and its defaults left out is the same version.
    const { example: _omitted, ...sparse } = countyDoc();
    const repeat = checkPublication(
      Object.fromEntries(Object.entries(sparse).reverse()),
      catalogue(published),
    );
    expect(repeat).toMatchObject({
      ok: false,
      status: 409,
      identical: true,
      existing: { source: 'published' },
      errors: [{ path: '$.version', code: 'VERSION_EXISTS' }],
    });
    const changed = checkPublication(
      countyDoc({ effectiveFrom: '2023-09-01' }),
      catalogue(published.map((p) => ({ ...p, sources: ['x'] }))),
    );
    expect(changed).toMatchObject({ status: 409, identical: false });
    const builtIn = checkPublication(
      { ...countyDoc(), id: 'national-baseline', version: '2021.1' },
      catalogue(),
    );
    expect(builtIn).toMatchObject({
      status: 409,
      existing: { source: 'built-in' },
      errors: [{ en: expect.stringContaining("built-in policy's version") }],
    });
  });
});
