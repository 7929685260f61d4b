import path from 'node:path';
import { PROJECT_ROOT } from '../constructs/service-function';

/** The one ignored folder where local state lives (emulator data, dev issuer keys). */
export function localDataDir(): string {
  return process.env.KCBX_HOME ? path.resolve(process.env.KCBX_HOME) : path.join(PROJECT_ROOT, '.kcbx');
}
