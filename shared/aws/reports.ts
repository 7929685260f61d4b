/**
 * The reports/ objects of the deployment's roster bucket: files the services write for people to
 * download (validation reports, comparison and payment-list workbooks, ledgers, case documents,
 * frozen ledger snapshots). Several services write and hand out such files, and none of them owns
 * the prefix: the bucket's lifecycle rule expires it, and each function is granted only the
 * sub-prefixes it writes (infra/constructs/).
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { env, s3 } from './clients';

const bucket = () => env('KCBX_ROSTER_BUCKET');

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
