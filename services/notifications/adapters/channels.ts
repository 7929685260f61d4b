/**
 * 通知渠道 — the ways a message reaches a person, behind one interface: SMS through Amazon SNS, e-mail through
 * Amazon SES, and a WeChat Work (企业微信) group robot webhook. In the local cloud (KCBX_LOCAL) every channel
 * is the local one, which prints the message; the outbox records it either way, so `GET /outbox` shows what
 * would have gone out.
 *
 * Amazon SES and SNS text messaging are not offered in the China (aws-cn) regions: there the
 * deployment's construct enables only the WeChat Work channel (KCBX_CHANNELS), and PUT /contacts refuses
 * the others with a message that says so.
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { RegistrableChannel } from '../domain/people';

export type ChannelKind = RegistrableChannel | 'local';

/** One message for one person, with the address it goes to. */
export interface Outgoing {
  recipientName: string;
  address: string;
  text: string;
}

export interface Channel {
  kind: ChannelKind;
  send(message: Outgoing): Promise<void>;
}

/** A mainland mobile number in E.164 (+86…), as SNS expects; other numbers are given in E.164 already. */
export function toE164(phone: string): string {
  const digits = phone.replace(/[\s-]/g, '');
  return digits.startsWith('+') ? digits : `+86${digits}`;
}

/** Masks an address for a log line or a listing: 138****0001, q***@school.cn, …key=693a****. */
export function maskAddress(channel: RegistrableChannel, address: string): string {
  if (channel === 'sms') return address.replace(/^(\+?\d{3})\d*(\d{4})$/, '$1****$2');
  if (channel === 'email') return address.replace(/^(.).*(@.*)$/, '$1***$2');
  return address.replace(/(key=.{4}).*$/, '$1****');
}

/** The SDK clients, created once per execution environment (as shared/aws/clients.ts does). */
let snsClient: SNSClient | undefined;
let sesClient: SESv2Client | undefined;
const sns = () => {
  snsClient ??= new SNSClient({});
  return snsClient;
};
const ses = () => {
  sesClient ??= new SESv2Client({});
  return sesClient;
};

/** SMS through SNS Publish to a phone number, as a transactional message (delivered on opt-out lists' terms). */
export function smsChannel(client: SNSClient = sns()): Channel {
  return {
    kind: 'sms',
    async send(message) {
      await client.send(
        new PublishCommand({
          PhoneNumber: toE164(message.address),
          Message: message.text,
          MessageAttributes: {
            'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
          },
        }),
      );
    },
  };
}

/** The e-mail subject: the message's first line, without the SMS signature. */
export function subjectOf(text: string): string {
  const first = (text.split('\n')[0] ?? '').replace(/^【[^】]*】/, '').replace(/\s+https?:\/\/\S+$/, '');
  return `控辍保学：${first.length > 40 ? `${first.slice(0, 40)}…` : first}`;
}

/** E-mail through SES v2 SendEmail from the deployment's verified sender (KCBX_EMAIL_FROM). */
export function emailChannel(from: string, client: SESv2Client = ses()): Channel {
  return {
    kind: 'email',
    async send(message) {
      await client.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: [message.address] },
          Content: {
            Simple: {
              Subject: { Data: subjectOf(message.text), Charset: 'UTF-8' },
              Body: { Text: { Data: `${message.recipientName}：\n\n${message.text}\n`, Charset: 'UTF-8' } },
            },
          },
        }),
      );
    },
  };
}

/**
 * 企业微信群机器人 — POST {msgtype: text} to the group's webhook. The robot answers 200 with an errcode
 * even when it refuses (a wrong key, the rate limit of 20 messages a minute): anything but 0 is a failure,
 * so the queue retries it.
 */
export function wecomChannel(fetchImpl: typeof fetch = fetch): Channel {
  return {
    kind: 'wecom',
    async send(message) {
      const res = await fetchImpl(message.address, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          msgtype: 'text',
          text: { content: `${message.recipientName}：${message.text}` },
        }),
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await res.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
      if (!res.ok || body.errcode !== 0) {
        throw new Error(
          `WeChat Work webhook refused the message: HTTP ${res.status}, errcode ${body.errcode}`,
        );
      }
    },
  };
}

/** The local cloud's channel: prints one line per message (the address masked) instead of sending. */
export function localChannel(
  intended: RegistrableChannel,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Channel {
  return {
    kind: 'local',
    async send(message) {
      write(
        `[outbox] ${message.recipientName} via ${intended} ${maskAddress(intended, message.address)}: ${message.text.replace(/\n/g, ' / ')}`,
      );
    },
  };
}

/** The channels this deployment can send on (KCBX_CHANNELS, comma-separated; all three by default). */
export function enabledChannels(environment: NodeJS.ProcessEnv = process.env): RegistrableChannel[] {
  const listed = (environment.KCBX_CHANNELS ?? 'sms,email,wecom').split(',').map((c) => c.trim());
  return (['sms', 'email', 'wecom'] as const).filter((c) => listed.includes(c));
}

/** The channel a person's messages go through; in the local cloud, always the local one. */
export function channelFor(kind: RegistrableChannel, environment: NodeJS.ProcessEnv = process.env): Channel {
  if (environment.KCBX_LOCAL) return localChannel(kind);
  switch (kind) {
    case 'sms':
      return smsChannel();
    case 'email': {
      const from = environment.KCBX_EMAIL_FROM;
      if (!from) throw new Error('KCBX_EMAIL_FROM is not set: the e-mail channel has no sender');
      return emailChannel(from);
    }
    case 'wecom':
      return wecomChannel();
  }
}
