import { uploadRosterBuffer } from '../../infra/local/demo';
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

/** Uploads a roster the way a browser does (POST /uploads, then the pre-signed POST), then waits for the outcome. */
export async function uploadRoster(
  cloud: LocalCloud,
  token: string,
  kind: string,
  fileName: string,
  contentType: string,
  content: Buffer,
): Promise<UploadView> {
  const id = await uploadRosterBuffer(cloud.apiUrl, token, { kind, fileName, content, contentType });
  return eventually(async () => {
    const res = await callApi<UploadView>(cloud, 'GET', `/uploads/${id}`, token);
    return ['accepted', 'rejected', 'superseded'].includes(res.body.status) && res.body;
  });
}
