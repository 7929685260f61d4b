/**
 * 责任人通知 — the people on a case hear what is due (docs/domain.md §4.7):
 * - `handler`: case events (queue fed by a bus rule) → notices → planned messages → sent or queued;
 * - `digestHandler`: every 30 minutes, sends what waited for a digest time or the end of quiet hours;
 * - `dueHandler`: every morning, reminds the responsible people of duties due today or next working day;
 * - `putContactHandler`: PUT /contacts — an organisation registers a person's channel.
 */
import { z } from 'zod';
import { env } from '../../../shared/aws/clients';
import { todayInChina } from '../../../shared/dates';
import { parseEventDetail } from '../../../shared/events/publishable';
import { regionSettingsFromEnv } from '../../../shared/region-settings';
import { badRequest } from '../../../shared/runtime/errors';
import { httpHandler } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { scheduledHandler } from '../../../shared/runtime/scheduled';
import { sqsBatchHandler } from '../../../shared/runtime/sqs';
import { getCaseRecord, openCasePages } from '../../cases/port';
import { type ChannelKind, channelFor, enabledChannels, maskAddress } from '../adapters/channels';
import { addressOf, contactsOf, putContact } from '../adapters/contacts-repo';
import {
  claimMessage,
  dueMessages,
  markSent,
  markUnreachable,
  recordDigest,
  requeue,
} from '../adapters/outbox-repo';
import { buildDigests, planNotifications } from '../domain/digest';
import {
  type Contact,
  contactRegistrationSchema,
  dueNotices,
  type Notice,
  noticesForEvent,
  orgsOf,
  PEOPLE_EVENT_TYPES,
  type PeopleEvent,
  personIdOf,
  positionsFor,
} from '../domain/people';

const observability = createObservability('notifications');
const { logger, metrics } = observability;

function context() {
  const settings = regionSettingsFromEnv();
  return { region: env('KCBX_REGION_CODE'), rules: settings.cases, linkBase: env('KCBX_CASE_LINK_BASE') };
}

/** Sends `text` to a registered person; undefined when they are no longer registered. */
async function sendTo(
  person: { org: string; personId: string; recipientName: string },
  text: string,
): Promise<ChannelKind | undefined> {
  const address = await addressOf(person.org, person.personId);
  if (address === undefined) return undefined;
  const channel = channelFor(address.channel);
  await channel.send({ recipientName: person.recipientName, address: address.address, text });
  return channel.kind;
}

/**
 * Plans the messages of some notices, records each in the outbox (the conditional put that makes a
 * redelivery send nothing), then sends the immediate ones. A send that fails throws: the queue retries,
 * and the message claimed but not sent is sent then.
 */
async function deliver(notices: readonly Notice[], now: Date) {
  const ctx = context();
  const counts = { sent: 0, queued: 0, duplicates: 0, unreached: 0 };
  if (notices.length === 0) return counts;
  const plan = planNotifications(notices, await contactsOf(orgsOf(notices)), now, { linkBase: ctx.linkBase });
  // Positions and organisations only: the names of staff stay out of the logs with everything else.
  counts.unreached = plan.unreached.length;
  for (const r of plan.unreached)
    logger.info('nobody registered to tell', { position: r.position, org: r.org });
  for (const message of plan.queued) {
    const claim = await claimMessage(ctx.region, message);
    if (claim === 'retry') await requeue(ctx.region, message);
    if (claim === 'duplicate') counts.duplicates++;
    else counts.queued++;
  }
  for (const message of plan.sendNow) {
    if ((await claimMessage(ctx.region, message)) === 'duplicate') {
      counts.duplicates++;
      continue;
    }
    const via = await sendTo(message, message.text);
    if (via === undefined) await markUnreachable(message.messageId, now.toISOString());
    else {
      await markSent(message.messageId, via, new Date().toISOString());
      counts.sent++;
    }
  }
  metrics.addMetric('MessagesSent', 'Count', counts.sent);
  metrics.addMetric('MessagesQueued', 'Count', counts.queued);
  metrics.addMetric('RecipientsUnreached', 'Count', counts.unreached);
  return counts;
}

const eventMessageSchema = z.object({
  id: z.string(),
  'detail-type': z.enum(PEOPLE_EVENT_TYPES),
  detail: z.unknown(),
});

