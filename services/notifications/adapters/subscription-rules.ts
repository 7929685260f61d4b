/**
 * 订阅规则 — what a subscription becomes in AWS, and the calls that make and unmake it:
 *
 * - HTTPS target: one EventBridge rule `kcbx-sub-<id>` on the deployment bus whose target is the
 *   shared Deliveries queue, the event wrapped as {"subscriptionId", "event"}; the deliver function
 *   minimises, signs and posts it (`deliveries.ts`). Its signing secret is `kcbx/sub/<id>`.
 * - SQS target (a queue in the partner's account): rules `kcbx-sub-<id>-<n>` whose target is the
 *   partner's queue itself, with an input transformer that builds the minimised envelope from the
 *   allow-listed paths only, so no function ever holds the event. One rule per event type — the
 *   allow-list differs per type — and, where a field's value is restricted (a cause not referred to the
 *   department, an overdue 送教上门 visit), one rule per "shown / withheld" case, told apart by the
 *   rule's pattern, so a withheld value is never in the transformer's output.
 * - Each subscription has its own dead-letter queue `kcbx-sub-<id>-dlq`: the deliver function moves an
 *   HTTPS delivery there after its last attempt, and EventBridge sends an SQS target's undeliverable
 *   events there (the rule target's DeadLetterConfig).
 *
 * The names are what the subscriptions function's IAM policy is scoped to (infra/constructs/notifications.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteRuleCommand,
  DescribeReplayCommand,
  type DescribeReplayCommandOutput,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceNotFoundException,
  StartReplayCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  ResourceNotFoundException as SecretNotFound,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { z } from 'zod';
import { env, eventBridge, secretsManager, sqs } from '../../../shared/aws/clients';
import { eventCatalogue } from '../../../shared/events/catalogue';
import type { DetailType } from '../../../shared/events/publishable';
import { PARTNER_DEPARTMENT_NAMES_ZH, type PartnerDepartment, parsePartnerOrg } from '../../../shared/org';
import type { Bilingual } from '../../../shared/runtime/errors';
import { allowedFields, CONTRACT_VERSION, type FieldPath, RESTRICTED_VALUES } from '../domain/minimise';
import { causesReferredTo } from '../domain/referral';
import { eventPatternFor, parseQueueArn, type Subscription } from '../domain/subscription';

// ── names ────────────────────────────────────────────────────────────────────────────────────────────

/** Subscription ids: 's' and 16 base32 characters, short enough for every name derived from them. */
export const SUBSCRIPTION_ID = /^s[a-z2-7]{16}$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function newSubscriptionId(): string {
  return `s${Array.from(randomBytes(16), (b) => BASE32[b & 31]).join('')}`;
}

export const RULE_PREFIX = 'kcbx-sub-';
export const ruleNameFor = (id: string, n?: number) => `${RULE_PREFIX}${id}${n === undefined ? '' : `-${n}`}`;
export const deadLetterQueueNameFor = (id: string) => `${RULE_PREFIX}${id}-dlq`;
export const SECRET_PREFIX = 'kcbx/sub/';
export const secretNameFor = (id: string) => `${SECRET_PREFIX}${id}`;
/**
 * Replays of a subscription are named after it, so the status route can check the name belongs to it,
 * and after the millisecond they were asked for, so two managers asking in the same second both get one.
 */
export const replayNameFor = (id: string, at: Date) =>
  `${RULE_PREFIX}${id}-${at
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 17)}`;

/** Where the subscriptions and deliver functions find the shared resources (set by the CDK construct). */
export function notificationsEnv() {
  const busArn = env('KCBX_EVENT_BUS_ARN');
  return {
    busName: env('KCBX_EVENT_BUS'),
    busArn,
    archiveArn: env('KCBX_ARCHIVE_ARN'),
    deliveryQueueArn: env('KCBX_DELIVERY_QUEUE_ARN'),
    deliveryQueueUrl: env('KCBX_DELIVERY_QUEUE_URL'),
    busDeadLetterArn: env('KCBX_BUS_DLQ_ARN'),
    keyArn: env('KCBX_KEY_ARN'),
    /** The roles that read partner queue policies (named in the statement a partner must add). */
    readerRoleArns: (process.env.KCBX_QUEUE_READER_ROLE_ARNS ?? '').split(',').filter(Boolean),
    /** The execution role EventBridge assumes to send to a queue in a partner's own account. */
    partnerSenderRoleArn: process.env.KCBX_PARTNER_SENDER_ROLE_ARN,
    allowLoopbackTargets: process.env.KCBX_ALLOW_LOOPBACK_TARGETS === 'true',
    /** arn:aws-cn:events:<region>:<account>:rule/<bus>/ — a rule's ARN is this plus its name. */
    rulePrefixArn: `${busArn.replace(':event-bus/', ':rule/')}/`,
    account: busArn.split(':')[4]!,
    partition: busArn.split(':')[1]!,
  };
}
export type NotificationsEnv = ReturnType<typeof notificationsEnv>;

