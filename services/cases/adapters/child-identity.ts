/**
 * Who a signal is about: events name a child only by pseudonym, so a new case looks the child up in
 * the accepted roster rows (owned by roster-intake, found by pseudonym through gsi1) to record the
 * ID number, name, school and 户籍 place the people working the case need.
 */

import { env } from '../../../shared/aws/clients';
import { queryPages } from '../../../shared/aws/dynamo';

export interface ChildIdentity {
  idNumber?: string;
  name?: string;
  school?: string;
  schoolName?: string;
  township?: string;
  /** The county of the 户籍 (6 digits) when the household roster gives a region code. */
  householdCounty?: string;
}

const SCHOOL = /^\d{10}$/;

export async function childIdentity(childKey: string): Promise<ChildIdentity> {
  const found: ChildIdentity = {};
  const pages = queryPages({
    TableName: env('KCBX_TABLE'),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': `CHILD#${childKey}` },
    // Newest periods first (the sort key starts with kind#period).
    ScanIndexForward: false,
  });
  for await (const page of pages) {
    for (const row of page) {
      const record = (row.record ?? {}) as Record<string, unknown>;
      found.idNumber ??= typeof row.idNumber === 'string' ? row.idNumber : undefined;
      found.name ??= typeof record.name === 'string' ? record.name : undefined;
      if (row.kind === 'enrollment' || row.kind === 'headcount' || row.kind === 'attendance') {
        const code = typeof record.schoolCode === 'string' ? record.schoolCode : String(row.org);
        if (!found.school && SCHOOL.test(code)) {
          found.school = code;
          found.schoolName = typeof record.schoolName === 'string' ? record.schoolName : undefined;
        }
      }
      if (row.kind === 'household' && typeof record.regionCode === 'string') {
        found.householdCounty ??= record.regionCode.slice(0, 6);
        if (record.regionCode.length >= 9) found.township ??= record.regionCode.slice(0, 9);
      }
    }
  }
  return found;
}
