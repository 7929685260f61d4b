import { z } from 'zod';
import { env } from '../../../shared/aws/clients';
import { regionCovers } from '../../../shared/org';
import { forbidden } from '../../../shared/runtime/errors';
import { httpHandler } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { listOutbox, type OutboxStatus } from '../adapters/outbox-repo';

const observability = createObservability('notifications');

const STATUSES = ['SENDING', 'QUEUED', 'SENT', 'DIGESTED', 'UNREACHABLE'] as const satisfies OutboxStatus[];

/**
 * GET /outbox?status=&caseId=&limit= — what the people of the region were told, or will be: each message
 * with its recipient, text, status and channel, newest first (county bureau and ops; in the local cloud,
 * where nothing leaves the machine, this is where messages are read). Addresses are never listed.
 */
export const listHandler = httpHandler({
  observability,
  roles: ['county', 'ops'],
  input: {
    query: z.object({
      status: z.enum(STATUSES).optional(),
      caseId: z
        .string()
        .regex(/^case-[a-z2-7]{32}-\d{1,6}$/, 'a case id such as case-…-1')
        .optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  handle: async ({ caller, query }) => {
    const region = env('KCBX_REGION_CODE');
    if (!regionCovers(caller.org, region)) {
      throw forbidden('OUT_OF_SCOPE', {
        zh: `本部署的通知属于 ${region}，不在你的管辖范围（${caller.org}）内。`,
        en: `This deployment's messages belong to ${region}, outside your region (${caller.org}).`,
      });
    }
    const messages = await listOutbox(
      region,
      query.limit,
      (e) =>
        (query.status === undefined || e.status === query.status) &&
        (query.caseId === undefined || e.caseId === query.caseId),
    );
    return { messages };
  },
});