// ── the fields of an event, for the SQS transformer ─────────────────────────────────────────────────

interface Leaf {
  optional: boolean;
  /** The path crosses an array: the transformer cannot project it element by element. */
  inArray: boolean;
  scalar: 'string' | 'number' | 'boolean' | 'other';
}

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown) => (s as { _zod: { def: Def } })._zod.def;

/** What the catalogue's zod schema says about the field at `keys`; undefined when there is none. */
function describeLeaf(
  schema: unknown,
  keys: readonly string[],
  optional = false,
  inArray = false,
): Leaf | undefined {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
      return describeLeaf(def.innerType, keys, optional || def.type !== 'default', inArray);
    case 'pipe':
      return describeLeaf(def.in, keys, optional, inArray);
    case 'array':
      return describeLeaf(def.element, keys, optional, true);
    case 'union': {
      const found = (def.options as unknown[]).map((o) => describeLeaf(o, keys, optional, inArray));
      const present = found.filter((f): f is Leaf => f !== undefined);
      const [first] = present;
      if (!first) return undefined;
      return {
        optional: present.length < found.length || present.some((f) => f.optional),
        inArray: present.some((f) => f.inArray),
        scalar: present.every((f) => f.scalar === first.scalar) ? first.scalar : 'other',
      };
    }
    case 'object': {
      const [key, ...rest] = keys;
      if (key === undefined) return { optional, inArray, scalar: 'other' };
      const shape = def.shape as Record<string, unknown>;
      return Object.hasOwn(shape, key) ? describeLeaf(shape[key], rest, optional, inArray) : undefined;
    }
    default: {
      if (keys.length > 0) return undefined;
      const scalar =
        def.type === 'string' || def.type === 'enum'
          ? 'string'
          : def.type === 'number' || def.type === 'int'
            ? 'number'
            : def.type === 'boolean'
              ? 'boolean'
              : def.type === 'literal'
                ? (typeof (def.values as unknown[])[0] as Leaf['scalar'])
                : 'other';
      return { optional, inArray, scalar };
    }
  }
}

export function leafOf(detailType: DetailType, path: FieldPath): Leaf | undefined {
  return describeLeaf(eventCatalogue[detailType].schema as z.ZodType, path.split('.'));
}

// ── rules of an SQS subscription ────────────────────────────────────────────────────────────────────

/** A field whose value only some departments may learn, as the allow-list says (minimise.ts). */
interface Restriction {
  path: FieldPath;
  /** The pattern that matches an event whose value this department may see. */
  shown: unknown[];
  /** The pattern that matches an event carrying a value it may not see. */
  withheld: unknown[];
  optional: boolean;
}

function restrictionsOf(department: PartnerDepartment, detailType: DetailType, fields: readonly FieldPath[]) {
  const out: Restriction[] = [];
  for (const path of fields) {
    const leaf = leafOf(detailType, path);
    if (path === 'causeCategory') {
      // A cause is visible only if it is referred to the department: an explicit list, so a cause added
      // to the vocabulary later is withheld until the referral table names the department.
      const visible = causesReferredTo(department);
      out.push({
        path,
        shown: visible.length > 0 ? [...visible] : [],
        withheld: visible.length > 0 ? [{ 'anything-but': [...visible] }] : [{ exists: true }],
        optional: leaf?.optional ?? true,
      });
      continue;
    }
    const hidden = RESTRICTED_VALUES.filter(
      (r) => r.path === path && !r.visibleTo.includes(department),
    ).flatMap((r) => r.values);
    if (hidden.length === 0) continue;
    out.push({
      path,
      shown: [{ 'anything-but': hidden }],
      withheld: [...hidden],
      optional: leaf?.optional ?? true,
    });
  }
  return out;
}

