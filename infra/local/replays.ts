import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  awsError,
  epochSeconds,
  type JsonOperation,
  readState,
  timestampOf,
  validationError,
  writeState,
} from './aws-json';
import { matchesEventPattern } from './event-pattern';
import type { BusEvent, EventRouter } from './event-router';
import type { LocalModel } from './template';

type ReplayState = 'STARTING' | 'RUNNING' | 'COMPLETED' | 'FAILED';

interface Replay {
  ReplayName: string;
  ReplayArn: string;
  Description?: string;
  EventSourceArn: string;
  Destination: { Arn: string; FilterArns?: string[] };
  EventStartTime: string;
  EventEndTime: string;
  State: ReplayState;
  StateReason?: string;
  ReplayStartTime: string;
  ReplayEndTime?: string;
  EventLastReplayedTime?: string;
  /** Local only: how many archived events were sent again (DescribeReplay does not report it). */
  eventsReplayed?: number;
}

const NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

const describe = (r: Replay) => ({
  ReplayName: r.ReplayName,
  ReplayArn: r.ReplayArn,
  Description: r.Description,
  EventSourceArn: r.EventSourceArn,
  Destination: r.Destination,
  State: r.State,
  StateReason: r.StateReason,
  EventStartTime: epochSeconds(r.EventStartTime),
  EventEndTime: epochSeconds(r.EventEndTime),
  EventLastReplayedTime: epochSeconds(r.EventLastReplayedTime),
  ReplayStartTime: epochSeconds(r.ReplayStartTime),
  ReplayEndTime: epochSeconds(r.ReplayEndTime),
});

/** Reads a bus's archive file line by line (it grows with every event; never read it whole). */
async function* archivedEvents(file: string): AsyncGenerator<BusEvent> {
  if (!existsSync(file)) return;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim()) yield JSON.parse(line) as BusEvent;
}

/**
 * EventBridge replays (StartReplay, DescribeReplay, ListReplays) from the archives the template
 * declares. The events of the archive's bus that match its pattern and whose `time` lies in
 * [EventStartTime, EventEndTime) are sent again, oldest first, to the rules named in
 * Destination.FilterArns only, each marked with `replay-name`. A replay is COMPLETED when every
 * delivery it started has finished. Replays are kept in the data folder, like the rules.
 */
export function createReplays(opts: {
  model: LocalModel;
  router: EventRouter;
  archiveDir: string;
  file: string;
  log: (line: string) => void;
}) {
  const { model, router } = opts;
  const state = readState<{ replays: Replay[] }>(opts.file, { replays: [] });
  const save = () => writeState(opts.file, state);
  const running = new Set<Promise<void>>();

  // A replay cut short by a stop does not resume: EventBridge would have finished it, locally it failed.
  for (const r of state.replays) {
    if (r.State === 'STARTING' || r.State === 'RUNNING') {
      r.State = 'FAILED';
      r.StateReason = 'The local cloud stopped during the replay.';
    }
  }

  const run = async (replay: Replay, busName: string, pattern: unknown) => {
    replay.State = 'RUNNING';
    save();
    try {
      const from = new Date(replay.EventStartTime).getTime();
      const to = new Date(replay.EventEndTime).getTime();
      const events: BusEvent[] = [];
      for await (const event of archivedEvents(path.join(opts.archiveDir, `${busName}.jsonl`))) {
        const at = new Date(event.time).getTime();
        if (at < from || at >= to) continue;
        if (pattern !== undefined && !matchesEventPattern(pattern, event)) continue;
        events.push(event);
      }
      events.sort((a, b) => a.time.localeCompare(b.time));
      await router.replay(busName, events, replay.ReplayName, replay.Destination.FilterArns ?? []);
      replay.State = 'COMPLETED';
      replay.eventsReplayed = events.length;
      replay.EventLastReplayedTime = events.at(-1)?.time;
    } catch (err) {
      replay.State = 'FAILED';
      replay.StateReason = (err as Error).message;
      opts.log(`replay ${replay.ReplayName} failed: ${(err as Error).message}`);
    }
    replay.ReplayEndTime = new Date().toISOString();
    save();
  };

  const find = (name: unknown) => {
    const replay = state.replays.find((r) => r.ReplayName === name);
    if (!replay) throw awsError(400, 'ResourceNotFoundException', `Replay ${String(name)} does not exist.`);
    return replay;
  };

  const operations: Record<string, JsonOperation> = {
    'AWSEvents.StartReplay': (body) => {
      const name = String(body.ReplayName ?? '');
      if (!NAME.test(name)) throw validationError('ReplayName must match [.\\-_A-Za-z0-9]{1,64}.');
      if (state.replays.some((r) => r.ReplayName === name))
        throw awsError(400, 'ResourceAlreadyExistsException', `Replay ${name} already exists.`);
      const archive = model.archives.find((a) => a.arn === body.EventSourceArn);
      if (!archive)
        throw awsError(
          400,
          'ResourceNotFoundException',
          `Archive ${String(body.EventSourceArn)} does not exist.`,
        );
      const destination = (body.Destination ?? {}) as { Arn?: string; FilterArns?: string[] };
      if (destination.Arn !== archive.busArn)
        throw validationError(
          'Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.',
        );
      const rules = router.rules().filter((r) => r.busName === archive.busName);
      for (const arn of destination.FilterArns ?? []) {
        if (!rules.some((r) => r.arn === arn))
          throw validationError(
            `Parameter Destination.FilterArns is not valid. Reason: Rule ${arn} does not exist on event bus ${archive.busName}.`,
          );
      }
      const start = timestampOf(body.EventStartTime);
      const end = timestampOf(body.EventEndTime);
      if (!start || !end) throw validationError('EventStartTime and EventEndTime are required.');
      if (start >= end)
        throw validationError(
          'Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.',
        );
      const replay: Replay = {
        ReplayName: name,
        ReplayArn: `arn:aws:events:${model.region}:${model.account}:replay/${name}`,
        Description: typeof body.Description === 'string' ? body.Description : undefined,
        EventSourceArn: archive.arn,
        Destination: { Arn: archive.busArn, FilterArns: destination.FilterArns },
        EventStartTime: start.toISOString(),
        EventEndTime: end.toISOString(),
        State: 'STARTING',
        ReplayStartTime: new Date().toISOString(),
      };
      state.replays.push(replay);
      save();
      const p = run(replay, archive.busName, archive.pattern);
      running.add(p);
      void p.finally(() => running.delete(p));
      return {
        ReplayArn: replay.ReplayArn,
        State: replay.State,
        ReplayStartTime: epochSeconds(replay.ReplayStartTime),
      };
    },

    'AWSEvents.DescribeReplay': (body) => describe(find(body.ReplayName)),

    'AWSEvents.ListReplays': (body) => ({
      Replays: state.replays
        .filter((r) => !body.NamePrefix || r.ReplayName.startsWith(String(body.NamePrefix)))
        .filter((r) => !body.State || r.State === body.State)
        .filter((r) => !body.EventSourceArn || r.EventSourceArn === body.EventSourceArn)
        .map((r) => {
          const { Destination: _d, Description: _desc, ReplayArn: _arn, ...summary } = describe(r);
          return summary;
        }),
    }),
  };

  return {
    operations,
    /** Resolves when every replay started so far has finished. */
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
