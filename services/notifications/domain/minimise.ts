/**
 * 最小必要 — what a partner department receives of an event: only the fields its work needs (docs/domain.md
 * §7.4; 个人信息保护法: collect and share the minimum). The catalogue already keeps raw ID numbers and names out
 * of every event; this allow-list is the second lock: a field added to an event later reaches no partner
 * until someone lists it here, on purpose, for a department.
 *
 * Three rules, each enforced here and documented in `services/notifications/README.md`:
 * - {@link PARTNER_FIELDS}: per department and detail-type, the detail fields it may receive. A type a
 *   department has no entry for is never delivered to it (it cannot even subscribe).
 * - Sensitive values ({@link valueVisibleTo}): a child's cause is shown only to the departments the cause
 *   is referred to (`referral.ts`), so disability and illness reach only 残联/卫健; an overdue 送教上门 visit
 *   (which only severe disability explains, docs/domain.md §4.5) likewise. Other departments get the event
 *   without that field.
 * - {@link REQUIRED_NARROWING}: the events that would otherwise tell a department about every child in
 *   its region must be narrowed by a filter — a cause referred to it, or (for the departments that
 *   supply the priority rosters) the priority flag.
 */
import { z } from 'zod';
import { eventIdSchema, occurredAtSchema } from '../../../shared/events/envelope';
import { type DetailType, detailTypes, isDetailType } from '../../../shared/events/publishable';
import type { CauseCategory } from '../../../shared/events/vocab';
import {
  PARTNER_DEPARTMENT_NAMES_ZH,
  type PartnerDepartment,
  parsePartnerOrg,
  partnerDepartmentSchema,
  partnerOrgSchema,
} from '../../../shared/org';
import { causesReferredTo } from './referral';
import type { Subscription } from './subscription';

/**
 * 契约版本 — the version of the delivery envelope and of the field allow-list. Within a version changes
 * are additive only (a field may be added to a department's list, never renamed or removed), as for
 * the event schemas in `docs/events`.
 */
export const CONTRACT_VERSION = 1;

/** The fields every delivered event keeps: they identify and date the fact, and carry no personal data. */
export const ENVELOPE_FIELDS = ['schemaVersion', 'eventId', 'occurredAt', 'region'] as const;

/** A field path inside an event detail: 'township', 'child.maskedId', 'totals.amountFen' (each element). */
export type FieldPath = string;

export type DepartmentFields = { readonly [T in DetailType]?: readonly FieldPath[] };

// The join key of the child (a keyed pseudonym, docs/domain.md §7.1) and of the case. Follow-up events carry only
// these: a department that was told about the child (with its masked ID) can match them, the others
// learn nothing they could use to find a child.
const CASE_REF = ['caseId', 'child.childKey'] as const;
// The masked ID (5301**********123X) lets a department's officer recognise the child in its own records.
// It goes only with the event that brings a child to the department's attention.
const MASKED_ID = 'child.maskedId';
const CLOSED = [...CASE_REF, 'closedAs'] as const;
const SUBSIDY_TOTALS = [
  'runId',
  'semester',
  'policyVersion',
  'totals.benefit',
  'totals.count',
  'totals.amountFen',
] as const;

/**
 * 字段白名单 — per department and detail-type, the detail fields (besides {@link ENVELOPE_FIELDS}) the
 * department may receive. A path to an object is not enough: objects are listed field by field, so a
 * field added inside `child` later is not passed on by accident.
 *
 * Nobody receives roster.accepted / roster.rejected / attendance.missing: they are about schools' and
 * townships' uploads, and an uploading department reads its own upload's result from the upload API.
 */