/** case.opened / case.overdue / case.state-changed / student.returned → the people of the case. */
export const handler = sqsBatchHandler({
  observability,
  body: eventMessageSchema,
  handleRecord: async (message) => {
    const parsed = parseEventDetail(message['detail-type'], message.detail);
    if (!parsed.ok) throw new Error(`${parsed.error.code}: ${parsed.error.en}`);
    const event = parsed.event as PeopleEvent;
    const record = await getCaseRecord(event.detail.caseId);
    if (record === undefined) {
      logger.warn('case not found; nothing to tell', { caseId: event.detail.caseId });
      return;
    }
    const notices = noticesForEvent(event, record, { rules: context().rules });
    const counts = await deliver(notices, new Date());
    logger.info('case event told', { caseId: event.detail.caseId, type: event.detailType, ...counts });
  },
});

/** Every 30 minutes: the digests and held messages whose time has come, one delivery per person. */
export const digestHandler = scheduledHandler({
  observability,
  handle: async ({ at: now }) => {
    const ctx = context();
    const { digests, held } = buildDigests(await dueMessages(ctx.region, now), now);
    let failed = 0;
    for (const digest of digests) {
      try {
        const via = await sendTo(digest, digest.text);
        if (via === undefined) {
          for (const m of digest.messages) await markUnreachable(m.messageId, now.toISOString());
        } else await recordDigest(ctx.region, digest, via, now.toISOString());
      } catch (err) {
        // The messages stay queued: the next run sends them. One person's failure does not hold the rest.
        failed++;
        logger.error('digest not sent; it stays queued', { position: digest.position, error: err as Error });
      }
    }
    const result = { digests: digests.length - failed, held: held.length, failed };
    logger.info('digest run done', result);
    if (failed > 0)
      throw new Error(`${failed} digest(s) could not be sent; they stay queued for the next run`);
    return result;
  },
});

/** Every morning: 到期提醒 for the duties of open cases due today or on the next working day. */
export const dueHandler = scheduledHandler({
  observability,
  handle: async ({ at: now }) => {
    const ctx = context();
    const today = todayInChina(now);
    const notices: Notice[] = [];
    for await (const page of openCasePages(ctx.region)) {
      for (const record of page) notices.push(...dueNotices(record, today, { rules: ctx.rules }));
    }
    const counts = await deliver(notices, now);
    logger.info('due reminders done', { today, notices: notices.length, ...counts });
    return { today, notices: notices.length, ...counts };
  },
});

/**
 * PUT /contacts — a school, township or county registers one of its people for its positions on the
 * chain, with the channel and address to reach them and when (at once, or a daily digest). Registering
 * the same person (organisation, position, name) again replaces the entry.
 */
export const putContactHandler = httpHandler({
  observability,
  roles: ['school', 'township', 'county'],
  input: { body: contactRegistrationSchema },
  handle: async ({ caller, body }) => {
    const allowed = positionsFor(caller.role);
    if (!allowed.includes(body.position)) {
      throw badRequest('POSITION_NOT_OF_ORGANISATION', {
        zh: `本单位只能登记以下岗位的人员：${allowed.join('、')}；${body.position} 由其所在单位登记。`,
        en: `Your organisation registers only ${allowed.join(', ')}; ${body.position} is registered by its own organisation.`,
      });
    }
    if (!enabledChannels().includes(body.channel)) {
      throw badRequest('CHANNEL_NOT_AVAILABLE', {
        zh: `本部署不提供“${body.channel}”渠道，可用渠道：${enabledChannels().join('、')}。`,
        en: `This deployment does not offer the ${body.channel} channel; available: ${enabledChannels().join(', ')}.`,
      });
    }
    const contact: Contact = {
      personId: personIdOf(caller.org, body.position, body.name),
      org: caller.org,
      position: body.position,
      name: body.name,
      mode: body.mode,
      digestAt: body.digestAt,
      quietHours: body.quietHours,
    };
    const address = body.channel === 'sms' ? body.address.replace(/[\s-]/g, '') : body.address;
    await putContact(
      contact,
      { channel: body.channel, address },
      { region: env('KCBX_REGION_CODE'), by: caller.sub, at: new Date().toISOString() },
    );
    logger.info('contact registered', {
      position: contact.position,
      channel: body.channel,
      mode: contact.mode,
    });
    return { ...contact, channel: body.channel, address: maskAddress(body.channel, address) };
  },
});
