/**
 * 权限 — every authorisation decision of kcbx lives in this module, so that one file answers "who may
 * see or change what". Handlers call these functions and map a denial to HTTP 403; repositories use
 * {@link scopeFilterFor} to restrict their queries. Every function fails closed: a malformed caller,
 * scope or target is denied, never guessed at.
 *
 * docs/domain.md §7.3: each organisation sees only its own children.
 */
import { z } from 'zod';
import {
  type Caller,
  orgMatchesRole,
  PARTNER_DEPARTMENT_NAMES_ZH,
  type PartnerDepartment,
  parsePartnerOrg,
  partnerOrgSchema,
  ROLE_NAMES_ZH,
  type Role,
  regionCodeSchema,
  regionCovers,
  schoolCodeSchema,
  significantPrefix,
  townshipCodeSchema,
} from './org';
import { ROSTER_KIND_NAMES_ZH, type RosterKind } from './roster-kind';

/**
 * 数据范围 — where a record belongs: always a county, and a township and school when it has them.
 * A township code must lie inside the county (its first 6 digits are the county code).
 */
export const resourceScopeSchema = z
  .strictObject({
    region: regionCodeSchema,
    township: townshipCodeSchema.optional(),
    school: schoolCodeSchema.optional(),
  })
  .superRefine((scope, ctx) => {
    if (scope.township !== undefined && !scope.township.startsWith(scope.region)) {
      ctx.addIssue({
        code: 'custom',
        path: ['township'],
        message: `township ${scope.township} is not inside region ${scope.region}`,
      });
    }
  });
export type ResourceScope = z.infer<typeof resourceScopeSchema>;

/**
 * 区划前缀 — the region a subscription covers, as significant digits: '53' (a province), '5301' (a city),
 * '530124' (a county). A 6-digit city or province code ('530100', '530000') is accepted and means the
 * same as its significant prefix.
 */
export const regionPrefixSchema = z.string().regex(/^(?:\d{2}|\d{4}|\d{6})$/, {
  error: 'a region prefix of 2, 4 or 6 digits, e.g. 53, 5301 or 530124',
});

/** 订阅授权 — what a partner department has subscribed to: which event types, in which region. */
export const partnerGrantSchema = z.object({
  partnerOrg: partnerOrgSchema,
  eventTypes: z.array(z.string().min(1)).min(1),
  regionPrefix: regionPrefixSchema,
  active: z.boolean(),
});
export type PartnerGrant = z.infer<typeof partnerGrantSchema>;

export type DenialCode =
  | 'INVALID_CALLER'
  | 'OUTSIDE_DEPLOYMENT'
  | 'INVALID_SCOPE'
  | 'OUT_OF_SCOPE'
  | 'PARTNER_NO_DIRECT_ACCESS'
  | 'NOT_SUBSCRIBED'
  | 'SUBSCRIPTION_INACTIVE'
  | 'ROLE_NOT_ALLOWED'
  | 'UPLOAD_KIND_NOT_ALLOWED'
  | 'INVALID_UPLOAD_TARGET'
  | 'UPLOAD_TARGET_OUT_OF_SCOPE';

/** Why access was refused, in words the user can act on. */
export interface DenialReason {
  code: DenialCode;
  zh: string;
  en: string;
}

/** The answer of every check in this module; a denial maps to HTTP 403 with `reason` in the body. */
export type AuthzDecision = { allowed: true } | { allowed: false; reason: DenialReason };

const ALLOWED: AuthzDecision = { allowed: true };

function deny(code: DenialCode, zh: string, en: string): AuthzDecision {
  return { allowed: false, reason: { code, zh, en } };
}

function invalidCaller(caller: Caller): AuthzDecision | undefined {
  if (orgMatchesRole(caller.role, caller.org)) return undefined;
  return deny(
    'INVALID_CALLER',
    `账号的机构代码“${caller.org}”与角色“${ROLE_NAMES_ZH[caller.role]}”不符，请联系管理员更正账号。`,
    `The account's organisation "${caller.org}" does not fit its role "${caller.role}"; ask an administrator to correct the account.`,
  );
}

