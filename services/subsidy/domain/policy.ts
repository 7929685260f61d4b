/**
 * 资助政策 — the versioned, per-region subsidy policy as data (docs/domain.md §5.3: amounts and categories
 * differ by region and change over time). A policy lists benefits (两免一补, 营养改善计划, 残疾学生补助 …); each benefit
 * has groups, and each group is a condition over the child's enrollment facts (学段, 住校, 农村学校) and household
 * categories (脱贫户 / 三类监测, 低保, 特困, 孤儿, 残疾) with an amount per semester in integer 分.
 *
 * The condition language is deliberately small and declarative, so that a county clerk can read a policy
 * and every decision can say which condition paid it. `validatePolicy` refuses documents that contradict
 * themselves (two amounts for one benefit and group, unknown categories, fractional or negative fen) or
 * the region's other versions (overlapping effective dates), with bilingual messages and a JSON path.
 */
import { z } from 'zod';
import { isRealDate } from '../../../shared/dates';
import { benefitCodeSchema } from '../../../shared/events/catalogue';
import { regionCodeSchema, significantPrefix } from '../../../shared/org';
import type { RosterKind } from '../../../shared/roster-kind';
import {
  ASSISTANCE_CATEGORY_NAMES_ZH,
  assistanceCategorySchema,
  POVERTY_CATEGORY_NAMES_ZH,
  povertyCategorySchema,
  SCHOOL_STAGE_NAMES_ZH,
  type SchoolStage,
  schoolStageSchema,
} from '../../../shared/rosters/records';
import type { Semester } from './semester';

// ── messages ─────────────────────────────────────────────────────────────────────────────────────────

/** One sentence in Chinese and English. */
export interface Bilingual {
  zh: string;
  en: string;
}

/**
 * Custom zod messages carry both languages as JSON, so that `validatePolicy` can hand them on as they
 * were written instead of translating zod's English.
 */
const bi = (zh: string, en: string) => JSON.stringify({ zh, en });

function unbi(message: string): Bilingual | undefined {
  if (!message.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(message) as Partial<Bilingual>;
    return typeof parsed.zh === 'string' && typeof parsed.en === 'string'
      ? { zh: parsed.zh, en: parsed.en }
      : undefined;
  } catch {
    return undefined;
  }
}

// ── categories ───────────────────────────────────────────────────────────────────────────────────────

/**
 * 家庭类别 — the household categories a policy may name: the roster category codes of 脱贫户 / 三类监测
 * (乡村振兴) and 低保 / 特困 / 孤儿 / 事实无人抚养 / 留守 (民政), plus DISABILITY for a child on the 残联 roster.
 * A category is a fact only when a roster row says so: it is never assumed.
 */
export const POLICY_CATEGORIES = [
  ...povertyCategorySchema.options,
  ...assistanceCategorySchema.options,
  'DISABILITY',
] as const;
export type PolicyCategory = (typeof POLICY_CATEGORIES)[number];

/** The roster each category is read from. */
export const CATEGORY_ROSTER = {
  LIFTED_OUT_OF_POVERTY: 'poverty',
  UNSTABLE: 'poverty',
  MARGINAL: 'poverty',
  SUDDEN_HARDSHIP: 'poverty',
  DIBAO: 'assistance',
  TEKUN: 'assistance',
  ORPHAN: 'assistance',
  UNSUPPORTED: 'assistance',
  LEFT_BEHIND: 'assistance',
  DISABILITY: 'disability',
} as const satisfies Record<PolicyCategory, RosterKind>;

