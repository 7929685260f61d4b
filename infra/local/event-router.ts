import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { matchesEventPattern } from './event-pattern';
import type { LocalModel, LocalRule, LocalRuleTarget } from './template';

/** An event as EventBridge delivers it to targets. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  /** Set on events a replay sends again: the name of the replay. */
  'replay-name'?: string;
}

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: string | Date;
}

export interface EventRouterOptions {
  model: LocalModel;
  /** Rules created at runtime (PutRule/PutTargets), routed exactly like the template's. */
  runtimeRules?: () => readonly LocalRule[];
  /** Hands a payload to a target (a function or a queue) of `rule`. Throws when delivery fails. */
  deliver: (arn: string, payload: unknown, rule: LocalRule, target: LocalRuleTarget) => Promise<void>;
  /** Sends a failed event to a target's dead-letter queue, with the attributes EventBridge sets. */
  deadLetter: (
    queueArn: string,
    payload: unknown,
    attributes: Record<string, string>,
    rule: LocalRule,
  ) => Promise<void>;
  archiveDir: string;
  log: (line: string) => void;
  /** Retries after the first failed attempt (EventBridge retries for up to 24 h; locally a few). */
  maxRetries?: number;
  retryDelayMs?: number;
}

export const busNameOf = (nameOrArn: string | undefined) => {
  const value = nameOrArn || 'default';
  return value.startsWith('arn:') ? value.slice(value.lastIndexOf('/') + 1) : value;
};

