import { readFileSync } from 'node:fs';
import { buildApp } from './build-app';
import { deployments as builtIn } from './config/deployments';
import { loadDeployments } from './config/schema';

// An operations team may keep its own list: `npx cdk synth -c kcbx:config=path/to/deployments.json`.
function deploymentsFromContext(): ReturnType<typeof loadDeployments> {
  const file = process.env.KCBX_CONFIG ?? contextValue('kcbx:config');
  if (!file) return builtIn;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read deployment configuration ${file}: ${(err as Error).message}`);
  }
  return loadDeployments(raw);
}

function contextValue(key: string): string | undefined {
  const json = process.env.CDK_CONTEXT_JSON;
  if (!json) return undefined;
  const value = (JSON.parse(json) as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

try {
  const { app } = buildApp(deploymentsFromContext());
  app.synth();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
