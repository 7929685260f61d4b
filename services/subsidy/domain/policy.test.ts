import { describe, expect, it } from 'vitest';
import { BUILT_IN_POLICIES, builtInPolicy } from './policies/built-in';
import { nationalBaseline } from './policies/national-baseline';
import { yunnanExample } from './policies/yunnan-example';
import {
  type PolicyError,
  type PolicyInput,
  policyVersionLabel,
  selectPolicy,
  validatePolicy,
} from './policy';
import { parseSemester } from './semester';

/** A small valid policy to break in one place at a time. */
function policy(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    id: 'test-county',
    version: '2025.1',
    region: '530124',
    name: { zh: '测试县政策', en: 'test county policy' },
    effectiveFrom: '2025-09-01',
    hardshipCategories: ['DIBAO', 'LIFTED_OUT_OF_POVERTY'],
    benefits: [
      {
        code: 'BOARDING_LIVING_ALLOWANCE',
        name: { zh: '寄宿生生活补助' },
        groups: [
          {
            id: 'primary-boarder',
            when: { all: [{ stage: 'PRIMARY' }, { boarding: true }, { hardship: true }] },
            amountFen: 50_000,
          },
          {
            id: 'junior-boarder',
            when: { all: [{ stage: 'JUNIOR' }, { boarding: true }, { hardship: true }] },
            amountFen: 62_500,
          },
        ],
      },
    ],
    ...overrides,
  };
}

function errorsOf(input: unknown, published = []): PolicyError[] {
  const result = validatePolicy(input, published);
  if (result.ok) throw new Error('expected the policy to be refused');
  return result.errors;
}

function withGroups(groups: unknown[]): PolicyInput {
  const p = policy();
  return { ...p, benefits: [{ ...p.benefits[0]!, groups: groups as never }] };
}

describe('the built-in policies', () => {
  it('are valid, named, and listed by the names the CLI accepts', () => {
    expect([...BUILT_IN_POLICIES.keys()]).toEqual(['national-baseline', 'yunnan-example']);
    for (const p of BUILT_IN_POLICIES.values()) expect(validatePolicy(p).ok).toBe(true);
    expect(builtInPolicy('national-baseline')).toBe(nationalBaseline);
    expect(builtInPolicy('nope')).toBeUndefined();
  });

  it('put the national baseline amounts per semester in integer 分', () => {
    const boarding = nationalBaseline.benefits.find((b) => b.code === 'BOARDING_LIVING_ALLOWANCE')!;
    expect(boarding.groups.map((g) => [g.id, g.amountFen])).toEqual([
      ['primary-boarder', 50_000], // 1000 元/年 ÷ 2
      ['junior-boarder', 62_500], // 1250 元/年 ÷ 2
    ]);
    const meal = nationalBaseline.benefits.find((b) => b.code === 'NUTRITION_MEAL')!;
    expect(meal.groups[0]!.amountFen).toBe(5 * 100 * 100); // 5 元/天 × 100 天
    expect(nationalBaseline.benefits.map((b) => b.code)).toEqual([
      'TUITION_WAIVER',
      'FREE_TEXTBOOKS',
      'BOARDING_LIVING_ALLOWANCE',
      'NUTRITION_MEAL',
      'DISABILITY_SUPPORT',
    ]);
  });

  it('label the province variant as an example', () => {
    expect(yunnanExample).toMatchObject({ example: true, region: '530000' });
    expect(yunnanExample.name.zh).toContain('非官方');
    expect(policyVersionLabel(yunnanExample)).toBe('yunnan-example.2025.1');
  });
});

