import { describe, expect, it } from 'vitest';
import { DEMO_COUNTY, loadDemo } from '../../infra/local/demo';
import type { LocalCloud } from '../../infra/local/local-cloud';
import { eventually, useLocalCloud } from '../local-cloud';
import { callApi } from './uploads';

/**
 * 权限矩阵 — every route of the API, called by every kind of caller in every relation to one target: a
 * case, an upload, a comparison and a subsidy run of school 2153012401 (永定街道 530124100, 富民县 530124).
 * The expectations are this file's table, one row per route; a route the template declares without a row
 * fails the first test. See the README's security section for where each answer is enforced.
 */

const S1 = DEMO_COUNTY.townships[0].schools[0].code; // 2153012401, the target's school
const T1 = DEMO_COUNTY.townships[0].code; // 530124100, its township
const S4 = DEMO_COUNTY.townships[2].schools[0].code; // 2153012404, a school of another township
const T3 = DEMO_COUNTY.townships[2].code; // 530124201, another township of the county
const COUNTY = DEMO_COUNTY.region;

/** The callers, each in one relation to the target. */
const CALLERS = {
  school: { role: 'school', org: S1 }, // the target's own school
  'school:sibling': { role: 'school', org: S4 }, // another school of the same county
  township: { role: 'township', org: T1 }, // the township the target's school is in
  'township:sibling': { role: 'township', org: T3 }, // another township of the same county
  county: { role: 'county', org: COUNTY }, // the county bureau
  city: { role: 'county', org: '530100' }, // the city bureau above it (昆明市)
  'county:other': { role: 'county', org: '530125' }, // another county (宜良县)
  'province:other': { role: 'county', org: '110000' }, // another province (北京市)
  partner: { role: 'partner', org: `${COUNTY}:public-security` }, // a department of the county
  'partner:other': { role: 'partner', org: '530125:public-security' }, // a department of another county
  ops: { role: 'ops', org: COUNTY }, // the deployment's operator
  'ops:other': { role: 'ops', org: '530125' }, // another deployment's operator
} as const;
type CallerName = keyof typeof CALLERS;
const CALLER_NAMES = Object.keys(CALLERS) as CallerName[];

/**
 * What a caller gets:
 * - `full` / `masked`: 2xx, the target in the answer, with full ID numbers / with none (masked only);
 * - `sees`: 2xx and the target in the answer (no child's ID number involved);
 * - `without`: 2xx, and neither the target nor any full ID number of it in the answer;
 * - `ok`: 2xx (an action or a link, nothing to look for);
 * - a status code: refused (403 by role or jurisdiction, 404 as if absent) or, for a probe that passes
 *   the checks and then meets the state (409 stale version, 400 invalid document), that status.
 */
type Outcome = 'full' | 'masked' | 'sees' | 'without' | 'ok' | 400 | 403 | 404 | 409;

/** The records of the target, made through the API before the matrix runs. */
interface Seeded {
  uploadId: string;
  /** The semester the rosters were uploaded for ('2025-autumn'). */
  period: string;
  comparisonId: string;
  caseId: string;
  /** The target child's full and masked ID numbers. */
  idNumber: string;
  maskedId: string;
  documentId: string;
  subsidyRunId: string;
  subscriptionId: string;
  replayName: string;
  /** A fresh subscription, for a probe that deletes one. */
  freshSubscription: () => Promise<string>;
}

interface Probe {
  request: (s: Seeded) => Promise<{ path: string; body?: unknown }> | { path: string; body?: unknown };
  /** Text that is in the answer exactly when the target is (for full, masked, sees and without). */
  marker?: (s: Seeded) => string;
  /** One outcome per caller, in the order of CALLERS. */
  expect: readonly Outcome[];
}

const row = (...outcomes: Outcome[]) => outcomes;
const subscriptionBody = {
  partnerOrg: `${COUNTY}:justice`,
  eventTypes: ['case.state-changed'],
  target: { kind: 'https', url: 'http://127.0.0.1:9/kcbx' },
};

