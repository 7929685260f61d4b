/**
 * 内置政策 — the policies shipped with kcbx, by the name the CLI accepts (`--policy national-baseline`).
 * A deployment publishes its region's own versions; these are the baseline and a worked example.
 */
import type { Policy } from '../policy';
import { nationalBaseline } from './national-baseline';
import { yunnanExample } from './yunnan-example';

export const BUILT_IN_POLICIES: ReadonlyMap<string, Policy> = new Map([
  [nationalBaseline.id, nationalBaseline],
  [yunnanExample.id, yunnanExample],
]);

export function builtInPolicy(name: string): Policy | undefined {
  return BUILT_IN_POLICIES.get(name);
}
