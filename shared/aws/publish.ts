import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { type DetailType, type EventDetail, toPutEventsEntry } from '../events/publishable';
import { env, eventBridge } from './clients';

export interface Publishable<T extends DetailType = DetailType> {
  detailType: T;
  detail: EventDetail<T>;
}

/**
 * Publishes events on the deployment's bus (KCBX_EVENT_BUS), each validated against the catalogue.
 * PutEvents can fail for some entries of a call: those are retried with backoff, and a failure
 * that persists throws, so the caller's message is retried by its queue. Events carry a stable
 * eventId, so a repeat after a crash is recognisable by consumers.
 */
export async function publishEvents(events: readonly Publishable[], attempts = 4): Promise<void> {
  const bus = env('KCBX_EVENT_BUS');
  let pending: PutEventsRequestEntry[] = events.map((e) =>
    toPutEventsEntry(e.detailType, e.detail as never, bus),
  );
  for (let attempt = 1; pending.length > 0; attempt++) {
    const batches: PutEventsRequestEntry[][] = [];
    for (let i = 0; i < pending.length; i += 10) batches.push(pending.slice(i, i + 10));
    const failed: PutEventsRequestEntry[] = [];
    for (const batch of batches) {
      const res = await eventBridge().send(new PutEventsCommand({ Entries: batch }));
      res.Entries?.forEach((entry, i) => {
        if (entry.ErrorCode) failed.push(batch[i]!);
      });
    }
    if (failed.length === 0) return;
    if (attempt >= attempts) {
      throw new Error(`${failed.length} event(s) could not be published after ${attempts} attempts`);
    }
    pending = failed;
    await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
  }
}