export const CATEGORY_NAMES: Record<PolicyCategory, Bilingual> = {
  LIFTED_OUT_OF_POVERTY: {
    zh: POVERTY_CATEGORY_NAMES_ZH.LIFTED_OUT_OF_POVERTY,
    en: 'household lifted out of poverty (建档立卡)',
  },
  UNSTABLE: { zh: POVERTY_CATEGORY_NAMES_ZH.UNSTABLE, en: 'unstable household lifted out of poverty' },
  MARGINAL: { zh: POVERTY_CATEGORY_NAMES_ZH.MARGINAL, en: 'marginal household at risk of poverty' },
  SUDDEN_HARDSHIP: {
    zh: POVERTY_CATEGORY_NAMES_ZH.SUDDEN_HARDSHIP,
    en: 'household in sudden severe hardship',
  },
  DIBAO: { zh: ASSISTANCE_CATEGORY_NAMES_ZH.DIBAO, en: 'minimum living allowance (低保)' },
  TEKUN: { zh: ASSISTANCE_CATEGORY_NAMES_ZH.TEKUN, en: 'support for the extremely poor (特困供养)' },
  ORPHAN: { zh: ASSISTANCE_CATEGORY_NAMES_ZH.ORPHAN, en: 'orphan' },
  UNSUPPORTED: { zh: ASSISTANCE_CATEGORY_NAMES_ZH.UNSUPPORTED, en: 'child without de-facto support' },
  LEFT_BEHIND: { zh: ASSISTANCE_CATEGORY_NAMES_ZH.LEFT_BEHIND, en: 'left-behind child' },
  DISABILITY: { zh: '残疾', en: 'disability (残联 register)' },
};

const categoryList = POLICY_CATEGORIES.map((c) => `${c}（${CATEGORY_NAMES[c].zh}）`).join('、');
const categoryListEn = POLICY_CATEGORIES.join(', ');

export const policyCategorySchema = z.enum(POLICY_CATEGORIES, {
  error: bi(
    `未知的家庭类别，可用：${categoryList}`,
    `unknown household category; use one of ${categoryListEn}`,
  ),
});

// ── conditions ───────────────────────────────────────────────────────────────────────────────────────

/**
 * 条件 — exactly one key per object:
 * - `{ all: [...] }` every condition holds; `{ any: [...] }` at least one holds;
 * - `{ stage: 'PRIMARY' | 'JUNIOR' }` 学段 (from the 学籍 stage, else derived from 年级);
 * - `{ boarding: true | false }` 住校 / 走读 (学籍 就读方式);
 * - `{ rural: true | false }` the school is a 农村学校 (region school list, or the 学籍 城乡类型 column);
 * - `{ hardship: true }` 家庭经济困难: in one of the policy's `hardshipCategories`;
 * - `{ category: 'DIBAO' }` in that category; `{ anyCategory: ['DIBAO', 'TEKUN'] }` in one of them.
 * A group without `when` applies to every enrolled child (两免).
 */
export interface Condition {
  all?: Condition[];
  any?: Condition[];
  stage?: SchoolStage;
  boarding?: boolean;
  rural?: boolean;
  hardship?: true;
  category?: PolicyCategory;
  anyCategory?: PolicyCategory[];
}

export const CONDITION_KEYS = [
  'all',
  'any',
  'stage',
  'boarding',
  'rural',
  'hardship',
  'category',
  'anyCategory',
] as const satisfies readonly (keyof Condition)[];