/**
 * 部署辖区 — whether a deployment serving the region `deploymentRegion` serves `caller` at all. This is
 * the door every route goes through before any record is looked at, so a bureau, township, department or
 * operator of another county or province is refused whatever the route, even where a handler would
 * otherwise fall back to "the whole region":
 * - 教育局 a bureau: its region covers the deployment (the county itself, its city or province), or the
 *   deployment covers it (a county inside a city or province deployment, which then sees only its own);
 * - 运维 ops: exactly the deployment's region (an operator runs one deployment);
 * - 乡镇 a township: its county (first 6 digits) lies inside the deployment's region;
 * - 协作部门 a partner: its region and the deployment's overlap;
 * - 学校 a school: its 学校标识码 does not say where it is, so the deployment's own identity provider is
 *   trusted to issue school accounts only for its schools, and every read is then limited to the school.
 */
export function deploymentServes(deploymentRegion: string, caller: Caller): AuthzDecision {
  const bad = invalidCaller(caller);
  if (bad) return bad;
  const overlaps = (region: string) =>
    regionCovers(region, deploymentRegion) || regionCovers(deploymentRegion, region);
  let served: boolean;
  switch (caller.role) {
    case 'school':
      served = regionCodeSchema.safeParse(deploymentRegion).success;
      break;
    case 'township':
      served = regionCovers(deploymentRegion, caller.org.slice(0, 6));
      break;
    case 'county':
      served = overlaps(caller.org);
      break;
    case 'ops':
      served = regionCodeSchema.safeParse(deploymentRegion).success && caller.org === deploymentRegion;
      break;
    case 'partner': {
      const partner = parsePartnerOrg(caller.org);
      served = partner !== undefined && overlaps(partner.region);
      break;
    }
  }
  if (served) return ALLOWED;
  return deny(
    'OUTSIDE_DEPLOYMENT',
    `本系统部署服务于地区 ${deploymentRegion}，当前账号所属单位（${caller.org}）不在其中；请使用本单位所在地区的系统。`,
    `This deployment serves region ${deploymentRegion}; your organisation (${caller.org}) is not in it. Use the deployment of your own region.`,
  );
}

/**
 * 覆盖本地区 — whether `caller` may see the region-wide records of `region` (a comparison run, a subsidy
 * run, a statistics table of the whole county): a bureau or operator whose jurisdiction covers it.
 * Schools and townships see only their part of such records, which the handler selects.
 */
export function coversRegion(caller: Caller, region: string): boolean {
  if (!orgMatchesRole(caller.role, caller.org)) return false;
  return (caller.role === 'county' || caller.role === 'ops') && regionCovers(caller.org, region);
}

/** Whether a subscription's region prefix covers the county `region`. */
export function prefixCovers(regionPrefix: string, region: string): boolean {
  if (!regionPrefixSchema.safeParse(regionPrefix).success) return false;
  if (!regionCodeSchema.safeParse(region).success) return false;
  return region.startsWith(significantPrefix(regionPrefix));
}

export interface CanAccessOptions {
  /** The partner's subscriptions (only consulted for partner callers). */
  subscriptions?: readonly PartnerGrant[];
  /** The event type through which a partner would receive the record. */
  eventType?: string;
}

/**
 * 查阅权限 — whether `caller` may read a record that belongs to `scope`.
 * - 学校 a school: only its own records (scope.school is its 学校标识码).
 * - 乡镇 a township: the records of its township, including its schools.
 * - 教育局 a county bureau: everything in its county; a city ('530100') or province ('530000') bureau
 *   everything in the counties under it. 运维 ops: the same, for the region of its deployment.
 * - 协作部门 a partner: never directly — only what it subscribed to: an active grant of its own that lists
 *   `opts.eventType` and whose region covers the record, and only inside the partner's own region.
 */
