import { awsError, type JsonOperation, readState, validationError, writeState } from './aws-json';
import { validateEventPattern } from './event-pattern';
import { busNameOf } from './event-router';
import type { LocalModel, LocalRule, LocalRuleTarget } from './template';

/** A target as the EventBridge API spells it (PutTargets, ListTargetsByRule). */
interface ApiTarget {
  Id: string;
  Arn: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
  RoleArn?: string;
}

interface StoredRule {
  Name: string;
  Arn: string;
  EventBusName: string;
  EventPattern: string;
  State: 'ENABLED' | 'DISABLED';
  Description?: string;
  Tags: { Key: string; Value: string }[];
  Targets: ApiTarget[];
}

const NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
// EventBridge's quota of targets per rule.
const MAX_TARGETS = 5;
const RESERVED_VARIABLES = new Set([
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event',
  'aws.events.event.json',
  'aws.events.event.ingestion-time',
]);

const toLocalTarget = (t: ApiTarget): LocalRuleTarget => ({
  id: t.Id,
  arn: t.Arn,
  input: t.Input,
  inputPath: t.InputPath,
  inputTransformer: t.InputTransformer && {
    inputPathsMap: t.InputTransformer.InputPathsMap,
    inputTemplate: t.InputTransformer.InputTemplate,
  },
  deadLetterArn: t.DeadLetterConfig?.Arn,
  maximumRetryAttempts: t.RetryPolicy?.MaximumRetryAttempts,
  roleArn: t.RoleArn,
});

const toApiTarget = (t: LocalRuleTarget): ApiTarget => ({
  Id: t.id,
  Arn: t.arn,
  ...(t.input !== undefined ? { Input: t.input } : {}),
  ...(t.inputPath ? { InputPath: t.inputPath } : {}),
  ...(t.inputTransformer
    ? {
        InputTransformer: {
          InputPathsMap: t.inputTransformer.inputPathsMap,
          InputTemplate: t.inputTransformer.inputTemplate,
        },
      }
    : {}),
  ...(t.deadLetterArn ? { DeadLetterConfig: { Arn: t.deadLetterArn } } : {}),
  ...(t.maximumRetryAttempts !== undefined
    ? { RetryPolicy: { MaximumRetryAttempts: t.maximumRetryAttempts } }
    : {}),
  ...(t.roleArn ? { RoleArn: t.roleArn } : {}),
});

/** Why a target would be refused by PutTargets, or undefined when it is acceptable. */
function targetProblem(t: ApiTarget): string | undefined {
  if (!t || typeof t.Id !== 'string' || !NAME.test(t.Id)) return 'Id must match [.\\-_A-Za-z0-9]{1,64}';
  if (typeof t.Arn !== 'string' || !t.Arn.startsWith('arn:')) return 'Arn must be an ARN';
  const inputs = [t.Input !== undefined, t.InputPath !== undefined, t.InputTransformer !== undefined];
  if (inputs.filter(Boolean).length > 1)
    return 'Only one of Input, InputPath and InputTransformer may be set';
  if (t.Input !== undefined) {
    try {
      JSON.parse(t.Input);
    } catch {
      return 'Input is not valid JSON text';
    }
  }
  if (t.InputTransformer) {
    if (typeof t.InputTransformer.InputTemplate !== 'string' || !t.InputTransformer.InputTemplate)
      return 'InputTransformer.InputTemplate is required';
    const names = Object.keys(t.InputTransformer.InputPathsMap ?? {});
    if (names.length > 100) return 'InputPathsMap may define at most 100 variables';
    const reserved = names.find((n) => RESERVED_VARIABLES.has(n));
    if (reserved) return `InputPathsMap may not redefine the reserved variable ${reserved}`;
  }
  const retries = t.RetryPolicy?.MaximumRetryAttempts;
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0 || retries > 185))
    return 'RetryPolicy.MaximumRetryAttempts must be an integer from 0 to 185';
  return undefined;
}

