/**
 * 协作部门订阅 — a partner department's subscription to events: which event types, narrowed by region,
 * cause and priority, delivered to an HTTPS endpoint or an SQS queue.
 * Each subscription becomes one EventBridge rule whose pattern is {@link eventPatternFor}; the delivery
 * path checks {@link matchesSubscription}, which means the same thing, and then sends only what
 * `minimise.ts` allows.
 *
 * What a subscription may ask for is limited by the department's allow-list (`minimise.ts`): a type it
 * may not receive, a filter on a field it may not see, or an unnarrowed stream of children it has no
 * business with is refused at creation, with a message saying what it can do instead.
 *
 * Messages are written "English / 中文" in one string, as the API's validation errors quote them.
 */
import { z } from 'zod';
import { regionPrefixSchema } from '../../../shared/authz';
import { eventCatalogue } from '../../../shared/events/catalogue';
import { type DetailType, detailTypes } from '../../../shared/events/publishable';
import { type CauseCategory, causeCategorySchema } from '../../../shared/events/vocab';
import {
  PARTNER_DEPARTMENT_NAMES_ZH,
  type PartnerDepartment,
  parsePartnerOrg,
  partnerOrgSchema,
  regionCodeSchema,
  significantPrefix,
} from '../../../shared/org';
import { allowedFields, receivableTypes, requiredNarrowing } from './minimise';
import { causesReferredTo } from './referral';

// ── targets ──────────────────────────────────────────────────────────────────────────────────────────

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

// IPv4 ranges a delivery from inside AWS must never be pointed at: loopback, private networks,
// carrier-grade NAT, link-local (169.254.169.254 is the instance metadata service) and "this network".
const PRIVATE_IPV4 = [
  /^0\./,
  /^10\./,
  /^100\.(?:6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
  /^127\./,
  /^169\.254\./,
  /^172\.(?:1[6-9]|2\d|3[01])\./,
  /^192\.168\./,
];

function isPrivateAddress(hostname: string): boolean {
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(hostname)) return PRIVATE_IPV4.some((range) => range.test(hostname));
  if (!hostname.startsWith('[')) return hostname === 'localhost' || hostname.endsWith('.localhost');
  const v6 = hostname.slice(1, -1).toLowerCase();
  // Loopback, unspecified, unique-local fc00::/7, link-local fe80::/10, and IPv4-mapped addresses.
  return v6 === '::1' || v6 === '::' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6) || v6.startsWith('::ffff:');
}

function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected an absolute URL such as https://partner.example.cn/kcbx/events / 应为完整网址，如 https://partner.example.cn/kcbx/events';
  }
  if (url.username !== '' || url.password !== '') {
    return 'the URL must not contain a user name or password: the signature (x-kcbx-signature) authenticates each delivery / 网址中不能包含用户名或密码，投递以签名（x-kcbx-signature）认证';
  }
  if (url.protocol === 'https:') {
    if (isPrivateAddress(url.hostname)) {
      return `https://${url.hostname} is a private or loopback address, which deliveries from the platform must not reach; use the endpoint's public name / ${url.hostname} 是内网或本机地址，平台投递不能指向此类地址，请使用对外公开的域名`;
    }
    return undefined;
  }
  if (url.protocol === 'http:') {
    if (LOOPBACK_HOSTS.includes(url.hostname)) return undefined;
    return 'plain http:// is only for local development on 127.0.0.1 or localhost; a partner endpoint must use https:// / http:// 仅用于本机开发（127.0.0.1 或 localhost），协作部门的接收地址必须使用 https://';
  }
  return `the URL must start with https:// (got ${url.protocol}) / 网址须以 https:// 开头（实为 ${url.protocol}）`;
}

