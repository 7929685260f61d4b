import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../infra/constructs/service-function';

/** Runs the kcbx command as a user does (a child process), with its own local data folder. */
export function runKcbx(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin/kcbx.mjs'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
