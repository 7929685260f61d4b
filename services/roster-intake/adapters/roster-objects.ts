import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
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

export async function putReport(key: string, body: Buffer | string, contentType: string): Promise<void> {
  await s3().send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body, ContentType: contentType }));
}

/** A short-lived download link for a report, with the file name the user will see. */
export async function reportDownloadUrl(
  key: string,
  fileName: string,
  expiresSeconds = 300,
): Promise<string> {
  return getSignedUrl(
    s3(),
    new GetObjectCommand({
      Bucket: bucket(),
      Key: key,
      ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`,
    }),
    { expiresIn: expiresSeconds },
  );
}

/** A stored report's text (e.g. a frozen ledger snapshot), or undefined when there is none. */
export async function readReport(key: string): Promise<string | undefined> {
  try {
    const res = await s3().send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
    return await res.Body!.transformToString('utf8');
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}
