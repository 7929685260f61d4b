/**
 * 事件样例 — one valid detail per event type (and a few variants), for unit tests, integration tests
 * and documentation. The child is always a pseudonym and a masked ID; the region is 富民县 (530124).
 */
import type { ChildRef } from './envelope';
import type { DetailType, EventDetail } from './publishable';

export const SAMPLE_REGION = '530124';
export const SAMPLE_TOWNSHIP = '530124100';
export const SAMPLE_SCHOOL = '2153012401';

export const sampleChild: ChildRef = {
  childKey: 'c_abcdefghijklmnopqrstuvwxyz234567',
  maskedId: '5301**********123X',
};

const common = { schemaVersion: 1, region: SAMPLE_REGION, occurredAt: '2025-09-12T07:30:00.000Z' } as const;

/** A valid detail for every detail-type in the catalogue. */
export const eventSamples: { [K in DetailType]: EventDetail<K> } = {
  'roster.accepted': {
    ...common,
    eventId: '01K4Y3F7M2N8P5Q6R7S8T9V0WX',
    uploadId: 'up_01K4Y3F2A1B2C3D4E5F6G7H8J9',
    kind: 'enrollment',
    org: SAMPLE_SCHOOL,
    period: '2025-autumn',
    counts: { rows: 812, accepted: 809, rejected: 3, warnings: 12 },
  },
  'roster.rejected': {
    ...common,
    eventId: '01K4Y3G0A1B2C3D4E5F6G7H8J9',
    uploadId: 'up_01K4Y3F9Z8Y7X6W5V4T3S2R1Q0',
    kind: 'household',
    org: SAMPLE_TOWNSHIP,
    reasons: [
      {
        code: 'MISSING_ID_COLUMN',
        zh: '找不到身份证号列，请确认表头含“身份证号”或“公民身份号码”。',
        en: 'No ID-number column found; make sure a header reads 身份证号 or 公民身份号码.',
        line: 1,
      },
    ],
  },
  'comparison.completed': {
    ...common,
    eventId: '01K4Y3H1A1B2C3D4E5F6G7H8J9',
    comparisonId: 'cmp_2025-autumn_530124',
    asOf: '2025-09-12',
    counts: {
      CONSISTENT: 24510,
      NOT_ENROLLED: 41,
      ENROLLED_ABSENT: 7,
      PRESENT_UNENROLLED: 3,
      IDENTITY_MISMATCH: 2,
      DUPLICATE_ENROLLMENT: 1,
      DEFERRED: 5,
      outOfWindow: 318,
    },
  },
  'dropout.suspected': {
    ...common,
    eventId: '01K4Y3J2A1B2C3D4E5F6G7H8J9',
    child: sampleChild,
    source: 'COMPARISON',
    outcome: 'ENROLLED_ABSENT',
    school: SAMPLE_SCHOOL,
    township: SAMPLE_TOWNSHIP,
    priority: true,
    asOf: '2025-09-12',
    evidence: [
      { uploadId: 'up_01K4Y3F2A1B2C3D4E5F6G7H8J9', line: 118 },
      { uploadId: 'up_01K4Y3F5K1L2M3N4P5Q6R7S8T9', line: 97 },
    ],
  },
  'dropout.resolved': {
    ...common,
    eventId: '01K4Y3K3A1B2C3D4E5F6G7H8J9',
    child: sampleChild,
    comparisonId: 'cmp_2026-spring_530124',
    previousOutcome: 'ENROLLED_ABSENT',
    outcome: 'CONSISTENT',
  },
  'attendance.missing': {
    ...common,
    eventId: '01K4Y3M4A1B2C3D4E5F6G7H8J9',
    school: SAMPLE_SCHOOL,
    township: SAMPLE_TOWNSHIP,
    date: '2025-09-12',
  },
  'case.opened': {
    ...common,
    eventId: '01K4Y3N5A1B2C3D4E5F6G7H8J9',
    caseId: 'case_01K4Y3N5A1B2C3D4E5F6G7H8J9',
    child: sampleChild,
    school: SAMPLE_SCHOOL,
    township: SAMPLE_TOWNSHIP,
    source: 'COMPARISON',
    priority: true,
  },
  'case.state-changed': {
    ...common,
    eventId: '01K4Y3P6A1B2C3D4E5F6G7H8J9',
    caseId: 'case_01K4Y3N5A1B2C3D4E5F6G7H8J9',
    child: sampleChild,
    from: 'VERIFYING',
    to: 'CONFIRMED',
    version: 3,
    actor: { role: 'school', org: SAMPLE_SCHOOL },
  },
  'case.overdue': {
    ...common,
    eventId: '01K4Y3Q7A1B2C3D4E5F6G7H8J9',
    caseId: 'case_01K4Y3N5A1B2C3D4E5F6G7H8J9',
    child: sampleChild,
    item: 'FIRST_HOME_VISIT',
    dueOn: '2025-09-19',
    escalationLevel: 1,
    escalatedTo: 'township',
  },
  'case.closed': {
    ...common,
    eventId: '01K4Y3R8A1B2C3D4E5F6G7H8J9',
    caseId: 'case_01K4Y3N5A1B2C3D4E5F6G7H8J9',
    child: sampleChild,
    closedAs: 'RETAINED',
  },
  'student.returned': {
    ...common,
    eventId: '01K4Y3S9A1B2C3D4E5F6G7H8J9',
    caseId: 'case_01K4Y3N5A1B2C3D4E5F6G7H8J9',
    child: sampleChild,
    school: SAMPLE_SCHOOL,
    returnedOn: '2025-10-09',
  },
  'subsidy.determined': {
    ...common,
    eventId: '01K4Y3T0A1B2C3D4E5F6G7H8J9',
    runId: 'sub_2025-2026-1_530124_r1',
    semester: '2025-2026-1',
    policyVersion: '530124-2025.1',
    totals: [
      { benefit: 'BOARDING_LIVING', count: 3120, amountFen: 187_800_000 },
      { benefit: 'NUTRITION', count: 15_044, amountFen: 300_880_000 },
    ],
  },
  'subsidy.held': {
    ...common,
    eventId: '01K4Y3V1A1B2C3D4E5F6G7H8J9',
    runId: 'sub_2025-2026-1_530124_r1',
    child: sampleChild,
    benefit: 'BOARDING_LIVING',
    reason: 'NOT_AT_SCHOOL',
  },
};

