import { describe, expect, it } from 'vitest';
import { csvBuffer } from '../../services/roster-intake/domain/test-fixtures';
import { nationalBaseline } from '../../services/subsidy/domain/policies/national-baseline';
import { idNumber } from '../fixtures/roster-rows';
import { eventually, recorded, useLocalCloud } from '../local-cloud';
import { addEventRecorder } from './subscriber';
import { callApi, uploadRoster } from './uploads';

// Runs of the 2026 autumn term, the current semester: the policies in force and the ages follow today.
const local = useLocalCloud({
  now: '2026-10-15T10:00:00+08:00',
  extend: (stack) =>
    addEventRecorder(stack, 'SubsidySubscriber', { source: ['kcbx.subsidy'] }, 'subsidy-events'),
});

const REGION = '530124';
const S1 = '2153012401';
const S2 = '2153012402';
/**
 * A: 小学 住校 低保 at a rural school → 寄宿生生活补助 500 元 + 营养餐 500 元.
 * B: 初中 住校 脱贫户, marked 未到 in the head count → the comparison finds ENROLLED_ABSENT: held.
 * C: 小学 走读, no category → 营养餐 only.
 * D: 初中 住校 脱贫户 at S2, an urban school → 寄宿生生活补助 625 元, no meal subsidy.
 */
const kids = {
  A: { id: idNumber('2016-03-12', 57), name: '张三' },
  B: { id: idNumber('2014-07-23', 61), name: '李四' },
  C: { id: idNumber('2017-01-01', 71), name: '王五' },
  D: { id: idNumber('2013-05-05', 83), name: '赵六' },
};
const masked = (id: string) => `${id.slice(0, 4)}**********${id.slice(14)}`;
const BENEFITS = [
  'TUITION_WAIVER',
  'FREE_TEXTBOOKS',
  'BOARDING_LIVING_ALLOWANCE',
  'NUTRITION_MEAL',
  'DISABILITY_SUPPORT',
];

interface Total {
  benefit?: string;
  school?: string;
  eligible?: number;
  held?: number;
  amountFen: number;
  amountYuan: string;
  heldFen: number;
  heldYuan: string;
}
interface RunView {
  id: string;
  status: string;
  semester: string;
  policy: { label: string };
  children?: number;
  totals?: Total & { byBenefit: Total[]; bySchool: Total[]; byTownship: Total[] };
}
interface DecisionView {
  childKey: string;
  maskedId: string;
  idNumber?: string;
  name?: string;
  benefit: string;
  status: string;
  amountFen: number;
  amountYuan: string;
  heldFen: number;
  payerSchool?: string;
  reason: { code: string; zh: string };
  explanation: { categories: { category: string; uploadId: string; line: number }[] };
}
interface PolicyList {
  semester: string;
  default: string;
  inForce?: { source: string; label: string };
  policies: {
    source: string;
    label: string;
    inForce: boolean;
    publishedAt?: string;
    publishedBy?: { role: string; org: string; sub?: string };
  }[];
}
interface ApiError {
  error: { code: string; zh: string; en: string; details?: Record<string, unknown> };
}
interface Recorded {
  'detail-type': string;
  detail: { runId: string; eventId: string; [k: string]: unknown };
}

const events = async () =>
  (await recorded(local().cloud, 'subsidy-events')).map((b) => JSON.parse(b) as Recorded);
const ofRun = async (runId: string) => (await events()).filter((e) => e.detail.runId === runId);