/** Evaluates `$.a.b` / `$.a[0]` style paths (InputPath and InputTransformer paths). */
function jsonPath(value: unknown, p: string): unknown {
  if (p === '$') return value;
  return p
    .replace(/^\$\.?/, '')
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>(
      (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
      value,
    );
}

/**
 * Fills an InputTemplate as EventBridge does: a variable outside a JSON string becomes the JSON value
 * (a string keeps its quotes, an object stays an object), one inside a string is inserted as text.
 * A variable whose path is missing from the event "isn't created": locally it becomes null outside a
 * string and nothing inside one, so the result stays JSON. Unknown `<…>` text is left alone.
 */
export function renderInputTemplate(template: string, values: Record<string, unknown>): string {
  // A template that is not JSON at all ("<instance> is in state <state>") is plain text throughout.
  const plainText = !/^\s*[[{"]/.test(template);
  let out = '';
  let inString = plainText;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '\\' && inString && !plainText) {
      out += c + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"' && !plainText) {
      inString = !inString;
      out += c;
      continue;
    }
    if (c === '<') {
      const m = /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i));
      if (m && m[1]! in values) {
        const v = values[m[1]!];
        if (inString) out += v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
        else out += v === undefined ? 'null' : JSON.stringify(v);
        i += m[0].length - 1;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** What a target receives: the whole event, a constant Input, an InputPath or an InputTransformer. */
export function targetInput(target: LocalRuleTarget, event: BusEvent, rule?: LocalRule): unknown {
  if (target.input !== undefined) return JSON.parse(target.input);
  if (target.inputPath) return jsonPath(event, target.inputPath);
  if (target.inputTransformer) {
    const { detail: _detail, ...withoutDetail } = event;
    const values: Record<string, unknown> = Object.fromEntries(
      Object.entries(target.inputTransformer.inputPathsMap ?? {}).map(([k, p]) => [k, jsonPath(event, p)]),
    );
    // The reserved variables (EventBridge user guide, "Predefined variables"): aws.events.event is the
    // event without its detail, aws.events.event.json the whole event.
    Object.assign(values, {
      'aws.events.event': withoutDetail,
      'aws.events.event.json': event,
      'aws.events.event.ingestion-time': event.time,
      ...(rule ? { 'aws.events.rule-arn': rule.arn, 'aws.events.rule-name': rule.name } : {}),
    });
    const text = renderInputTemplate(target.inputTransformer.inputTemplate, values);
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return event;
}

/**
 * The local event bus: PutEvents → archive → every enabled rule of the bus whose pattern matches
 * → its targets, with retries and the target's dead-letter queue, as EventBridge does. Rules come
 * from the template and from PutRule at runtime; replays send archived events to chosen rules only.
 */
export function createEventRouter(options: EventRouterOptions) {
  const { model } = options;
  const inFlight = new Set<Promise<void>>();
  const maxRetries = options.maxRetries ?? 2;
  const delay = options.retryDelayMs ?? 200;
  const busNames = new Set(model.buses.map((b) => b.name).concat('default'));
  mkdirSync(options.archiveDir, { recursive: true });

  const allRules = () => [...model.rules, ...(options.runtimeRules?.() ?? [])];

  const deliverWithRetry = async (rule: LocalRule, target: LocalRuleTarget, event: BusEvent) => {
    let payload: unknown;
    let attempts = 0;
    let lastError: unknown;
    try {
      payload = targetInput(target, event, rule);
      attempts = 1 + Math.min(maxRetries, target.maximumRetryAttempts ?? maxRetries);
    } catch (err) {
      lastError = err;
    }
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await options.deliver(target.arn, payload, rule, target);
        return;
      } catch (err) {
        lastError = err;
        if (attempt < attempts) await new Promise((r) => setTimeout(r, delay * attempt));
      }
    }
    const message = (lastError as Error)?.message ?? String(lastError);
    const reason = `rule ${rule.name} target ${target.id}: ${message}`;
    if (target.deadLetterArn) {
      // EventBridge sends the original event to the DLQ, with these message attributes.
      await options
        .deadLetter(
          target.deadLetterArn,
          event,
          {
            ERROR_CODE: 'SQSEventDeliveryFailure',
            ERROR_MESSAGE: message.slice(0, 256),
            RULE_ARN: rule.arn,
            TARGET_ARN: target.arn,
          },
          rule,
        )
        .catch((err: Error) =>
          options.log(`event ${event.id} lost: ${reason}; its DLQ refused it too: ${err.message}`),
        );
    } else
      options.log(
        `event ${event.id} (${event['detail-type']}) dropped after ${attempts} attempts: ${reason}`,
      );
  };

  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };

  const route = (busName: string, event: BusEvent, only?: ReadonlySet<string>) => {
    const deliveries: Promise<void>[] = [];
    for (const rule of allRules()) {
      if (!rule.enabled || rule.busName !== busName || rule.pattern === undefined) continue;
      if (only && !only.has(rule.arn)) continue;
      if (!matchesEventPattern(rule.pattern, event)) continue;
      for (const target of rule.targets) deliveries.push(track(deliverWithRetry(rule, target, event)));
    }
    return deliveries;
  };

  return {
    /** Every rule the bus routes by: the template's and those created at runtime. */
    rules: allRules,

    putEvents(entries: PutEventsEntry[]) {
      const results = entries.map((entry) => {
        const busName = busNameOf(entry.EventBusName);
        if (!busNames.has(busName)) {
          return {
            ErrorCode: 'ResourceNotFoundException',
            ErrorMessage: `Event bus ${busName} does not exist.`,
          };
        }
        if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
          return {
            ErrorCode: 'InvalidArgument',
            ErrorMessage: 'Source, DetailType and Detail are required.',
          };
        }
        let detail: unknown;
        try {
          detail = JSON.parse(entry.Detail);
        } catch {
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        }
        // The SDK sends Time as epoch seconds; a caller of this function may pass a Date or ISO text.
        const time = entry.Time
          ? new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time)
          : new Date();
        const event: BusEvent = {
          version: '0',
          id: randomUUID(),
          'detail-type': entry.DetailType,
          source: entry.Source,
          account: model.account,
          time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region: model.region,
          resources: entry.Resources ?? [],
          detail,
        };
        appendFileSync(path.join(options.archiveDir, `${busName}.jsonl`), `${JSON.stringify(event)}\n`);
        route(busName, event);
        return { EventId: event.id };
      });
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    },

    /**
     * Sends archived events again, as a replay does: each carries `replay-name`, goes only to the
     * rules in `ruleArns` (every rule of the bus when empty) and is not archived a second time.
     * Resolves when every delivery has finished.
     */
    async replay(busName: string, events: readonly BusEvent[], replayName: string, ruleArns: string[]) {
      const only = ruleArns.length > 0 ? new Set(ruleArns) : undefined;
      const deliveries = events.flatMap((e) => route(busName, { ...e, 'replay-name': replayName }, only));
      await Promise.allSettled(deliveries);
    },

    /** Fires a scheduled rule: its targets receive a "Scheduled Event" as EventBridge sends it. */
    fireSchedule(rule: LocalRule, at: Date) {
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: model.account,
        time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: model.region,
        resources: [rule.arn],
        detail: {},
      };
      const deliveries = rule.targets.map((target) => track(deliverWithRetry(rule, target, event)));
      return Promise.all(deliveries).then(() => undefined);
    },

    /** Resolves when every delivery started so far has finished (tests wait on it). */
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

export type EventRouter = ReturnType<typeof createEventRouter>;
