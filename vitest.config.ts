import { defineConfig } from 'vitest/config';
import { OFFSET_ENV, offsetFromEnv } from './infra/local/test-clock.mjs';

// KCBX_TEST_NOW=2027-01-04T10:00:00+08:00 runs the tests as if that were now (test/clock-setup.ts): read
// once here, so every test process, worker thread and command shares one clock.
const clockOffset = offsetFromEnv();

/**
 * The test suite in tiers, each a project: `npm run test:unit` is the fast loop; `npm test` runs every tier
 * on both cores. A test file belongs to the tier of its folder:
 * - unit: pure code and in-process handlers, in worker threads;
 * - infra: the synthesized templates (cdk-nag included);
 * - cli: the `kcbx` command, mostly in-process, a few spawned;
 * - local: the local cloud (emulators, function workers), each file on its own cloud.
 */
const UNIT = [
  'shared/**/*.test.ts',
  'services/**/*.test.ts',
  'infra/**/*.test.ts',
  'cli/**/*.test.ts',
  'test/docs/**/*.test.ts',
  'test/architecture/**/*.test.ts',
  'test/clock.test.ts',
];

export default defineConfig({
  test: {
    setupFiles: ['test/clock-setup.ts'],
    // Ceilings, not speed requirements: a local cloud (emulators, a synthesis, function workers loading
    // their handlers from source) or a spawned command takes minutes on a loaded two-core machine. A test
    // that hangs still fails; tests that need longer say so.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Both cores: the default leaves one idle on a two-core machine.
    maxWorkers: 2,
    env: {
      // Lambda runs nodejs22.x; the SDK's notice about Node 20 workstations is noise in test output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...(clockOffset === undefined ? {} : { [OFFSET_ENV]: String(clockOffset) }),
    },
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, pool: 'threads' } },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'], pool: 'forks' } },
      { extends: true, test: { name: 'cli', include: ['test/cli/**/*.test.ts'], pool: 'forks' } },
      { extends: true, test: { name: 'local', include: ['test/local/**/*.test.ts'], pool: 'forks' } },
    ],
  },
});
