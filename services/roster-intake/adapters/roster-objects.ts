import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { env, s3 } from '../../../shared/aws/clients';

const bucket = () => env('KCBX_ROSTER_BUCKET');

/** Pre-signed POST whose policy pins the key, the content type and the size range; valid ≤ 15 minutes. */
export async function presignRosterPost(
  key: string,
  contentType: string,
  maxBytes: number,
  expiresSeconds = 900,
) {
  return createPresignedPost(s3(), {
    Bucket: bucket(),
    Key: key,
    Conditions: [
      ['content-length-range', 1, maxBytes],
      ['eq', '$Content-Type', contentType],
    ],
    Fields: { 'Content-Type': contentType },
    Expires: Math.min(expiresSeconds, 900),
  });
}

/**
 * Streams an uploaded object (one version of it): never loaded whole into memory. `reopen` streams the
 * same version again from its first byte (pinned by version id, or by ETag where there is none), for a
 * workbook that is read in two passes.
 */
export async function openRosterObject(key: string, versionId?: string) {
  const res = await s3().send(new GetObjectCommand({ Bucket: bucket(), Key: key, VersionId: versionId }));
  const pinned = res.VersionId ? { VersionId: res.VersionId } : { IfMatch: res.ETag };
  return {
    body: res.Body as Readable,
    size: res.ContentLength ?? 0,
    versionId: res.VersionId,
    etag: res.ETag,
    reopen: async () => {
      const again = await s3().send(new GetObjectCommand({ Bucket: bucket(), Key: key, ...pinned }));
      return again.Body as Readable;
    },
  };
}