export const PARTNER_FIELDS = {
  // 公安: 户籍 problems and early marriage (docs/domain.md §4.8); the 户籍 side of 户籍 vs 学籍 (§2.1).
  'public-security': {
    'comparison.completed': [
      'comparisonId',
      'asOf',
      'counts.NOT_ENROLLED',
      'counts.PRESENT_UNENROLLED',
      'counts.IDENTITY_MISMATCH',
      'counts.DUPLICATE_ENROLLMENT',
    ],
    'case.opened': [...CASE_REF, MASKED_ID, 'township', 'source', 'causeCategory'],
    'case.closed': CLOSED,
    'student.returned': [...CASE_REF, 'returnedOn'],
  },
  // 民政: 留守, 低保, 孤儿 (docs/domain.md §4.8); supplies the assistance roster, so hears of priority children early.
  'civil-affairs': {
    'dropout.suspected': ['child.childKey', MASKED_ID, 'township', 'school', 'source', 'priority', 'asOf'],
    'dropout.resolved': ['child.childKey', 'comparisonId', 'previousOutcome', 'outcome'],
    'case.opened': [...CASE_REF, MASKED_ID, 'township', 'school', 'source', 'priority', 'causeCategory'],
    'case.closed': CLOSED,
    'student.returned': [...CASE_REF, 'school', 'returnedOn'],
  },
  // 乡村振兴: 脱贫户 and 三类监测 children are a priority group (docs/domain.md §2.4, §5.2); 教育帮扶 needs the aid paid.
  'rural-revitalization': {
    'dropout.suspected': ['child.childKey', MASKED_ID, 'township', 'school', 'source', 'priority', 'asOf'],
    'dropout.resolved': ['child.childKey', 'comparisonId', 'previousOutcome', 'outcome'],
    'case.opened': [...CASE_REF, MASKED_ID, 'township', 'school', 'source', 'priority', 'causeCategory'],
    'case.closed': CLOSED,
    'student.returned': [...CASE_REF, 'school', 'returnedOn'],
    'subsidy.determined': SUBSIDY_TOTALS,
    // No `benefit`: a region's benefit codes can name a disability benefit (TRANSPORT in the Yunnan example).
    'subsidy.held': ['runId', 'child.childKey', MASKED_ID, 'reason'],
  },
  // 残联: disability, 送教上门 (docs/domain.md §4.5) — the one department that sees disability details, with 卫健.
  'disabled-persons-federation': {
    'case.opened': [...CASE_REF, MASKED_ID, 'township', 'school', 'source', 'priority', 'causeCategory'],
    'case.state-changed': [...CASE_REF, 'from', 'to', 'version', 'causeCategory'],
    'case.overdue': [...CASE_REF, 'item', 'dueOn', 'escalationLevel'],
    'case.closed': CLOSED,
    'student.returned': [...CASE_REF, 'school', 'returnedOn'],
    'subsidy.held': ['runId', 'child.childKey', MASKED_ID, 'benefit', 'reason'],
  },
  // 卫健: illness and disability (docs/domain.md §4.8).
  health: {
    'case.opened': [...CASE_REF, MASKED_ID, 'township', 'school', 'source', 'causeCategory'],
    'case.closed': CLOSED,
    'student.returned': [...CASE_REF, 'school', 'returnedOn'],
  },
  // 人社: child labour; the four steps apply to employers too (docs/domain.md §4.4), so it follows the steps.
  'human-resources': {
    'case.opened': [...CASE_REF, MASKED_ID, 'township', 'source', 'causeCategory'],
    'case.state-changed': [...CASE_REF, 'from', 'to', 'version', 'causeCategory'],
    'case.closed': CLOSED,
    'student.returned': [...CASE_REF, 'returnedOn'],
  },
  // 市场监管: businesses that employ children (docs/domain.md §4.8).
  'market-regulation': {
    'case.opened': [...CASE_REF, MASKED_ID, 'township', 'causeCategory'],
    'case.closed': CLOSED,
  },
  // 司法: 依法控辍四步法 (docs/domain.md §4.4): the steps and their deadlines, not who the child is.
  justice: {
    'case.state-changed': [...CASE_REF, 'from', 'to', 'version', 'causeCategory'],
    'case.overdue': [...CASE_REF, 'item', 'dueOn', 'escalationLevel'],
    'case.closed': CLOSED,
  },
  // 统战部: 入寺入教 (docs/domain.md §4.8).
  'united-front': {
    'case.opened': [...CASE_REF, MASKED_ID, 'township', 'causeCategory'],
    'case.closed': CLOSED,
    'student.returned': [...CASE_REF, 'returnedOn'],
  },
  // 共青团 / 妇联: care (docs/domain.md §4.8), including after the child is back (巩固, §4.6).
  'youth-league': {
    'case.opened': [...CASE_REF, MASKED_ID, 'township', 'school', 'causeCategory'],
    'case.closed': CLOSED,
    'student.returned': [...CASE_REF, 'school', 'returnedOn'],
  },
  'womens-federation': {
    'case.opened': [...CASE_REF, MASKED_ID, 'township', 'school', 'causeCategory'],
    'case.closed': CLOSED,
    'student.returned': [...CASE_REF, 'school', 'returnedOn'],
  },
  // 财政: pays 两免一补 (docs/domain.md §5) — totals only, never a child.
  finance: {
    'subsidy.determined': SUBSIDY_TOTALS,
  },
} as const satisfies Record<PartnerDepartment, DepartmentFields>;