const targetUrlSchema = z
  .string({ error: 'expected the endpoint URL as text / 应为接收地址（文字）' })
  .max(2048, { error: 'at most 2048 characters / 网址不超过 2048 个字符' })
  .superRefine((value, ctx) => {
    const problem = urlProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

// arn:<partition>:sqs:<region>:<12-digit account>:<queue name>; a FIFO queue's name ends in .fifo, and the
// whole name (with .fifo) is at most 80 characters (SQS CreateQueue).
const QUEUE_ARN = /^arn:(aws|aws-cn):sqs:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([A-Za-z0-9_-]+(?:\.fifo)?)$/;

/** The parts of an SQS queue ARN; undefined when it is not one (or its partition and region disagree). */
export function parseQueueArn(
  arn: string,
): { partition: 'aws' | 'aws-cn'; region: string; account: string; name: string; fifo: boolean } | undefined {
  const m = QUEUE_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, region, account, name] = m as unknown as [
    string,
    'aws' | 'aws-cn',
    string,
    string,
    string,
  ];
  if (name.length > 80) return undefined;
  // China regions live in the aws-cn partition, and only they (docs/architecture.md: never hard-code arn:aws).
  if ((partition === 'aws-cn') !== region.startsWith('cn-')) return undefined;
  return { partition, region, account, name, fifo: name.endsWith('.fifo') };
}

const queueArnSchema = z
  .string({ error: 'expected the queue ARN as text / 应为队列 ARN（文字）' })
  .refine((arn) => parseQueueArn(arn) !== undefined, {
    error:
      'expected an SQS queue ARN arn:aws-cn:sqs:<region>:<12-digit account>:<queue name>, e.g. arn:aws-cn:sqs:cn-northwest-1:123456789012:kcbx-events (arn:aws for regions outside China) / 应为 SQS 队列 ARN，如 arn:aws-cn:sqs:cn-northwest-1:123456789012:kcbx-events（中国以外区域为 arn:aws）',
  });

/**
 * 投递目标 — where a subscription's events go: an HTTPS endpoint (each request signed, `signing.ts`) or
 * an SQS queue in the partner's own account (its resource policy must let the bus send to it).
 * http://127.0.0.1 and http://localhost are accepted for local development (`npx kcbx receive`) only;
 * the AWS side should refuse them outside the local deployment ({@link isLocalDevelopmentTarget}).
 */
export const subscriptionTargetSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('https'), url: targetUrlSchema }),
    z.strictObject({ kind: z.literal('sqs'), queueArn: queueArnSchema }),
  ],
  { error: 'target.kind must be "https" or "sqs" / 投递方式 target.kind 应为 "https" 或 "sqs"' },
);
export type SubscriptionTarget = z.infer<typeof subscriptionTargetSchema>;

/** Whether a target is a plain-http loopback URL, acceptable only on a developer's machine. */
export function isLocalDevelopmentTarget(target: SubscriptionTarget): boolean {
  return target.kind === 'https' && target.url.startsWith('http:');
}

// ── the subscription ─────────────────────────────────────────────────────────────────────────────────

const eventTypeSchema = z.enum(detailTypes as [DetailType, ...DetailType[]], {
  error: `an event type of the catalogue (docs/events/index.json): ${detailTypes.join(', ')} / 应为事件目录中的事件类型：${detailTypes.join('、')}`,
});

// The shared schemas carry English messages; these delegate to them and say it in both languages.
const partnerOrgInputSchema = z
  .string({
    error:
      'expected a partner org such as 530124:public-security / 应为协作部门代码，如 530124:public-security',
  })
  .refine((org) => partnerOrgSchema.safeParse(org).success, {
    error: `a partner org "<6-digit region>:<department>", e.g. 530124:public-security; departments: ${partnerOrgDepartments()} / 协作部门代码应为“6 位行政区划代码:部门”，如 530124:public-security`,
  });

function partnerOrgDepartments(): string {
  return Object.entries(PARTNER_DEPARTMENT_NAMES_ZH)
    .map(([code, zh]) => `${code} (${zh})`)
    .join(', ');
}

const regionPrefixInputSchema = z
  .string({ error: 'expected a region prefix as text, e.g. 530124 / 应为区划前缀（文字），如 530124' })
  .refine((prefix) => regionPrefixSchema.safeParse(prefix).success, {
    error:
      'a region prefix of 2, 4 or 6 digits, e.g. 53 (province), 5301 (city) or 530124 (county) / 区划前缀应为 2、4 或 6 位数字，如 53（省）、5301（市）、530124（县）',
  });

const causeFilterSchema = z.enum(causeCategorySchema.options, {
  error: `a cause is one of ${causeCategorySchema.options.join(', ')} / 辍学原因应为 ${causeCategorySchema.options.join('、')} 之一`,
});