const booleanFact = (zh: string, en: string) =>
  z.boolean({ error: bi(`${zh}应为 true 或 false`, `${en} must be true or false`) }).optional();

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z
    .strictObject(
      {
        all: z
          .array(conditionSchema)
          .min(1, { error: bi('all 至少要有一个条件', 'all needs at least one condition') })
          .optional(),
        any: z
          .array(conditionSchema)
          .min(1, { error: bi('any 至少要有一个条件', 'any needs at least one condition') })
          .optional(),
        stage: z
          .enum(schoolStageSchema.options, {
            error: bi('学段应为 PRIMARY（小学）或 JUNIOR（初中）', 'stage must be PRIMARY or JUNIOR'),
          })
          .optional(),
        boarding: booleanFact('住校条件', 'boarding'),
        rural: booleanFact('农村学校条件', 'rural'),
        hardship: z
          .literal(true, {
            error: bi(
              'hardship 只能为 true（不满足某条件请改写其他组）',
              'hardship can only be true (write the other case as another group)',
            ),
          })
          .optional(),
        category: policyCategorySchema.optional(),
        anyCategory: z
          .array(policyCategorySchema)
          .min(1, { error: bi('anyCategory 至少要有一个类别', 'anyCategory needs at least one category') })
          .optional(),
      },
      {
        error: (issue) =>
          issue.code === 'unrecognized_keys'
            ? bi(
                `未知的条件 ${issue.keys.join('、')}：条件只能是 ${CONDITION_KEYS.join('、')} 之一`,
                `unknown condition ${issue.keys.join(', ')}: a condition is one of ${CONDITION_KEYS.join(', ')}`,
              )
            : bi(
                '条件应为对象，如 { "stage": "PRIMARY" }',
                'a condition is an object, e.g. { "stage": "PRIMARY" }',
              ),
      },
    )
    .superRefine((c, ctx) => {
      const keys = Object.keys(c).filter((k) => c[k as keyof Condition] !== undefined);
      if (keys.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message: bi(
            `每个条件对象只能有一个键（实为 ${keys.length} 个：${keys.join('、') || '无'}）；多个条件请放进 all 或 any`,
            `each condition object has exactly one key (found ${keys.length}: ${keys.join(', ') || 'none'}); combine conditions with all or any`,
          ),
        });
      }
    }),
);

// ── the document ─────────────────────────────────────────────────────────────────────────────────────

const nameSchema = z.strictObject(
  {
    zh: z
      .string()
      .trim()
      .min(1, { error: bi('中文名称不能为空', 'the Chinese name is required') })
      .max(100),
    en: z.string().trim().min(1).max(200).optional(),
  },
  { error: bi('名称应为 { "zh": "…", "en": "…" }', 'a name is { "zh": "…", "en": "…" }') },
);
export type PolicyName = z.infer<typeof nameSchema>;

const dateSchema = (zh: string, en: string) =>
  z
    .string({ error: bi(`${zh}应为 YYYY-MM-DD 格式的日期`, `${en} must be a date YYYY-MM-DD`) })
    .refine(isRealDate, {
      error: bi(`${zh}应为真实日期 YYYY-MM-DD`, `${en} must be a real date YYYY-MM-DD`),
    });

/**
 * 每学期金额（分）. The cap keeps every total a safe integer: a million children at the cap sum to 10^15 分,
 * below 2^53.
 */
export const MAX_AMOUNT_FEN = 1_000_000_000;
const amountSchema = z
  .number({ error: bi('金额应为数字（单位：分）', 'amountFen must be a number of fen') })
  .int({
    error: bi(
      '金额应为整数分（1 元 = 100 分），不能有小数',
      'amountFen must be whole fen (1 yuan = 100 fen)',
    ),
  })
  .min(0, { error: bi('金额不能为负数', 'amountFen cannot be negative') })
  .max(MAX_AMOUNT_FEN, {
    error: bi('金额过大（单位是分，不是元？）', 'amountFen is too large (fen, not yuan?)'),
  });

/** 资助档次 — one group of a benefit: who (the condition) and how much per semester. */
export const groupSchema = z.strictObject({
  /** Stable id within the benefit, e.g. 'primary-boarder'. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, {
    error: bi(
      '档次 id 应为小写字母、数字和连字符，如 primary-boarder',
      'a group id is lower-case letters, digits and hyphens, e.g. primary-boarder',
    ),
  }),
  name: nameSchema.optional(),
  /** Who is in the group; absent: every enrolled child. */
  when: conditionSchema.optional(),
  /** 每学期金额（分） — 0 for benefits given in kind. */
  amountFen: amountSchema,
});
export type PolicyGroup = z.infer<typeof groupSchema>;

