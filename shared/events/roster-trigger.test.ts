import { describe, expect, it } from 'vitest';
import { rosterAcceptedMessageSchema, rosterTrigger } from './roster-trigger';

const delivered = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'roster.accepted',
  source: 'kcbx.roster-intake',
  time: '2025-09-08T02:00:00Z',
  detail: {
    schemaVersion: 1,
    eventId: 'e_1',
    occurredAt: '2025-09-08T02:00:00.000Z',
    region: '530124',
    uploadId: 'up-1',
    kind: 'enrollment',
    org: '5301240001',
    period: '2025-autumn',
    counts: { rows: 3, accepted: 3, rejected: 0, warnings: 0 },
  },
};

describe('roster.accepted as a run trigger', () => {
  it('takes the event id, the roster and its term from the event a rule delivers', () => {
    expect(rosterTrigger(rosterAcceptedMessageSchema.parse(delivered))).toEqual({
      type: 'roster',
      eventId: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      uploadId: 'up-1',
      kind: 'enrollment',
      period: '2025-autumn',
    });
  });

  it('is not taken for another event', () => {
    expect(
      rosterAcceptedMessageSchema.safeParse({ ...delivered, 'detail-type': 'roster.rejected' }).success,
    ).toBe(false);
  });
});