/** 订阅筛选 — all given filters must hold (AND); within `causeCategories` any cause matches (OR). */
export const subscriptionFiltersSchema = z
  .strictObject(
    {
      /** Only events of counties under this prefix ('53', '5301', '530124'); never outside the partner's own region. */
      regionPrefix: regionPrefixInputSchema.optional(),
      /**
       * Only events that carry one of these causes. Events without a cause — every type but case.opened,
       * and a case.opened whose cause is not yet known — do not pass a cause filter.
       */
      causeCategories: z
        .array(causeFilterSchema)
        .min(1, {
          error:
            'list at least one cause, or leave causeCategories out / 请至少列出一个原因，或不填 causeCategories',
        })
        .optional(),
      /** Only events about a priority child (重点群体: 脱贫户 / 三类监测, disabled, 初中; 东川 2025). */
      priorityOnly: z
        .boolean({ error: 'priorityOnly is true or false / priorityOnly 应为 true 或 false' })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown filter(s): ${issue.keys.join(', ')}; filters are regionPrefix, causeCategories, priorityOnly / 不支持的筛选条件：${issue.keys.join('、')}，可用 regionPrefix、causeCategories、priorityOnly`
          : undefined,
    },
  )
  .default({});

const subscriptionInputShape = {
  partnerOrg: partnerOrgInputSchema,
  eventTypes: z
    .array(eventTypeSchema, { error: 'eventTypes is a list of event types / eventTypes 应为事件类型列表' })
    .min(1, { error: 'subscribe to at least one event type / 请至少订阅一种事件' }),
  filters: subscriptionFiltersSchema,
  target: subscriptionTargetSchema,
  description: z
    .string({ error: 'expected text / 应为文字' })
    .trim()
    .min(1, { error: 'must not be empty / 不能为空' })
    .max(500, { error: 'at most 500 characters / 不超过 500 字' })
    // A description is shown to operators and partners: never a raw ID number (docs/domain.md §7.2).
    .regex(/^(?![\s\S]*\d{15})[\s\S]*$/, {
      error:
        'must not contain an ID number (15 or more digits in a row) / 不能包含身份证号（连续 15 位及以上数字）',
    })
    .optional(),
};

const unknownFieldError = (issue: { code: string; keys?: string[] }) =>
  issue.code === 'unrecognized_keys'
    ? `unknown field(s): ${issue.keys?.join(', ')} / 不接受字段：${issue.keys?.join('、')}`
    : undefined;

/** A problem with a subscription that its fields alone do not show: it breaks a rule of the allow-list. */
export interface SubscriptionProblem {
  path: (string | number)[];
  /** "English / 中文", as the schema's messages. */
  message: string;
}

const deptLabel = (d: PartnerDepartment) => `${d} (${PARTNER_DEPARTMENT_NAMES_ZH[d]})`;

/**
 * The rules a subscription must follow beyond its shape, for creation (the schema) and again before a
 * stored subscription becomes a rule or a delivery (fail closed if the allow-list has changed since).
 */
export function subscriptionProblems(
  sub: Pick<SubscriptionInput, 'partnerOrg' | 'eventTypes' | 'filters'> & { region?: string },
): SubscriptionProblem[] {
  const partner = parsePartnerOrg(sub.partnerOrg);
  if (partner === undefined) {
    return [{ path: ['partnerOrg'], message: 'not a partner org / 不是协作部门代码' }];
  }
  const { department, region: partnerRegion } = partner;
  const zh = PARTNER_DEPARTMENT_NAMES_ZH[department];
  const problems: SubscriptionProblem[] = [];
  const receivable = receivableTypes(department);

  sub.eventTypes.forEach((type, i) => {
    if (receivable.includes(type)) return;
    problems.push({
      path: ['eventTypes', i],
      message:
        receivable.length > 0
          ? `${deptLabel(department)} does not receive ${type}; it can subscribe to ${receivable.join(', ')} / ${zh}不接收“${type}”事件，可订阅：${receivable.join('、')}`
          : `${deptLabel(department)} receives no events / ${zh}不接收任何事件`,
    });
  });
  const types = sub.eventTypes.filter((t) => receivable.includes(t));

  // docs/domain.md §7.3 and shared/authz.ts: a department never sees another region's children, whatever it asks.
  const { regionPrefix, causeCategories, priorityOnly } = sub.filters;
  if (
    regionPrefix !== undefined &&
    !significantPrefix(regionPrefix).startsWith(significantPrefix(partnerRegion))
  ) {
    problems.push({
      path: ['filters', 'regionPrefix'],
      message: `${regionPrefix} is outside the department's own region ${partnerRegion}; use ${significantPrefix(partnerRegion)} or a part of it, or leave regionPrefix out / ${regionPrefix} 超出本部门辖区 ${partnerRegion}，请填写 ${significantPrefix(partnerRegion)} 或其下级区划，或不填`,
    });
  }
  if (
    sub.region !== undefined &&
    effectiveRegionPrefix(sub.partnerOrg, regionPrefix, sub.region) === undefined
  ) {
    problems.push({
      path: ['region'],
      message: `the department's region ${partnerRegion} does not overlap the deployment's region ${sub.region} / 部门辖区 ${partnerRegion} 与部署地区 ${sub.region} 不重叠`,
    });
  }

  if (causeCategories !== undefined) {
    // A filter on a field the department may not see would tell it the value all the same.
    const visible = causesReferredTo(department);
    causeCategories.forEach((cause, i) => {
      if (visible.includes(cause)) return;
      problems.push({
        path: ['filters', 'causeCategories', i],
        message:
          visible.length > 0
            ? `${cause} is not referred to ${deptLabel(department)}; it may filter on ${visible.join(', ')} (docs/domain.md §4.8) / “${cause}”不转介${zh}，可筛选的原因：${visible.join('、')}`
            : `no cause is referred to ${deptLabel(department)}, so it cannot filter by cause / 没有转介${zh}的辍学原因，不能按原因筛选`,
      });
    });
    for (const type of types) {
      if (allowedFields(department, type)?.includes('causeCategory')) continue;
      problems.push({
        path: ['filters', 'causeCategories'],
        message: `${type} events carry no cause for ${deptLabel(department)}, so a cause filter would stop all of them; subscribe to ${type} in a separate subscription without causeCategories / “${type}”事件不含辍学原因，按原因筛选将收不到任何此类事件，请另建不按原因筛选的订阅`,
      });
    }
  }
  if (priorityOnly === true) {
    for (const type of types) {
      if (allowedFields(department, type)?.includes('priority')) continue;
      problems.push({
        path: ['filters', 'priorityOnly'],
        message: `${type} events carry no priority flag for ${deptLabel(department)}, so priorityOnly would stop all of them; subscribe to ${type} in a separate subscription / “${type}”事件不含重点群体标记，仅限重点群体将收不到任何此类事件，请另建订阅`,
      });
    }
  }
  for (const type of types) {
    const required = requiredNarrowing(department, type);
    if (required.length === 0) continue;
    const narrowed =
      (required.includes('cause') && causeCategories !== undefined) ||
      (required.includes('priority') && priorityOnly === true);
    if (narrowed) continue;
    const visible = causesReferredTo(department).join(', ');
    const how = required
      .map((n) => (n === 'cause' ? `causeCategories (some of ${visible})` : 'priorityOnly: true'))
      .join(' or ');
    const howZh = required
      .map((n) => (n === 'cause' ? `按原因筛选（${visible}）` : '仅限重点群体（priorityOnly: true）'))
      .join('或');
    problems.push({
      path: ['filters'],
      message: `${deptLabel(department)} receives ${type} only for the children referred to it: set ${how} / ${zh}只接收转介给本部门的“${type}”事件，请设置${howZh}`,
    });
  }
  return problems;
}