/**
 * 发放方式 — CASH is paid to the family through the school; SCHOOL is funding that goes to the school for
 * the child (e.g. 特殊教育生均公用经费); IN_KIND is given as a waiver or goods (免学杂费, 免费教科书) and is
 * left out of the payment list.
 */
export const paymentSchema = z.enum(['CASH', 'SCHOOL', 'IN_KIND'], {
  error: bi('发放方式应为 CASH、SCHOOL 或 IN_KIND', 'payment must be CASH, SCHOOL or IN_KIND'),
});
export type Payment = z.infer<typeof paymentSchema>;

/**
 * 多档取一 — when a child is in several groups of one benefit the benefit is still paid once (docs/domain.md §5.4):
 * HIGHEST pays the highest amount (the first listed on a tie), FIRST the first group listed.
 */
export const severalGroupsRuleSchema = z.enum(['HIGHEST', 'FIRST'], {
  error: bi(
    'whenSeveralGroupsMatch 应为 HIGHEST 或 FIRST',
    'whenSeveralGroupsMatch must be HIGHEST or FIRST',
  ),
});

export const benefitSchema = z.strictObject({
  /** e.g. BOARDING_LIVING_ALLOWANCE; see KNOWN_BENEFITS. */
  code: z.string().refine((code) => benefitCodeSchema.safeParse(code).success, {
    error: bi(
      '资助项目代码应为大写字母、数字和下划线，如 BOARDING_LIVING_ALLOWANCE',
      'a benefit code is UPPER_SNAKE_CASE, e.g. BOARDING_LIVING_ALLOWANCE',
    ),
  }),
  name: nameSchema,
  payment: paymentSchema.default('CASH'),
  whenSeveralGroupsMatch: severalGroupsRuleSchema.default('HIGHEST'),
  groups: z
    .array(groupSchema)
    .min(1, { error: bi('每个资助项目至少一个档次', 'each benefit needs a group') }),
  /** 依据 — the policy text this benefit follows. */
  basis: z.string().trim().max(500).optional(),
});
export type Benefit = z.infer<typeof benefitSchema>;

/** 地区 — 'CN' for the national baseline, else a 6-digit 行政区划代码 (province 530000, city, county). */
export const policyRegionSchema = z.union([z.literal('CN'), regionCodeSchema], {
  error: bi(
    '地区应为 CN（全国）或 6 位行政区划代码，如 530000（云南省）',
    'region must be CN (national) or a 6-digit region code, e.g. 530000 (Yunnan)',
  ),
});

const policyShape = z.strictObject({
  /** 政策标识, e.g. 'national-baseline'. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, {
    error: bi(
      '政策 id 应为 2–40 位小写字母、数字和连字符，如 national-baseline',
      'a policy id is 2–40 lower-case letters, digits and hyphens, e.g. national-baseline',
    ),
  }),
  /** 版本, e.g. '2021.1'; id + version name one document for ever. */
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.-]{0,19}$/, {
    error: bi(
      '版本应为 1–20 位字母、数字、点或连字符，如 2021.1',
      'a version is 1–20 letters, digits, dots or hyphens, e.g. 2021.1',
    ),
  }),
  region: policyRegionSchema,
  name: nameSchema,
  /** 示例 — an example to adapt, not an official policy of the region it names. */
  example: z.boolean().default(false),
  effectiveFrom: dateSchema('生效日期', 'effectiveFrom'),
  /** Last day in force; absent: until the region's next version takes effect. */
  effectiveUntil: dateSchema('失效日期', 'effectiveUntil').optional(),
  /** 政策依据 — documents the amounts come from. */
  sources: z.array(z.string().trim().min(1).max(500)).default([]),
  /** 家庭经济困难 — the categories `{ "hardship": true }` stands for. */
  hardshipCategories: z.array(policyCategorySchema).default([]),
  benefits: z
    .array(benefitSchema)
    .min(1, { error: bi('政策至少要有一个资助项目', 'a policy needs a benefit') }),
});

