import { describe, expect, it } from 'vitest';
import { diffOutcomes, reportableOutcomes, type SuspectState } from './changes';

const r = (childKey: string, outcome: string) =>
  ({ childKey, outcome }) as { childKey: string; outcome: never };
const state = (childKey: string, outcome: string): [string, SuspectState] => [
  childKey,
  { childKey, outcome: outcome as never, since: 'cmp-1' },
];

describe('what a comparison run reports', () => {
  it('reports a child newly enrolled-but-absent or not enrolled', () => {
    const changes = diffOutcomes(new Map(), [
      r('a', 'ENROLLED_ABSENT'),
      r('b', 'NOT_ENROLLED'),
      r('c', 'CONSISTENT'),
    ]);
    expect(changes.map((c) => [c.kind, c.result.childKey])).toEqual([
      ['suspected', 'a'],
      ['suspected', 'b'],
    ]);
  });

  it('reports nothing new when the outcomes did not change', () => {
    const previous = new Map([state('a', 'ENROLLED_ABSENT'), state('b', 'NOT_ENROLLED')]);
    expect(
      diffOutcomes(previous, [r('a', 'ENROLLED_ABSENT'), r('b', 'NOT_ENROLLED'), r('c', 'CONSISTENT')]),
    ).toEqual([]);
  });

  it('resolves a child who moved from enrolled-but-absent to consistent', () => {
    const previous = new Map([state('a', 'ENROLLED_ABSENT')]);
    const [change] = diffOutcomes(previous, [r('a', 'CONSISTENT')]);
    expect(change).toMatchObject({ kind: 'resolved', previous: { outcome: 'ENROLLED_ABSENT' } });
  });

  it('reports again when the reason for suspicion changes', () => {
    const previous = new Map([state('a', 'NOT_ENROLLED')]);
    expect(diffOutcomes(previous, [r('a', 'ENROLLED_ABSENT')])[0]).toMatchObject({ kind: 'suspected' });
  });

  it('leaves a child who is no longer in the results as it was', () => {
    expect(diffOutcomes(new Map([state('a', 'NOT_ENROLLED')]), [])).toEqual([]);
  });
});

describe('a run with partial data', () => {
  it('does not report every registered child as not enrolled before any 学籍 roster arrived', () => {
    const onlyHousehold = reportableOutcomes(['household', 'poverty']);
    expect(diffOutcomes(new Map(), [r('a', 'NOT_ENROLLED')], onlyHousehold)).toEqual([]);
    expect(
      diffOutcomes(new Map(), [r('a', 'NOT_ENROLLED')], reportableOutcomes(['household', 'enrollment'])),
    ).toHaveLength(1);
  });
});
