import { z } from 'zod';
import { canAccess } from '../../../shared/authz';
import { env } from '../../../shared/aws/clients';
import { reportDownloadUrl } from '../../../shared/aws/reports';
import type { Caller } from '../../../shared/org';
import { forbidden, notFound } from '../../../shared/runtime/errors';
import { httpHandler } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { getUpload, listUploads, type Upload } from '../adapters/uploads-repo';
import { canSeeUpload, defaultTargetOrg, uploadScope } from '../domain/upload';

const observability = createObservability('roster-intake');
const roles = ['school', 'township', 'county', 'partner', 'ops'] as const;
const idPath = z.object({ id: z.string().regex(/^up-[a-z0-9]+-[0-9a-f]{16}$/, 'an upload id such as up-…') });

/** What a caller sees of an upload: never the object key or internal fields. */
const view = (u: Upload) => ({
  id: u.id,
  kind: u.kind,
  org: u.org,
  period: u.period,
  fileName: u.fileName,
  size: u.size,
  status: u.status,
  createdAt: u.createdAt,
  updatedAt: u.updatedAt,
  summary: u.summary,
  problems: u.problems,
  supersedes: u.supersedes,
  supersededBy: u.supersededBy,
  report: u.reportKeys
    ? { xlsx: `/uploads/${u.id}/report?format=xlsx`, csv: `/uploads/${u.id}/report?format=csv` }
    : undefined,
});

async function visibleUpload(caller: Caller, id: string): Promise<Upload> {
  const upload = await getUpload(id);
  const what = { zh: `上传记录 ${id}`, en: `Upload ${id}` };
  if (!upload) throw notFound(what);
  const decision = canSeeUpload(caller, upload);
  // Another organisation's upload is reported as absent: its existence is not disclosed.
  if (!decision.allowed) throw notFound(what);
  return upload;
}

/** GET /uploads/{id} — status and report summary. */
export const getHandler = httpHandler({
  observability,
  roles,
  input: { path: idPath },
  handle: async ({ caller, path }) => view(await visibleUpload(caller, path.id)),
});

/** GET /uploads — the caller's organisation's uploads, newest first. */
export const listHandler = httpHandler({
  observability,
  roles,
  input: { query: z.object({ org: z.string().optional(), cursor: z.string().optional() }) },
  handle: async ({ caller, query }) => {
    const org = query.org ?? defaultTargetOrg(caller);
    // Decided from the organisation alone, before anything is read: whether another organisation has
    // uploads is not disclosed by a different answer.
    const mayList =
      org === defaultTargetOrg(caller) ||
      canAccess(caller, uploadScope(org, env('KCBX_REGION_CODE'))).allowed;
    if (!mayList) {
      throw forbidden('NOT_YOUR_ORGANISATION', {
        zh: `无权查看机构 ${org} 的上传记录，只能查看本单位及所辖单位的上传记录。`,
        en: `You may not list the uploads of organisation ${org}; you see your own organisation's and those you oversee.`,
      });
    }
    const page = await listUploads(org, 50, query.cursor);
    const uploads = page.uploads.filter((u) => canSeeUpload(caller, u).allowed);
    return { uploads: uploads.map(view), cursor: page.cursor };
  },
});

/** GET /uploads/{id}/report?format=xlsx|csv — a short-lived link to the row-level report (303). */
export const reportHandler = httpHandler({
  observability,
  roles,
  input: { path: idPath, query: z.object({ format: z.enum(['xlsx', 'csv']).default('xlsx') }) },
  handle: async ({ caller, path, query }) => {
    const upload = await visibleUpload(caller, path.id);
    if (!upload.reportKeys) {
      throw notFound({
        zh: `上传 ${upload.id} 的校验报告（仍在处理中）`,
        en: `The report of upload ${upload.id} (still processing)`,
      });
    }
    const base = upload.fileName.replace(/\.[^.]+$/, '');
    const url = await reportDownloadUrl(upload.reportKeys[query.format], `${base}-校验报告.${query.format}`);
    return { url, expiresInSeconds: 300 };
  },
});