export function canAccess(caller: Caller, scope: ResourceScope, opts: CanAccessOptions = {}): AuthzDecision {
  const bad = invalidCaller(caller);
  if (bad) return bad;
  if (!resourceScopeSchema.safeParse(scope).success) {
    return deny(
      'INVALID_SCOPE',
      '记录的所属范围不完整或不一致（地区、乡镇、学校代码），无法判断权限，请联系运维。',
      'The record has an incomplete or inconsistent scope (region, township, school codes); access cannot be decided. Contact operations.',
    );
  }

  switch (caller.role) {
    case 'school':
      if (scope.school === caller.org) return ALLOWED;
      return deny(
        'OUT_OF_SCOPE',
        `该记录不属于本校（${caller.org}），学校只能查看本校学生的记录。`,
        `This record does not belong to your school (${caller.org}); a school sees only its own students.`,
      );
    case 'township':
      if (scope.township === caller.org) return ALLOWED;
      return deny(
        'OUT_OF_SCOPE',
        `该记录不属于本乡镇（${caller.org}），乡镇只能查看本乡镇及其学校的记录。`,
        `This record does not belong to your township (${caller.org}); a township sees only its own township and schools.`,
      );
    case 'county':
    case 'ops':
      if (regionCovers(caller.org, scope.region)) return ALLOWED;
      return deny(
        'OUT_OF_SCOPE',
        `该记录所在地区（${scope.region}）不在本单位辖区（${caller.org}）内。`,
        `This record is in region ${scope.region}, outside your jurisdiction (${caller.org}).`,
      );
    case 'partner':
      return partnerAccess(caller, scope.region, opts);
  }
}

function partnerAccess(caller: Caller, region: string, opts: CanAccessOptions): AuthzDecision {
  const { eventType, subscriptions = [] } = opts;
  if (eventType === undefined) {
    return deny(
      'PARTNER_NO_DIRECT_ACCESS',
      '协作部门不能直接查阅学生记录，只能通过订阅接收相关事件；如需数据，请向教育局申请订阅。',
      'A partner department cannot read student records directly, only receive the events it subscribed to; ask the education bureau for a subscription.',
    );
  }
  const partner = parsePartnerOrg(caller.org);
  // A department of one county's government never sees another county's children, whatever a grant says.
  if (partner === undefined || !regionCovers(partner.region, region)) {
    return deny(
      'OUT_OF_SCOPE',
      `该记录所在地区（${region}）不在本部门辖区（${caller.org}）内。`,
      `This record is in region ${region}, outside your department's jurisdiction (${caller.org}).`,
    );
  }
  const matching = subscriptions.filter(
    (g) =>
      g.partnerOrg === caller.org && g.eventTypes.includes(eventType) && prefixCovers(g.regionPrefix, region),
  );
  if (matching.some((g) => g.active)) return ALLOWED;
  if (matching.length > 0) {
    return deny(
      'SUBSCRIPTION_INACTIVE',
      `本部门对“${eventType}”事件的订阅已停用，请联系教育局重新启用。`,
      `Your department's subscription to "${eventType}" events is inactive; ask the education bureau to re-enable it.`,
    );
  }
  return deny(
    'NOT_SUBSCRIBED',
    `本部门未订阅地区 ${region} 的“${eventType}”事件，请向教育局申请订阅。`,
    `Your department has not subscribed to "${eventType}" events for region ${region}; ask the education bureau for a subscription.`,
  );
}

/** How a repository must restrict a query so that `caller` sees only its own records. */
export type ScopeFilter =
  | { kind: 'school'; school: string }
  | { kind: 'township'; township: string }
  /** Records whose 6-digit region code starts with `prefix` ('53', '5301', '530124'). */
  | { kind: 'region'; prefix: string }
  /** No records at all (partners receive events, they do not query). */
  | { kind: 'none' };

/** 查询范围 — the query restriction matching {@link canAccess} for direct reads. */
export function scopeFilterFor(caller: Caller): ScopeFilter {
  if (!orgMatchesRole(caller.role, caller.org)) return { kind: 'none' };
  switch (caller.role) {
    case 'school':
      return { kind: 'school', school: caller.org };
    case 'township':
      return { kind: 'township', township: caller.org };
    case 'county':
    case 'ops':
      return { kind: 'region', prefix: significantPrefix(caller.org) };
    case 'partner':
      return { kind: 'none' };
  }
}

