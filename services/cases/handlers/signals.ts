import { z } from 'zod';
import { parseEventDetail } from '../../../shared/events/publishable';
import { createObservability } from '../../../shared/runtime/observability';
import { sqsBatchHandler } from '../../../shared/runtime/sqs';
import { flowContextFromEnv, receiveSignal } from '../adapters/case-flow';
import { childIdentity } from '../adapters/child-identity';

const observability = createObservability('cases');
const { logger, metrics } = observability;

const messageSchema = z.object({
  id: z.string(),
  'detail-type': z.literal('dropout.suspected'),
  detail: z.unknown(),
});

/**
 * dropout.suspected (comparison, attendance rule) → a case is opened for the child, or the signal
 * joins the child's open case. Redelivered events are recognised by their event id.
 */
export const handler = sqsBatchHandler({
  observability,
  body: messageSchema,
  handleRecord: async (message) => {
    const parsed = parseEventDetail('dropout.suspected', message.detail);
    if (!parsed.ok) throw new Error(`${parsed.error.code}: ${parsed.error.en}`);
    const d = parsed.event.detail;
    const identity = await childIdentity(d.child.childKey);
    const result = await receiveSignal(
      {
        ...identity,
        child: d.child,
        school: d.school ?? identity.school,
        township: d.township ?? identity.township,
        priority: d.priority,
        signal: {
          source: d.source,
          receivedOn: d.asOf,
          signalId: d.eventId,
          outcome: 'outcome' in d ? d.outcome : undefined,
          streak: d.source === 'ATTENDANCE' ? d.streak : undefined,
          evidence: d.evidence,
        },
      },
      flowContextFromEnv(),
    );
    metrics.addMetric(result.outcome === 'opened' ? 'CasesOpened' : 'SignalsJoined', 'Count', 1);
    logger.info('signal recorded', { caseId: result.caseId, outcome: result.outcome, source: d.source });
  },
});