/** More valid details where one type has several shapes (dropout.suspected by source). */
export const eventSampleVariants: { [K in DetailType]?: readonly EventDetail<K>[] } = {
  'dropout.suspected': [
    {
      ...common,
      eventId: '01K4Y3W2A1B2C3D4E5F6G7H8J9',
      child: sampleChild,
      source: 'ATTENDANCE',
      school: SAMPLE_SCHOOL,
      priority: false,
      asOf: '2025-10-15',
      streak: { days: 3, firstAbsent: '2025-10-13', lastAbsent: '2025-10-15' },
      evidence: [{ uploadId: 'att_2153012401_2025-10-13', line: 41 }],
    },
    {
      ...common,
      eventId: '01K4Y3X3A1B2C3D4E5F6G7H8J9',
      child: sampleChild,
      source: 'MANUAL',
      township: SAMPLE_TOWNSHIP,
      priority: false,
      asOf: '2025-10-20',
      evidence: [],
    },
  ],
  'case.opened': [
    {
      ...common,
      eventId: '01K4Y3Y4A1B2C3D4E5F6G7H8J9',
      caseId: 'case_01K4Y3Y4A1B2C3D4E5F6G7H8J9',
      child: sampleChild,
      source: 'ATTENDANCE',
      priority: false,
      causeCategory: 'WEARINESS',
    },
  ],
  'roster.accepted': [
    {
      ...common,
      eventId: '01K4Y3Z5A1B2C3D4E5F6G7H8J9',
      uploadId: 'att_2153012401_2025-10-13',
      kind: 'attendance',
      org: SAMPLE_SCHOOL,
      period: '2025-10-13',
      counts: { rows: 812, accepted: 812, rejected: 0, warnings: 0 },
    },
  ],
};

/** Every valid sample, as [detailType, detail] pairs. */
export function allEventSamples(): Array<[DetailType, unknown]> {
  const pairs: Array<[DetailType, unknown]> = [];
  for (const [type, detail] of Object.entries(eventSamples) as Array<[DetailType, unknown]>) {
    pairs.push([type, detail]);
    for (const variant of eventSampleVariants[type] ?? []) pairs.push([type, variant]);
  }
  return pairs;
}
