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
  /** Hands a payload to a target ARN (a function or a queue). Throws when delivery fails. */
  deliver: (arn: string, payload: unknown) => Promise<void>;
  /** Sends a failed event to a target's dead-letter queue. */
  deadLetter: (queueArn: string, payload: unknown, reason: string) => Promise<void>;
  archiveDir: string;
  log: (line: string) => void;
  /** Retries after the first failed attempt (EventBridge retries for up to 24 h; locally a few). */
  maxRetries?: number;
  retryDelayMs?: number;
}

const busNameOf = (nameOrArn: string | undefined) => {
  const value = nameOrArn || 'default';
  return value.startsWith('arn:') ? value.slice(value.lastIndexOf('/') + 1) : value;
};

/** Evaluates `$.a.b` style paths (InputPath and InputTransformer paths). */
function jsonPath(value: unknown, p: string): unknown {
  if (p === '$') return value;
  return p
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>(
      (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
      value,
    );
}

/** What a target receives: the whole event, a constant Input, an InputPath or an InputTransformer. */
export function targetInput(target: LocalRuleTarget, event: BusEvent): unknown {
  if (target.input !== undefined) return JSON.parse(target.input);
  if (target.inputPath) return jsonPath(event, target.inputPath);
  if (target.inputTransformer) {
    const values = Object.fromEntries(
      Object.entries(target.inputTransformer.inputPathsMap ?? {}).map(([k, p]) => [k, jsonPath(event, p)]),
    );
    const text = target.inputTransformer.inputTemplate.replace(/<([A-Za-z0-9_.-]+)>/g, (m, name: string) => {
      if (name === 'aws.events.event.json') return JSON.stringify(event);
      if (name === 'aws.events.rule-arn' || name === 'aws.events.rule-name') return m;
      const v = values[name];
      if (v === undefined) return 'null';
      return typeof v === 'string' ? v : JSON.stringify(v);
    });
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
 * → its targets, with retries and the target's dead-letter queue, as EventBridge does.
 */
export function createEventRouter(options: EventRouterOptions) {
  const { model } = options;
  const inFlight = new Set<Promise<void>>();
  const maxRetries = options.maxRetries ?? 2;
  const delay = options.retryDelayMs ?? 200;
  const busNames = new Set(model.buses.map((b) => b.name).concat('default'));
  mkdirSync(options.archiveDir, { recursive: true });

  const deliverWithRetry = async (rule: LocalRule, target: LocalRuleTarget, event: BusEvent) => {
    const payload = targetInput(target, event);
    const attempts = 1 + Math.min(maxRetries, target.maximumRetryAttempts ?? maxRetries);
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await options.deliver(target.arn, payload);
        return;
      } catch (err) {
        lastError = err;
        if (attempt < attempts) await new Promise((r) => setTimeout(r, delay * attempt));
      }
    }
    const reason = `rule ${rule.logicalId} target ${target.id}: ${(lastError as Error)?.message ?? lastError}`;
    if (target.deadLetterArn) await options.deadLetter(target.deadLetterArn, event, reason);
    else
      options.log(
        `event ${event.id} (${event['detail-type']}) dropped after ${attempts} attempts: ${reason}`,
      );
  };

  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const route = (busName: string, event: BusEvent) => {
    for (const rule of model.rules) {
      if (!rule.enabled || rule.busName !== busName || rule.pattern === undefined) continue;
      if (!matchesEventPattern(rule.pattern, event)) continue;
      for (const target of rule.targets) track(deliverWithRetry(rule, target, event));
    }
  };

  return {
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
        const time = entry.Time ? new Date(entry.Time) : new Date();
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
        resources: [`arn:aws:events:${model.region}:${model.account}:rule/${rule.logicalId}`],
        detail: {},
      };
      const deliveries = rule.targets.map((target) => deliverWithRetry(rule, target, event));
      for (const d of deliveries) track(d);
      return Promise.all(deliveries).then(() => undefined);
    },

    /** Resolves when every delivery started so far has finished (tests wait on it). */
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

export type EventRouter = ReturnType<typeof createEventRouter>;