describe('validatePolicy', () => {
  it('accepts a valid policy and fills in the defaults', () => {
    const result = validatePolicy(policy());
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.policy.benefits[0]).toMatchObject({ payment: 'CASH', whenSeveralGroupsMatch: 'HIGHEST' });
      expect(result.policy.example).toBe(false);
    }
  });

  it('refuses two amounts for the same benefit and group', () => {
    const [error] = errorsOf(
      withGroups([
        { id: 'primary-boarder', when: { stage: 'PRIMARY' }, amountFen: 50_000 },
        { id: 'primary-boarder', when: { stage: 'PRIMARY' }, amountFen: 60_000 },
      ]),
    );
    expect(error).toMatchObject({ path: '$.benefits[0].groups[1].id', code: 'CONTRADICTION' });
    expect(error!.zh).toContain('两个金额');
    expect(error!.en).toContain('has two amounts (50000 and 60000 fen)');
  });

  it('refuses two groups with the same condition written in another order but different amounts', () => {
    const [error] = errorsOf(
      withGroups([
        { id: 'a', when: { all: [{ boarding: true }, { category: 'DIBAO' }] }, amountFen: 50_000 },
        { id: 'b', when: { all: [{ category: 'DIBAO' }, { boarding: true }] }, amountFen: 40_000 },
      ]),
    );
    expect(error).toMatchObject({ path: '$.benefits[0].groups[1].when', code: 'CONTRADICTION' });
    expect(error!.zh).toContain('同一人群只能有一个金额');
  });

  it('refuses a benefit defined twice', () => {
    const p = policy();
    const errors = errorsOf({ ...p, benefits: [p.benefits[0]!, p.benefits[0]!] });
    expect(errors.map((e) => e.path)).toContain('$.benefits[1].code');
  });

  it('refuses unknown categories, naming the ones it knows in both languages', () => {
    const [error] = errorsOf(withGroups([{ id: 'a', when: { category: 'POOR' }, amountFen: 1 }]));
    expect(error!.path).toBe('$.benefits[0].groups[0].when.category');
    expect(error!.zh).toContain('未知的家庭类别');
    expect(error!.zh).toContain('DIBAO（低保）');
    expect(error!.en).toContain('unknown household category');
    const [inList] = errorsOf(policy({ hardshipCategories: ['DIBAO', 'RICH' as never] }));
    expect(inList!.path).toBe('$.hardshipCategories[1]');
  });

  it('refuses amounts that are not whole, non-negative fen', () => {
    const errors = errorsOf(
      withGroups([
        { id: 'a', when: { stage: 'PRIMARY' }, amountFen: 500.5 },
        { id: 'b', when: { stage: 'JUNIOR' }, amountFen: -100 },
        { id: 'c', when: { boarding: true }, amountFen: '500' },
      ]),
    );
    expect(errors.map((e) => [e.path, e.code])).toEqual([
      ['$.benefits[0].groups[0].amountFen', 'INVALID_TYPE'],
      ['$.benefits[0].groups[1].amountFen', 'TOO_SMALL'],
      ['$.benefits[0].groups[2].amountFen', 'INVALID_TYPE'],
    ]);
    expect(errors[0]!.zh).toContain('整数分');
    expect(errors[1]!.en).toBe('amountFen cannot be negative');
  });

  it('refuses a condition with an unknown key, or with two keys in one object', () => {
    const [unknown] = errorsOf(withGroups([{ id: 'a', when: { grade: 3 }, amountFen: 1 }]));
    expect(unknown!.path).toBe('$.benefits[0].groups[0].when');
    expect(unknown!.zh).toContain('未知的条件 grade');
    const [two] = errorsOf(
      withGroups([{ id: 'a', when: { stage: 'PRIMARY', boarding: true }, amountFen: 1 }]),
    );
    expect(two!.en).toContain('exactly one key');
  });

  it('refuses a group that can never match and hardship without hardship categories', () => {
    const never = errorsOf(
      withGroups([
        { id: 'a', when: { all: [{ stage: 'PRIMARY' }, { all: [{ stage: 'JUNIOR' }] }] }, amountFen: 1 },
      ]),
    );
    expect(never[0]!.en).toContain('can never match');
    const hardship = errorsOf(policy({ hardshipCategories: [] }));
    expect(hardship[0]!.en).toContain('no hardshipCategories');
  });

  it('refuses dates that do not exist or run backwards', () => {
    expect(errorsOf(policy({ effectiveFrom: '2025-02-30' }))[0]).toMatchObject({ path: '$.effectiveFrom' });
    expect(errorsOf(policy({ effectiveUntil: '2025-08-31' }))[0]).toMatchObject({
      path: '$.effectiveUntil',
      code: 'CONTRADICTION',
    });
  });

  it("refuses overlapping effective dates within a region's versions", () => {
    const first = validatePolicy(policy({ effectiveUntil: '2026-08-31' }));
    if (!first.ok) throw new Error('fixture');
    const sameStart = errorsOf(policy({ version: '2025.2' }), [first.policy] as never);
    expect(sameStart[0]).toMatchObject({ code: 'OVERLAPPING_VERSIONS', path: '$.effectiveFrom' });
    expect(sameStart[0]!.zh).toContain('生效期重叠');
    const crossing = errorsOf(policy({ version: '2026.1', effectiveFrom: '2026-03-01' }), [
      first.policy,
    ] as never);
    expect(crossing[0]!.code).toBe('OVERLAPPING_VERSIONS');
    // The next version starting after the first one ends is fine, and so is another region on the same days.
    expect(
      validatePolicy(policy({ version: '2026.1', effectiveFrom: '2026-09-01' }), [first.policy]).ok,
    ).toBe(true);
    expect(validatePolicy(policy({ id: 'other', region: '530125' }), [first.policy]).ok).toBe(true);
    // An open-ended version is superseded by the next one, not overlapped.
    const open = validatePolicy(policy());
    if (!open.ok) throw new Error('fixture');
    expect(validatePolicy(policy({ version: '2026.1', effectiveFrom: '2026-09-01' }), [open.policy]).ok).toBe(
      true,
    );
  });

  it('refuses a changed document under a version already published', () => {
    const first = validatePolicy(policy());
    if (!first.ok) throw new Error('fixture');
    expect(validatePolicy(policy(), [first.policy]).ok).toBe(true); // republishing the same is harmless
    const changed = errorsOf(policy({ name: { zh: '改过的' } }), [first.policy] as never);
    expect(changed[0]).toMatchObject({ code: 'VERSION_EXISTS', path: '$.version' });
  });

  it('says what is missing and gives JSON paths for every error', () => {
    const errors = errorsOf({ id: 'x', version: '1' });
    expect(errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['$.id', '$.region', '$.name', '$.effectiveFrom', '$.benefits']),
    );
    const missing = errors.find((e) => e.path === '$.benefits')!;
    expect(missing).toMatchObject({ code: 'MISSING', zh: '缺少此项', en: 'is required' });
  });
});

