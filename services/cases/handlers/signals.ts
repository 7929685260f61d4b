import { z } from 'zod';
import { parseEventDetail } from '../../../shared/events/publishable';
import { createObservability } from '../../../shared/runtime/observability';
import { sqsBatchHandler } from '../../../shared/runtime/sqs';
import { flowContextFromEnv, receiveSignal, resolveByData } from '../adapters/case-flow';
import { childIdentity } from '../adapters/child-identity';

const observability = createObservability('cases');
const { logger, metrics } = observability;

const messageSchema = z.object({
  id: z.string(),
  'detail-type': z.enum(['dropout.suspected', 'dropout.resolved']),
  detail: z.unknown(),
});

/**
 * dropout.suspected (comparison, attendance rule) → a case is opened for the child, or the signal
 * joins the child's open case; dropout.resolved (a later comparison explains the child) → 比对销号 on
 * the open case. Redelivered events are recognised by their event id.
 */
export const handler = sqsBatchHandler({
  observability,
  body: messageSchema,
  handleRecord: async (message) => {
    if (message['detail-type'] === 'dropout.resolved') {
      const resolved = parseEventDetail('dropout.resolved', message.detail);
      if (!resolved.ok) throw new Error(`${resolved.error.code}: ${resolved.error.en}`);
      const r = resolved.event.detail;
      const result = await resolveByData(
        r.child.childKey,
        {
          type: 'RESOLVE_BY_DATA',
          signalId: r.eventId,
          comparisonId: r.comparisonId,
          previousOutcome: r.previousOutcome,
          outcome: r.outcome,
        },
        flowContextFromEnv(),
      );
      logger.info('resolution recorded', { caseId: result.caseId, outcome: result.outcome });
      return;
    }
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