type Pattern = Record<string, unknown>;

const getAt = (pattern: Pattern, keys: string[]) =>
  keys.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Pattern)[k] : undefined), pattern);

function setAt(pattern: Pattern, keys: string[], value: unknown) {
  let node = pattern;
  keys.slice(0, -1).forEach((k) => {
    node[k] = typeof node[k] === 'object' && node[k] !== null ? node[k] : {};
    node = node[k] as Pattern;
  });
  node[keys.at(-1)!] = value;
}

/**
 * The pattern `base` narrowed further by `condition` on the field at `keys` (both must hold), or
 * undefined when nothing can match both. The subscription's own filters only ever list literal values
 * (causes), so a base condition is a list of literals: it is filtered by the new condition.
 */
function narrow(base: Pattern, keys: string[], condition: unknown[]): Pattern | undefined {
  const copy = structuredClone(base);
  const existing = getAt(copy, keys) as unknown[] | undefined;
  if (existing === undefined) {
    if (condition.length === 0) return undefined;
    setAt(copy, keys, condition);
    return copy;
  }
  if (!existing.every((v) => typeof v === 'string')) {
    throw new Error(`cannot combine the filter on ${keys.join('.')} with a value restriction`);
  }
  const keep = (existing as string[]).filter((value) =>
    condition.some((c) => {
      if (typeof c === 'string') return c === value;
      const op = c as { 'anything-but'?: string[]; exists?: boolean };
      if (op['anything-but']) return !op['anything-but'].includes(value);
      return op.exists === true;
    }),
  );
  if (keep.length === 0) return undefined;
  setAt(copy, keys, keep);
  return copy;
}

export interface SqsRuleVariant {
  detailType: DetailType;
  pattern: Pattern;
  /** The detail fields this rule's transformer passes on (envelope included). */
  fields: FieldPath[];
}

/** The rules an SQS subscription needs, or the reasons it cannot have them. */
export function sqsRuleVariants(sub: Subscription): { variants: SqsRuleVariant[]; problems: Bilingual[] } {
  const partner = parsePartnerOrg(sub.partnerOrg);
  if (!partner) throw new Error(`not a partner org: ${sub.partnerOrg}`);
  const { department } = partner;
  const variants: SqsRuleVariant[] = [];
  const problems: Bilingual[] = [];
  for (const detailType of new Set(sub.eventTypes)) {
    const fields = allowedFields(department, detailType);
    if (!fields) continue;
    const unsupported = fields.filter((f) => {
      const leaf = leafOf(detailType, f);
      return !leaf || leaf.inArray || leaf.scalar === 'other' || (leaf.optional && leaf.scalar !== 'string');
    });
    if (unsupported.length > 0) {
      problems.push({
        zh: `“${detailType}”事件的字段 ${unsupported.join('、')} 无法由队列投递逐项裁剪（列表或可缺省的非文字字段），请改用 HTTPS 接收地址订阅此类事件。`,
        en: `The fields ${unsupported.join(', ')} of ${detailType} cannot be minimised by a queue delivery (lists, or optional non-text fields): subscribe to ${detailType} with an HTTPS endpoint instead.`,
      });
      continue;
    }
    let cases: { pattern: Pattern; withheld: Set<FieldPath> }[] = [
      {
        pattern: eventPatternFor({ ...sub, eventTypes: [detailType] }) as unknown as Pattern,
        withheld: new Set(),
      },
    ];
    for (const r of restrictionsOf(department, detailType, fields)) {
      const keys = ['detail', ...r.path.split('.')];
      cases = cases.flatMap(({ pattern, withheld }) => {
        const next: { pattern: Pattern; withheld: Set<FieldPath> }[] = [];
        const shown = narrow(pattern, keys, r.shown);
        if (shown) next.push({ pattern: shown, withheld });
        const hiddenPresent = narrow(pattern, keys, r.withheld);
        if (hiddenPresent) next.push({ pattern: hiddenPresent, withheld: new Set([...withheld, r.path]) });
        if (r.optional && getAt(pattern, keys) === undefined) {
          const missing = narrow(pattern, keys, [{ exists: false }]);
          if (missing) next.push({ pattern: missing, withheld: new Set([...withheld, r.path]) });
        }
        return next;
      });
    }
    for (const c of cases)
      variants.push({ detailType, pattern: c.pattern, fields: fields.filter((f) => !c.withheld.has(f)) });
  }
  return { variants, problems };
}