export const policySchema = policyShape.superRefine((p, ctx) => {
  for (const problem of contradictions(p)) {
    ctx.addIssue({
      code: 'custom',
      path: problem.path,
      message: bi(problem.zh, problem.en),
      params: { contradiction: true },
    });
  }
});
export type Policy = z.infer<typeof policySchema>;
/** A policy document as written (defaults not yet filled in). */
export type PolicyInput = z.input<typeof policySchema>;

/** 已知资助项目 — the benefit codes the built-in policies use (a policy may define others). */
export const KNOWN_BENEFITS = {
  TUITION_WAIVER: { zh: '免学杂费', en: 'tuition and fee waiver' },
  FREE_TEXTBOOKS: { zh: '免费教科书', en: 'free textbooks' },
  BOARDING_LIVING_ALLOWANCE: { zh: '寄宿生生活补助', en: 'living allowance for boarders' },
  NON_BOARDING_LIVING_ALLOWANCE: { zh: '非寄宿生生活补助', en: 'living allowance for day pupils' },
  NUTRITION_MEAL: { zh: '营养改善计划膳食补助', en: 'nutrition improvement meal subsidy' },
  DISABILITY_SUPPORT: { zh: '残疾学生补助', en: 'support for disabled students' },
  TRANSPORT: { zh: '交通补助', en: 'transport subsidy' },
} as const satisfies Record<string, Bilingual>;

// ── contradictions ───────────────────────────────────────────────────────────────────────────────────

interface Problem extends Bilingual {
  path: (string | number)[];
}

/** A condition written in one canonical form, so that `{any:[a,b]}` and `{any:[b,a]}` compare equal. */
export function canonicalCondition(c: Condition | undefined): string {
  if (!c) return '*';
  if (c.all) return `all(${c.all.map(canonicalCondition).sort().join(',')})`;
  if (c.any) return `any(${c.any.map(canonicalCondition).sort().join(',')})`;
  if (c.anyCategory) return `cat(${[...new Set(c.anyCategory)].sort().join(',')})`;
  if (c.category) return `cat(${c.category})`;
  if (c.stage) return `stage(${c.stage})`;
  if (c.boarding !== undefined) return `boarding(${c.boarding})`;
  if (c.rural !== undefined) return `rural(${c.rural})`;
  if (c.hardship) return 'hardship';
  return '?';
}

/** The facts an `all` requires directly (nested `all`s flattened), to find ones that can never hold. */
function requiredFacts(c: Condition, into: Map<string, Set<string>>): void {
  if (c.all) {
    for (const part of c.all) requiredFacts(part, into);
    return;
  }
  const put = (fact: string, value: string) => {
    const set = into.get(fact) ?? new Set<string>();
    set.add(value);
    into.set(fact, set);
  };
  if (c.stage) put('stage', c.stage);
  if (c.boarding !== undefined) put('boarding', String(c.boarding));
  if (c.rural !== undefined) put('rural', String(c.rural));
}

const FACT_NAMES: Record<string, Bilingual> = {
  stage: { zh: '学段', en: 'stage' },
  boarding: { zh: '住校', en: 'boarding' },
  rural: { zh: '农村学校', en: 'rural' },
};

function usesHardship(c: Condition | undefined): boolean {
  if (!c) return false;
  if (c.hardship) return true;
  return [...(c.all ?? []), ...(c.any ?? [])].some(usesHardship);
}

