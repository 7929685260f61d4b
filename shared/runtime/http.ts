import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { z } from 'zod';
import { coversRegion, deploymentServes, requireRole } from '../authz';
import { type Caller, parseCaller, type Role } from '../org';
import { badRequest, forbidden, UserFacingError, unauthorized } from './errors';
import type { Observability } from './observability';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResponse = APIGatewayProxyStructuredResultV2;

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface HttpInputSchemas {
  body?: Schema;
  query?: Schema;
  path?: Schema;
}

export interface HttpRequest<I extends HttpInputSchemas> {
  caller: Caller;
  body: Out<I['body']>;
  query: Out<I['query']>;
  path: Out<I['path']>;
  event: HttpEvent;
  context: Context;
}

/** A handler's answer: a plain value becomes a 200 JSON body; a `reply(…)` sets status and headers. */
export interface Reply {
  readonly kind: 'reply';
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Already-encoded binary content (a download), sent base64 as API Gateway expects. */
  binary?: Buffer;
}

export const reply = (status: number, body?: unknown, headers?: Record<string, string>): Reply => ({
  kind: 'reply',
  status,
  body,
  headers,
});

export const download = (content: Buffer, contentType: string, filename: string): Reply => ({
  kind: 'reply',
  status: 200,
  binary: content,
  headers: {
    'content-type': contentType,
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`,
  },
});

export interface HttpHandlerOptions<I extends HttpInputSchemas> {
  observability: Observability;
  /** Roles allowed to call the route; anyone else gets 403. */
  roles: readonly Role[];
  /**
   * The route acts on the deployment's whole region (starts a region-wide run, sweeps every case, exports
   * every child): only a bureau or operator whose jurisdiction covers the region may call it — not a
   * county inside a city or province deployment.
   */
  wholeRegion?: boolean;
  input?: I;
  handle: (request: HttpRequest<I>) => Promise<unknown>;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

function toResponse(result: unknown): HttpResponse {
  if (result && typeof result === 'object' && (result as Reply).kind === 'reply') {
    const r = result as Reply;
    if (r.binary) {
      return {
        statusCode: r.status,
        headers: r.headers,
        body: r.binary.toString('base64'),
        isBase64Encoded: true,
      };
    }
    return {
      statusCode: r.status,
      headers: { ...JSON_HEADERS, ...r.headers },
      body: r.body === undefined ? '' : JSON.stringify(r.body),
    };
  }
  return { statusCode: 200, headers: JSON_HEADERS, body: JSON.stringify(result ?? null) };
}

export function errorResponse(err: unknown, requestId: string): HttpResponse {
  if (err instanceof UserFacingError) {
    return {
      statusCode: err.status,
      headers: JSON_HEADERS,
      body: JSON.stringify({ error: { code: err.code, ...err.text, details: err.details, requestId } }),
    };
  }
  return {
    statusCode: 500,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      error: {
        code: 'INTERNAL',
        zh: `服务器内部错误，请稍后重试；如仍失败，请把请求编号 ${requestId} 告知运维人员。`,
        en: `Internal error; try again later. If it persists, give request id ${requestId} to the operations team.`,
        requestId,
      },
    }),
  };
}

const PART_NAMES = { body: '请求内容', query: '查询参数', path: '路径参数' } as const;
type Part = keyof typeof PART_NAMES;

/** Parses every part of the request and reports all problems at once, each with its field. */
function parseInput(schemas: HttpInputSchemas, values: Record<Part, unknown>): Record<Part, unknown> {
  const issues: { path: string; message: string }[] = [];
  const out: Record<Part, unknown> = { body: undefined, query: undefined, path: undefined };
  for (const part of ['body', 'query', 'path'] as const) {
    const schema = schemas[part];
    if (!schema) continue;
    const parsed = schema.safeParse(values[part]);
    if (parsed.success) out[part] = parsed.data;
    else
      for (const i of parsed.error.issues)
        issues.push({ path: [part, ...i.path].join('.'), message: i.message });
  }
  if (issues.length > 0) {
    throw badRequest(
      'INVALID_INPUT',
      {
        zh: `请求不符合要求：${issues.map((i) => `${i.path}（${PART_NAMES[i.path.split('.')[0] as Part]}）${i.message}`).join('；')}`,
        en: `The request is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      },
      issues,
    );
  }
  return out;
}

