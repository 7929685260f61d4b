// Vitest setup: every test file starts on the runner's test clock — the machine's, or the instant
// KCBX_TEST_NOW names (vitest.config.ts turns it into one offset for all test processes) — and every Node
// process a test starts follows the test's clock (test/clock-preload.mjs).
import { offsetFromEnv } from '../infra/local/test-clock.mjs';
import { setTestClockOffset } from './clock';

const preload = `--import=${new URL('./clock-preload.mjs', import.meta.url).href}`;
if (!process.env.NODE_OPTIONS?.includes(preload))
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' ');
// Installed even at offset 0, so a test file can set its own clock later (useTestClock).
setTestClockOffset(offsetFromEnv() ?? 0);
