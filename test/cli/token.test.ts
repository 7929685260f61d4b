import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { deployments } from '../../infra/config/deployments';
import { ensureDevIssuer, verifyDevToken } from '../../infra/local/dev-issuer';
import { ORG_CLAIM, ROLE_CLAIM } from '../../shared/org';
import { runKcbx } from '../run-cli';

const local = deployments.find((d) => d.local)!;

describe('kcbx token', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'kcbx-token-'));

  it('prints a token of the local issuer that carries the role and organisation', async () => {
    const { status, stdout, stderr } = runKcbx(['token', '--role', 'school', '--org', '5301240001'], {
      KCBX_HOME: home,
    });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const token = stdout.trim();
    const dev = await ensureDevIssuer(home, local.identity.issuer, local.identity.audience[0]!);
    const claims = await verifyDevToken(dev, token);
    expect(claims).toMatchObject({
      [ROLE_CLAIM]: 'school',
      [ORG_CLAIM]: '5301240001',
      iss: local.identity.issuer,
    });
  });

  it('keeps one key pair between calls, so earlier tokens stay valid', async () => {
    const first = runKcbx(['token', '--role', 'county', '--org', '530124'], {
      KCBX_HOME: home,
    }).stdout.trim();
    const dev = await ensureDevIssuer(home, local.identity.issuer, local.identity.audience[0]!);
    await expect(verifyDevToken(dev, first)).resolves.toMatchObject({ [ROLE_CLAIM]: 'county' });
  });

  it('honours --ttl', () => {
    const token = runKcbx(['token', '--role', 'ops', '--org', '530124', '--ttl', '30m'], {
      KCBX_HOME: home,
    }).stdout;
    const { iat, exp } = decodeJwt(token.trim());
    expect(exp! - iat!).toBe(30 * 60);
  });

  it('refuses an organisation code that does not fit the role, saying how to fix it', () => {
    const { status, stdout, stderr } = runKcbx(['token', '--role', 'county', '--org', '5301240001'], {
      KCBX_HOME: home,
    });
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('6-digit region code');
    expect(stderr).toContain('行政区划代码');
  });

  it('refuses an unknown role', () => {
    const { status, stderr } = runKcbx(['token', '--role', 'principal', '--org', '5301240001'], {
      KCBX_HOME: home,
    });
    expect(status).toBe(1);
    expect(stderr).toMatch(/school.*township.*county.*partner.*ops/);
  });
});
