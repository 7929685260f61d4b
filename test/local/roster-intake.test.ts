import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { csvBuffer, xlsxBuffer } from '../../services/roster-intake/domain/test-fixtures';
import { eventually, recorded, useLocalCloud } from '../local-cloud';
import { addEventRecorder } from './subscriber';
import { callApi, type UploadView, uploadRoster } from './uploads';

// Uploads of the 2026 autumn term: an upload's term, and the ages checked, follow today.
const local = useLocalCloud({
  now: '2026-10-15T10:00:00+08:00',
  extend: (stack) =>
    addEventRecorder(stack, 'RosterSubscriber', { source: ['kcbx.roster-intake'] }, 'roster-events'),
});

const SCHOOL = '2153012401';
// Valid IDs (check digits computed): children of 富民县 born 2013–2016.
const ID = ['530124201503120014', '530124201407230029', '530124201601010038', '530124201309150041'];

const api = <T>(method: string, path: string, token: string, body?: unknown) =>
  callApi<T>(local().cloud, method, path, token, body);
const upload = (token: string, kind: string, fileName: string, contentType: string, content: Buffer) =>
  uploadRoster(local().cloud, token, kind, fileName, contentType, content);

const storedRows = async (uploadId: string) => {
  const { cloud } = local();
  const table = cloud.model.tables.find((t) => t.logicalId.startsWith('DataTable'))!.name;
  const res = await cloud.clients.dynamodb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `ROSTER#${uploadId}` } },
      Select: 'COUNT',
    }),
  );
  return res.Count ?? 0;
};

const events = async () => (await recorded(local().cloud, 'roster-events')).map((b) => JSON.parse(b));

