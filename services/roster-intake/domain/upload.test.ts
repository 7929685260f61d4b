import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../shared/org';
import {
  canSeeUpload,
  checkUploadFile,
  defaultTargetOrg,
  newUploadId,
  objectKeyFor,
  uploadIdFromKey,
  uploadRequestSchema,
} from './upload';

const request = (over: Record<string, unknown> = {}) =>
  uploadRequestSchema.parse({
    kind: 'enrollment',
    fileName: '2025秋季学籍.xlsx',
    size: 1000,
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ...over,
  });
const caller = (role: Caller['role'], org: string): Caller => ({ role, org, sub: `u-${org}` });

describe('an upload request', () => {
  it('accepts an .xlsx and a .csv with their content types', () => {
    expect(checkUploadFile(request(), 50 << 20)).toEqual({ ok: true, extension: '.xlsx' });
    expect(
      checkUploadFile(request({ fileName: 'a.CSV', contentType: 'application/vnd.ms-excel' }), 50 << 20),
    ).toEqual({
      ok: true,
      extension: '.csv',
    });
  });

  it('refuses a legacy .xls, telling the user to save it as .xlsx', () => {
    const r = checkUploadFile(
      request({ fileName: 'old.xls', contentType: 'application/vnd.ms-excel' }),
      50 << 20,
    );
    expect(r).toMatchObject({ ok: false, problem: { code: 'LEGACY_XLS' } });
    expect(!r.ok && r.problem.zh).toContain('另存为');
  });

  it('refuses other file types, a content type that does not fit, and a file over the limit', () => {
    expect(checkUploadFile(request({ fileName: 'a.pdf' }), 50 << 20)).toMatchObject({
      problem: { code: 'UNSUPPORTED_FILE_TYPE' },
    });
    expect(checkUploadFile(request({ contentType: 'text/csv' }), 50 << 20)).toMatchObject({
      problem: { code: 'CONTENT_TYPE_MISMATCH' },
    });
    expect(checkUploadFile(request({ size: 60 << 20 }), 50 << 20)).toMatchObject({
      problem: { code: 'TOO_LARGE' },
    });
  });

  it('refuses a file name with a folder in it', () => {
    expect(uploadRequestSchema.safeParse({ ...request(), fileName: '../x.csv' }).success).toBe(false);
  });
});

describe('upload keys', () => {
  it('puts the object under incoming/<region>/<org>/<kind>/<uploadId> and reads the id back', () => {
    const id = newUploadId(new Date('2025-09-08T02:00:00Z'));
    const key = objectKeyFor('530124', '2153012401', 'enrollment', id, '.xlsx');
    expect(key).toBe(`incoming/530124/2153012401/enrollment/${id}.xlsx`);
    expect(uploadIdFromKey(key)).toBe(id);
    expect(uploadIdFromKey('incoming/530124/x/enrollment/evil.xlsx')).toBeUndefined();
  });

  it('makes ids that differ even in the same millisecond', () => {
    const now = new Date();
    expect(newUploadId(now)).not.toBe(newUploadId(now));
  });
});

describe('defaults', () => {
  it('uploads for the caller’s own organisation, and for a partner its region', () => {
    expect(defaultTargetOrg(caller('school', '2153012401'))).toBe('2153012401');
    expect(defaultTargetOrg(caller('partner', '530124:civil-affairs'))).toBe('530124');
  });
});

describe('who sees an upload', () => {
  const schoolUpload = { org: '2153012401', region: '530124', createdBy: { org: '2153012401' } };
  it('shows it to the uploader and to the county, not to another school or county', () => {
    expect(canSeeUpload(caller('school', '2153012401'), schoolUpload).allowed).toBe(true);
    expect(canSeeUpload(caller('county', '530124'), schoolUpload).allowed).toBe(true);
    expect(canSeeUpload(caller('school', '2153012402'), schoolUpload).allowed).toBe(false);
    expect(canSeeUpload(caller('county', '530128'), schoolUpload).allowed).toBe(false);
  });

  it('shows a partner its own upload only', () => {
    const partnerUpload = { org: '530124', region: '530124', createdBy: { org: '530124:civil-affairs' } };
    expect(canSeeUpload(caller('partner', '530124:civil-affairs'), partnerUpload).allowed).toBe(true);
    expect(canSeeUpload(caller('partner', '530124:public-security'), partnerUpload).allowed).toBe(false);
  });
});

describe('the roster.rejected event', () => {
  it('states the reason by code and never quotes the file', async () => {
    const { rosterEvent } = await import('./intake');
    const event = rosterEvent({
      id: 'up-abc-0123456789abcdef',
      kind: 'enrollment',
      org: '2153012401',
      region: '530124',
      period: '2025-autumn',
      status: 'rejected',
      objectVersion: 'v1',
      updatedAt: '2025-09-08T02:00:00.000Z',
      problems: [
        {
          code: 'HEADER_NOT_FOUND',
          zh: '未找到表头，第一行为：张三、李四',
          en: 'No header; first row: 张三, 李四',
        },
      ],
    });
    expect(event.detailType).toBe('roster.rejected');
    expect(JSON.stringify(event.detail)).not.toContain('张三');
    expect(JSON.stringify(event.detail)).toContain('HEADER_NOT_FOUND');
  });
});