describe('subsidy on the local cloud', () => {
  let runId = '';

  it('goes from rosters and the comparison to a run with paid and held children', async () => {
    const { cloud } = local();
    const county = await cloud.token({ role: 'county', org: REGION });
    const school1 = await cloud.token({ role: 'school', org: S1 });
    const school2 = await cloud.token({ role: 'school', org: S2 });
    const csv = (rows: string[][]) => csvBuffer(rows, { encoding: 'gb18030' });
    const accept = async (token: string, kind: string, file: string, rows: string[][]) =>
      expect((await uploadRoster(cloud, token, kind, file, 'text/csv', csv(rows))).status).toBe('accepted');

    await accept(county, 'household', '户籍.csv', [
      ['公民身份号码', '姓名', '性别'],
      ...Object.values(kids).map((k) => [k.id, k.name, Number(k.id[16]) % 2 ? '男' : '女']),
    ]);
    await accept(school1, 'enrollment', '学籍.csv', [
      ['学生姓名', '身份证件号', '学校标识码', '学校名称', '年级', '就读方式', '学校城乡类型'],
      [kids.A.name, kids.A.id, S1, '富民县第一小学', '五年级', '住校', '乡村'],
      [kids.B.name, kids.B.id, S1, '富民县第一小学', '七年级', '住校', '乡村'],
      [kids.C.name, kids.C.id, S1, '富民县第一小学', '四年级', '走读', '乡村'],
    ]);
    await accept(school2, 'enrollment', '学籍.csv', [
      ['学生姓名', '身份证件号', '学校标识码', '学校名称', '年级', '就读方式', '学校城乡类型'],
      [kids.D.name, kids.D.id, S2, '富民县城关中学', '八年级', '住校', '城区'],
    ]);
    await accept(county, 'poverty', '脱贫户.csv', [
      ['姓名', '身份证号', '监测类型'],
      [kids.B.name, kids.B.id, '脱贫户'],
      [kids.D.name, kids.D.id, '脱贫户'],
    ]);
    await accept(county, 'assistance', '低保.csv', [
      ['姓名', '身份证号', '救助类型'],
      [kids.A.name, kids.A.id, '低保'],
    ]);
    await accept(school1, 'headcount', '清点.csv', [
      ['姓名', '身份证号', '到校情况'],
      [kids.A.name, kids.A.id, '已到'],
      [kids.B.name, kids.B.id, '未到'],
      [kids.C.name, kids.C.id, '已到'],
    ]);

    // The comparison finds the empty seat first.
    const cmp = await callApi<{ id: string }>(cloud, 'POST', '/comparisons', county, {});
    expect(cmp.status).toBe(202);
    await eventually(async () => {
      const res = await callApi<{ status: string }>(cloud, 'GET', `/comparisons/${cmp.body.id}`, county);
      return res.body.status === 'completed';
    }, 90_000);

    // Only the county bureau (or ops) starts a run, and only with a policy kcbx knows.
    expect((await callApi(cloud, 'POST', '/subsidies/runs', school1, {})).status).toBe(403);
    const unknown = await callApi<{ error: { code: string } }>(cloud, 'POST', '/subsidies/runs', county, {
      policy: 'no-such-policy',
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([400, 'UNKNOWN_POLICY']);
    const policies = await callApi<{ default: string; policies: { name: string; label: string }[] }>(
      cloud,
      'GET',
      '/subsidies/policies',
      school1,
    );
    expect(policies.body.default).toBe('national-baseline');
    expect(policies.body.policies.map((p) => p.label)).toEqual([
      'national-baseline.2021.1',
      'yunnan-example.2025.1',
    ]);

    const started = await callApi<{ id: string; status: string }>(
      cloud,
      'POST',
      '/subsidies/runs',
      county,
      {},
    );
    expect(started.status).toBe(202);
    runId = started.body.id;
    const run = await eventually(async () => {
      const res = await callApi<RunView>(cloud, 'GET', `/subsidies/runs/${runId}`, county);
      return res.body.status === 'completed' && res.body;
    }, 90_000);
    expect(run).toMatchObject({ policy: { label: 'national-baseline.2021.1' }, children: 4 });

    // Every child has one decision per benefit; the amounts add up in 分 and read the same in 元.
    const all = await callApi<{ decisions: DecisionView[]; cursor?: string }>(
      cloud,
      'GET',
      `/subsidies/runs/${runId}/decisions?limit=500`,
      county,
    );
    const decisions = all.body.decisions;
    expect(all.body.cursor).toBeUndefined();
    expect(decisions).toHaveLength(4 * BENEFITS.length);
    const d = (kid: keyof typeof kids, benefit: string) =>
      decisions.find((x) => x.idNumber === kids[kid].id && x.benefit === benefit)!;
    expect(d('A', 'BOARDING_LIVING_ALLOWANCE')).toMatchObject({
      status: 'ELIGIBLE',
      amountFen: 50_000,
      amountYuan: '500.00',
      payerSchool: S1,
      name: kids.A.name,
    });
    expect(d('A', 'BOARDING_LIVING_ALLOWANCE').explanation.categories).toEqual([
      expect.objectContaining({ category: 'DIBAO', line: 2 }),
    ]);
    expect(d('A', 'NUTRITION_MEAL')).toMatchObject({ status: 'ELIGIBLE', amountFen: 50_000 });
    expect(d('C', 'BOARDING_LIVING_ALLOWANCE').status).toBe('INELIGIBLE');
    expect(d('C', 'NUTRITION_MEAL')).toMatchObject({ status: 'ELIGIBLE', amountFen: 50_000 });
    expect(d('D', 'BOARDING_LIVING_ALLOWANCE')).toMatchObject({ status: 'ELIGIBLE', amountFen: 62_500 });
    expect(d('D', 'NUTRITION_MEAL').status).toBe('INELIGIBLE');
    // The empty seat: B is held, with the comparison's outcome as the reason, for all it would be given.
    const heldB = decisions.filter((x) => x.idNumber === kids.B.id && x.status === 'ON_HOLD');
    expect(heldB.map((x) => x.benefit).sort()).toEqual(
      ['BOARDING_LIVING_ALLOWANCE', 'FREE_TEXTBOOKS', 'NUTRITION_MEAL', 'TUITION_WAIVER'].sort(),
    );
    for (const x of heldB) {
      expect(x.reason.code).toBe('COMPARISON_ENROLLED_ABSENT');
      expect(x.amountFen).toBe(0);
    }
    expect(d('B', 'BOARDING_LIVING_ALLOWANCE').heldFen).toBe(62_500);

    const totals = run.totals!;
    const paid = decisions.reduce((sum, x) => sum + x.amountFen, 0);
    expect(paid).toBe(212_500);
    expect(totals).toMatchObject({
      amountFen: 212_500,
      amountYuan: '2125.00',
      heldFen: 112_500,
      heldYuan: '1125.00',
    });
    expect(totals.byBenefit.find((t) => t.benefit === 'BOARDING_LIVING_ALLOWANCE')).toMatchObject({
      eligible: 2,
      amountFen: 112_500,
      amountYuan: '1125.00',
      held: 1,
      heldFen: 62_500,
    });
    expect(totals.byBenefit.reduce((s, t) => s + t.amountFen, 0)).toBe(totals.amountFen);
    expect(totals.bySchool.map((s) => [s.school, s.amountYuan, s.heldYuan])).toEqual([
      [S1, '1500.00', '1125.00'],
      [S2, '625.00', '0.00'],
    ]);
    expect(totals.byTownship.reduce((s, t) => s + t.amountFen, 0)).toBe(totals.amountFen);

    // A school sees its own figures and decisions (with full IDs); nothing of the other school's.
    const own = await callApi<RunView>(cloud, 'GET', `/subsidies/runs/${runId}`, school1);
    expect(own.body.totals).toMatchObject({ amountFen: 150_000, heldFen: 112_500, byTownship: [] });
    expect(own.body.totals!.bySchool.map((s) => s.school)).toEqual([S1]);
    expect(own.body.children).toBeUndefined();
    const mine = await callApi<{ decisions: DecisionView[] }>(
      cloud,
      'GET',
      `/subsidies/runs/${runId}/decisions?limit=500`,
      school1,
    );
    expect(new Set(mine.body.decisions.map((x) => x.idNumber))).toEqual(
      new Set([kids.A.id, kids.B.id, kids.C.id]),
    );
    const other = await callApi<{ decisions: DecisionView[] }>(
      cloud,
      'GET',
      `/subsidies/runs/${runId}/decisions?limit=500`,
      school2,
    );
    expect(other.body.decisions.map((x) => x.maskedId)).toEqual(BENEFITS.map(() => masked(kids.D.id)));
    const peek = await callApi<{ decisions: DecisionView[] }>(
      cloud,
      'GET',
      `/subsidies/runs/${runId}/decisions?school=${S1}`,
      school2,
    );
    expect(peek.body.decisions).toEqual([]);
    const otherRun = await callApi<RunView>(cloud, 'GET', `/subsidies/runs/${runId}`, school2);
    expect(JSON.stringify(otherRun.body)).not.toContain(S1);
    // Filters: one benefit and status, as a Query of the school's partition.
    const heldOnly = await callApi<{ decisions: DecisionView[] }>(
      cloud,
      'GET',
      `/subsidies/runs/${runId}/decisions?school=${S1}&status=ON_HOLD&benefit=NUTRITION_MEAL`,
      county,
    );
    expect(heldOnly.body.decisions.map((x) => x.maskedId)).toEqual([masked(kids.B.id)]);
    // Ops runs the platform: masked IDs and no names.
    const ops = await cloud.token({ role: 'ops', org: REGION });
    const opsView = await callApi<{ decisions: DecisionView[] }>(
      cloud,
      'GET',
      `/subsidies/runs/${runId}/decisions?limit=500`,
      ops,
    );
    expect(opsView.body.decisions).toHaveLength(20);
    expect(opsView.body.decisions.every((x) => x.idNumber === undefined && x.name === undefined)).toBe(true);

    // The payment list: a short link for the county, refused to a school.
    const link = await callApi<{ url: string; expiresInSeconds: number }>(
      cloud,
      'GET',
      `/subsidies/runs/${runId}/payment-list`,
      county,
    );
    expect(link.body.expiresInSeconds).toBe(300);
    const file = Buffer.from(await (await fetch(link.body.url)).arrayBuffer());
    expect(file.subarray(0, 2).toString()).toBe('PK');
    expect((await callApi(cloud, 'GET', `/subsidies/runs/${runId}/payment-list`, school1)).status).toBe(403);

    // What a subscriber sees: one subsidy.held per held child and benefit, then the totals.
    await cloud.eventsIdle();
    const seen = await eventually(async () => {
      const list = await ofRun(runId);
      return list.length >= 5 && list;
    });
    const held = seen.filter((e) => e['detail-type'] === 'subsidy.held');
    expect(held.map((e) => e.detail.benefit).sort()).toEqual(heldB.map((x) => x.benefit).sort());
    for (const e of held) {
      expect(e.detail).toMatchObject({
        reason: 'COMPARISON_ENROLLED_ABSENT',
        child: { maskedId: masked(kids.B.id), childKey: heldB[0]!.childKey },
      });
    }
    const determined = seen.filter((e) => e['detail-type'] === 'subsidy.determined');
    expect(determined).toHaveLength(1);
    expect(determined[0]!.detail).toMatchObject({
      policyVersion: 'national-baseline.2021.1',
      totals: expect.arrayContaining([
        { benefit: 'BOARDING_LIVING_ALLOWANCE', count: 2, amountFen: 112_500 },
      ]),
    });
    expect(new Set(seen.map((e) => e.detail.eventId)).size).toBe(seen.length);
    // Each accepted enrollment or category roster started a run of its own too.
    const others = (await events()).filter(
      (e) => e['detail-type'] === 'subsidy.determined' && e.detail.runId !== runId,
    );
    expect(others.length).toBeGreaterThanOrEqual(1);
  }, 240_000);

  it('stores and publishes nothing twice when the run message is delivered again', async () => {
    const { cloud } = local();
    const county = await cloud.token({ role: 'county', org: REGION });
    const worker = cloud.model.functions.find((f) => f.entry === 'services/subsidy/handlers/worker.ts')!;
    const count = async () =>
      (
        await callApi<{ decisions: DecisionView[] }>(
          cloud,
          'GET',
          `/subsidies/runs/${runId}/decisions?limit=500`,
          county,
        )
      ).body.decisions.length;
    const before = { decisions: await count(), events: (await ofRun(runId)).length };

    const result = (await cloud.invoke(worker.arn, sqsEvent({ type: 'run', runId }))) as {
      batchItemFailures: unknown[];
    };
    expect(result.batchItemFailures).toEqual([]);
    await cloud.eventsIdle();
    expect({ decisions: await count(), events: (await ofRun(runId)).length }).toEqual(before);
  });

  it('sends what a crash left in the outbox once, on the next delivery', async () => {
    const { cloud } = local();
    const worker = cloud.model.functions.find((f) => f.entry === 'services/subsidy/handlers/worker.ts')!;
    Object.assign(process.env, cloud.awsEnv, worker.environment);
    const repo = await import('../../services/subsidy/adapters/subsidy-runs-repo');
    const { heldEvent, subsidyRunId } = await import('../../services/subsidy/domain/run-events');

    // A run of another semester that stored its results and its events, and died before sending them.
    const id = subsidyRunId('test:crashed-before-publishing');
    const child = { childKey: `c_${'k'.repeat(32)}`, maskedId: '5301**********0088' };
    await repo.queueRun({
      id,
      region: REGION,
      semester: { code: '2024-2025-1', label: '2024-autumn' },
      policy: {},
      trigger: { kind: 'request', by: 'test' },
      status: 'publishing',
      createdAt: new Date().toISOString(),
    });
    const event = heldEvent(
      {
        ...child,
        benefit: 'BOARDING_LIVING_ALLOWANCE',
        reason: { code: 'OPEN_DROPOUT_CASE', zh: '-', en: '-' },
      },
      id,
      REGION,
      new Date().toISOString(),
    );
    await repo.writeOutbox(id, [{ order: 1, event }]);

    for (let i = 0; i < 2; i++) {
      await cloud.invoke(worker.arn, sqsEvent({ type: 'run', runId: id }));
      await cloud.eventsIdle();
    }
    const sent = await eventually(async () => {
      const list = await ofRun(id);
      return list.length > 0 && list;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect((await ofRun(id)).map((e) => e.detail.eventId)).toEqual([sent[0]!.detail.eventId]);
    expect((await repo.getRun(id))?.status).toBe('completed');
  });

  it("runs under the county's published policy, which is refused when it contradicts itself", async () => {
    const { cloud } = local();
    const county = await cloud.token({ role: 'county', org: REGION });
    const ops = await cloud.token({ role: 'ops', org: REGION });
    const school1 = await cloud.token({ role: 'school', org: S1 });
    // The national baseline with a higher boarding allowance (小学 1200 元/年, 初中 1500 元/年), in force
    // since an earlier autumn term than the current one.
    const raise = { 'primary-boarder': 60_000, 'junior-boarder': 75_000 } as Record<string, number>;
    const boarding = nationalBaseline.benefits.findIndex((b) => b.code === 'BOARDING_LIVING_ALLOWANCE');
    const doc = {
      ...nationalBaseline,
      id: 'fumin-county',
      version: '2024.1',
      region: REGION,
      name: { zh: '富民县义务教育学生资助标准（寄宿生生活补助提标）', en: 'Fumin county student aid' },
      effectiveFrom: '2024-09-01',
      benefits: nationalBaseline.benefits.map((b, i) =>
        i === boarding ? { ...b, groups: b.groups.map((g) => ({ ...g, amountFen: raise[g.id]! })) } : b,
      ),
    };
    const publish = (token: string, body: unknown) =>
      callApi<ApiError & { label: string; inForce: { now: boolean }; href: string }>(
        cloud,
        'POST',
        '/subsidies/policies',
        token,
        body,
      );

    // Only the county bureau or ops publishes.
    expect((await publish(school1, doc)).status).toBe(403);
    const published = await publish(county, doc);
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({
      label: 'fumin-county.2024.1',
      inForce: { now: true },
      href: '/subsidies/policies/fumin-county/2024.1',
    });

    // A published version never changes: the same id + version is 409, repeated or altered.
    const again = await publish(county, doc);
    expect([again.status, again.body.error.code]).toEqual([409, 'POLICY_VERSION_EXISTS']);
    expect(again.body.error.details).toMatchObject({
      identical: true,
      existing: { label: 'fumin-county.2024.1' },
    });
    const altered = await publish(ops, { ...doc, effectiveFrom: '2023-09-01' });
    expect(altered.status).toBe(409);
    expect(altered.body.error.details).toMatchObject({ identical: false });

    // Two amounts for the same benefit and group of children: refused with where and why, in both languages.
    const contradictory = {
      ...doc,
      version: '2025.1',
      effectiveFrom: '2025-09-01',
      benefits: doc.benefits.map((b, i) =>
        i === boarding
          ? { ...b, groups: [...b.groups, { ...b.groups[0]!, id: 'primary-again', amountFen: 1 }] }
          : b,
      ),
    };
    const refused = await publish(ops, contradictory);
    expect([refused.status, refused.body.error.code]).toEqual([400, 'INVALID_POLICY']);
    expect(refused.body.error.details?.errors).toEqual([
      expect.objectContaining({
        path: `$.benefits[${boarding}].groups[2].when`,
        code: 'CONTRADICTION',
        zh: expect.stringContaining('同一人群只能有一个金额'),
        en: expect.stringContaining('one group of children has one amount'),
      }),
    ]);
    // Another version from the same day, or a national document, is refused too.
    const overlapping = await publish(county, { ...doc, version: '2024.2' });
    expect(overlapping.body.error.details?.errors).toEqual([
      expect.objectContaining({ path: '$.effectiveFrom', code: 'OVERLAPPING_VERSIONS' }),
    ]);
    const national = await publish(county, {
      ...doc,
      version: '2024.3',
      region: 'CN',
      effectiveFrom: '2020-09-01',
    });
    expect(national.body.error.details?.errors).toEqual([
      expect.objectContaining({ path: '$.region', code: 'REGION_NOT_THIS_COUNTY' }),
    ]);

    // Everyone reads which policy is in force; the document reads back as published.
    const list = await callApi<PolicyList>(cloud, 'GET', '/subsidies/policies', school1);
    expect(list.body.inForce).toMatchObject({ source: 'published', label: 'fumin-county.2024.1' });
    expect(list.body.policies.map((p) => [p.source, p.label, p.inForce])).toEqual([
      ['built-in', 'national-baseline.2021.1', false],
      ['built-in', 'yunnan-example.2025.1', false],
      ['published', 'fumin-county.2024.1', true],
    ]);
    expect(list.body.policies[2]!.publishedBy).toEqual({ role: 'county', org: REGION });
    const earlier = await callApi<PolicyList>(
      cloud,
      'GET',
      '/subsidies/policies?semester=2023-autumn',
      county,
    );
    expect(earlier.body.inForce).toMatchObject({ source: 'built-in', label: 'national-baseline.2021.1' });
    const one = await callApi<{ source: string; publishedBy: { sub?: string }; document: typeof doc }>(
      cloud,
      'GET',
      '/subsidies/policies/fumin-county/2024.1',
      county,
    );
    expect(one.body).toMatchObject({ source: 'published', document: { region: REGION } });
    expect(one.body.publishedBy.sub).toBeDefined();
    expect(one.body.document.benefits[boarding]!.groups.map((g) => g.amountFen)).toEqual([60_000, 75_000]);
    expect((await callApi(cloud, 'GET', '/subsidies/policies/fumin-county/2025.1', county)).status).toBe(404);

    // A run of the current semester uses it: the amounts are the county's and the run names its version.
    const started = await callApi<{ id: string; policy: string }>(
      cloud,
      'POST',
      '/subsidies/runs',
      county,
      {},
    );
    expect([started.status, started.body.policy]).toEqual([202, 'fumin-county.2024.1']);
    const run = await eventually(async () => {
      const res = await callApi<RunView & { policy: { source: string } }>(
        cloud,
        'GET',
        `/subsidies/runs/${started.body.id}`,
        county,
      );
      return res.body.status === 'completed' && res.body;
    }, 90_000);
    expect(run.policy).toMatchObject({ source: 'published', id: 'fumin-county', version: '2024.1' });
    const decisions = (
      await callApi<{ decisions: (DecisionView & { explanation: { policy: string } })[] }>(
        cloud,
        'GET',
        `/subsidies/runs/${started.body.id}/decisions?benefit=BOARDING_LIVING_ALLOWANCE&limit=500`,
        county,
      )
    ).body.decisions;
    const boardingOf = (kid: keyof typeof kids) => decisions.find((x) => x.idNumber === kids[kid].id)!;
    expect(boardingOf('A')).toMatchObject({ status: 'ELIGIBLE', amountFen: 60_000, amountYuan: '600.00' });
    expect(boardingOf('D')).toMatchObject({ status: 'ELIGIBLE', amountFen: 75_000 });
    expect(boardingOf('B')).toMatchObject({ status: 'ON_HOLD', heldFen: 75_000 });
    for (const x of decisions) expect(x.explanation.policy).toBe('fumin-county.2024.1');
    expect(run.totals!.byBenefit.find((t) => t.benefit === 'BOARDING_LIVING_ALLOWANCE')).toMatchObject({
      amountFen: 135_000,
      amountYuan: '1350.00',
    });
    await cloud.eventsIdle();
    const determined = await eventually(async () =>
      (await ofRun(started.body.id)).find((e) => e['detail-type'] === 'subsidy.determined'),
    );
    expect(determined.detail.policyVersion).toBe('fumin-county.2024.1');

    // A request may still name a built-in (e.g. to compare with the baseline); the run says so.
    const baseline = await callApi<{ id: string; policy: string }>(cloud, 'POST', '/subsidies/runs', county, {
      policy: 'national-baseline',
    });
    expect([baseline.status, baseline.body.policy]).toEqual([202, 'national-baseline.2021.1']);
    await eventually(async () => {
      const res = await callApi<RunView>(cloud, 'GET', `/subsidies/runs/${baseline.body.id}`, county);
      return res.body.status === 'completed';
    }, 90_000);
  }, 240_000);

  it('leaves no raw ID number or name in any event or log line', async () => {
    const { logs } = local();
    const wire = JSON.stringify(await events());
    const lines = logs.join('\n');
    expect(lines).toContain('subsidy run determined');
    for (const k of Object.values(kids)) {
      expect(wire).not.toContain(k.id);
      expect(wire).not.toContain(k.name);
      expect(lines).not.toContain(k.id);
      expect(lines).not.toContain(k.name);
    }
  });
});

/** An SQS delivery of one message, as the event source mapping would hand it to the worker. */
function sqsEvent(body: unknown) {
  return {
    Records: [
      {
        messageId: crypto.randomUUID(),
        receiptHandle: 'test',
        body: JSON.stringify(body),
        attributes: { ApproximateReceiveCount: '2' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
        awsRegion: 'us-east-1',
      },
    ],
  };
}
