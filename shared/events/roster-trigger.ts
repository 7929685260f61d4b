/**
 * roster.accepted as a run's trigger: a bus rule delivers the whole EventBridge event to the queue of
 * the comparison and of the subsidy run, and each recomputes the roster's term. Only the fields a run
 * needs are read; the event's own schema is the catalogue's (catalogue.ts).
 */
import { z } from 'zod';

/** The EventBridge event of an accepted roster, as a rule puts it on a queue. */
export const rosterAcceptedMessageSchema = z.object({
  'detail-type': z.literal('roster.accepted'),
  id: z.string(),
  detail: z.object({ uploadId: z.string(), kind: z.string(), period: z.string() }),
});

/** What a run needs of it: the event id (a run's id derives from it, so a redelivery names the same run). */
export interface RosterTrigger {
  type: 'roster';
  eventId: string;
  uploadId: string;
  kind: string;
  /** The roster's term ('2025-autumn'), or its day for a roster of one day. */
  period: string;
}

export function rosterTrigger(message: z.output<typeof rosterAcceptedMessageSchema>): RosterTrigger {
  const { uploadId, kind, period } = message.detail;
  return { type: 'roster', eventId: message.id, uploadId, kind, period };
}