type FieldTree = { [key: string]: FieldTree | FieldPath };

/**
 * The input transformer that turns a matching event into the delivery envelope (minimise.ts's
 * `deliveryEnvelope`), reading only the listed fields. A required field is inserted as its JSON value
 * (EventBridge keeps a string's quotes and a number's type); an optional one is always text and is
 * inserted inside quotes, so an event without it still yields valid JSON — the field is then "".
 */
export function envelopeTransformer(sub: Pick<Subscription, 'id' | 'partnerOrg'>, variant: SqsRuleVariant) {
  const paths: Record<string, string> = {};
  const tree: FieldTree = {};
  for (const field of variant.fields) {
    const name = `d_${field.replace(/\./g, '_')}`;
    paths[name] = `$.detail.${field}`;
    const keys = field.split('.');
    let node = tree;
    for (const k of keys.slice(0, -1)) {
      node[k] = typeof node[k] === 'object' ? node[k] : {};
      node = node[k] as FieldTree;
    }
    node[keys.at(-1)!] = field;
  }
  const render = (node: FieldTree): string =>
    `{${Object.entries(node)
      .map(([key, v]) => {
        if (typeof v !== 'string') return `${JSON.stringify(key)}:${render(v)}`;
        const name = `d_${v.replace(/\./g, '_')}`;
        const optional = leafOf(variant.detailType, v)?.optional ?? false;
        return `${JSON.stringify(key)}:${optional ? `"<${name}>"` : `<${name}>`}`;
      })
      .join(',')}}`;
  paths.eventId = '$.detail.eventId';
  paths.occurredAt = '$.detail.occurredAt';
  const template =
    `{"contractVersion":${CONTRACT_VERSION},"eventId":<eventId>,"detailType":${JSON.stringify(variant.detailType)},` +
    `"occurredAt":<occurredAt>,"subscriptionId":${JSON.stringify(sub.id)},"partnerOrg":${JSON.stringify(sub.partnerOrg)},` +
    `"data":${render(tree)}}`;
  return { InputPathsMap: paths, InputTemplate: template };
}

/** The HTTPS rule's transformer: the whole event, labelled with the subscription it is for. */
export const httpsTransformer = (id: string) => ({
  InputTemplate: `{"subscriptionId":${JSON.stringify(id)},"event":<aws.events.event.json>}`,
});

// ── the partner's queue policy ──────────────────────────────────────────────────────────────────────

interface PolicyStatement {
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const wildcard = (pattern: string, value: string, ignoreCase = false) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  ).test(value);
const asList = (v: unknown): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];

/** Who sends to a partner's queue: EventBridge itself (a queue in our account), or the role it assumes. */
export type QueueSender =
  | { kind: 'service'; ruleArn: string; account: string }
  | { kind: 'role'; roleArn: string; account: string };

/**
 * Whether a queue policy lets `sender` send to `queueArn`: an Allow for sqs:SendMessage on the queue
 * whose principal is the sender (events.amazonaws.com; or the role, its account or anyone) and whose
 * conditions (ArnEquals/ArnLike/StringEquals/StringLike on aws:SourceArn, aws:SourceAccount) hold, and
 * no Deny that applies. A statement with a condition this check does not know is not relied on.
 */
