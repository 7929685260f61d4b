import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../infra/constructs/service-function';

/**
 * Runs the kcbx command as a user does (a child process), with its own local data folder. It reads the
 * test's clock (test/clock-setup.ts preloads it through NODE_OPTIONS). The timeout is a ceiling for a
 * loaded machine, below the test's own.
 */
export function runKcbx(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin/kcbx.mjs'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 150_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
