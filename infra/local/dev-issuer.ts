import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { ORG_CLAIM, parseCaller, ROLE_CLAIM } from '../../shared/org';

/**
 * The development OIDC issuer of the local deployment. Its key pair lives in the ignored local
 * data folder (never committed); the local cloud serves the public half as JWKS and its
 * authorizer verifies tokens against it, just as API Gateway does against a real issuer.
 */
export interface DevIssuer {
  issuer: string;
  audience: string;
  privateKey: JWK;
  publicKey: JWK;
}

const ALG = 'ES256';

export async function ensureDevIssuer(dataDir: string, issuer: string, audience: string): Promise<DevIssuer> {
  const dir = path.join(dataDir, 'dev-issuer');
  const file = path.join(dir, 'keys.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { privateKey: JWK; publicKey: JWK };
    return { issuer, audience, ...stored };
  }
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const kid = `dev-${Date.now().toString(36)}`;
  const pair = {
    privateKey: { ...(await exportJWK(privateKey)), kid, alg: ALG },
    publicKey: { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' },
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(pair, null, 2), { mode: 0o600 });
  return { issuer, audience, ...pair };
}

export interface DevTokenRequest {
  role: string;
  org: string;
  subject?: string;
  name?: string;
  /** Lifetime, e.g. '8h' (jose time span). */
  expiresIn?: string;
}

/** Signs a development token after checking that the role and organisation make sense together. */
export async function issueDevToken(dev: DevIssuer, request: DevTokenRequest): Promise<string> {
  const claims = { [ROLE_CLAIM]: request.role, [ORG_CLAIM]: request.org };
  const parsed = parseCaller({ ...claims, sub: request.subject ?? `dev-${request.role}-${request.org}` });
  if (!parsed.ok) throw new Error(`${parsed.error.en}\n${parsed.error.zh}`);
  const key = await importJWK(dev.privateKey, ALG);
  return new SignJWT({ ...claims, ...(request.name ? { name: request.name } : {}) })
    .setProtectedHeader({ alg: ALG, kid: dev.privateKey.kid, typ: 'JWT' })
    .setIssuer(dev.issuer)
    .setAudience(dev.audience)
    .setSubject(request.subject ?? `dev-${request.role}-${request.org}`)
    .setIssuedAt()
    .setExpirationTime(request.expiresIn ?? '8h')
    .sign(key);
}

export function devJwks(dev: DevIssuer): { keys: JWK[] } {
  return { keys: [dev.publicKey] };
}

/** Verifies a token as API Gateway's JWT authorizer would: signature, issuer, audience, expiry. */
export async function verifyDevToken(dev: DevIssuer, token: string) {
  const key = await importJWK(dev.publicKey, ALG);
  const { payload } = await jwtVerify(token, key, {
    issuer: dev.issuer,
    audience: dev.audience,
    requiredClaims: ['exp'],
  });
  return payload;
}