export function queuePolicyAllows(
  policy: string | undefined,
  queueArn: string,
  sender: QueueSender,
): boolean {
  if (!policy) return false;
  let statements: PolicyStatement[];
  try {
    statements = [
      (JSON.parse(policy) as { Statement?: PolicyStatement | PolicyStatement[] }).Statement ?? [],
    ].flat();
  } catch {
    return false;
  }
  // EventBridge's own requests carry the rule and its account; a role's carry neither.
  const context: Record<string, string> =
    sender.kind === 'service' ? { 'aws:sourcearn': sender.ruleArn, 'aws:sourceaccount': sender.account } : {};
  const principalMatches = (p: unknown) => {
    if (p === '*') return true;
    if (!p || typeof p !== 'object') return false;
    const aws = asList((p as Record<string, unknown>).AWS);
    if (aws.includes('*')) return true;
    if (sender.kind === 'service')
      return asList((p as Record<string, unknown>).Service).includes('events.amazonaws.com');
    const root = `arn:${sender.roleArn.split(':')[1]}:iam::${sender.account}:root`;
    return aws.some((a) => a === sender.roleArn || a === sender.account || a === root);
  };
  const applies = (s: PolicyStatement) => {
    if (!principalMatches(s.Principal) || s.NotAction !== undefined) return false;
    if (!asList(s.Action).some((a) => wildcard(a, 'sqs:SendMessage', true))) return false;
    if (!asList(s.Resource ?? '*').some((r) => wildcard(r, queueArn))) return false;
    return Object.entries(s.Condition ?? {}).every(([operator, entries]) => {
      const op = operator.replace(/IfExists$/, '');
      return Object.entries(entries).every(([key, expected]) => {
        const actual = context[key.toLowerCase()];
        if (actual === undefined) return operator.endsWith('IfExists');
        const values = asList(expected);
        if (op === 'ArnEquals' || op === 'StringEquals') return values.includes(actual);
        if (op === 'ArnLike' || op === 'StringLike') return values.some((v) => wildcard(v, actual));
        return false;
      });
    });
  };
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && applies(s));
}

/**
 * EventBridge sends to a queue in its own account as the service (the queue policy admits
 * events.amazonaws.com for our rules) and to a queue in another account as an execution role it
 * assumes (the queue policy admits that role). No RoleArn for the first: AWS advises against it.
 */
export function senderFor(queueArn: string, e: Pick<NotificationsEnv, 'account' | 'partnerSenderRoleArn'>) {
  const queue = parseQueueArn(queueArn);
  if (!queue || queue.account === e.account) return { crossAccount: false as const };
  if (!e.partnerSenderRoleArn) throw new Error('KCBX_PARTNER_SENDER_ROLE_ARN is not set');
  return { crossAccount: true as const, roleArn: e.partnerSenderRoleArn };
}

/** The statements the partner adds to its queue's policy so that our subscription rules may send to it. */
export function requiredQueueStatements(
  queueArn: string,
  e: Pick<
    NotificationsEnv,
    'rulePrefixArn' | 'readerRoleArns' | 'account' | 'partition' | 'partnerSenderRoleArn'
  >,
) {
  const sender = senderFor(queueArn, e);
  if (!sender.crossAccount) {
    return [
      {
        Sid: 'KcbxSubscriptionsSend',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnLike: { 'aws:SourceArn': `${e.rulePrefixArn}${RULE_PREFIX}*` } },
      },
    ];
  }
  return [
    {
      Sid: 'KcbxSubscriptionsSend',
      Effect: 'Allow',
      Principal: { AWS: sender.roleArn },
      Action: 'sqs:SendMessage',
      Resource: queueArn,
    },
    {
      Sid: 'KcbxSubscriptionsCheck',
      Effect: 'Allow',
      Principal: {
        AWS: e.readerRoleArns.length > 0 ? e.readerRoleArns : `arn:${e.partition}:iam::${e.account}:root`,
      },
      Action: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
      Resource: queueArn,
    },
  ];
}

/** A refusal to subscribe a queue, with what to do about it. */
export class QueueNotReadyError extends Error {
  constructor(
    readonly text: Bilingual,
    readonly statements?: unknown[],
  ) {
    super(text.en);
    this.name = 'QueueNotReadyError';
  }
}

/**
 * Checks that the partner's queue is one EventBridge can deliver to for these rules: same region as
 * the bus, a standard queue, and a policy that admits every rule. Throws {@link QueueNotReadyError}
 * with the statements to add when it cannot read the policy or the policy does not allow it.
 */
