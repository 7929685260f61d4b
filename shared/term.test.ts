import { describe, expect, it } from 'vitest';
import { defaultPeriod, termOfRoster } from './term';

describe('terms', () => {
  it('takes the current term: autumn from August to January, spring from February to July', () => {
    expect(defaultPeriod('2025-09-08')).toBe('2025-autumn');
    expect(defaultPeriod('2026-01-10')).toBe('2025-autumn');
    expect(defaultPeriod('2026-03-02')).toBe('2026-spring');
    expect(defaultPeriod('2026-08-25')).toBe('2026-autumn');
  });

  it("recomputes a term roster's own term, and for a roster of a day the term current today", () => {
    expect(termOfRoster('2025-autumn', '2026-03-02')).toBe('2025-autumn');
    expect(termOfRoster('2025-10-09', '2026-03-02')).toBe('2026-spring');
    expect(termOfRoster('2025-winter', '2025-10-09')).toBe('2025-autumn');
  });
});