function contradictions(p: z.infer<typeof policyShape>): Problem[] {
  const problems: Problem[] = [];
  if (p.effectiveUntil !== undefined && p.effectiveUntil < p.effectiveFrom) {
    problems.push({
      path: ['effectiveUntil'],
      zh: `失效日期 ${p.effectiveUntil} 早于生效日期 ${p.effectiveFrom}`,
      en: `effectiveUntil ${p.effectiveUntil} is before effectiveFrom ${p.effectiveFrom}`,
    });
  }
  const benefitAt = new Map<string, number>();
  p.benefits.forEach((benefit, b) => {
    const earlier = benefitAt.get(benefit.code);
    if (earlier !== undefined) {
      problems.push({
        path: ['benefits', b, 'code'],
        zh: `资助项目 ${benefit.code} 重复（已在第 ${earlier + 1} 项定义）：同一项目只能有一套金额`,
        en: `benefit ${benefit.code} is defined twice (also benefits[${earlier}]): one benefit has one set of amounts`,
      });
    } else benefitAt.set(benefit.code, b);

    const idAt = new Map<string, number>();
    const conditionAt = new Map<string, number>();
    benefit.groups.forEach((group, g) => {
      const sameId = idAt.get(group.id);
      if (sameId !== undefined) {
        const other = benefit.groups[sameId]!;
        problems.push({
          path: ['benefits', b, 'groups', g, 'id'],
          zh:
            other.amountFen === group.amountFen
              ? `${benefit.code} 的档次 ${group.id} 重复定义`
              : `${benefit.code} 的档次 ${group.id} 有两个金额（${other.amountFen} 分与 ${group.amountFen} 分）`,
          en:
            other.amountFen === group.amountFen
              ? `group ${group.id} of ${benefit.code} is defined twice`
              : `group ${group.id} of ${benefit.code} has two amounts (${other.amountFen} and ${group.amountFen} fen)`,
        });
      } else idAt.set(group.id, g);

      const key = canonicalCondition(group.when);
      const sameCondition = conditionAt.get(key);
      if (sameCondition !== undefined && sameId === undefined) {
        const other = benefit.groups[sameCondition]!;
        problems.push({
          path: ['benefits', b, 'groups', g, 'when'],
          zh:
            other.amountFen === group.amountFen
              ? `${benefit.code} 的档次 ${group.id} 与 ${other.id} 条件相同，重复定义`
              : `${benefit.code} 的档次 ${group.id} 与 ${other.id} 条件相同而金额不同（${group.amountFen} 分与 ${other.amountFen} 分）：同一人群只能有一个金额`,
          en:
            other.amountFen === group.amountFen
              ? `groups ${other.id} and ${group.id} of ${benefit.code} have the same condition`
              : `groups ${other.id} and ${group.id} of ${benefit.code} have the same condition but different amounts (${other.amountFen} and ${group.amountFen} fen): one group of children has one amount`,
        });
      } else if (sameCondition === undefined) conditionAt.set(key, g);

      if (group.when) {
        const facts = new Map<string, Set<string>>();
        requiredFacts(group.when, facts);
        for (const [fact, values] of facts) {
          if (values.size > 1) {
            problems.push({
              path: ['benefits', b, 'groups', g, 'when'],
              zh: `${benefit.code} 的档次 ${group.id} 永远不会满足：同时要求${FACT_NAMES[fact]!.zh}为 ${[...values].join(' 和 ')}`,
              en: `group ${group.id} of ${benefit.code} can never match: it requires ${FACT_NAMES[fact]!.en} to be both ${[...values].join(' and ')}`,
            });
          }
        }
      }
      if (usesHardship(group.when) && p.hardshipCategories.length === 0) {
        problems.push({
          path: ['benefits', b, 'groups', g, 'when'],
          zh: `${benefit.code} 的档次 ${group.id} 使用了 hardship（家庭经济困难），但政策未列出 hardshipCategories`,
          en: `group ${group.id} of ${benefit.code} uses hardship, but the policy lists no hardshipCategories`,
        });
      }
    });
  });
  return problems;
}

// ── validation ───────────────────────────────────────────────────────────────────────────────────────

/** A reason a policy is refused: where (a JSON path such as `$.benefits[2].groups[0].amountFen`) and why. */
export interface PolicyError extends Bilingual {
  path: string;
  code: string;
}

