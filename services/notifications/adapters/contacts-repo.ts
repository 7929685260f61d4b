/**
 * Contacts (owned by notifications): the people of an organisation who are told about its cases, and
 * how to reach them. One item per person:
 *
 *   pk CONTACTS#<org>   sk PERSON#<personId>
 *
 * Who they are (name, position) and when they want to hear (mode, digest time, quiet hours) are plain
 * attributes: the planner reads them for every event. How to reach them — the channel and the phone
 * number, e-mail address or WeChat Work webhook — is sealed with AES-256-GCM under a key held in
 * Secrets Manager and opened only by the code that sends: each person's channel and contact are stored
 * encrypted (docs/domain.md §7.6; 个人信息保护法 第五十一条: encryption of personal information).
 *
 * Why a Secrets Manager key and not KMS Encrypt per contact: the table is already encrypted at rest with
 * the deployment's KMS key; sealing the address on top keeps it unreadable to everyone who may read the
 * table (the cases functions, a table export, a backup restore) but not the secret. The secret itself
 * is encrypted with the same KMS key and only the notification functions may read it — an envelope of
 * KMS key → data key → address. It is read once per execution environment instead of one KMS call per
 * contact, and the local cloud serves GetSecretValue (it has no KMS), so the local run takes the very
 * code path AWS does. The sealed value records its format version, so the key can be replaced by
 * re-sealing every item under a `v2`.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, env, secretsManager } from '../../../shared/aws/clients';
import { queryPages } from '../../../shared/aws/dynamo';
import type { ChainPosition } from '../../../shared/region-settings';
import type { Contact, RegistrableChannel } from '../domain/people';

/** How to reach a person: sealed at rest, opened to send. */
export interface Address {
  channel: RegistrableChannel;
  address: string;
}

const table = () => env('KCBX_TABLE');
const SEAL_VERSION = 'v1';

let contactsKey: Promise<Buffer> | undefined;

/**
 * The 256-bit sealing key, derived (HKDF-SHA256) from the contacts secret: the secret is 64 letters and
 * digits from Secrets Manager, not a raw key, so it is stretched into one of the right length and use.
 */
function sealingKey(): Promise<Buffer> {
  contactsKey ??= secretsManager()
    .send(new GetSecretValueCommand({ SecretId: env('KCBX_CONTACTS_SECRET_ARN') }))
    .then((res) => {
      if (!res.SecretString) throw new Error('The contacts secret is empty');
      return Buffer.from(hkdfSync('sha256', res.SecretString, '', 'kcbx contacts v1', 32));
    });
  contactsKey.catch(() => {
    contactsKey = undefined;
  });
  return contactsKey;
}

/**
 * Seals an address for the item it is stored on: the item's key is the additional authenticated data,
 * so a sealed value copied onto another person's item does not open.
 */
export function sealAddress(key: Buffer, value: Address, itemKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(itemKey, 'utf8'));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return [
    SEAL_VERSION,
    iv.toString('base64'),
    sealed.toString('base64'),
    cipher.getAuthTag().toString('base64'),
  ].join('.');
}

export function openAddress(key: Buffer, sealed: string, itemKey: string): Address {
  const [version, iv, data, tag] = sealed.split('.');
  if (version !== SEAL_VERSION || !iv || !data || !tag) throw new Error('not a sealed contact address');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAAD(Buffer.from(itemKey, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as Address;
}

const keyOf = (org: string, personId: string) => ({ pk: `CONTACTS#${org}`, sk: `PERSON#${personId}` });
const aadOf = (key: { pk: string; sk: string }) => `${key.pk}|${key.sk}`;

/** Registers (or replaces) a person and their sealed address. */
export async function putContact(
  contact: Contact,
  address: Address,
  meta: { region: string; by: string; at: string },
): Promise<void> {
  const key = keyOf(contact.org, contact.personId);
  await dynamo().send(
    new PutCommand({
      TableName: table(),
      Item: {
        ...key,
        type: 'contact',
        region: meta.region,
        ...contact,
        sealed: sealAddress(await sealingKey(), address, aadOf(key)),
        updatedAt: meta.at,
        updatedBy: meta.by,
      },
    }),
  );
}

function toContact(item: Record<string, unknown>): Contact {
  return {
    personId: String(item.personId),
    org: String(item.org),
    position: item.position as ChainPosition,
    name: String(item.name),
    mode: item.mode as Contact['mode'],
    digestAt: String(item.digestAt),
    quietHours: item.quietHours as Contact['quietHours'],
  };
}

/** The people registered for one organisation (without their addresses). */
export async function listContacts(org: string): Promise<Contact[]> {
  const out: Contact[] = [];
  const pages = queryPages({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :person)',
    ExpressionAttributeValues: { ':pk': `CONTACTS#${org}`, ':person': 'PERSON#' },
    ProjectionExpression: 'personId, org, #position, #name, #mode, digestAt, quietHours',
    ExpressionAttributeNames: { '#position': 'position', '#name': 'name', '#mode': 'mode' },
  });
  for await (const page of pages) out.push(...page.map(toContact));
  return out;
}

/** The people of several organisations (the school, township and county of a case). */
export async function contactsOf(orgs: readonly string[]): Promise<Contact[]> {
  return (await Promise.all(orgs.map(listContacts))).flat();
}

/** How to reach a person, opened; undefined when they are no longer registered. */
export async function addressOf(org: string, personId: string): Promise<Address | undefined> {
  const key = keyOf(org, personId);
  const res = await dynamo().send(
    new GetCommand({ TableName: table(), Key: key, ProjectionExpression: 'sealed', ConsistentRead: true }),
  );
  const sealed = res.Item?.sealed;
  if (typeof sealed !== 'string') return undefined;
  return openAddress(await sealingKey(), sealed, aadOf(key));
}
