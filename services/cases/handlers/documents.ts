import { PDFDocument } from 'pdf-lib';
import { z } from 'zod';
import { env } from '../../../shared/aws/clients';
import { createObservability } from '../../../shared/runtime/observability';
import { sqsBatchHandler } from '../../../shared/runtime/sqs';
import { ensureCaseDocuments, type RenderDocument } from '../adapters/case-documents';
import { flowContextFromEnv } from '../adapters/case-flow';
import { renderNotice } from '../documents/render';
import type { DocumentCall } from '../domain/case-documents';

const observability = createObservability('cases');
const { logger, metrics } = observability;

const caseIdSchema = z.string().regex(/^case-[a-z2-7]{32}-\d{1,6}$/, 'a case id such as case-…-1');

/** A case's own events (through the bus rule), or a direct request for one case (requestDocuments). */
const messageSchema = z.union([
  z.object({
    'detail-type': z.enum(['case.opened', 'case.state-changed']),
    detail: z.object({ caseId: caseIdSchema }),
  }),
  z.object({ caseId: caseIdSchema, version: z.number().int().min(1) }),
]);

/**
 * The forms of one document in one PDF, page after page, titled and dated like a single rendering
 * (by the document's date, not the clock, so the same forms give the same bytes).
 */
async function mergeForms(forms: readonly Uint8Array[], call: DocumentCall): Promise<Uint8Array> {
  const merged = await PDFDocument.create({ updateMetadata: false });
  for (const form of forms) {
    const source = await PDFDocument.load(form);
    for (const page of await merged.copyPages(source, source.getPageIndices())) merged.addPage(page);
  }
  const first = call.parts[0]!;
  const issued = new Date(`${first.issuedOn}T00:00:00+08:00`);
  merged.setTitle(call.titleZh);
  merged.setSubject(`${call.titleZh} ${first.caseId}`);
  merged.setLanguage('zh-CN');
  merged.setCreator('kcbx 控辍保学');
  merged.setProducer('kcbx 控辍保学');
  merged.setCreationDate(issued);
  merged.setModificationDate(issued);
  return merged.save();
}

/** One PDF per document: a letter is one form; the 报告单 one form per recipient, page after page. */
const render: RenderDocument = async (call) => {
  const forms: Uint8Array[] = [];
  for (const part of call.parts) forms.push(await renderNotice(call.kind, part));
  return forms.length === 1 ? forms[0]! : mergeForms(forms, call);
};

/**
 * case.opened, case.state-changed (and direct requests) → the documents the case now calls for are
 * generated, stored and attached (adapters/case-documents.ts). Redelivered messages find the case
 * complete and do nothing.
 */
export const handler = sqsBatchHandler({
  observability,
  body: messageSchema,
  handleRecord: async (message) => {
    const caseId = 'detail' in message ? message.detail.caseId : message.caseId;
    const result = await ensureCaseDocuments(caseId, {
      flow: flowContextFromEnv(),
      regionName: env('KCBX_REGION_NAME'),
      render,
    });
    if (result.outcome === 'attached')
      metrics.addMetric('DocumentsAttached', 'Count', result.attached.length);
    logger.info('case documents checked', { caseId, ...result });
  },
});
