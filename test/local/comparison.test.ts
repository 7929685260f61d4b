import { describe, expect, it } from 'vitest';
import { csvBuffer } from '../../services/roster-intake/domain/test-fixtures';
import { eventually, recorded, useLocalCloud } from '../local-cloud';
import { addEventRecorder } from './subscriber';
import { callApi, uploadRoster } from './uploads';

// A comparison runs as of today: in the 2026 autumn term A, B and C are of compulsory age and D is not.
const local = useLocalCloud({
  now: '2026-10-15T10:00:00+08:00',
  extend: (stack) =>
    addEventRecorder(stack, 'DropoutSubscriber', { source: ['kcbx.comparison'] }, 'comparison-events'),
});

const SCHOOL = '2153012401';
// A: enrolled and present; B: enrolled, not present; C: registered, not enrolled; D: too old.
const [A, B, C, D] = ['530124201503120057', '530124201407230061', '530124201601010070', '530124200509150084'];

const events = async () => (await recorded(local().cloud, 'comparison-events')).map((b) => JSON.parse(b));

interface Run {
  id: string;
  status: string;
  counts?: Record<string, number>;
}

describe('comparison on the local cloud', () => {
  it('goes from uploaded rosters to dropout.suspected events, once per child', async () => {
    const { cloud } = local();
    const county = await cloud.token({ role: 'county', org: '530124' });
    const school = await cloud.token({ role: 'school', org: SCHOOL });
    const csv = (rows: string[][]) => csvBuffer(rows, { encoding: 'gb18030' });

    const household = csv([
      ['公民身份号码', '姓名', '性别'],
      [A, '张三', '男'],
      [B, '李四', '女'],
      [C, '王五', '男'],
      [D, '赵六', '女'],
    ]);
    expect((await uploadRoster(cloud, county, 'household', '户籍.csv', 'text/csv', household)).status).toBe(
      'accepted',
    );
    const enrollment = csv([
      ['学生姓名', '身份证件号', '学校标识码', '年级', '就读方式'],
      ['张三', A, SCHOOL, '五年级', '走读'],
      ['李四', B, SCHOOL, '六年级', '住校'],
    ]);
    expect((await uploadRoster(cloud, school, 'enrollment', '学籍.csv', 'text/csv', enrollment)).status).toBe(
      'accepted',
    );
    const headcount = csv([
      ['姓名', '身份证号', '到校情况'],
      ['张三', A, '已到'],
      ['李四', B, '未到'],
    ]);
    expect((await uploadRoster(cloud, school, 'headcount', '清点.csv', 'text/csv', headcount)).status).toBe(
      'accepted',
    );

    // Each accepted roster started a run; the county then asks for one more.
    const started = await callApi<{ id: string }>(cloud, 'POST', '/comparisons', county, {});
    expect(started.status).toBe(202);
    const run = await eventually(async () => {
      const res = await callApi<Run>(cloud, 'GET', `/comparisons/${started.body.id}`, county);
      return res.body.status === 'completed' && res.body;
    });
    expect(run.counts).toMatchObject({ CONSISTENT: 1, ENROLLED_ABSENT: 1, NOT_ENROLLED: 1, outOfWindow: 1 });

    await cloud.eventsIdle();
    const suspected = await eventually(async () => {
      const found = (await events()).filter((e) => e['detail-type'] === 'dropout.suspected');
      return found.length >= 2 && found;
    });
    expect(suspected.map((e) => [e.detail.child.maskedId, e.detail.outcome]).sort()).toEqual([
      ['5301**********0061', 'ENROLLED_ABSENT'],
      ['5301**********0070', 'NOT_ENROLLED'],
    ]);
    expect(suspected.find((e) => e.detail.outcome === 'ENROLLED_ABSENT').detail).toMatchObject({
      source: 'COMPARISON',
      school: SCHOOL,
      evidence: expect.arrayContaining([expect.objectContaining({ line: expect.any(Number) })]),
    });
    expect(JSON.stringify(suspected)).not.toContain(B);
    expect((await events()).some((e) => e['detail-type'] === 'comparison.completed')).toBe(true);

    // A school sees its own children's results, with full IDs; another school sees none.
    const mine = await callApi<{ results: { idNumber?: string; outcome: string }[] }>(
      cloud,
      'GET',
      `/comparisons/${run.id}/results`,
      school,
    );
    expect(mine.body.results.map((r) => r.outcome).sort()).toEqual(['CONSISTENT', 'ENROLLED_ABSENT']);
    expect(mine.body.results.map((r) => r.idNumber).sort()).toEqual([A, B].sort());
    // A county asks for one outcome: the page is filled even though the filter skips other rows.
    const absent = await callApi<{ results: { maskedId: string }[] }>(
      cloud,
      'GET',
      `/comparisons/${run.id}/results?outcome=ENROLLED_ABSENT&limit=1`,
      county,
    );
    expect(absent.body.results.map((r) => r.maskedId)).toEqual(['5301**********0061']);
    const other = await cloud.token({ role: 'school', org: '2153012402' });
    expect(
      (await callApi<{ results: unknown[] }>(cloud, 'GET', `/comparisons/${run.id}/results`, other)).body
        .results,
    ).toEqual([]);
  });

  it('publishes nothing new when recomputing unchanged inputs', async () => {
    const { cloud } = local();
    const county = await cloud.token({ role: 'county', org: '530124' });
    const before = (await events()).filter((e) => e['detail-type'] !== 'comparison.completed').length;
    const started = await callApi<{ id: string }>(cloud, 'POST', '/comparisons', county, {});
    await eventually(async () => {
      const res = await callApi<Run>(cloud, 'GET', `/comparisons/${started.body.id}`, county);
      return res.body.status === 'completed';
    });
    await cloud.eventsIdle();
    expect((await events()).filter((e) => e['detail-type'] !== 'comparison.completed')).toHaveLength(before);
  });
});