type Uploader =
  | { role: 'school' | 'township' | 'county' }
  | { role: 'partner'; department: PartnerDepartment };

/**
 * 名单上传权限矩阵 — who supplies which roster (docs/domain.md §1.3). Ops runs the platform and supplies no
 * children's data, so it appears nowhere.
 */
export const ROSTER_UPLOADERS = {
  household: [{ role: 'township' }, { role: 'county' }, { role: 'partner', department: 'public-security' }],
  enrollment: [{ role: 'school' }, { role: 'county' }],
  headcount: [{ role: 'school' }],
  attendance: [{ role: 'school' }],
  poverty: [{ role: 'partner', department: 'rural-revitalization' }, { role: 'county' }],
  assistance: [{ role: 'partner', department: 'civil-affairs' }, { role: 'county' }],
  disability: [{ role: 'partner', department: 'disabled-persons-federation' }, { role: 'county' }],
  deferral: [{ role: 'school' }, { role: 'township' }, { role: 'county' }],
} as const satisfies Record<RosterKind, readonly Uploader[]>;

function uploaderNames(kind: RosterKind): { zh: string; en: string } {
  const uploaders: readonly Uploader[] = ROSTER_UPLOADERS[kind];
  return {
    zh: uploaders
      .map((u) =>
        u.role === 'partner' ? `${PARTNER_DEPARTMENT_NAMES_ZH[u.department]}部门` : ROLE_NAMES_ZH[u.role],
      )
      .join('、'),
    en: uploaders
      .map((u) => (u.role === 'partner' ? `the ${u.department} department` : `a ${u.role}`))
      .join(', '),
  };
}

function callerNameZh(caller: Caller): string {
  const department = caller.role === 'partner' ? parsePartnerOrg(caller.org)?.department : undefined;
  return department ? `${PARTNER_DEPARTMENT_NAMES_ZH[department]}部门` : ROLE_NAMES_ZH[caller.role];
}

function mayUploadKind(caller: Caller, kind: RosterKind): boolean {
  const uploaders: readonly Uploader[] = ROSTER_UPLOADERS[kind];
  const department = caller.role === 'partner' ? parsePartnerOrg(caller.org)?.department : undefined;
  return uploaders.some((u) =>
    u.role === 'partner' ? caller.role === 'partner' && u.department === department : u.role === caller.role,
  );
}

/** Whether `targetOrg` is inside the region `regionOrg` covers: a covered county code or a township of one. */
function regionCoversOrg(regionOrg: string, targetOrg: string): boolean {
  if (regionCodeSchema.safeParse(targetOrg).success) return regionCovers(regionOrg, targetOrg);
  if (townshipCodeSchema.safeParse(targetOrg).success) return regionCovers(regionOrg, targetOrg.slice(0, 6));
  return false;
}

/**
 * 上传权限 — whether `caller` may upload a roster of `kind` for the organisation `targetOrg`.
 * The kind must be one the caller's role (or department) supplies ({@link ROSTER_UPLOADERS}), and the
 * target must be inside the caller's own scope: a school or township uploads only for itself; a county
 * bureau or a partner department for its own region or a county or township it covers. A school code is
 * never a valid target for a bureau or department, since school codes do not say where a school is: the
 * school uploads its own roster, or the bureau uploads for the county.
 */