/**
 * EventBridge rules created at runtime (PutRule, PutTargets, RemoveTargets, DeleteRule, ListRules,
 * ListTargetsByRule, DescribeRule over JSON 1.1). They are kept in the data folder, so they survive a
 * restart as a real rule would, and the event router routes by them exactly as by the template's rules:
 * the same pattern matcher, input transformer, retries and dead-letter queue. The template's own rules
 * are listed and described but belong to the stack: changing them at runtime is refused.
 */
export function createRuntimeRules(opts: { model: LocalModel; file: string }) {
  const { model } = opts;
  const state = readState<{ rules: StoredRule[] }>(opts.file, { rules: [] });
  let local: LocalRule[] = [];
  const refresh = () => {
    local = state.rules.map((r) => ({
      logicalId: r.Name,
      name: r.Name,
      arn: r.Arn,
      busName: r.EventBusName,
      description: r.Description,
      pattern: JSON.parse(r.EventPattern),
      enabled: r.State !== 'DISABLED',
      targets: r.Targets.map(toLocalTarget),
    }));
  };
  const save = () => {
    writeState(opts.file, state);
    refresh();
  };
  refresh();

  const busOf = (body: Record<string, unknown>) => {
    const name = busNameOf(body.EventBusName as string | undefined);
    if (name !== 'default' && !model.buses.some((b) => b.name === name))
      throw awsError(400, 'ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return name;
  };
  const ruleArn = (bus: string, name: string) =>
    `arn:aws:events:${model.region}:${model.account}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`;
  const templateRule = (bus: string, name: string) =>
    model.rules.find((r) => r.busName === bus && r.name === name);
  const stored = (bus: string, name: unknown) => {
    const rule = state.rules.find((r) => r.EventBusName === bus && r.Name === name);
    if (!rule)
      throw awsError(
        400,
        'ResourceNotFoundException',
        `Rule ${String(name)} does not exist on EventBus ${bus}.`,
      );
    return rule;
  };
  const refuseTemplateRule = (bus: string, name: unknown) => {
    if (templateRule(bus, String(name)))
      throw validationError(
        `Rule ${String(name)} belongs to the stack ${model.stackName}: change it in CDK, not at runtime.`,
      );
  };
  const describe = (rule: LocalRule) => ({
    Name: rule.name,
    Arn: rule.arn,
    EventBusName: rule.busName,
    State: rule.enabled ? 'ENABLED' : 'DISABLED',
    ...(rule.pattern !== undefined ? { EventPattern: JSON.stringify(rule.pattern) } : {}),
    ...(rule.schedule ? { ScheduleExpression: rule.schedule } : {}),
    ...(rule.description ? { Description: rule.description } : {}),
  });
  const findAny = (bus: string, name: unknown) =>
    templateRule(bus, String(name)) ?? local.find((r) => r.busName === bus && r.name === name);

  const operations: Record<string, JsonOperation> = {
    'AWSEvents.PutRule': (body) => {
      const bus = busOf(body);
      const name = String(body.Name ?? '');
      if (!NAME.test(name))
        throw validationError(
          `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length at most 64`,
        );
      refuseTemplateRule(bus, name);
      if (body.ScheduleExpression !== undefined)
        throw validationError(
          'Scheduled rules created at runtime are not served by the local cloud: declare the schedule in CDK.',
        );
      if (typeof body.EventPattern !== 'string')
        throw validationError('Parameter(s) EventPattern or ScheduleExpression must be specified.');
      const problems = validateEventPattern(body.EventPattern);
      if (problems.length > 0)
        throw awsError(
          400,
          'InvalidEventPatternException',
          `Event pattern is not valid. Reason: ${problems.join('; ')}`,
        );
      const ruleState = body.State === 'DISABLED' ? 'DISABLED' : 'ENABLED';
      const existing = state.rules.find((r) => r.EventBusName === bus && r.Name === name);
      const arn = ruleArn(bus, name);
      const next: StoredRule = {
        Name: name,
        Arn: arn,
        EventBusName: bus,
        EventPattern: body.EventPattern,
        State: ruleState,
        Description: typeof body.Description === 'string' ? body.Description : existing?.Description,
        Tags: existing?.Tags ?? ((body.Tags as StoredRule['Tags']) || []),
        Targets: existing?.Targets ?? [],
      };
      state.rules = state.rules.filter((r) => r !== existing).concat(next);
      save();
      return { RuleArn: arn };
    },

    'AWSEvents.PutTargets': (body) => {
      const bus = busOf(body);
      refuseTemplateRule(bus, body.Rule);
      const rule = stored(bus, body.Rule);
      const targets = (body.Targets as ApiTarget[] | undefined) ?? [];
      if (targets.length === 0) throw validationError('Targets must not be empty.');
      const failed: { TargetId?: string; ErrorCode: string; ErrorMessage: string }[] = [];
      const accepted = new Map(rule.Targets.map((t) => [t.Id, t]));
      for (const t of targets) {
        const problem = targetProblem(t);
        if (problem) {
          failed.push({ TargetId: t?.Id, ErrorCode: 'ValidationException', ErrorMessage: problem });
          continue;
        }
        if (!accepted.has(t.Id) && accepted.size >= MAX_TARGETS) {
          failed.push({
            TargetId: t.Id,
            ErrorCode: 'LimitExceededException',
            ErrorMessage: `A rule can have at most ${MAX_TARGETS} targets.`,
          });
          continue;
        }
        // Normalise through the local shape so what is listed back is what is routed by.
        accepted.set(t.Id, toApiTarget(toLocalTarget(t)));
      }
      rule.Targets = [...accepted.values()];
      save();
      return { FailedEntryCount: failed.length, FailedEntries: failed };
    },

    'AWSEvents.RemoveTargets': (body) => {
      const bus = busOf(body);
      refuseTemplateRule(bus, body.Rule);
      const rule = stored(bus, body.Rule);
      const ids = new Set((body.Ids as string[] | undefined) ?? []);
      rule.Targets = rule.Targets.filter((t) => !ids.has(t.Id));
      save();
      return { FailedEntryCount: 0, FailedEntries: [] };
    },

    'AWSEvents.DeleteRule': (body) => {
      const bus = busOf(body);
      refuseTemplateRule(bus, body.Name);
      const rule = state.rules.find((r) => r.EventBusName === bus && r.Name === body.Name);
      if (!rule) return {}; // DeleteRule of a rule that is gone succeeds, as in EventBridge.
      if (rule.Targets.length > 0) throw validationError("Rule can't be deleted since it has targets.");
      state.rules = state.rules.filter((r) => r !== rule);
      save();
      return {};
    },

    'AWSEvents.DescribeRule': (body) => {
      const bus = busOf(body);
      const rule = findAny(bus, body.Name);
      if (!rule)
        throw awsError(
          400,
          'ResourceNotFoundException',
          `Rule ${String(body.Name)} does not exist on EventBus ${bus}.`,
        );
      return { ...describe(rule), CreatedBy: model.account };
    },

    'AWSEvents.ListRules': (body) => {
      const bus = busOf(body);
      const prefix = typeof body.NamePrefix === 'string' ? body.NamePrefix : '';
      const all = [...model.rules, ...local]
        .filter((r) => r.busName === bus && r.name.startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name));
      const start = Number(body.NextToken ?? 0);
      const limit = Math.min(Number(body.Limit ?? 100), 100);
      const page = all.slice(start, start + limit);
      return {
        Rules: page.map(describe),
        ...(start + limit < all.length ? { NextToken: String(start + limit) } : {}),
      };
    },

    'AWSEvents.ListTargetsByRule': (body) => {
      const bus = busOf(body);
      const rule = findAny(bus, body.Rule);
      if (!rule)
        throw awsError(
          400,
          'ResourceNotFoundException',
          `Rule ${String(body.Rule)} does not exist on EventBus ${bus}.`,
        );
      const kept = state.rules.find((r) => r.Arn === rule.arn);
      return { Targets: kept ? kept.Targets : rule.targets.map(toApiTarget) };
    },
  };

  return {
    /** The runtime rules in the shape the event router routes by. */
    rules: (): readonly LocalRule[] => local,
    operations,
  };
}