export async function checkPartnerQueue(queueArn: string, ruleArns: readonly string[], e: NotificationsEnv) {
  const queue = parseQueueArn(queueArn);
  const region = e.busArn.split(':')[3];
  if (!queue)
    throw new QueueNotReadyError({
      zh: `不是 SQS 队列 ARN：${queueArn}`,
      en: `Not an SQS queue ARN: ${queueArn}`,
    });
  if (queue.region !== region)
    throw new QueueNotReadyError({
      zh: `队列在 ${queue.region}，平台事件总线在 ${region}：EventBridge 只能投递到同一区域的队列，请在 ${region} 建队列。`,
      en: `The queue is in ${queue.region} and the bus in ${region}: EventBridge delivers only to queues in its own region; create the queue in ${region}.`,
    });
  if (queue.fifo)
    throw new QueueNotReadyError({
      zh: '请使用标准队列（非 .fifo）：按 eventId 去重即可，每个事件的 eventId 在重投和重放时不变。',
      en: 'Use a standard queue (not .fifo): deduplicate on eventId, which stays the same across redeliveries and replays.',
    });
  const statements = requiredQueueStatements(queueArn, e);
  const printed = JSON.stringify(statements, null, 2);
  let policy: string | undefined;
  try {
    const { QueueUrl } = await sqs().send(
      new GetQueueUrlCommand({ QueueName: queue.name, QueueOwnerAWSAccountId: queue.account }),
    );
    const res = await sqs().send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] }));
    policy = res.Attributes?.Policy;
  } catch (err) {
    throw new QueueNotReadyError(
      {
        zh: `无法读取队列 ${queueArn} 的访问策略（${(err as Error).name}）。请在该队列的访问策略中加入以下语句后重试：\n${printed}`,
        en: `Cannot read the access policy of ${queueArn} (${(err as Error).name}). Add these statements to the queue's access policy, then try again:\n${printed}`,
      },
      statements,
    );
  }
  const sender = senderFor(queueArn, e);
  const admitted = sender.crossAccount
    ? queuePolicyAllows(policy, queueArn, { kind: 'role', roleArn: sender.roleArn, account: e.account })
    : ruleArns.every((ruleArn) =>
        queuePolicyAllows(policy, queueArn, { kind: 'service', ruleArn, account: e.account }),
      );
  if (!admitted)
    throw new QueueNotReadyError(
      {
        zh: `队列 ${queueArn} 的访问策略不允许平台事件总线（规则 ${RULE_PREFIX}*）发送消息。请在访问策略中加入以下语句后重试：\n${printed}`,
        en: `The access policy of ${queueArn} does not let the platform's bus (rules ${RULE_PREFIX}*) send to it. Add these statements to the queue's access policy, then try again:\n${printed}`,
      },
      statements,
    );
}

// ── making and unmaking ─────────────────────────────────────────────────────────────────────────────

/** What was created for a subscription, kept with it so it can be removed and replayed. */
export interface SubscriptionResources {
  ruleNames: string[];
  ruleArns: string[];
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  /** HTTPS only: the signing secret's ARN. */
  secretArn?: string;
}

/** The rules a subscription becomes: name, pattern and the one target of each. */
export function ruleSpecsFor(sub: Subscription, e: NotificationsEnv, deadLetterQueueArn: string) {
  const retry = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };
  if (sub.target.kind === 'https') {
    return [
      {
        name: ruleNameFor(sub.id),
        pattern: eventPatternFor(sub) as unknown,
        target: {
          Id: 'deliver',
          Arn: e.deliveryQueueArn,
          InputTransformer: httpsTransformer(sub.id),
          RetryPolicy: retry,
          // Our own queue refusing an event is an operations problem, not the partner's: the bus DLQ.
          DeadLetterConfig: { Arn: e.busDeadLetterArn },
        } satisfies Target,
      },
    ];
  }
  const { variants, problems } = sqsRuleVariants(sub);
  if (problems.length > 0)
    throw new QueueNotReadyError({
      zh: problems.map((p) => p.zh).join('\n'),
      en: problems.map((p) => p.en).join('\n'),
    });
  const queueArn = sub.target.queueArn;
  const sender = senderFor(queueArn, e);
  return variants.map((variant, i) => ({
    name: ruleNameFor(sub.id, i + 1),
    pattern: variant.pattern as unknown,
    target: {
      Id: 'partner',
      Arn: queueArn,
      ...(sender.crossAccount ? { RoleArn: sender.roleArn } : {}),
      InputTransformer: envelopeTransformer(sub, variant),
      RetryPolicy: retry,
      DeadLetterConfig: { Arn: deadLetterQueueArn },
    } satisfies Target,
  }));
}