describe('selectPolicy', () => {
  it('picks the most specific region in force on the semester start', () => {
    const autumn2025 = parseSemester('2025-autumn')!;
    const spring2025 = parseSemester('2025-spring')!;
    const all = [nationalBaseline, yunnanExample];
    expect(selectPolicy(all, '530124', autumn2025)).toBe(yunnanExample);
    expect(selectPolicy(all, '530124', spring2025)).toBe(nationalBaseline); // the example starts 2025-09-01
    expect(selectPolicy(all, '110101', autumn2025)).toBe(nationalBaseline);
    expect(selectPolicy([yunnanExample], '110101', autumn2025)).toBeUndefined();
  });
});

describe('parseSemester', () => {
  it('reads the roster spelling and the catalogue spelling of the same semester', () => {
    expect(parseSemester('2025-autumn')).toEqual({
      code: '2025-2026-1',
      label: '2025-autumn',
      schoolYear: '2025-2026',
      term: 'autumn',
      startsOn: '2025-09-01',
    });
    expect(parseSemester('2026-spring')).toEqual(parseSemester('2025-2026-2'));
    expect(parseSemester('2026-spring')!.startsOn).toBe('2026-03-01');
    expect(parseSemester('2025-2027-1')).toBeUndefined();
    expect(parseSemester('2025-fall')).toBeUndefined();
  });
});