describe('roster intake on the local cloud', () => {
  it('takes a GBK CSV 学籍 export through a pre-signed POST to roster.accepted', async () => {
    const token = await local().cloud.token({ role: 'school', org: SCHOOL });
    const csv = csvBuffer(
      [
        ['富民县第一小学2025年秋季学期学籍名单'],
        ['序号', '学生姓名', '性别', '身份证件号', '学校名称', '年级', '班级', '就读方式'],
        ['1', '张 三', '男', ID[0]!, '富民县第一小学', '四年级', '1班', '走读'],
        ['2', '李四', '女', ID[1]!, '富民县第一小学', '五年级', '2班', '住校'],
        ['3', '王五', '男', '530124201503120015', '富民县第一小学', '四年级', '1班', '走读'],
        ['合计', '3人'],
      ],
      { encoding: 'gb18030' },
    );
    const done = await upload(token, 'enrollment', '学籍.csv', 'text/csv', csv);
    expect(done).toMatchObject({
      status: 'accepted',
      summary: { rows: 3, accepted: 2, rejected: 1, encoding: 'gb18030', format: 'csv' },
    });

    const event = await eventually(async () => (await events()).find((e) => e.detail.uploadId === done.id));
    expect(event).toMatchObject({
      'detail-type': 'roster.accepted',
      detail: { kind: 'enrollment', org: SCHOOL, counts: { rows: 3, accepted: 2, rejected: 1 } },
    });
    expect(JSON.stringify(event)).not.toContain(ID[0]);

    // The row-level report: the bad check digit on line 5, in Chinese and English.
    const report = await api<{ url: string }>('GET', `/uploads/${done.id}/report?format=csv`, token);
    const text = await (await fetch(report.body.url)).text();
    expect(text).toContain('ID_BAD_CHECK_DIGIT');
    expect(text).not.toContain('530124201503120015');
  });

  it('takes an XLSX 户籍 roster from the county, and a second one supersedes it explicitly', async () => {
    const token = await local().cloud.token({ role: 'county', org: '530124' });
    const xlsx = async (ids: string[]) =>
      xlsxBuffer([
        {
          name: '户籍',
          rows: [
            ['富民县户籍适龄儿童名单', null, null],
            ['公民身份号码', '姓名', '出生日期'],
            ...ids.map((id, i) => [
              id,
              `儿童${i}`,
              `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
            ]),
          ],
          merges: ['A1:C1'],
        },
      ]);
    const type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    const first = await upload(token, 'household', '户籍.xlsx', type, await xlsx(ID.slice(0, 2)));
    expect(first).toMatchObject({ status: 'accepted', summary: { accepted: 2, format: 'xlsx' } });
    const second = await upload(token, 'household', '户籍-更正.xlsx', type, await xlsx(ID));
    expect(second).toMatchObject({ status: 'accepted', summary: { accepted: 4 }, supersedes: first.id });
    const firstNow = await api<UploadView & { supersededBy?: string }>('GET', `/uploads/${first.id}`, token);
    expect(firstNow.body).toMatchObject({ status: 'superseded', supersededBy: second.id });
  });

  it('rejects a binary file renamed .csv with a clear reason and publishes roster.rejected', async () => {
    const token = await local().cloud.token({ role: 'school', org: SCHOOL });
    const junk = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), Buffer.alloc(2000, 7)]);
    const done = await upload(token, 'headcount', 'names.csv', 'text/csv', junk);
    expect(done.status).toBe('rejected');
    expect(done.problems?.[0]?.code).toBeTruthy();
    const event = await eventually(async () => (await events()).find((e) => e.detail.uploadId === done.id));
    expect(event['detail-type']).toBe('roster.rejected');
  });

  it('does not store rows twice or publish twice when S3 delivers the same notification again', async () => {
    const { cloud } = local();
    const token = await cloud.token({ role: 'school', org: SCHOOL });
    const csv = csvBuffer(
      [
        ['姓名', '身份证号', '在校情况'],
        ['赵六', ID[3]!, '在校'],
      ],
      { encoding: 'utf-8' },
    );
    const done = await upload(token, 'headcount', '清点.csv', 'text/csv', csv);
    expect(done.status).toBe('accepted');
    await eventually(async () => (await events()).some((e) => e.detail.uploadId === done.id));

    const queue = cloud.model.queues.find((q) => q.logicalId.startsWith('RosterIntakeQueue'))!;
    const bucket = cloud.model.buckets.find((b) => b.logicalId.startsWith('DataRosters'))!.name;
    const key = `incoming/530124/${SCHOOL}/headcount/${done.id}.csv`;
    // The same notification S3 sent: same key, same object version (ETag, as versioning is off locally).
    const head = await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const object = {
      key,
      size: head.ContentLength,
      eTag: head.ETag!.replace(/"/g, ''),
      versionId: head.VersionId,
    };
    const notification = {
      Records: [{ eventName: 'ObjectCreated:Post', s3: { bucket: { name: bucket }, object } }],
    };
    const rowsBefore = await storedRows(done.id);
    await cloud.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(notification) }),
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect((await events()).filter((e) => e.detail.uploadId === done.id)).toHaveLength(1);
    expect(await storedRows(done.id)).toBe(rowsBefore);
    expect(rowsBefore).toBe(1);
    const processed = local().logs.filter((l) => l.includes(done.id) && l.includes('upload processed'));
    expect(processed).toHaveLength(1);
  });

  it('shows an upload to its school and its county, and to no other school', async () => {
    const { cloud } = local();
    const mine = await cloud.token({ role: 'school', org: SCHOOL });
    const csv = csvBuffer(
      [
        ['姓名', '身份证号', '在校情况'],
        ['钱七', ID[2]!, '未到'],
      ],
      { encoding: 'utf-8-bom' },
    );
    const done = await upload(mine, 'headcount', '清点2.csv', 'text/csv', csv);
    const other = await cloud.token({ role: 'school', org: '2153012402' });
    const county = await cloud.token({ role: 'county', org: '530124' });
    expect((await api('GET', `/uploads/${done.id}`, other)).status).toBe(404);
    expect((await api('GET', `/uploads/${done.id}`, county)).status).toBe(200);
  });

  it('refuses an upload the role may not make, before anything is signed', async () => {
    const token = await local().cloud.token({ role: 'school', org: SCHOOL });
    const res = await api<{ error: { code: string; zh: string } }>('POST', '/uploads', token, {
      kind: 'poverty',
      fileName: 'p.csv',
      size: 10,
      contentType: 'text/csv',
    });
    expect(res.status).toBe(403);
    expect(res.body.error.zh).toBeTruthy();
    const xls = await api<{ error: { code: string } }>('POST', '/uploads', token, {
      kind: 'enrollment',
      fileName: 'old.xls',
      size: 10,
      contentType: 'application/vnd.ms-excel',
    });
    expect(xls).toMatchObject({ status: 400, body: { error: { code: 'LEGACY_XLS' } } });
  });

  it('never writes a raw ID number or a child’s name to the logs', () => {
    const logs = local().logs.join('\n');
    expect(logs).toContain('upload processed');
    for (const id of ID) expect(logs).not.toContain(id);
    for (const name of ['张 三', '张三', '李四', '赵六', '钱七']) expect(logs).not.toContain(name);
  });
});
