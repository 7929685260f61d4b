import { z } from 'zod';

/**
 * 角色 — what kind of organisation a signed-in user acts for. The role decides which org-code format
 * the user's org must have (see {@link orgMatchesRole}) and, through `shared/authz.ts`, what they may see.
 */
export const roleSchema = z.enum(['school', 'township', 'county', 'partner', 'ops']);
export type Role = z.infer<typeof roleSchema>;

export const ROLE_NAMES_ZH = {
  school: '学校',
  township: '乡镇（街道）',
  county: '教育行政部门（县、市、省）',
  partner: '协作部门',
  ops: '平台运维',
} as const satisfies Record<Role, string>;

/** 协作部门 — the government departments that supply rosters or receive referrals (docs/domain.md §1.3, §4.8). Education itself is not a partner. */
export const partnerDepartmentSchema = z.enum([
  'public-security',
  'civil-affairs',
  'rural-revitalization',
  'disabled-persons-federation',
  'health',
  'human-resources',
  'market-regulation',
  'justice',
  'united-front',
  'youth-league',
  'womens-federation',
  'finance',
]);
export type PartnerDepartment = z.infer<typeof partnerDepartmentSchema>;

export const PARTNER_DEPARTMENT_NAMES_ZH = {
  'public-security': '公安',
  'civil-affairs': '民政',
  'rural-revitalization': '乡村振兴',
  'disabled-persons-federation': '残联',
  health: '卫健',
  'human-resources': '人社',
  'market-regulation': '市场监管',
  justice: '司法',
  'united-front': '统战部',
  'youth-league': '共青团',
  'womens-federation': '妇联',
  finance: '财政',
} as const satisfies Record<PartnerDepartment, string>;

// Province codes run 11–82 (身份证 / GB/T 2260), so '000000' or '990000' can never be a real region.
const PROVINCE = '(?:1[1-9]|[2-7]\\d|8[0-2])';

/** 行政区划代码 — 6-digit administrative region code: a county, or a city ('530100') or province ('530000') when it ends in '00'. */
export const regionCodeSchema = z.string().regex(new RegExp(`^${PROVINCE}\\d{4}$`), {
  error: 'a 6-digit 行政区划代码 starting with a province code 11–82',
});

/** 乡镇（街道）代码 — 9 digits; the first 6 are the county it belongs to. */
export const townshipCodeSchema = z.string().regex(new RegExp(`^${PROVINCE}\\d{7}$`), {
  error: 'a 9-digit 乡镇 code whose first 6 digits are its county',
});

/** 学校标识码 — the 10-digit school identifier issued by the Ministry of Education. */
export const schoolCodeSchema = z.string().regex(/^\d{10}$/, { error: 'a 10-digit 学校标识码' });

/** 协作部门机构 — `<6-digit region>:<department>`, e.g. '530124:public-security' (富民县公安局). */
export const partnerOrgSchema = z
  .string()
  .regex(new RegExp(`^${PROVINCE}\\d{4}:(?:${partnerDepartmentSchema.options.join('|')})$`), {
    error: 'a partner org "<6-digit region>:<department>", e.g. 530124:public-security',
  });

/** Any organisation code of any role. */
export const orgCodeSchema = z.union([
  schoolCodeSchema,
  townshipCodeSchema,
  regionCodeSchema,
  partnerOrgSchema,
]);

const ORG_SCHEMA_BY_ROLE = {
  school: schoolCodeSchema,
  township: townshipCodeSchema,
  county: regionCodeSchema,
  partner: partnerOrgSchema,
  ops: regionCodeSchema,
} as const satisfies Record<Role, z.ZodType<string>>;

const ORG_FORMAT_BY_ROLE = {
  school: { zh: '10 位学校标识码，如 2153012401', en: 'a 10-digit 学校标识码, e.g. 2153012401' },
  township: {
    zh: '9 位乡镇代码（前 6 位为所属县），如 530124100',
    en: 'a 9-digit township code, e.g. 530124100',
  },
  county: {
    zh: '6 位行政区划代码，如 530124（县）、530100（市）、530000（省）',
    en: 'a 6-digit region code, e.g. 530124 (county), 530100 (city), 530000 (province)',
  },
  partner: {
    zh: '“6 位行政区划代码:部门”，如 530124:public-security',
    en: '"<6-digit region>:<department>", e.g. 530124:public-security',
  },
  ops: {
    zh: '部署所在的 6 位行政区划代码，如 530124',
    en: 'the 6-digit region code of the deployment, e.g. 530124',
  },
} as const satisfies Record<Role, { zh: string; en: string }>;

