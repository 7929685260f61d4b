import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ORG_CLAIM, ROLE_CLAIM } from '../org';
import { notFound } from './errors';
import { type HttpEvent, httpHandler, reply } from './http';
import { createObservability } from './observability';

const context = {
  awsRequestId: 'req-1',
  functionName: 'test',
  functionVersion: '1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

function event(claims: Record<string, string> | undefined, init: Partial<HttpEvent> = {}): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'POST /things/{id}',
    rawPath: '/things/1',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      authorizer: claims
        ? { jwt: { claims, scopes: [] }, principalId: '', integrationLatency: 0 }
        : undefined,
    },
    ...init,
  } as unknown as HttpEvent;
}

const school = { sub: 'u1', [ROLE_CLAIM]: 'school', [ORG_CLAIM]: '5301240001' };
const county = { sub: 'u2', [ROLE_CLAIM]: 'county', [ORG_CLAIM]: '530124' };

let output: string[];
beforeEach(() => {
  vi.stubEnv('KCBX_REGION_CODE', '530124');
  output = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const handler = httpHandler({
  observability: createObservability('test'),
  roles: ['county'],
  input: {
    path: z.object({ id: z.string().regex(/^\d+$/) }),
    body: z.object({ count: z.number().int() }),
  },
  handle: async ({ caller, path, body }) => {
    if (body.count === 404) throw notFound({ zh: '记录', en: 'record' });
    if (body.count === 500) throw new Error('database password is hunter2, child 53012420150312123X');
    return reply(201, { org: caller.org, id: path.id, count: body.count });
  },
});

const call = (claims: Record<string, string> | undefined, body: unknown, id = '7') =>
  handler(event(claims, { pathParameters: { id }, body: JSON.stringify(body) }), context);

describe('the HTTP handler stack', () => {
  it('answers with the handler result for an allowed caller and valid input', async () => {
    const res = await call(county, { count: 3 });
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body!)).toEqual({ org: '530124', id: '7', count: 3 });
  });

  it('refuses a request without verified claims with 401', async () => {
    const res = await call(undefined, { count: 3 });
    expect(res.statusCode).toBe(401);
  });

  it('refuses a role the route does not allow with 403 and says why in both languages', async () => {
    const res = await call(school, { count: 3 });
    expect(res.statusCode).toBe(403);
    const { error } = JSON.parse(res.body!);
    expect(error.zh).toBeTruthy();
    expect(error.en).toBeTruthy();
  });

  it('refuses a token whose org does not fit its role with 403', async () => {
    const res = await call({ ...county, [ORG_CLAIM]: '5301240001' }, { count: 3 });
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body!).error.code).toBe('ORG_FORMAT_MISMATCH');
  });

  it('refuses a bureau of another county or province with 403 before the handler runs', async () => {
    for (const org of ['530125', '110000', '520000']) {
      const res = await call({ ...county, [ORG_CLAIM]: org }, { count: 3 });
      expect(res.statusCode).toBe(403);
      expect(JSON.parse(res.body!).error.code).toBe('OUTSIDE_DEPLOYMENT');
    }
  });

  it('serves the city and province bureaus above the deployment', async () => {
    for (const org of ['530100', '530000']) {
      const res = await call({ ...county, [ORG_CLAIM]: org }, { count: 3 });
      expect(res.statusCode).toBe(201);
    }
  });

  it('refuses invalid input with 400 naming the field', async () => {
    const res = await call(county, { count: 'three' }, 'x');
    expect(res.statusCode).toBe(400);
    const { error } = JSON.parse(res.body!);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.details.map((d: { path: string }) => d.path)).toEqual(['body.count', 'path.id']);
  });

  it('refuses a body that is not JSON with 400', async () => {
    const res = await handler(event(county, { pathParameters: { id: '1' }, body: '{oops' }), context);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!).error.code).toBe('INVALID_JSON');
  });

  it('keeps the status of a user-facing error', async () => {
    const res = await call(county, { count: 404 });
    expect(res.statusCode).toBe(404);
  });

  it('turns an unexpected error into a 500 that reveals nothing but the request id', async () => {
    const res = await call(county, { count: 500 });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('hunter2');
    expect(JSON.parse(res.body!).error.requestId).toBe('req-1');
  });

  it('never writes a raw ID number to the logs, even from an error message', async () => {
    await call(county, { count: 500 });
    const logs = output.join('');
    expect(logs).toContain('request failed');
    expect(logs).not.toContain('53012420150312123X');
    expect(logs).toContain('5301**********123X');
  });
});
