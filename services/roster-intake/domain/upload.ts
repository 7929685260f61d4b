import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type AuthzDecision, canAccess, type ResourceScope } from '../../../shared/authz';
import { rosterPeriodSchema } from '../../../shared/events/catalogue';
import { type Caller, parsePartnerOrg } from '../../../shared/org';
import { rosterKindSchema } from '../../../shared/roster-kind';

/** Content types a browser or the CLI may declare for a roster, by file extension. */
export const ROSTER_CONTENT_TYPES = {
  '.xlsx': ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  // Windows browsers label .csv as application/vnd.ms-excel; some send nothing useful.
  '.csv': ['text/csv', 'application/csv', 'application/vnd.ms-excel', 'text/plain'],
} as const;
export type RosterExtension = keyof typeof ROSTER_CONTENT_TYPES;

export const DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** POST /uploads — what the caller wants to upload. */
export const uploadRequestSchema = z.strictObject({
  kind: rosterKindSchema,
  fileName: z
    .string()
    .min(1)
    .max(200)
    .refine((n) => !/[\\/]/.test(n) && ![...n].some((c) => c.charCodeAt(0) < 32), {
      error: 'a file name, without folders or control characters',
    }),
  size: z.number().int().min(1),
  contentType: z.string().min(1).max(200),
  /** The organisation the roster is for; defaults to the caller's own. */
  org: z.string().optional(),
  /** Term ('2025-autumn') or date (attendance); defaults to the current term. */
  period: rosterPeriodSchema.optional(),
});
export type UploadRequest = z.infer<typeof uploadRequestSchema>;

export type UploadStatus = 'pending' | 'processing' | 'accepted' | 'rejected' | 'superseded';

export interface UploadProblem {
  code: string;
  zh: string;
  en: string;
}

/** Checks the file itself before anything is signed: extension, content type, size. */
export function checkUploadFile(
  request: UploadRequest,
  maxBytes: number,
): { ok: true; extension: RosterExtension } | { ok: false; problem: UploadProblem } {
  const ext = request.fileName.toLowerCase().match(/\.[a-z0-9]+$/)?.[0] ?? '';
  if (ext === '.xls') {
    return {
      ok: false,
      problem: {
        code: 'LEGACY_XLS',
        zh: '旧版 .xls 格式不受支持：请在 Excel 中“另存为” .xlsx 后再上传。',
        en: 'Legacy .xls files are not supported: open the file in Excel, "Save As" .xlsx, and upload that.',
      },
    };
  }
  if (!(ext in ROSTER_CONTENT_TYPES)) {
    return {
      ok: false,
      problem: {
        code: 'UNSUPPORTED_FILE_TYPE',
        zh: `不支持的文件类型“${ext || '无扩展名'}”：请上传 .xlsx 或 .csv 文件。`,
        en: `Unsupported file type "${ext || 'no extension'}": upload an .xlsx or .csv file.`,
      },
    };
  }
  const extension = ext as RosterExtension;
  const allowed: readonly string[] = ROSTER_CONTENT_TYPES[extension];
  if (!allowed.includes(request.contentType.split(';')[0]!.trim().toLowerCase())) {
    return {
      ok: false,
      problem: {
        code: 'CONTENT_TYPE_MISMATCH',
        zh: `文件类型声明“${request.contentType}”与扩展名 ${extension} 不符，应为 ${allowed[0]}。`,
        en: `Content type "${request.contentType}" does not match ${extension}; use ${allowed[0]}.`,
      },
    };
  }
  if (request.size > maxBytes) {
    const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
    return {
      ok: false,
      problem: {
        code: 'TOO_LARGE',
        zh: `文件 ${mib(request.size)} MB，超过上限 ${mib(maxBytes)} MB：请按学校或乡镇拆分后分别上传。`,
        en: `The file is ${mib(request.size)} MiB, above the ${mib(maxBytes)} MiB limit: split it by school or township.`,
      },
    };
  }
  return { ok: true, extension };
}

/** A new upload id: time-ordered, unguessable (the id appears in URLs). */
export function newUploadId(now: Date): string {
  return `up-${now.getTime().toString(36)}-${randomBytes(8).toString('hex')}`;
}

/** incoming/<region>/<org>/<kind>/<uploadId><ext> — the only key a pre-signed POST may write. */
export function objectKeyFor(
  region: string,
  org: string,
  kind: string,
  uploadId: string,
  extension: string,
): string {
  return `incoming/${region}/${org}/${kind}/${uploadId}${extension}`;
}

export function uploadIdFromKey(key: string): string | undefined {
  const m = /^incoming\/\d{6}\/[^/]+\/[a-z]+\/(up-[a-z0-9]+-[0-9a-f]{16})\.(xlsx|csv)$/.exec(key);
  return m?.[1];
}

/** Where an upload's data belongs, for authorisation: a school's, a township's or a region's. */
export function uploadScope(org: string, deploymentRegion: string): ResourceScope {
  if (/^\d{10}$/.test(org)) return { region: deploymentRegion, school: org };
  if (/^\d{9}$/.test(org)) return { region: org.slice(0, 6), township: org };
  const partner = parsePartnerOrg(org);
  if (partner) return { region: partner.region };
  return { region: org };
}

/** The default organisation an upload is for: the caller's own (a partner's region). */
export function defaultTargetOrg(caller: Caller): string {
  return parsePartnerOrg(caller.org)?.region ?? caller.org;
}

/**
 * Who may see an upload: its uploader's organisation, and whoever may see the organisation the
 * roster is for (a county sees its schools' uploads).
 */
export function canSeeUpload(
  caller: Caller,
  upload: { org: string; region: string; createdBy: { org: string } },
): AuthzDecision {
  if (upload.createdBy.org === caller.org) return { allowed: true };
  return canAccess(caller, uploadScope(upload.org, upload.region));
}