/** A subscription filter that narrows an event stream: a cause referred to the department, or priority. */
export type Narrowing = 'cause' | 'priority';

/**
 * 须缩小范围 — the (department, type) pairs that name a child the department may have no business with
 * unless a filter narrows them: a subscription to them must set one of the listed filters
 * (`causeCategories` for 'cause', `priorityOnly` for 'priority'). Without it, 公安 would hear of every
 * case opened in the county, whatever its cause.
 */
export const REQUIRED_NARROWING = {
  'public-security': { 'case.opened': ['cause'] },
  'civil-affairs': { 'dropout.suspected': ['priority'], 'case.opened': ['cause', 'priority'] },
  'rural-revitalization': { 'dropout.suspected': ['priority'], 'case.opened': ['cause', 'priority'] },
  'disabled-persons-federation': { 'case.opened': ['cause'] },
  health: { 'case.opened': ['cause'] },
  'human-resources': { 'case.opened': ['cause'] },
  'market-regulation': { 'case.opened': ['cause'] },
  justice: {},
  'united-front': { 'case.opened': ['cause'] },
  'youth-league': { 'case.opened': ['cause'] },
  'womens-federation': { 'case.opened': ['cause'] },
  finance: {},
} as const satisfies Record<PartnerDepartment, { readonly [T in DetailType]?: readonly Narrowing[] }>;

/** Values of an event field that only some departments may learn; the others get the event without it. */
export interface RestrictedValues {
  path: FieldPath;
  values: readonly string[];
  visibleTo: readonly PartnerDepartment[];
  why: string;
}

/**
 * 敏感取值 — beyond the cause (see {@link valueVisibleTo}): a 送教上门 visit is owed only to a child too
 * disabled to come to school (docs/domain.md §4.5), so an overdue HOME_TEACHING_VISIT is a disability detail.
 */
export const RESTRICTED_VALUES: readonly RestrictedValues[] = [
  {
    path: 'item',
    values: ['HOME_TEACHING_VISIT'],
    visibleTo: ['disabled-persons-federation', 'health'],
    why: '送教上门 is for severe disability (docs/domain.md §4.5): a disability detail',
  },
];

/** The detail fields `department` may receive of `detailType` (envelope included); undefined = none. */
export function allowedFields(
  department: PartnerDepartment,
  detailType: string,
): readonly FieldPath[] | undefined {
  if (!isDetailType(detailType)) return undefined;
  const fields: DepartmentFields = PARTNER_FIELDS[department];
  const listed = fields[detailType];
  return listed === undefined ? undefined : [...ENVELOPE_FIELDS, ...listed];
}

/** The detail-types `department` may receive at all (and so subscribe to), in catalogue order. */
export function receivableTypes(department: PartnerDepartment): DetailType[] {
  return detailTypes.filter((t) => allowedFields(department, t) !== undefined);
}

/** The filters one of which a subscription of `department` to `detailType` must set (empty: none). */
export function requiredNarrowing(
  department: PartnerDepartment,
  detailType: DetailType,
): readonly Narrowing[] {
  const required: { readonly [T in DetailType]?: readonly Narrowing[] } = REQUIRED_NARROWING[department];
  return required[detailType] ?? [];
}

/**
 * Whether `department` may learn that the field at `path` has `value`. A cause only if it is referred
 * to the department (`referral.ts`): 公安 learns HOUSEHOLD_REGISTRATION, never DISABILITY.
 */
export function valueVisibleTo(department: PartnerDepartment, path: FieldPath, value: unknown): boolean {
  if (path === 'causeCategory') return causesReferredTo(department).includes(value as CauseCategory);
  return RESTRICTED_VALUES.every(
    (rule) =>
      rule.path !== path || !rule.values.includes(value as string) || rule.visibleTo.includes(department),
  );
}

type FieldTree = { [key: string]: FieldTree | true };

