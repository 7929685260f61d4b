/** A small client of the kcbx HTTP API for the CLI: base URL and token from flags or environment. */
export interface ApiOptions {
  api?: string;
  token?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: { code?: string; zh?: string; en?: string } } | undefined,
  ) {
    const e = body?.error;
    super(e ? `${e.zh ?? ''}\n${e.en ?? ''} (${e.code ?? status})` : `HTTP ${status}`);
  }
}

export function apiClient(opts: ApiOptions) {
  const base = (opts.api ?? process.env.KCBX_API ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  const token = opts.token ?? process.env.KCBX_TOKEN;
  if (!token) {
    throw new Error(
      '缺少登录令牌：请用 --token 或环境变量 KCBX_TOKEN 提供（本地开发可运行 npx kcbx token --role … --org …）。\n' +
        'No token: pass --token or set KCBX_TOKEN (locally: npx kcbx token --role … --org …).',
    );
  }
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      throw new Error(
        `无法连接 ${base}：服务是否已启动（npm start）？\nCannot reach ${base}: is the API running (npm start)? (${(err as Error).cause ?? (err as Error).message})`,
      );
    }
    const text = await res.text();
    const json = text ? JSON.parse(text) : undefined;
    if (res.status === 401) {
      throw new Error('令牌无效或已过期，请重新获取。\nThe token is invalid or expired; get a new one.');
    }
    if (!res.ok) throw new ApiError(res.status, json);
    return json as T;
  };
  return {
    base,
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
  };
}