const describeFor = (sub: Subscription) => {
  const partner = parsePartnerOrg(sub.partnerOrg);
  const zh = partner ? PARTNER_DEPARTMENT_NAMES_ZH[partner.department] : '';
  const where = sub.target.kind === 'https' ? new URL(sub.target.url).host : sub.target.queueArn;
  return `kcbx subscription ${sub.id}: ${sub.partnerOrg} ${zh} → ${sub.target.kind} ${where}`.slice(0, 512);
};
const tagsFor = (sub: Subscription) => [
  { Key: 'kcbx:subscription', Value: sub.id },
  { Key: 'kcbx:partner', Value: sub.partnerOrg },
];

/**
 * Creates the subscription's secret (HTTPS), dead-letter queue, rules and targets. The queue policy of
 * an SQS target is checked before anything is created. On a failure, what was created is removed again
 * and the error is rethrown.
 */
export async function provisionSubscription(
  sub: Subscription,
  signingSecret: string | undefined,
  e: NotificationsEnv,
): Promise<SubscriptionResources> {
  const rulePreview = ruleSpecsFor(sub, e, 'arn:placeholder');
  const ruleArns = rulePreview.map((r) => `${e.rulePrefixArn}${r.name}`);
  if (sub.target.kind === 'sqs') await checkPartnerQueue(sub.target.queueArn, ruleArns, e);

  const created: Partial<SubscriptionResources> & { ruleNames: string[] } = { ruleNames: [] };
  try {
    if (sub.target.kind === 'https') {
      if (!signingSecret) throw new Error('an HTTPS subscription needs a signing secret');
      const secret = await secretsManager().send(
        new CreateSecretCommand({
          Name: secretNameFor(sub.id),
          Description: describeFor(sub),
          SecretString: signingSecret,
          KmsKeyId: e.keyArn,
          Tags: tagsFor(sub),
        }),
      );
      created.secretArn = secret.ARN;
    }
    const dlq = await sqs().send(
      new CreateQueueCommand({
        QueueName: deadLetterQueueNameFor(sub.id),
        Attributes: {
          MessageRetentionPeriod: String(14 * 86_400),
          KmsMasterKeyId: e.keyArn,
          KmsDataKeyReusePeriodSeconds: '3600',
          // EventBridge writes an SQS target's undeliverable events here; only this subscription's rules may.
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'SubscriptionRulesDeadLetters',
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: '*',
                Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
              },
              {
                Sid: 'TlsOnly',
                Effect: 'Deny',
                Principal: '*',
                Action: 'sqs:*',
                Resource: '*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          }),
        },
        tags: Object.fromEntries(tagsFor(sub).map((t) => [t.Key, t.Value])),
      }),
    );
    created.deadLetterQueueUrl = dlq.QueueUrl!;
    const attrs = await sqs().send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    created.deadLetterQueueArn = attrs.Attributes!.QueueArn!;

    for (const spec of ruleSpecsFor(sub, e, created.deadLetterQueueArn)) {
      await eventBridge().send(
        new PutRuleCommand({
          Name: spec.name,
          EventBusName: e.busName,
          EventPattern: JSON.stringify(spec.pattern),
          State: 'ENABLED',
          Description: describeFor(sub),
          Tags: tagsFor(sub),
        }),
      );
      created.ruleNames.push(spec.name);
      const res = await eventBridge().send(
        new PutTargetsCommand({ Rule: spec.name, EventBusName: e.busName, Targets: [spec.target] }),
      );
      if (res.FailedEntryCount)
        throw new Error(
          `PutTargets ${spec.name}: ${res.FailedEntries?.map((f) => f.ErrorMessage).join('; ')}`,
        );
    }
    return {
      ruleNames: created.ruleNames,
      ruleArns: created.ruleNames.map((n) => `${e.rulePrefixArn}${n}`),
      deadLetterQueueUrl: created.deadLetterQueueUrl,
      deadLetterQueueArn: created.deadLetterQueueArn,
      secretArn: created.secretArn,
    };
  } catch (err) {
    await removeRules(created.ruleNames, e).catch(() => undefined);
    if (created.deadLetterQueueUrl)
      await sqs()
        .send(new DeleteQueueCommand({ QueueUrl: created.deadLetterQueueUrl }))
        .catch(() => undefined);
    if (created.secretArn)
      await secretsManager()
        .send(new DeleteSecretCommand({ SecretId: created.secretArn, ForceDeleteWithoutRecovery: true }))
        .catch(() => undefined);
    throw err;
  }
}