function fieldTree(paths: readonly FieldPath[]): FieldTree {
  const root: FieldTree = {};
  for (const path of paths) {
    const keys = path.split('.');
    let node = root;
    keys.forEach((key, i) => {
      if (i === keys.length - 1) {
        node[key] = true;
      } else {
        const next = node[key];
        const child: FieldTree = typeof next === 'object' ? next : {};
        node[key] = child;
        node = child;
      }
    });
  }
  return root;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

function project(
  value: Record<string, unknown>,
  tree: FieldTree,
  department: PartnerDepartment,
  prefix: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(tree)) {
    if (!Object.hasOwn(value, key)) continue;
    const v = value[key];
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (sub === true) {
      // A listed leaf passes only scalars (or lists of them): an object there is a shape the list did
      // not foresee, and is withheld rather than passed on whole.
      const scalar = isScalar(v) || (Array.isArray(v) && v.every(isScalar));
      if (scalar && valueVisibleTo(department, path, v)) out[key] = v;
    } else if (Array.isArray(v)) {
      out[key] = v.filter(isRecord).map((element) => project(element, sub, department, path));
    } else if (isRecord(v)) {
      out[key] = project(v, sub, department, path);
    }
  }
  return out;
}

/**
 * 按部门裁剪 — the part of an event detail `department` may receive: the allow-listed fields, without
 * values it may not learn. `undefined` means the department receives nothing of this type.
 */
export function minimiseFor(
  department: PartnerDepartment,
  detailType: string,
  detail: unknown,
): Record<string, unknown> | undefined {
  const fields = allowedFields(department, detailType);
  if (fields === undefined || !isRecord(detail)) return undefined;
  return project(detail, fieldTree(fields), department, '');
}

/**
 * 投递信封 — what a partner's endpoint or queue receives for one event. `eventId` is the idempotency key
 * (the event's own `eventId`, the same on every redelivery and replay): a partner stores it and drops a
 * repeat. `data` is the minimised detail. Receivers should accept unknown extra fields (additive changes
 * within a contract version).
 */
export const deliveryEnvelopeSchema = z.looseObject({
  contractVersion: z.number().int().min(1),
  eventId: eventIdSchema,
  detailType: z.string().min(1),
  occurredAt: occurredAtSchema,
  subscriptionId: z.string().min(1),
  partnerOrg: partnerOrgSchema,
  data: z.record(z.string(), z.unknown()),
});

export interface DeliveryEnvelope {
  contractVersion: typeof CONTRACT_VERSION;
  eventId: string;
  detailType: DetailType;
  occurredAt: string;
  subscriptionId: string;
  partnerOrg: string;
  data: Record<string, unknown>;
}

/**
 * The envelope to deliver `detail` to subscription `sub`; undefined when the subscription's department
 * may not receive this type (a subscription the allow-list no longer permits: skip, do not retry).
 */
export function deliveryEnvelope(
  sub: Pick<Subscription, 'id' | 'partnerOrg'>,
  detailType: string,
  detail: unknown,
): DeliveryEnvelope | undefined {
  const partner = parsePartnerOrg(sub.partnerOrg);
  if (partner === undefined || !isDetailType(detailType)) return undefined;
  const data = minimiseFor(partner.department, detailType, detail);
  if (data === undefined || !isRecord(detail)) return undefined;
  const eventId = detail.eventId;
  const occurredAt = detail.occurredAt;
  if (typeof eventId !== 'string' || typeof occurredAt !== 'string') return undefined;
  return {
    contractVersion: CONTRACT_VERSION,
    eventId,
    detailType,
    occurredAt,
    subscriptionId: sub.id,
    partnerOrg: sub.partnerOrg,
    data,
  };
}

/**
 * The allow-list as the Markdown table in `services/notifications/README.md` (a test keeps the two the
 * same): one row per department and event type.
 */
export function partnerFieldsMarkdown(): string {
  const rows = [
    '| 部门 Department | 事件 Event | 字段 Fields (besides the envelope) | 须筛选 Must filter by |',
    '| --- | --- | --- | --- |',
  ];
  for (const department of partnerDepartmentSchema.options) {
    for (const type of receivableTypes(department)) {
      const fields: DepartmentFields = PARTNER_FIELDS[department];
      const narrowing = requiredNarrowing(department, type).map((n) =>
        n === 'cause' ? '`causeCategories`' : '`priorityOnly`',
      );
      rows.push(
        `| ${PARTNER_DEPARTMENT_NAMES_ZH[department]} \`${department}\` | \`${type}\` | ${(fields[type] ?? []).map((f) => `\`${f}\``).join(', ')} | ${narrowing.join(' or ') || '—'} |`,
      );
    }
  }
  return rows.join('\n');
}