/* biome-ignore format: the table reads as a matrix, one column per caller */
const MATRIX: Record<string, Probe> = {
  // columns:                                         school  sch:sib town  tw:sib county city  cty:o prv:o partner pt:o ops     ops:o
  'GET /me': { request: () => ({ path: '/me' }),
    expect: row(                                      'ok',   'ok',  'ok',  'ok',  'ok',   'ok',  403,  403,  'ok', 403,  'ok',     403) },

  'POST /uploads': { request: () => ({ path: '/uploads', body: { kind: 'enrollment', org: S1, fileName: '学籍.csv', size: 100, contentType: 'text/csv' } }),
    expect: row(                                      'ok',   403,   403,   403,   403,    403,   403,  403,  403,  403,  403,      403) },
  'GET /uploads': { request: () => ({ path: `/uploads?org=${S1}` }), marker: (s) => s.uploadId,
    expect: row(                                      'sees', 403,   403,   403,   'sees', 'sees', 403, 403,  403,  403,  'sees',   403) },
  'GET /uploads/{id}': { request: (s) => ({ path: `/uploads/${s.uploadId}` }), marker: (s) => s.uploadId,
    expect: row(                                      'sees', 404,   404,   404,   'sees', 'sees', 403, 403,  404,  403,  'sees',   403) },
  'GET /uploads/{id}/report': { request: (s) => ({ path: `/uploads/${s.uploadId}/report` }),
    expect: row(                                      'ok',   404,   404,   404,   'ok',   'ok',  403,  403,  404,  403,  'ok',     403) },

  'POST /comparisons': { request: () => ({ path: '/comparisons', body: {} }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  403,      403) },
  'GET /comparisons/{id}': { request: (s) => ({ path: `/comparisons/${s.comparisonId}` }), marker: () => S1,
    expect: row(                                      'sees', 'without', 'sees', 'without', 'sees', 'sees', 403, 403, 403, 403, 'sees', 403) },
  'GET /comparisons/{id}/results': { request: (s) => ({ path: `/comparisons/${s.comparisonId}/results?limit=500` }), marker: (s) => s.maskedId,
    expect: row(                                      'full', 'without', 'full', 'without', 'full', 'full', 403, 403, 403, 403, 'masked', 403) },
  'GET /comparisons/{id}/export': { request: (s) => ({ path: `/comparisons/${s.comparisonId}/export` }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  403,      403) },

  'POST /cases': { request: (s) => ({ path: '/cases', body: { idNumber: s.idNumber, note: '家长来电称孩子在外打工' } }),
    expect: row(                                      'ok',   'ok',  'ok',  'ok',  'ok',   'ok',  403,  403,  403,  403,  403,      403) },
  'GET /cases': { request: () => ({ path: '/cases?limit=1000' }), marker: (s) => s.caseId,
    expect: row(                                      'full', 'without', 'full', 'without', 'full', 'full', 403, 403, 403, 403, 'masked', 403) },
  'GET /cases/{id}': { request: (s) => ({ path: `/cases/${s.caseId}` }), marker: (s) => s.caseId,
    expect: row(                                      'full', 404,   'full', 404,  'full', 'full', 403, 403,  403,  403,  'masked', 403) },
  'POST /cases/{id}/actions': { request: (s) => ({ path: `/cases/${s.caseId}/actions`, body: { expectedVersion: 999_999, action: { type: 'START_VERIFYING' } } }),
    expect: row(                                      409,    404,   409,   404,   409,    409,   403,  403,  403,  403,  403,      403) },
  'GET /cases/{id}/documents/{documentId}': { request: (s) => ({ path: `/cases/${s.caseId}/documents/${s.documentId}` }),
    expect: row(                                      'ok',   404,   'ok',  404,   'ok',   'ok',  403,  403,  403,  403,  403,      403) },
  'POST /attendance': { request: (s) => ({ path: '/attendance', body: { school: S1, date: '2025-09-01', records: [{ idNumber: s.idNumber, name: '学生', status: 'PRESENT' }] } }),
    expect: row(                                      'ok',   403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  403,      403) },
  'POST /checks/attendance': { request: () => ({ path: '/checks/attendance', body: { asOf: '2025-09-01' } }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },
  'POST /checks/deadlines': { request: () => ({ path: '/checks/deadlines', body: { asOf: '2025-09-01' } }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },

  'GET /ledgers': { request: () => ({ path: '/ledgers?kind=SUSPECTED' }), marker: (s) => s.caseId,
    expect: row(                                      'full', 'without', 'full', 'without', 'full', 'full', 403, 403, 403, 403, 403,  403) },
  'GET /ledgers/export': { request: () => ({ path: '/ledgers/export' }),
    expect: row(                                      'ok',   'ok',  'ok',  'ok',  'ok',   'ok',  403,  403,  403,  403,  403,      403) },
  'GET /ledgers/snapshots': { request: () => ({ path: '/ledgers/snapshots' }),
    expect: row(                                      'ok',   'ok',  'ok',  'ok',  'ok',   'ok',  403,  403,  403,  403,  403,      403) },
  'GET /stats': { request: () => ({ path: '/stats?period=2025-autumn' }),
    expect: row(                                      'ok',   'ok',  'ok',  'ok',  'ok',   'ok',  403,  403,  403,  403,  403,      403) },

  'POST /subsidies/runs': { request: (s) => ({ path: '/subsidies/runs', body: { semester: s.period } }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },
  'GET /subsidies/runs/{id}': { request: (s) => ({ path: `/subsidies/runs/${s.subsidyRunId}` }),
    expect: row(                                      'ok',   'ok',  'ok',  'ok',  'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },
  // Decisions are kept per paying school, and the demo's 学籍 rosters name no township: a township sees none.
  'GET /subsidies/runs/{id}/decisions': { request: (s) => ({ path: `/subsidies/runs/${s.subsidyRunId}/decisions?limit=500` }), marker: () => S1,
    expect: row(                                      'full', 'without', 'without', 'without', 'full', 'full', 403, 403, 403, 403, 'masked', 403) },
  'GET /subsidies/runs/{id}/payment-list': { request: (s) => ({ path: `/subsidies/runs/${s.subsidyRunId}/payment-list` }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  403,      403) },
  'GET /subsidies/policies': { request: () => ({ path: '/subsidies/policies?semester=2025-autumn' }),
    expect: row(                                      'ok',   'ok',  'ok',  'ok',  'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },
  'GET /subsidies/policies/{id}/{version}': { request: () => ({ path: '/subsidies/policies/national-baseline/2021.1' }),
    expect: row(                                      'ok',   'ok',  'ok',  'ok',  'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },
  // An empty document passes every check of who may publish, then fails validation: 400 means "allowed".
  'POST /subsidies/policies': { request: () => ({ path: '/subsidies/policies', body: {} }),
    expect: row(                                      403,    403,   403,   403,   400,    400,   403,  403,  403,  403,  400,      403) },

  'PUT /contacts': { request: () => ({ path: '/contacts', body: { name: '测试', position: 'PRINCIPAL', channel: 'email', address: 'x@example.cn' } }),
    // The probe registers a principal: a school may, a township or county registers its own positions (400).
    expect: row(                                      'ok',   'ok',  400,   400,   400,    400,   403,  403,  403,  403,  403,      403) },
  'GET /outbox': { request: () => ({ path: '/outbox' }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },

  'POST /subscriptions': { request: () => ({ path: '/subscriptions', body: subscriptionBody }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },
  'GET /subscriptions': { request: () => ({ path: '/subscriptions' }), marker: (s) => s.subscriptionId,
    expect: row(                                      403,    403,   403,   403,   'sees', 'sees', 403, 403,  403,  403,  'sees',   403) },
  'GET /subscriptions/{id}': { request: (s) => ({ path: `/subscriptions/${s.subscriptionId}` }), marker: (s) => s.subscriptionId,
    expect: row(                                      403,    403,   403,   403,   'sees', 'sees', 403, 403,  403,  403,  'sees',   403) },
  'DELETE /subscriptions/{id}': { request: async (s) => ({ path: `/subscriptions/${await s.freshSubscription()}` }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },
  'POST /subscriptions/{id}/test': { request: (s) => ({ path: `/subscriptions/${s.subscriptionId}/test` }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },
  'POST /subscriptions/{id}/replay': { request: (s) => ({ path: `/subscriptions/${s.subscriptionId}/replay`, body: { since: '2025-01-01T00:00:00Z' } }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },
  'GET /subscriptions/{id}/replays/{name}': { request: (s) => ({ path: `/subscriptions/${s.subscriptionId}/replays/${s.replayName}` }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },
  'POST /subscriptions/{id}/redrive': { request: (s) => ({ path: `/subscriptions/${s.subscriptionId}/redrive` }),
    expect: row(                                      403,    403,   403,   403,   'ok',   'ok',  403,  403,  403,  403,  'ok',     403) },
};

// Inside the autumn term the demo's rosters are for.
const local = useLocalCloud({ now: '2026-10-15T10:00:00+08:00' });
const FULL_ID = /[1-8]\d{5}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dX]/;

async function seed(cloud: LocalCloud): Promise<Seeded> {
  const token = (name: CallerName) => cloud.token(CALLERS[name]);
  const county = await token('county');
  const school = await token('school');
  const demo = await loadDemo(cloud);

  const uploads = await callApi<{ uploads: { id: string; kind: string; period: string }[] }>(
    cloud,
    'GET',
    '/uploads',
    school,
  );
  const { id: uploadId, period } = uploads.body.uploads.find((u) => u.kind === 'enrollment')!;

  // A case of the target school and township, opened by the comparison, with its 辍学情况报告单.
  type CaseView = {
    caseId: string;
    school?: string;
    township?: string;
    idNumber?: string;
    maskedId?: string;
  };
  const target = await eventually(async () => {
    const list = await callApi<{ cases: CaseView[] }>(cloud, 'GET', '/cases?limit=1000', county);
    return list.body.cases.find((c) => c.school === S1 && c.township === T1);
  }, 300_000);
  const withDocument = await eventually(async () => {
    const one = await callApi<CaseView & { documents: { documentId: string }[] }>(
      cloud,
      'GET',
      `/cases/${target.caseId}`,
      county,
    );
    return one.body.documents.length > 0 && one.body;
  }, 300_000);
  const { idNumber, maskedId } = withDocument;
  if (!idNumber || !maskedId)
    throw new Error(`the case view has no ID number: ${JSON.stringify(withDocument)}`);

  const run = await callApi<{ id: string }>(cloud, 'POST', '/subsidies/runs', county, {
    semester: period,
  });
  await eventually(async () => {
    const r = await callApi<{ status: string }>(cloud, 'GET', `/subsidies/runs/${run.body.id}`, county);
    return r.body.status === 'completed';
  }, 300_000);

  const subscribe = async () => {
    const res = await callApi<{ id: string }>(cloud, 'POST', '/subscriptions', county, subscriptionBody);
    if (res.status !== 201)
      throw new Error(`POST /subscriptions answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id;
  };
  const subscriptionId = await subscribe();
  const replay = await callApi<{ replayName?: string }>(
    cloud,
    'POST',
    `/subscriptions/${subscriptionId}/replay`,
    county,
    { since: '2025-01-01T00:00:00Z' },
  );
  const replayName = replay.body.replayName;
  if (!replayName) throw new Error(`the replay has no name: ${JSON.stringify(replay.body)}`);

  return {
    uploadId,
    period,
    comparisonId: demo.comparisonId,
    caseId: target.caseId,
    idNumber,
    maskedId,
    documentId: withDocument.documents[0]!.documentId,
    subsidyRunId: run.body.id,
    subscriptionId,
    replayName,
    freshSubscription: subscribe,
  };
}

function verdict(
  outcome: Outcome,
  status: number,
  text: string,
  marker: string | undefined,
  idNumber: string,
) {
  if (typeof outcome === 'number') return status === outcome;
  if (status < 200 || status >= 300) return false;
  const hasTarget = marker === undefined || text.includes(marker);
  switch (outcome) {
    case 'ok':
      return true;
    case 'sees':
      return hasTarget;
    case 'full':
      return hasTarget && FULL_ID.test(text);
    case 'masked':
      return hasTarget && !FULL_ID.test(text);
    case 'without':
      return marker !== undefined && !text.includes(marker) && !text.includes(idNumber);
  }
}

describe('the authorization matrix', () => {
  it('has one row for every route the template declares, and one column for every caller', () => {
    const routes = local()
      .cloud.model.routes.map((r) => `${r.method} ${r.path}`)
      .sort();
    expect(Object.keys(MATRIX).sort()).toEqual(routes);
    for (const [route, probe] of Object.entries(MATRIX)) {
      expect(probe.expect, route).toHaveLength(CALLER_NAMES.length);
    }
  });

  it('answers every route, for every caller, exactly as the table says', async () => {
    const { cloud } = local();
    const seeded = await seed(cloud);
    const tokens = new Map<CallerName, string>();
    for (const name of CALLER_NAMES) tokens.set(name, await cloud.token(CALLERS[name]));

    const mismatches: string[] = [];
    for (const [route, probe] of Object.entries(MATRIX)) {
      const method = route.split(' ')[0]!;
      for (const [i, name] of CALLER_NAMES.entries()) {
        const expected = probe.expect[i]!;
        const { path, body } = await probe.request(seeded);
        const res = await fetch(`${cloud.apiUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${tokens.get(name)}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
        const text = await res.text();
        const marker = probe.marker?.(seeded);
        if (!verdict(expected, res.status, text, marker, seeded.idNumber)) {
          mismatches.push(
            `${route} as ${name}: expected ${expected}, got ${res.status} ${text.slice(0, 160)}`,
          );
        }
      }
    }
    expect(mismatches).toEqual([]);
  }, 900_000);
});
