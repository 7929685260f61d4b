// Preloaded (NODE_OPTIONS=--import) into every Node process a test starts — the kcbx command, `npm start`,
// a synthesis — so that it reads the same clock as the test that started it (see test/clock.ts).
import { OFFSET_ENV, offsetFromEnv, shiftClock } from '../infra/local/test-clock.mjs';

const offset = offsetFromEnv();
if (offset !== undefined) {
  shiftClock(offset);
  process.env[OFFSET_ENV] = String(offset); // its own children read the same clock
}
