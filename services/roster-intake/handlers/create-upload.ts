import { canUpload } from '../../../shared/authz';
import { env } from '../../../shared/aws/clients';
import { todayInChina } from '../../../shared/dates';
import { badRequest, forbidden } from '../../../shared/runtime/errors';
import { httpHandler, reply } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { defaultPeriod } from '../../../shared/term';
import { presignRosterPost } from '../adapters/roster-objects';
import { createUpload } from '../adapters/uploads-repo';
import {
  checkUploadFile,
  DEFAULT_MAX_UPLOAD_BYTES,
  defaultTargetOrg,
  newUploadId,
  objectKeyFor,
  uploadRequestSchema,
} from '../domain/upload';

const observability = createObservability('roster-intake');
const maxBytes = () => Number(process.env.KCBX_MAX_UPLOAD_BYTES ?? DEFAULT_MAX_UPLOAD_BYTES);

/** POST /uploads — records a pending upload and returns the pre-signed POST to send the file with. */
export const handler = httpHandler({
  observability,
  roles: ['school', 'township', 'county', 'partner'],
  input: { body: uploadRequestSchema },
  handle: async ({ caller, body }) => {
    const org = body.org ?? defaultTargetOrg(caller);
    const allowed = canUpload(caller, body.kind, org);
    if (!allowed.allowed) throw forbidden(allowed.reason.code, allowed.reason);
    const file = checkUploadFile(body, maxBytes());
    if (!file.ok) throw badRequest(file.problem.code, file.problem);

    const now = new Date();
    const id = newUploadId(now);
    const region = env('KCBX_REGION_CODE');
    const objectKey = objectKeyFor(region, org, body.kind, id, file.extension);
    const upload = {
      id,
      kind: body.kind,
      org,
      region,
      period: body.period ?? defaultPeriod(todayInChina(now)),
      fileName: body.fileName,
      size: body.size,
      contentType: body.contentType,
      objectKey,
      status: 'pending' as const,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      createdBy: { sub: caller.sub, role: caller.role, org: caller.org },
    };
    await createUpload(upload);
    const post = await presignRosterPost(objectKey, body.contentType, maxBytes());
    observability.logger.info('upload created', { uploadId: id, kind: body.kind, org });
    return reply(201, {
      upload: {
        id,
        kind: upload.kind,
        org,
        period: upload.period,
        status: upload.status,
        createdAt: upload.createdAt,
      },
      post,
      expiresAt: new Date(now.getTime() + 900_000).toISOString(),
    });
  },
});
