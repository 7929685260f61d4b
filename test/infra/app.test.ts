import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/constructs/service-function';

const cdkContext = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;

/** A child synthesis of every stack, nested ones included, can take a minute on a loaded machine. */
const SYNTH_TIMEOUT_MS = 240_000;

/** Runs infra/app.ts as `cdk synth` does, with a deployment list from a JSON file. */
function synthWith(config: unknown) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kcbx-config-'));
  const file = path.join(dir, 'deployments.json');
  writeFileSync(file, JSON.stringify(config));
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'infra/app.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      KCBX_CONFIG: file,
      CDK_OUTDIR: path.join(dir, 'out'),
      // What the cdk CLI passes: cdk.json's context, here without bundling.
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext, 'aws:cdk:bundling-stacks': [] }),
    },
    encoding: 'utf8',
    timeout: SYNTH_TIMEOUT_MS,
  });
}

const good = {
  id: 'sample',
  name: '样例县',
  regionCode: '530124',
  aws: { region: 'cn-northwest-1' },
  identity: { issuer: 'https://id.example.cn/realms/kcbx', audience: ['kcbx-api'] },
};

describe('infra/app.ts with an operations team’s own configuration', () => {
  it('fails with a clear message for an unknown region code and a missing issuer', {
    timeout: SYNTH_TIMEOUT_MS,
  }, () => {
    const result = synthWith([{ ...good, regionCode: '990124', identity: { audience: ['kcbx-api'] } }]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid deployment configuration');
    expect(result.stderr).toContain('0.regionCode: unknown region code');
    expect(result.stderr).toContain('0.identity.issuer: missing or invalid identity.issuer');
  });

  it('synthesizes the stacks of a valid configuration', { timeout: SYNTH_TIMEOUT_MS }, () => {
    const result = synthWith([good]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