async function removeRules(names: readonly string[], e: NotificationsEnv) {
  for (const name of names) {
    try {
      await eventBridge().send(
        new RemoveTargetsCommand({ Rule: name, EventBusName: e.busName, Ids: ['deliver', 'partner'] }),
      );
      await eventBridge().send(new DeleteRuleCommand({ Name: name, EventBusName: e.busName }));
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
    }
  }
}

/** Messages waiting in a subscription's dead-letter queue (visible and in flight). */
export async function deadLetterCount(resources: SubscriptionResources): Promise<number> {
  const res = await sqs().send(
    new GetQueueAttributesCommand({
      QueueUrl: resources.deadLetterQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(res.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(res.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/**
 * Removes the rules (no more deliveries) and schedules the secret for deletion (recoverable for 7
 * days). The dead-letter queue is deleted when it is empty and kept when it holds undelivered events,
 * so they can still be read or redriven; `dropDeadLetters` deletes it regardless.
 */
export async function unprovisionSubscription(
  resources: SubscriptionResources,
  e: NotificationsEnv,
  dropDeadLetters: boolean,
): Promise<{ deadLettersKept: number }> {
  await removeRules(resources.ruleNames, e);
  if (resources.secretArn) {
    try {
      await secretsManager().send(
        new DeleteSecretCommand({ SecretId: resources.secretArn, RecoveryWindowInDays: 7 }),
      );
    } catch (err) {
      // Already scheduled for deletion, or gone: nothing left to do.
      if (!(err instanceof SecretNotFound) && (err as Error).name !== 'InvalidRequestException') throw err;
    }
  }
  let waiting: number;
  try {
    waiting = await deadLetterCount(resources);
  } catch {
    return { deadLettersKept: 0 }; // the queue is gone already
  }
  if (waiting > 0 && !dropDeadLetters) return { deadLettersKept: waiting };
  await sqs().send(new DeleteQueueCommand({ QueueUrl: resources.deadLetterQueueUrl }));
  return { deadLettersKept: 0 };
}

// ── replay and redrive ──────────────────────────────────────────────────────────────────────────────

/** Sends the archived events of [since, until) again, to this subscription's rules only. */
export async function startSubscriptionReplay(
  id: string,
  resources: SubscriptionResources,
  since: Date,
  until: Date,
  e: NotificationsEnv,
) {
  const name = replayNameFor(id, new Date());
  const res = await eventBridge().send(
    new StartReplayCommand({
      ReplayName: name,
      Description: `kcbx subscription ${id}: replay requested through the API`,
      EventSourceArn: e.archiveArn,
      EventStartTime: since,
      EventEndTime: until,
      Destination: { Arn: e.busArn, FilterArns: resources.ruleArns },
    }),
  );
  return { replayName: name, state: res.State ?? 'STARTING' };
}

export async function describeSubscriptionReplay(
  name: string,
): Promise<DescribeReplayCommandOutput | undefined> {
  try {
    return await eventBridge().send(new DescribeReplayCommand({ ReplayName: name }));
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

/**
 * Moves an HTTPS subscription's dead letters back to the Deliveries queue, where the deliver function
 * takes them again with a fresh count of attempts. At most `limit` messages per call (a Lambda has a
 * time limit); the answer says how many were moved and whether more are waiting.
 */
export async function redriveDeadLetters(
  resources: SubscriptionResources,
  e: NotificationsEnv,
  limit = 1000,
) {
  let moved = 0;
  while (moved < limit) {
    const res = await sqs().send(
      new ReceiveMessageCommand({
        QueueUrl: resources.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) break;
    const sent = await sqs().send(
      new SendMessageBatchCommand({
        QueueUrl: e.deliveryQueueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '' })),
      }),
    );
    // Only what reached the Deliveries queue leaves the DLQ; the rest becomes visible again in a minute.
    const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
    const done = messages.filter((_, i) => ok.has(String(i)));
    if (done.length > 0) {
      await sqs().send(
        new DeleteMessageBatchCommand({
          QueueUrl: resources.deadLetterQueueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    moved += done.length;
    if (done.length < messages.length) break;
  }
  return { moved, remaining: await deadLetterCount(resources) };
}
