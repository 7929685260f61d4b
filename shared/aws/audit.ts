/**
 * 访问留痕 — who read or exported which children's records (docs/domain.md §7.5: an audit trail of who
 * read or changed which record). Changes are in each record's own history; reads are written here, one item per
 * record read, in the deployment's Audit table (append-only for the services: they may only put):
 *
 *   pk RECORD#<record id>   sk <ISO time>#<request id>      — who looked at this record
 *
 * A read whose trail cannot be written fails: sensitive data is not shown without its trace.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Caller } from '../org';
import { dynamo, env } from './clients';

export interface AccessRecord {
  /** The record read: a case id, or a ledger/export named by organisation and date. */
  recordId: string;
  action: 'READ' | 'EXPORT';
  caller: Caller;
  requestId: string;
  /** Whether the full ID numbers were shown. */
  fullIds: boolean;
  /** How many children the read covered (an export). */
  children?: number;
  at?: Date;
}

export async function recordAccess(access: AccessRecord): Promise<void> {
  const at = (access.at ?? new Date()).toISOString();
  await dynamo().send(
    new PutCommand({
      TableName: env('KCBX_AUDIT_TABLE'),
      Item: {
        pk: `RECORD#${access.recordId}`,
        sk: `${at}#${access.requestId}`,
        action: access.action,
        role: access.caller.role,
        org: access.caller.org,
        sub: access.caller.sub,
        fullIds: access.fullIds,
        ...(access.children !== undefined && { children: access.children }),
        at,
      },
    }),
  );
}
