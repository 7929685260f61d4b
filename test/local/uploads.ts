import { expect } from 'vitest';
import type { LocalCloud } from '../../infra/local/local-cloud';
import { eventually } from '../local-cloud';

/** Calls the local API as a client would. */
export async function callApi<T>(
  cloud: LocalCloud,
  method: string,
  path: string,
  token: string,
  body?: unknown,
) {
  const res = await fetch(`${cloud.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

export interface UploadView {
  id: string;
  status: string;
  summary?: { rows: number; accepted: number; rejected: number; encoding?: string; format?: string };
  problems?: { code: string }[];
  supersedes?: string;
}

/** Uploads a roster the way the CLI and a browser do: POST /uploads, then the pre-signed POST, then poll. */
export async function uploadRoster(
  cloud: LocalCloud,
  token: string,
  kind: string,
  fileName: string,
  contentType: string,
  content: Buffer,
): Promise<UploadView> {
  const created = await callApi<{
    upload: { id: string };
    post: { url: string; fields: Record<string, string> };
  }>(cloud, 'POST', '/uploads', token, { kind, fileName, size: content.length, contentType });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const form = new FormData();
  for (const [k, v] of Object.entries(created.body.post.fields)) form.append(k, v);
  form.append('file', new Blob([content], { type: contentType }), fileName);
  const posted = await fetch(created.body.post.url, { method: 'POST', body: form });
  expect(posted.status).toBeLessThan(300);
  return eventually(async () => {
    const res = await callApi<UploadView>(cloud, 'GET', `/uploads/${created.body.upload.id}`, token);
    return ['accepted', 'rejected'].includes(res.body.status) && res.body;
  }, 30_000);
}