function parseBody(event: HttpEvent): unknown {
  if (!event.body) return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('INVALID_JSON', {
      zh: '请求内容不是有效的 JSON。',
      en: 'The request body is not valid JSON.',
    });
  }
}

/** The region the function's deployment serves; a function without it is misconfigured (a 500). */
function deploymentRegion(): string {
  const region = process.env.KCBX_REGION_CODE;
  if (!region) throw new Error('Environment variable KCBX_REGION_CODE is not set: the function must have it');
  return region;
}

/**
 * Who is calling, from the claims the API's JWT authorizer has already verified: a caller whose role the
 * route does not allow, or whose organisation the deployment does not serve (another county or province),
 * is refused before the handler runs.
 */
export function callerOf(event: HttpEvent, roles: readonly Role[], deploymentRegion: string): Caller {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  if (!claims) {
    throw unauthorized({ zh: '缺少有效的登录令牌。', en: 'A valid bearer token is required.' });
  }
  const parsed = parseCaller(claims);
  if (!parsed.ok) throw forbidden(parsed.error.code, { zh: parsed.error.zh, en: parsed.error.en });
  const allowed = requireRole(parsed.caller, roles);
  if (!allowed.allowed)
    throw forbidden(allowed.reason.code, { zh: allowed.reason.zh, en: allowed.reason.en });
  const served = deploymentServes(deploymentRegion, parsed.caller);
  if (!served.allowed) throw forbidden(served.reason.code, { zh: served.reason.zh, en: served.reason.en });
  return parsed.caller;
}

/**
 * The house stack for an HTTP route: Powertools context/metrics/tracing, caller and role checks,
 * zod-parsed input, and one mapping of errors to responses (a user-facing error keeps its status
 * and bilingual message; anything else is a 500 that reveals nothing but a request id).
 */
export function httpHandler<I extends HttpInputSchemas>(options: HttpHandlerOptions<I>) {
  const { logger, metrics, tracer } = options.observability;
  const base = async (event: HttpEvent, context: Context): Promise<HttpResponse> => {
    try {
      const region = deploymentRegion();
      const caller = callerOf(event, options.roles, region);
      if (options.wholeRegion && !coversRegion(caller, region)) {
        throw forbidden('NOT_WHOLE_REGION', {
          zh: `此操作涉及本部署的整个地区（${region}），只能由管辖该地区的教育局或运维执行。`,
          en: `This action covers the deployment's whole region (${region}); only a bureau or operator whose jurisdiction covers it may take it.`,
        });
      }
      logger.appendKeys({ callerRole: caller.role, callerOrg: caller.org });
      metrics.addMetric('Requests', 'Count', 1);
      const input = parseInput(options.input ?? {}, {
        body: options.input?.body ? parseBody(event) : undefined,
        query: event.queryStringParameters ?? {},
        path: event.pathParameters ?? {},
      });
      const request = { caller, ...input, event, context } as HttpRequest<I>;
      return toResponse(await options.handle(request));
    } catch (err) {
      if (err instanceof UserFacingError) {
        logger.info('request refused', { status: err.status, code: err.code });
        metrics.addMetric(err.status < 500 ? 'RefusedRequests' : 'FailedRequests', 'Count', 1);
      } else {
        logger.error('request failed', err as Error);
        metrics.addMetric('UnhandledErrors', 'Count', 1);
      }
      return errorResponse(err, context.awsRequestId);
    }
  };
  return middy(base)
    .use(captureLambdaHandler(tracer))
    .use(logMetrics(metrics))
    .use(injectLambdaContext(logger, { resetKeys: true }));
}
