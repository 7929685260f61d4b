/**
 * Whether an SQS queue policy lets EventBridge deliver a rule's events to the queue, as EventBridge
 * needs before it sends to a queue target or dead-letter queue:
 * - a queue in the rule's own account must admit the service principal events.amazonaws.com for
 *   sqs:SendMessage (usually conditioned on the rule's ARN, aws:SourceArn);
 * - a queue in another account is sent to by the target's execution role (RoleArn), which the
 *   queue policy must admit (the role, its account, or anyone).
 * Enough of IAM policy evaluation for those statements: Allow/Deny, Principal, Action and Resource
 * with wildcards, and the ArnEquals/ArnLike/StringEquals/StringLike conditions on aws:SourceArn and
 * aws:SourceAccount. A statement with any other condition does not count as an Allow.
 */

interface Statement {
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Who sends: EventBridge itself for a rule (same account), or the role it assumes (another account). */
export type QueueSender =
  | { kind: 'service'; ruleArn: string; account: string }
  | { kind: 'role'; roleArn: string; account: string };

const wildcard = (pattern: string, value: string, ignoreCase = false) => {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('')}$`,
    ignoreCase ? 'i' : '',
  );
  return re.test(value);
};

const list = (v: unknown): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];

function principalMatches(principal: unknown, sender: QueueSender): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const p = principal as Record<string, unknown>;
  const aws = list(p.AWS);
  if (aws.includes('*')) return true;
  if (sender.kind === 'service') return list(p.Service).includes('events.amazonaws.com');
  const partition = sender.roleArn.split(':')[1];
  return aws.some(
    (a) =>
      a === sender.roleArn || a === sender.account || a === `arn:${partition}:iam::${sender.account}:root`,
  );
}

function conditionsHold(condition: Statement['Condition'], context: Record<string, string>): boolean {
  for (const [operator, entries] of Object.entries(condition ?? {})) {
    const op = operator.replace(/IfExists$/, '');
    for (const [key, expected] of Object.entries(entries)) {
      const actual = context[key.toLowerCase()];
      if (actual === undefined) {
        if (operator.endsWith('IfExists')) continue;
        return false;
      }
      const values = list(expected);
      const ok =
        op === 'ArnEquals' || op === 'StringEquals'
          ? values.includes(actual)
          : op === 'ArnLike' || op === 'StringLike'
            ? values.some((v) => wildcard(v, actual))
            : false;
      if (!ok) return false;
    }
  }
  return true;
}

export function queuePolicyAdmits(
  policy: string | undefined,
  queueArn: string,
  sender: QueueSender,
): boolean {
  if (!policy) return false;
  let statements: Statement[];
  try {
    const doc = JSON.parse(policy) as { Statement?: Statement | Statement[] };
    statements = [doc.Statement ?? []].flat();
  } catch {
    return false;
  }
  // A service principal's request carries the rule and its account; a role's request carries neither.
  const context: Record<string, string> =
    sender.kind === 'service' ? { 'aws:sourcearn': sender.ruleArn, 'aws:sourceaccount': sender.account } : {};
  const applies = (s: Statement) =>
    principalMatches(s.Principal, sender) &&
    s.NotAction === undefined &&
    list(s.Action).some((a) => wildcard(a, 'sqs:SendMessage', true)) &&
    list(s.Resource ?? '*').some((r) => wildcard(r, queueArn)) &&
    conditionsHold(s.Condition, context);
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && applies(s));
}