/** Whether `org` has the code format that `role` requires (a school a 学校标识码, a county a 行政区划代码, …). */
export function orgMatchesRole(role: Role, org: string): boolean {
  return ORG_SCHEMA_BY_ROLE[role].safeParse(org).success;
}

/** The role and organisation someone acts for — what events record as the actor of a change. */
export const actorSchema = z.strictObject({ role: roleSchema, org: z.string() }).superRefine((actor, ctx) => {
  if (!orgMatchesRole(actor.role, actor.org)) {
    ctx.addIssue({
      code: 'custom',
      path: ['org'],
      message: `org must be ${ORG_FORMAT_BY_ROLE[actor.role].en}`,
    });
  }
});
export type Actor = z.infer<typeof actorSchema>;

/** 当前用户 — the authenticated caller of an API, built from verified JWT claims by {@link parseCaller}. */
export const callerSchema = z
  .strictObject({
    role: roleSchema,
    org: z.string(),
    /** The identity provider's subject id of the user (JWT `sub`). */
    sub: z.string().min(1),
    /** The user's display name, for audit trails. */
    name: z.string().min(1).optional(),
  })
  .superRefine((caller, ctx) => {
    if (!orgMatchesRole(caller.role, caller.org)) {
      ctx.addIssue({
        code: 'custom',
        path: ['org'],
        message: `org must be ${ORG_FORMAT_BY_ROLE[caller.role].en}`,
      });
    }
  });
export type Caller = z.infer<typeof callerSchema>;

/** The JWT claim that carries the caller's role. */
export const ROLE_CLAIM = 'kcbx:role';
/** The JWT claim that carries the caller's organisation code. */
export const ORG_CLAIM = 'kcbx:org';
/** Fallback spellings accepted when the primary claim is absent (identity providers that cannot namespace claims). */
export const ROLE_CLAIM_FALLBACK = 'role';
export const ORG_CLAIM_FALLBACK = 'org';

export type CallerClaimErrorCode =
  | 'MISSING_SUBJECT'
  | 'MISSING_ROLE'
  | 'UNKNOWN_ROLE'
  | 'MISSING_ORG'
  | 'CONFLICTING_CLAIMS'
  | 'ORG_FORMAT_MISMATCH';

export interface CallerClaimError {
  code: CallerClaimErrorCode;
  zh: string;
  en: string;
}

export type ParseCallerResult = { ok: true; caller: Caller } | { ok: false; error: CallerClaimError };

type ClaimRead =
  | { kind: 'absent' }
  | { kind: 'value'; value: string }
  | { kind: 'conflict'; values: string[] };

function readClaim(claims: Record<string, unknown>, primary: string, fallback: string): ClaimRead {
  const values = [claims[primary], claims[fallback]].filter(
    (v): v is string => typeof v === 'string' && v.length > 0,
  );
  const [first] = values;
  if (first === undefined) return { kind: 'absent' };
  // Two spellings that disagree mean a misconfigured identity provider: refuse rather than pick one.
  if (values.some((v) => v !== first)) return { kind: 'conflict', values };
  return { kind: 'value', value: first };
}

function fail(code: CallerClaimErrorCode, zh: string, en: string): ParseCallerResult {
  return { ok: false, error: { code, zh, en } };
}

/**
 * Builds the {@link Caller} from the claims of an already verified JWT. Reads `kcbx:role` / `kcbx:org`
 * (or plain `role` / `org`), `sub` and optional `name`, and checks that the org code has the format the
 * role requires. Never throws: a bad token is the user's or the identity provider's problem, so the
 * error says, in Chinese and English, what to fix.
 */
