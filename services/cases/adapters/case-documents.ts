/**
 * 案件文书 — generates the documents a case calls for (domain/case-documents.ts), keeps each PDF under the
 * roster bucket's reports/ prefix (reports/case-documents/<caseId>/<documentId>.pdf) and attaches it to
 * the case with ATTACH_DOCUMENT under the optimistic lock.
 *
 * Safe to repeat (events arrive at least once): what the case already holds is neither rendered nor
 * attached again. Two deliveries racing for the same case may both render a document, from case data
 * a person changed in between (the 报告单 lists the responsible people): the object is written only
 * once (If-None-Match), the second writer takes the stored bytes for what it records, and only the
 * first attach counts — the case's sha256 is always that of the object kept.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { recordAccess } from '../../../shared/aws/audit';
import { env, s3, sqs } from '../../../shared/aws/clients';
import { reportDownloadUrl } from '../../../shared/aws/reports';
import type { Caller } from '../../../shared/org';
import type { CaseActionOf } from '../domain/actions';
import { CASE_DOCUMENT_NAMES_ZH, type CaseRecord } from '../domain/case';
import {
  callsForUnannouncedDocument,
  type DocumentCall,
  documentFileName,
  documentObjectKey,
  documentsCalledFor,
  documentsDue,
  missingDocuments,
} from '../domain/case-documents';
import { applyAction } from '../domain/transitions';
import { type FlowContext, flush, systemActor } from './case-flow';
import { getCase, StaleCaseError, saveCase } from './cases-repo';

/** Lays a document out as PDF bytes (services/cases/documents, one form per part). */
export type RenderDocument = (call: DocumentCall) => Promise<Uint8Array>;

export interface DocumentsContext {
  flow: FlowContext;
  /** The deployment's region name (富民县): it names the government issuing a legal step's document. */
  regionName: string;
  render: RenderDocument;
}

export type DocumentsOutcome =
  | { outcome: 'no-case' }
  | { outcome: 'complete'; documents: number }
  | { outcome: 'attached'; attached: string[] };

const MAX_ATTEMPTS = 20;
/**
 * How long to wait for another writer to clear the events it is sending: writing the case meanwhile
 * would carry them into this write and send them a second time. The writer clears them right after
 * PutEvents returns; one that died before clearing them is not waited for longer, and its events are
 * then sent with this change (same ids), as every writer of the case does.
 */
const PENDING_PATIENCE_MS = 10_000;
const PENDING_POLL_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt: number) => sleep(Math.random() * 10 * 2 ** Math.min(attempt, 5));

/**
 * Makes sure the case holds every document its history calls for: renders the missing ones, stores
 * them, and attaches them in one change (retried from a fresh read when the case moved meanwhile).
 */
export async function ensureCaseDocuments(caseId: string, ctx: DocumentsContext): Promise<DocumentsOutcome> {
  const stored = await getCase(caseId);
  if (!stored) return { outcome: 'no-case' };
  const options = { regionName: ctx.regionName, calendar: ctx.flow.calendar };
  const calls = documentsCalledFor(stored.record, options);
  const missing = missingDocuments(stored.record, calls);
  if (missing.length === 0) return { outcome: 'complete', documents: calls.length };

  const attachments: CaseActionOf<'ATTACH_DOCUMENT'>[] = [];
  for (const call of missing) {
    const objectKey = documentObjectKey(caseId, call.documentId);
    const stored = await storeOnce(objectKey, await ctx.render(call));
    attachments.push({
      type: 'ATTACH_DOCUMENT',
      documentId: call.documentId,
      kind: call.kind,
      objectKey,
      forVersion: call.forVersion,
      sha256: createHash('sha256').update(stored).digest('hex'),
      sizeBytes: stored.byteLength,
    });
  }
  return attach(caseId, attachments, ctx.flow);
}

/**
 * Writes the PDF unless the key holds one already (written by a racing delivery), and returns the
 * bytes the key holds. A document, once stored, is never replaced.
 */