export function canUpload(caller: Caller, kind: RosterKind, targetOrg: string): AuthzDecision {
  const bad = invalidCaller(caller);
  if (bad) return bad;
  const kindZh = ROSTER_KIND_NAMES_ZH[kind];
  const who = uploaderNames(kind);

  if (caller.role === 'ops') {
    return deny(
      'ROLE_NOT_ALLOWED',
      `平台运维不提供学生数据，不能上传名单；${kindZh}名单由${who.zh}上传。`,
      `Operations runs the platform and supplies no children's data, so it cannot upload rosters; ${kind} rosters are uploaded by ${who.en}.`,
    );
  }
  if (!mayUploadKind(caller, kind)) {
    return deny(
      'UPLOAD_KIND_NOT_ALLOWED',
      `${callerNameZh(caller)}不能上传${kindZh}名单。${kindZh}名单由${who.zh}上传；如需补充数据，请联系相应单位。`,
      `Your organisation cannot upload ${kind} rosters; they are uploaded by ${who.en}. Ask them to supply the data.`,
    );
  }

  const targetIsValid =
    schoolCodeSchema.safeParse(targetOrg).success ||
    townshipCodeSchema.safeParse(targetOrg).success ||
    regionCodeSchema.safeParse(targetOrg).success ||
    partnerOrgSchema.safeParse(targetOrg).success;
  if (!targetIsValid) {
    return deny(
      'INVALID_UPLOAD_TARGET',
      `上传对象“${targetOrg}”不是有效的机构代码（10 位学校标识码、9 位乡镇代码或 6 位行政区划代码）。`,
      `Upload target "${targetOrg}" is not a valid organisation code (10-digit school, 9-digit township or 6-digit region code).`,
    );
  }

  switch (caller.role) {
    case 'school':
    case 'township':
      if (targetOrg === caller.org) return ALLOWED;
      return deny(
        'UPLOAD_TARGET_OUT_OF_SCOPE',
        `${ROLE_NAMES_ZH[caller.role]}只能上传本单位（${caller.org}）的名单，不能为“${targetOrg}”上传；请由该单位自行上传。`,
        `A ${caller.role} uploads only for itself (${caller.org}), not for "${targetOrg}"; that organisation must upload its own roster.`,
      );
    case 'county':
      if (regionCoversOrg(caller.org, targetOrg)) return ALLOWED;
      return deny(
        'UPLOAD_TARGET_OUT_OF_SCOPE',
        `上传对象“${targetOrg}”不在本单位辖区（${caller.org}）内。请选择本辖区的县或乡镇代码；学校名单由学校上传，或按县上传。`,
        `Upload target "${targetOrg}" is outside your jurisdiction (${caller.org}). Choose a county or township you cover; a school uploads its own roster, or upload for the whole county.`,
      );
    case 'partner': {
      const partner = parsePartnerOrg(caller.org);
      if (partner !== undefined && (targetOrg === caller.org || regionCoversOrg(partner.region, targetOrg))) {
        return ALLOWED;
      }
      return deny(
        'UPLOAD_TARGET_OUT_OF_SCOPE',
        `上传对象“${targetOrg}”不在本部门辖区（${partner?.region ?? caller.org}）内，请选择本辖区的县或乡镇代码。`,
        `Upload target "${targetOrg}" is outside your department's region (${partner?.region ?? caller.org}); choose a county or township you cover.`,
      );
    }
  }
}

/**
 * 身份证号可见性 — whether `caller` sees the full ID numbers of the children it may access. Schools,
 * townships and bureaus work cases and need the full number; ops and partners see it masked
 * (e.g. 5301**********123X). Which fields a partner receives at all is the notifications service's allow-list.
 */
export function idVisibility(caller: Caller): 'full' | 'masked' {
  if (!orgMatchesRole(caller.role, caller.org)) return 'masked';
  switch (caller.role) {
    case 'school':
    case 'township':
    case 'county':
      return 'full';
    case 'partner':
    case 'ops':
      return 'masked';
  }
}

/** 角色校验 — whether `caller` has one of `roles`; a denial maps to HTTP 403. */
export function requireRole(caller: Caller, roles: readonly Role[]): AuthzDecision {
  const bad = invalidCaller(caller);
  if (bad) return bad;
  if (roles.includes(caller.role)) return ALLOWED;
  return deny(
    'ROLE_NOT_ALLOWED',
    `此操作仅限${roles.map((r) => ROLE_NAMES_ZH[r]).join('、') || '（无）'}使用，当前账号的角色是${ROLE_NAMES_ZH[caller.role]}。`,
    `This action is only for ${roles.join(', ') || '(nobody)'}; your account's role is ${caller.role}.`,
  );
}