const addProblems = (
  value: Parameters<typeof subscriptionProblems>[0],
  ctx: z.RefinementCtx,
  extraPath: (string | number)[] = [],
) => {
  for (const p of subscriptionProblems(value)) {
    ctx.addIssue({ code: 'custom', path: [...extraPath, ...p.path], message: p.message });
  }
};

/**
 * 订阅申请 — the body of `POST /subscriptions` (county or ops role). Shape errors and allow-list
 * problems both come back as zod issues with a path and an "English / 中文" message.
 */
export const subscriptionInputSchema = z
  .strictObject(subscriptionInputShape, { error: unknownFieldError })
  .superRefine((input, ctx) => addProblems(input, ctx));
export type SubscriptionInput = z.infer<typeof subscriptionInputSchema>;

export const subscriptionStatusSchema = z.enum(['active', 'deleted']);

/**
 * 订阅 — a stored subscription. `region` is the 行政区划代码 of the deployment (the county, city or
 * province whose bus it listens to); `createdBy` the `sub` of the county or ops user who made it.
 */
export type Subscription = SubscriptionInput & {
  id: string;
  region: string;
  createdAt: string;
  createdBy: string;
  status: 'active' | 'deleted';
};

/** A stored subscription as read back (e.g. from the table): the input rules plus the record fields. */
export const subscriptionSchema: z.ZodType<Subscription> = z
  .strictObject(
    {
      ...subscriptionInputShape,
      id: z.string().min(1),
      region: regionCodeSchema,
      createdAt: z.iso.datetime(),
      createdBy: z.string().min(1),
      status: subscriptionStatusSchema,
    },
    { error: unknownFieldError },
  )
  .superRefine((sub, ctx) => addProblems(sub, ctx));