async function storeOnce(objectKey: string, pdf: Uint8Array): Promise<Uint8Array> {
  const bucket = env('KCBX_ROSTER_BUCKET');
  for (let attempt = 1; ; attempt++) {
    try {
      await s3().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: objectKey,
          Body: pdf,
          ContentType: 'application/pdf',
          IfNoneMatch: '*',
        }),
      );
      return pdf;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // 409: another conditional write of the key is in flight; its outcome decides on the next try.
      if (status === 409 && attempt < 5) {
        await backoff(attempt);
        continue;
      }
      if (status !== 412) throw err;
      const held = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
      return held.Body!.transformToByteArray();
    }
  }
}

async function attach(
  caseId: string,
  attachments: readonly CaseActionOf<'ATTACH_DOCUMENT'>[],
  flow: FlowContext,
): Promise<DocumentsOutcome> {
  const actor = systemActor(flow.region);
  const patience = Date.now() + PENDING_PATIENCE_MS;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; ) {
    const latest = await getCase(caseId);
    if (!latest) return { outcome: 'no-case' };
    if (latest.pending.length > 0 && Date.now() < patience) {
      await sleep(PENDING_POLL_MS);
      continue;
    }
    const at = flow.now().toISOString();
    let record = latest.record;
    const attached: string[] = [];
    for (const action of attachments) {
      const result = applyAction(record, action, { actor, now: at, today: flow.today(), rules: flow.rules });
      if (!result.ok) throw new Error(`${result.error.code}: ${result.error.en}`);
      if (result.record !== record) attached.push(action.documentId);
      record = result.record;
    }
    // Another delivery attached them first.
    if (attached.length === 0) return { outcome: 'complete', documents: record.documents?.length ?? 0 };
    try {
      await saveCase(record, latest.record.version, latest.pending);
    } catch (err) {
      if (!(err instanceof StaleCaseError)) throw err;
      attempt++;
      await backoff(attempt);
      continue;
    }
    await flush({ record, pending: latest.pending });
    return { outcome: 'attached', attached };
  }
  throw new Error(
    `could not attach documents to ${caseId} after ${MAX_ATTEMPTS} attempts (constant contention)`,
  );
}

/** The message that asks the documents consumer to look at one case (besides the case's own events). */
export interface DocumentsRequest {
  caseId: string;
  version: number;
}

/**
 * After a person's command: when it called for a document that no event announces (a 催告书 changes no
 * state), asks the documents consumer for it directly. Changes that do move the case are announced by
 * case.state-changed, which the consumer hears anyway.
 */
export async function requestDocuments(before: CaseRecord, after: CaseRecord): Promise<boolean> {
  if (!callsForUnannouncedDocument(before, after)) return false;
  await sendRequest(after);
  return true;
}

/** Asks the documents consumer for a case that lacks a document it calls for (the daily catch-up). */
export async function requestMissingDocuments(record: CaseRecord): Promise<boolean> {
  if (missingDocuments(record, documentsDue(record)).length === 0) return false;
  await sendRequest(record);
  return true;
}

async function sendRequest(record: CaseRecord): Promise<void> {
  const request: DocumentsRequest = { caseId: record.caseId, version: record.version };
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: env('KCBX_DOCUMENTS_QUEUE_URL'),
      MessageBody: JSON.stringify(request),
    }),
  );
}

/** How long a download link works. */
export const DOCUMENT_LINK_SECONDS = 300;

/**
 * A short-lived link to one of the case's documents (the caller may see the case), or undefined when
 * the case holds no such document. The download leaves a trace in the audit table like every read of
 * a child's record; the documents show the child's name and masked ID number, never the full number.
 */
export async function documentLink(
  record: CaseRecord,
  documentId: string,
  access: { caller: Caller; requestId: string },
) {
  const document = record.documents?.find((d) => d.documentId === documentId);
  if (!document) return undefined;
  await recordAccess({
    recordId: record.caseId,
    action: 'EXPORT',
    caller: access.caller,
    requestId: access.requestId,
    fullIds: false,
    children: 1,
  });
  return {
    documentId: document.documentId,
    kind: document.kind,
    titleZh: CASE_DOCUMENT_NAMES_ZH[document.kind],
    forVersion: document.forVersion,
    sizeBytes: document.sizeBytes,
    sha256: document.sha256,
    url: await reportDownloadUrl(
      document.objectKey,
      documentFileName(record.caseId, document),
      DOCUMENT_LINK_SECONDS,
    ),
    expiresInSeconds: DOCUMENT_LINK_SECONDS,
  };
}