export function parseCaller(claims: Record<string, unknown>): ParseCallerResult {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.length === 0) {
    return fail(
      'MISSING_SUBJECT',
      '登录凭证缺少用户标识（sub），请重新登录。',
      'The token has no subject (sub) claim; sign in again.',
    );
  }

  const role = readClaim(claims, ROLE_CLAIM, ROLE_CLAIM_FALLBACK);
  if (role.kind === 'absent') {
    return fail(
      'MISSING_ROLE',
      `登录凭证缺少角色（${ROLE_CLAIM}），请联系管理员为账号分配角色。`,
      `The token has no role claim (${ROLE_CLAIM}); ask an administrator to assign your account a role.`,
    );
  }
  if (role.kind === 'conflict') {
    return fail(
      'CONFLICTING_CLAIMS',
      `登录凭证中的角色声明互相矛盾（${role.values.join(' / ')}），请联系管理员检查身份提供方配置。`,
      `The token carries conflicting role claims (${role.values.join(' / ')}); ask an administrator to check the identity provider.`,
    );
  }
  const parsedRole = roleSchema.safeParse(role.value);
  if (!parsedRole.success) {
    const allowed = roleSchema.options.join(', ');
    return fail(
      'UNKNOWN_ROLE',
      `未知角色“${role.value}”，角色必须是 ${allowed} 之一，请联系管理员。`,
      `Unknown role "${role.value}"; it must be one of ${allowed}. Ask an administrator.`,
    );
  }

  const org = readClaim(claims, ORG_CLAIM, ORG_CLAIM_FALLBACK);
  if (org.kind === 'absent') {
    return fail(
      'MISSING_ORG',
      `登录凭证缺少所属机构（${ORG_CLAIM}），请联系管理员为账号绑定机构。`,
      `The token has no organisation claim (${ORG_CLAIM}); ask an administrator to link your account to an organisation.`,
    );
  }
  if (org.kind === 'conflict') {
    return fail(
      'CONFLICTING_CLAIMS',
      `登录凭证中的机构声明互相矛盾（${org.values.join(' / ')}），请联系管理员检查身份提供方配置。`,
      `The token carries conflicting organisation claims (${org.values.join(' / ')}); ask an administrator to check the identity provider.`,
    );
  }

  const r = parsedRole.data;
  if (!orgMatchesRole(r, org.value)) {
    const format = ORG_FORMAT_BY_ROLE[r];
    return fail(
      'ORG_FORMAT_MISMATCH',
      `角色“${ROLE_NAMES_ZH[r]}”的机构代码应为${format.zh}，实际为“${org.value}”，请联系管理员更正账号。`,
      `A ${r} account's organisation must be ${format.en}, not "${org.value}"; ask an administrator to correct the account.`,
    );
  }

  const name = claims.name;
  const caller: Caller = { role: r, org: org.value, sub };
  if (typeof name === 'string' && name.length > 0) caller.name = name;
  return { ok: true, caller };
}

/**
 * 有效前缀 — the digits of a region code that matter for coverage: a province code '530000' → '53',
 * a city '530100' → '5301', a county '530124' → '530124'.
 */
export function significantPrefix(regionCode: string): string {
  let prefix = regionCode;
  while (prefix.length > 2 && prefix.endsWith('00')) prefix = prefix.slice(0, -2);
  return prefix;
}

/**
 * 辖区覆盖 — whether the bureau (or deployment) with region code `regionOrg` covers the county
 * `regionCode6`: a county covers itself, a city bureau '530100' every county 5301xx, a province bureau
 * '530000' every county 53xxxx. Anything that is not a valid region code covers nothing (fail closed).
 */
export function regionCovers(regionOrg: string, regionCode6: string): boolean {
  if (!regionCodeSchema.safeParse(regionOrg).success) return false;
  if (!regionCodeSchema.safeParse(regionCode6).success) return false;
  return regionCode6.startsWith(significantPrefix(regionOrg));
}

/** The region code and department of a partner org such as '530124:public-security'; undefined if malformed. */
export function parsePartnerOrg(org: string): { region: string; department: PartnerDepartment } | undefined {
  if (!partnerOrgSchema.safeParse(org).success) return undefined;
  const [region, department] = org.split(':') as [string, PartnerDepartment];
  return { region, department };
}