// ── matching ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * The region prefix the subscription really covers: the most specific of the partner's own region, the
 * filter and the deployment's region. Undefined when they do not nest (nothing can match).
 */
export function effectiveRegionPrefix(
  partnerOrg: string,
  regionPrefix: string | undefined,
  deploymentRegion: string | undefined,
): string | undefined {
  const partner = parsePartnerOrg(partnerOrg);
  if (partner === undefined) return undefined;
  const prefixes = [partner.region, regionPrefix, deploymentRegion]
    .filter((p): p is string => p !== undefined)
    .map(significantPrefix)
    .sort((a, b) => b.length - a.length);
  const [longest] = prefixes;
  if (longest === undefined || !prefixes.every((p) => longest.startsWith(p))) return undefined;
  return longest;
}

/** An EventBridge event pattern (the JSON of an AWS::Events::Rule's EventPattern). */
export interface SubscriptionEventPattern {
  source: string[];
  'detail-type': DetailType[];
  detail: {
    region: [{ prefix: string }];
    causeCategory?: CauseCategory[];
    priority?: [true];
  };
}

function sourcesFor(types: readonly DetailType[], source: string | readonly string[] | undefined): string[] {
  if (source !== undefined) return [...new Set(typeof source === 'string' ? [source] : source)];
  return [...new Set(types.map((t) => eventCatalogue[t].source))].sort();
}

function checked(sub: Subscription): { types: DetailType[]; prefix: string } {
  const problems = subscriptionProblems(sub);
  const prefix = effectiveRegionPrefix(sub.partnerOrg, sub.filters.regionPrefix, sub.region);
  if (problems.length > 0 || prefix === undefined) {
    const why =
      problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ') || 'regions do not overlap';
    throw new Error(`Subscription ${sub.id} cannot become a rule: ${why}`);
  }
  return { types: [...new Set(sub.eventTypes)], prefix };
}

/**
 * 事件规则 — the EventBridge pattern of a subscription's rule:
 * - `source` and `detail-type`: the subscribed types and the services that publish them (catalogue), or
 *   the `source` given (e.g. for a test publisher);
 * - `detail.region`: prefix match on the effective region ({@link effectiveRegionPrefix}) — always
 *   present, so a rule never reaches past the partner's region even without a region filter;
 * - `detail.causeCategory`: the listed causes, exact match. EventBridge does not match an event that
 *   lacks the field, which is the rule here too: only events carrying a listed cause pass;
 * - `detail.priority`: `[true]` with priorityOnly.
 * Throws when the subscription breaks an allow-list rule ({@link subscriptionProblems}): such a
 * subscription must not become a rule. The status is not part of the pattern: a deleted subscription's
 * rule is removed.
 */
export function eventPatternFor(
  sub: Subscription,
  source?: string | readonly string[],
): SubscriptionEventPattern {
  const { types, prefix } = checked(sub);
  const detail: SubscriptionEventPattern['detail'] = { region: [{ prefix }] };
  if (sub.filters.causeCategories !== undefined)
    detail.causeCategory = [...new Set(sub.filters.causeCategories)];
  if (sub.filters.priorityOnly === true) detail.priority = [true];
  return { source: sourcesFor(types, source), 'detail-type': types, detail };
}

/**
 * Whether an event is for `sub` — the same decision as {@link eventPatternFor}'s pattern (a test holds
 * them to a table of events against the local EventBridge matcher), plus: a deleted subscription, or
 * one the allow-list no longer permits, matches nothing. `source`, when given, must be one the pattern
 * names.
 */
export function matchesSubscription(
  sub: Subscription,
  detailType: string,
  detail: unknown,
  source?: string,
): boolean {
  if (sub.status !== 'active') return false;
  let pattern: SubscriptionEventPattern;
  try {
    pattern = eventPatternFor(sub);
  } catch {
    return false;
  }
  if (!(pattern['detail-type'] as string[]).includes(detailType)) return false;
  if (source !== undefined && !pattern.source.includes(source)) return false;
  if (typeof detail !== 'object' || detail === null) return false;
  const d = detail as Record<string, unknown>;
  if (typeof d.region !== 'string' || !d.region.startsWith(pattern.detail.region[0].prefix)) return false;
  const causes = pattern.detail.causeCategory as string[] | undefined;
  if (causes !== undefined && !(typeof d.causeCategory === 'string' && causes.includes(d.causeCategory))) {
    return false;
  }
  if (pattern.detail.priority !== undefined && d.priority !== true) return false;
  return true;
}
