/**
 * The demo county's cases, through the real flow: the comparison's suspects open cases, a school's
 * attendance for the last three working days opens two more, and the bureau and schools work a few of
 * them (verification, home visits, 四步法, 复学, 异地就读, 缓学) so every screen has something to show.
 */

import { formatStatsTable, type Stats } from '../../services/cases/domain/stats';
import { listWorkingDays } from '../../shared/calendar';
import { addDays, todayInChina } from '../../shared/dates';
import { DEMO_COUNTY, demoChildren } from './demo';
import type { LocalCloud } from './local-cloud';

interface CaseSummary {
  caseId: string;
  version: number;
  state: string;
  school?: string;
  source: string;
}

async function call<T>(cloud: LocalCloud, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${cloud.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T & { error?: { code: string; en: string } };
  if (!res.ok)
    throw new Error(`demo: ${method} ${path} → ${res.status} ${json.error?.code}: ${json.error?.en}`);
  return json;
}

/**
 * Waits until at least `atLeast` cases are open and the number has stopped moving: each roster upload
 * ran a comparison, and the early runs' suspects are opened and then closed by later runs (比对销号).
 */
async function waitForCases(cloud: LocalCloud, token: string, atLeast: number): Promise<CaseSummary[]> {
  const deadline = Date.now() + 90_000;
  let previous = -1;
  let steady = 0;
  for (;;) {
    await cloud.eventsIdle();
    const { cases } = await call<{ cases: CaseSummary[] }>(
      cloud,
      token,
      'GET',
      '/cases?open=true&limit=1000',
    );
    steady = cases.length === previous ? steady + 1 : 0;
    previous = cases.length;
    if (cases.length >= atLeast && steady >= 4) return cases;
    if (Date.now() > deadline) throw new Error(`demo: ${cases.length} of ${atLeast} cases open after 90 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const chain = (township: string) => ({
  TOWNSHIP_HEAD: { name: `${township}乡（镇）长`, title: '乡镇包保领导' },
  VILLAGE_HEAD: { name: '李村长', title: '村委会主任' },
  PRINCIPAL: { name: '王校长', title: '校长' },
  HEAD_TEACHER: { name: '张老师', title: '班主任' },
  CONTACT_TEACHER: { name: '刘老师', title: '包保教师' },
  GUARDIAN: { name: '监护人', title: '父亲' },
});

export async function loadDemoCases(cloud: LocalCloud, expectedFromComparison: number, threshold: number) {
  const today = todayInChina();
  const county = await cloud.token({ role: 'county', org: DEMO_COUNTY.region, name: '县教体局' });
  await waitForCases(cloud, county, expectedFromComparison);

  // 考勤: the first school records the last working days, as many as the region's rule needs (富民:
  // more than 3, so 4); two pupils were absent without leave, one on approved sick leave.
  const school = DEMO_COUNTY.townships[0].schools[0];
  const schoolToken = await cloud.token({ role: 'school', org: school.code, name: school.name });
  const from = addDays(today, -14);
  const days = listWorkingDays(from, today).slice(-threshold);
  const pupils = demoChildren()
    .filter((c) => c.school.code === school.code && c.fate === 'ok')
    .slice(0, 12);
  for (const date of days) {
    await call(cloud, schoolToken, 'POST', '/attendance', {
      date,
      records: pupils.map((p, i) => ({
        idNumber: p.id,
        name: p.name,
        status: i < 2 ? 'ABSENT_UNEXCUSED' : i === 2 ? 'SICK_LEAVE' : 'PRESENT',
        leaveApproved: i === 2 ? true : undefined,
      })),
    });
  }
  await call(cloud, county, 'POST', '/checks/attendance', { asOf: days.at(-1) });
  const cases = await waitForCases(cloud, county, expectedFromComparison + 2);

  // Work a few cases the way a county would.
  const act = async (c: CaseSummary, action: Record<string, unknown>) => {
    const current = await call<{ version: number }>(cloud, county, 'GET', `/cases/${c.caseId}`);
    await call(cloud, county, 'POST', `/cases/${c.caseId}/actions`, {
      expectedVersion: current.version,
      action,
    });
  };
  const verify = async (c: CaseSummary) => {
    for (const line of ['PROVINCE_PLATFORM', 'TOWNSHIP', 'COUNTY_BUREAU'])
      await act(c, { type: 'ACKNOWLEDGE_REPORT', line, date: today });
    await act(c, { type: 'ASSIGN_RESPONSIBLE', chain: chain(DEMO_COUNTY.townships[0].name) });
    await act(c, { type: 'START_VERIFYING' });
  };
  const visit = (outcome: string) => ({
    type: 'LOG_HOME_VISIT',
    date: today,
    visitors: ['刘老师', '李村长'],
    outcome,
  });
  const withSchool = cases.filter((c) => c.school);
  const withoutSchool = cases.filter((c) => !c.school);
  const [returned, persuading, deferred] = withSchool;
  if (returned) {
    await verify(returned);
    await act(returned, { type: 'CONFIRM', note: '家访核实：在家帮忙农活，未到校' });
    await act(returned, visit('监护人同意送孩子返校'));
    await act(returned, { type: 'START_PERSUADING' });
    await act(returned, { type: 'RETURN', school: returned.school, returnedOn: today });
  }
  if (persuading) {
    await verify(persuading);
    await act(persuading, { type: 'CONFIRM' });
    await act(persuading, visit('监护人拒绝送学，称孩子在外打工'));
    await act(persuading, { type: 'START_PERSUADING' });
    await act(persuading, { type: 'SET_CAUSE', causeCategory: 'WORK', priority: true });
    await act(persuading, {
      type: 'FOUR_STEP',
      step: 'EDUCATION',
      date: today,
      documentRef: '富教宣〔2026〕1号',
    });
  }
  if (deferred) {
    await verify(deferred);
    const end = `${Number(today.slice(0, 4)) + 1}-02-28`;
    await act(deferred, {
      type: 'DEFER',
      kind: 'POSTPONEMENT',
      documentRef: '富教缓〔2026〕2号',
      approvedOn: today,
      endDate: end,
    });
  }
  const elsewhere = withoutSchool[0];
  if (elsewhere) {
    await verify(elsewhere);
    await act(elsewhere, {
      type: 'CLOSE_STUDYING_ELSEWHERE',
      otherSchool: '昆明市五华区某小学',
      verifiedWith: '该校教务处',
      verifiedOn: today,
      note: '电话核实在读，学籍在外省未转入',
    });
  }
  await call(cloud, county, 'POST', '/checks/deadlines', { asOf: today });

  const after = (await call<{ cases: CaseSummary[] }>(cloud, county, 'GET', '/cases?limit=1000')).cases;
  const closedByData = after.filter((c) => c.state === 'NOT_DROPOUT').length;
  const byState = new Map<string, number>();
  for (const c of after) byState.set(c.state, (byState.get(c.state) ?? 0) + 1);
  const stats = await call<Stats>(cloud, county, 'GET', `/stats?period=${today.slice(0, 7)}`);
  return {
    cases: after.length,
    closedByData,
    byState: [...byState.entries()].sort(),
    statsTable: formatStatsTable(stats),
  };
}
