/**
 * The test clock for test files. A scenario that happens on particular days — a case opened on 2026-03-04
 * and closed in the autumn, a roster for the 2026 autumn term — sets the clock to a time in it; the test
 * then reads the same "now" as everything it talks to: the local cloud's functions, its emulators and
 * token checks, and any command it runs. Time still passes at its real pace from there.
 */
import { afterAll, beforeAll } from 'vitest';
import { clockOffsetMs, OFFSET_ENV, parseInstant, realNow, shiftClock } from '../infra/local/test-clock.mjs';

/** Sets this test process's clock `offsetMs` ahead of the machine's, and that of the processes it starts. */
export function setTestClockOffset(offsetMs: number): void {
  shiftClock(offsetMs);
  if (offsetMs !== 0) process.env[OFFSET_ENV] = String(Math.round(offsetMs));
  else {
    // The machine's clock: a process started now must not read KCBX_TEST_NOW afresh either.
    delete process.env[OFFSET_ENV];
    delete process.env.KCBX_TEST_NOW;
  }
}

/** Sets the clock to read `instant` (ISO 8601 with its zone, e.g. 2026-11-20T10:00:00+08:00) now. */
export function setTestClock(instant: string): void {
  setTestClockOffset(parseInstant(instant) - realNow());
}

/** The test file's hooks and tests run with the clock reading `instant` when they begin. */
export function useTestClock(instant: string): void {
  parseInstant(instant); // a malformed instant fails the file at once
  let before = 0;
  beforeAll(() => {
    before = clockOffsetMs();
    setTestClock(instant);
  });
  afterAll(() => setTestClockOffset(before));
}