export type PolicyValidation = { ok: true; policy: Policy } | { ok: false; errors: PolicyError[] };

export function jsonPath(path: readonly PropertyKey[]): string {
  return `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
}

const TYPE_NAMES: Record<string, Bilingual> = {
  string: { zh: '文本', en: 'a string' },
  number: { zh: '数字', en: 'a number' },
  int: { zh: '整数', en: 'a whole number' },
  boolean: { zh: 'true 或 false', en: 'true or false' },
  object: { zh: '对象 {…}', en: 'an object {…}' },
  array: { zh: '列表 […]', en: 'a list […]' },
};

/** Bilingual text for one zod issue: the schema's own message when it has one, else a translation. */
function describeIssue(issue: z.core.$ZodIssue): Bilingual & { code: string } {
  const own = unbi(issue.message);
  if (own) {
    const contradiction = issue.code === 'custom' && issue.params?.contradiction === true;
    return {
      ...own,
      code: contradiction
        ? 'CONTRADICTION'
        : issue.code === 'custom'
          ? 'INVALID_VALUE'
          : issue.code.toUpperCase(),
    };
  }
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return { code: 'MISSING', zh: '缺少此项', en: 'is required' };
      const t = TYPE_NAMES[issue.expected] ?? { zh: issue.expected, en: issue.expected };
      return { code: 'INVALID_TYPE', zh: `应为${t.zh}`, en: `must be ${t.en}` };
    }
    case 'unrecognized_keys':
      return {
        code: 'UNKNOWN_FIELD',
        zh: `未知字段 ${issue.keys.join('、')}（拼写错误？）`,
        en: `unknown field ${issue.keys.join(', ')} (a typo?)`,
      };
    case 'invalid_value':
      return {
        code: 'INVALID_VALUE',
        zh: `应为以下之一：${issue.values.map(String).join('、')}`,
        en: `must be one of ${issue.values.map(String).join(', ')}`,
      };
    case 'too_small':
      return {
        code: 'TOO_SMALL',
        zh: issue.origin === 'array' ? `至少需要 ${issue.minimum} 项` : `不能小于 ${issue.minimum}`,
        en:
          issue.origin === 'array'
            ? `needs at least ${issue.minimum} item(s)`
            : `must be at least ${issue.minimum}`,
      };
    case 'too_big':
      return {
        code: 'TOO_BIG',
        zh: issue.origin === 'array' ? `最多 ${issue.maximum} 项` : `不能大于 ${issue.maximum}`,
        en:
          issue.origin === 'array'
            ? `has at most ${issue.maximum} items`
            : `must be at most ${issue.maximum}`,
      };
    case 'invalid_format':
      return { code: 'INVALID_FORMAT', zh: '格式不正确', en: `has the wrong format (${issue.format})` };
    default:
      return { code: issue.code.toUpperCase(), zh: '格式不正确', en: issue.message };
  }
}

/**
 * Checks a policy document before it is published or used. `published` are the versions already in force
 * elsewhere (any region): a version of the same region may not claim a day another version claims — same
 * start date, or an explicit `effectiveUntil` running past a later version's start — and an id + version
 * already published must not change.
 *
 * A version without `effectiveUntil` is in force until the region's next version takes effect.
 */
export function validatePolicy(input: unknown, published: readonly Policy[] = []): PolicyValidation {
  const parsed = policySchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => ({ path: jsonPath(issue.path), ...describeIssue(issue) })),
    };
  }
  const policy = parsed.data;
  const errors: PolicyError[] = [];
  for (const other of published) {
    if (other.region !== policy.region) {
      if (other.id === policy.id && other.version === policy.version) {
        errors.push({
          path: '$.version',
          code: 'VERSION_EXISTS',
          zh: `${policy.id} ${policy.version} 已作为地区 ${other.region} 的政策发布：请使用新版本号`,
          en: `${policy.id} ${policy.version} is already published for region ${other.region}: use a new version`,
        });
      }
      continue;
    }
    if (other.id === policy.id && other.version === policy.version) {
      if (JSON.stringify(other) !== JSON.stringify(policy)) {
        errors.push({
          path: '$.version',
          code: 'VERSION_EXISTS',
          zh: `${policy.id} ${policy.version} 已发布且内容不同：已发布的版本不能修改，请使用新版本号`,
          en: `${policy.id} ${policy.version} is already published with other content: a published version never changes, use a new version`,
        });
      }
      continue;
    }
    const [earlier, later] = other.effectiveFrom <= policy.effectiveFrom ? [other, policy] : [policy, other];
    const overlaps =
      earlier.effectiveFrom === later.effectiveFrom ||
      (earlier.effectiveUntil !== undefined && earlier.effectiveUntil >= later.effectiveFrom);
    if (overlaps) {
      const path =
        earlier === policy && policy.effectiveUntil !== undefined ? '$.effectiveUntil' : '$.effectiveFrom';
      errors.push({
        path,
        code: 'OVERLAPPING_VERSIONS',
        zh: `与地区 ${policy.region} 的政策 ${other.id} ${other.version}（${other.effectiveFrom} 起${other.effectiveUntil ? `，至 ${other.effectiveUntil}` : ''}）生效期重叠：同一天只能有一个版本生效`,
        en: `overlaps ${other.id} ${other.version} of region ${policy.region} (from ${other.effectiveFrom}${other.effectiveUntil ? ` to ${other.effectiveUntil}` : ''}): one version is in force on any day`,
      });
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, policy };
}

/** Parses a policy known to be valid (built-ins, stored versions); throws with every error otherwise. */
export function definePolicy(input: PolicyInput): Policy {
  const result = validatePolicy(input);
  if (!result.ok) {
    throw new Error(`Invalid policy: ${result.errors.map((e) => `${e.path}: ${e.en}`).join('; ')}`);
  }
  return result.policy;
}

// ── selection ────────────────────────────────────────────────────────────────────────────────────────

/** 版本标识 — what decisions and `subsidy.determined` record: 'national-baseline.2021.1'. */
export function policyVersionLabel(policy: Pick<Policy, 'id' | 'version'>): string {
  return `${policy.id}.${policy.version}`;
}

/** Whether the policy's own dates cover `date` (a later version of the region may end it earlier). */
export function isInForceOn(policy: Policy, date: string): boolean {
  return (
    policy.effectiveFrom <= date && (policy.effectiveUntil === undefined || date <= policy.effectiveUntil)
  );
}

function regionRank(policyRegion: string, county: string): number {
  if (policyRegion === 'CN') return 0;
  const prefix = significantPrefix(policyRegion);
  return county.startsWith(prefix) ? prefix.length : -1;
}

/**
 * 适用政策 — the policy in force for a county in a semester: the most specific region (county, then city,
 * then province, then CN) that has a version in force on the semester's first day; within a region the
 * version that took effect last. Undefined when none applies.
 */
export function selectPolicy(
  policies: readonly Policy[],
  county: string,
  semester: Pick<Semester, 'startsOn'>,
): Policy | undefined {
  let best: Policy | undefined;
  let bestRank = -1;
  for (const p of policies) {
    const rank = regionRank(p.region, county);
    if (rank < 0 || !isInForceOn(p, semester.startsOn)) continue;
    if (rank > bestRank || (rank === bestRank && best && p.effectiveFrom > best.effectiveFrom)) {
      best = p;
      bestRank = rank;
    }
  }
  return best;
}

export const STAGE_NAMES: Record<SchoolStage, Bilingual> = {
  PRIMARY: { zh: SCHOOL_STAGE_NAMES_ZH.PRIMARY, en: 'primary' },
  JUNIOR: { zh: SCHOOL_STAGE_NAMES_ZH.JUNIOR, en: 'junior secondary' },
};
