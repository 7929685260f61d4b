import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import type { LocalRoute } from './template';

/** How the local API verifies a token for an authorizer; undefined when the token is not valid. */
export type VerifyToken = (
  token: string,
  authorizer: NonNullable<LocalRoute['authorizer']>,
) => Promise<JWTPayload | undefined>;

export interface HttpApiOptions {
  routes: LocalRoute[];
  invoke: (functionArn: string, event: unknown) => Promise<unknown>;
  verifyToken: VerifyToken;
  /** Extra paths served before routing (JWKS, OIDC discovery). */
  extra?: Record<string, () => unknown>;
  account: string;
  log: (line: string) => void;
}

interface Match {
  route: LocalRoute;
  pathParameters: Record<string, string>;
  specificity: number;
}

/** API Gateway's route selection: exact paths beat {param} paths beat {proxy+} beat $default. */
function selectRoute(routes: LocalRoute[], method: string, path: string): Match | undefined {
  const segments = path.split('/').filter(Boolean);
  const matches: Match[] = [];
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method) continue;
    if (route.path === '$default') {
      matches.push({ route, pathParameters: {}, specificity: -1 });
      continue;
    }
    const parts = route.path.split('/').filter(Boolean);
    const params: Record<string, string> = {};
    let score = 0;
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const greedy = /^\{(.+)\+\}$/.exec(part);
      if (greedy) {
        if (i >= segments.length) ok = false;
        else params[greedy[1]!] = segments.slice(i).map(decodeURIComponent).join('/');
        score += 1;
        break;
      }
      const seg = segments[i];
      if (seg === undefined) {
        ok = false;
        break;
      }
      const param = /^\{(.+)\}$/.exec(part);
      if (param) {
        params[param[1]!] = decodeURIComponent(seg);
        score += 10;
      } else if (part === seg) score += 100;
      else {
        ok = false;
        break;
      }
      if (i === parts.length - 1 && segments.length !== parts.length) ok = false;
    }
    if (ok)
      matches.push({ route, pathParameters: params, specificity: score + (route.method === method ? 1 : 0) });
  }
  return matches.sort((a, b) => b.specificity - a.specificity)[0];
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|.*\+json|.*\+xml)/;

/** API Gateway passes JWT claims to the function as strings. */
function claimsAsStrings(payload: JWTPayload): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => [
      k,
      typeof v === 'string'
        ? v
        : Array.isArray(v)
          ? `[${v.join(' ')}]`
          : typeof v === 'object'
            ? JSON.stringify(v)
            : String(v),
    ]),
  );
}

/**
 * A request handler that turns HTTP requests into API Gateway (HTTP API, payload 2.0) events,
 * enforces the route's JWT authorizer as configured in the template, invokes the function and
 * maps its result back, as API Gateway does.
 */
export function createHttpApiHandler(options: HttpApiOptions) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const started = Date.now();

    const extra = options.extra?.[url.pathname];
    if (extra && method === 'GET') return send(200, extra());

    const match = selectRoute(options.routes, method, url.pathname);
    if (!match) return send(404, { message: 'Not Found' });
    const { route } = match;

    let claims: Record<string, string> | undefined;
    if (route.authorizer) {
      const header = String(req.headers.authorization ?? '');
      const token = header.replace(/^Bearer\s+/i, '').trim();
      const payload = token ? await options.verifyToken(token, route.authorizer) : undefined;
      if (!payload) {
        options.log(`${method} ${url.pathname} 401 (no valid token)`);
        return send(401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer' });
      }
      claims = claimsAsStrings(payload);
    }

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    const raw = Buffer.concat(chunks);
    const isText = TEXT_TYPES.test(String(req.headers['content-type'] ?? 'application/json'));
    const now = new Date();
    const routeKey = route.path === '$default' ? '$default' : `${route.method} ${route.path}`;
    const event = {
      version: '2.0',
      routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      cookies: req.headers.cookie?.split(';').map((c) => c.trim()),
      headers,
      queryStringParameters: Object.keys(query).length ? query : undefined,
      pathParameters: Object.keys(match.pathParameters).length ? match.pathParameters : undefined,
      requestContext: {
        accountId: options.account,
        apiId: 'local',
        domainName: String(req.headers.host ?? 'localhost'),
        domainPrefix: 'local',
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: String(req.headers['user-agent'] ?? ''),
        },
        requestId: randomUUID(),
        routeKey,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
        authorizer: claims ? { jwt: { claims, scopes: null } } : undefined,
      },
      body: raw.length ? (isText ? raw.toString('utf8') : raw.toString('base64')) : undefined,
      isBase64Encoded: raw.length > 0 && !isText,
    };

    try {
      const result = await options.invoke(route.functionArn, event);
      const structured =
        result && typeof result === 'object' && 'statusCode' in (result as object)
          ? (result as {
              statusCode: number;
              headers?: Record<string, string>;
              body?: string;
              isBase64Encoded?: boolean;
              cookies?: string[];
            })
          : {
              statusCode: 200,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(result),
            };
      const body = structured.body ?? '';
      const outHeaders: Record<string, string | string[]> = { ...(structured.headers ?? {}) };
      if (structured.cookies?.length) outHeaders['set-cookie'] = structured.cookies;
      res.writeHead(structured.statusCode, outHeaders);
      res.end(structured.isBase64Encoded ? Buffer.from(body, 'base64') : body);
      options.log(`${method} ${url.pathname} ${structured.statusCode} ${Date.now() - started}ms`);
    } catch (err) {
      options.log(`${method} ${url.pathname} 500: ${(err as Error).message}`);
      send(500, { message: 'Internal Server Error' });
    }
  };
}
