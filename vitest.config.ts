import { defineConfig } from 'vitest/config';
import { OFFSET_ENV, offsetFromEnv } from './infra/local/test-clock.mjs';

// KCBX_TEST_NOW=2027-01-04T10:00:00+08:00 runs the tests as if that were now (test/clock-setup.ts): read
// once here, so every test process, worker thread and command shares one clock.
const clockOffset = offsetFromEnv();

export default defineConfig({
  test: {
    include: [
      'shared/**/*.test.ts',
      'services/**/*.test.ts',
      'infra/**/*.test.ts',
      'cli/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    setupFiles: ['test/clock-setup.ts'],
    // Ceilings, not speed requirements: a local cloud (emulators, a synthesis, function workers loading
    // their handlers from source) or a spawned command takes minutes on a loaded two-core machine. A test
    // that hangs still fails; tests that need longer say so.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    env: {
      // Lambda runs nodejs22.x; the SDK's notice about Node 20 workstations is noise in test output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...(clockOffset === undefined ? {} : { [OFFSET_ENV]: String(clockOffset) }),
    },
  },
});
