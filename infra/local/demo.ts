import { checkDigit } from '../../shared/id-number';
import type { RosterKind } from '../../shared/roster-kind';
import type { LocalCloud } from './local-cloud';

/** The generated demo county: 富民县 with three townships and four schools. */
export const DEMO_COUNTY = {
  region: '530124',
  name: '富民县',
  townships: [
    {
      code: '530124100',
      name: '永定街道',
      schools: [
        { code: '2153012401', name: '富民县第一小学' },
        { code: '2153012402', name: '富民县第一中学' },
      ],
    },
    { code: '530124101', name: '大营街道', schools: [{ code: '2153012403', name: '大营中心小学' }] },
    { code: '530124201', name: '款庄镇', schools: [{ code: '2153012404', name: '款庄中心学校' }] },
  ],
} as const;

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚华玉萍红玲芬燕彬鹏辉旭宇浩然涵萱诺怡桐';

interface DemoSchool {
  code: string;
  name: string;
}

interface DemoChild {
  id: string;
  name: string;
  school: DemoSchool;
  /** What the demo makes of this child. */
  fate: 'ok' | 'not-enrolled' | 'absent' | 'unenrolled' | 'renamed';
  poor: boolean;
  boarding: boolean;
}

/** A deterministic county of `count` children with a realistic mix of inconsistencies (~10%). */
export function demoChildren(count = 240): DemoChild[] {
  const schools: DemoSchool[] = DEMO_COUNTY.townships.flatMap((t): readonly DemoSchool[] => t.schools);
  return Array.from({ length: count }, (_, i) => {
    const year = 2011 + (i % 9);
    const first17 = `530124${year}${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}${String(100 + i).slice(-3)}`;
    const fate =
      i % 41 === 7
        ? 'not-enrolled'
        : i % 37 === 5
          ? 'absent'
          : i % 97 === 11
            ? 'unenrolled'
            : i === 50
              ? 'renamed'
              : 'ok';
    return {
      id: first17 + checkDigit(first17),
      name:
        SURNAMES[i % SURNAMES.length]! +
        GIVEN[(i * 7) % GIVEN.length]! +
        (i % 3 ? GIVEN[(i * 11) % GIVEN.length] : ''),
      school: schools[i % schools.length]!,
      fate,
      poor: i % 9 === 0,
      boarding: i % 4 === 0,
    };
  });
}

const csv = (rows: string[][]) =>
  Buffer.from(`\uFEFF${rows.map((r) => r.join(',')).join('\r\n')}\r\n`, 'utf8');

const townshipOf = (school: string) =>
  DEMO_COUNTY.townships.find((t) => t.schools.some((s) => s.code === school))?.code ?? '';

/** The rosters the demo county uploads, as each organisation would. */
export function demoRosters(children = demoChildren()) {
  const rosters: {
    org: string;
    role: 'county' | 'school';
    kind: RosterKind;
    fileName: string;
    content: Buffer;
  }[] = [];
  for (const school of DEMO_COUNTY.townships.flatMap((t): readonly DemoSchool[] => t.schools)) {
    const mine = children.filter((c) => c.school.code === school.code);
    rosters.push({
      org: school.code,
      role: 'school',
      kind: 'enrollment',
      fileName: `${school.name}学籍.csv`,
      content: csv([
        [`${school.name}2025年秋季学期学籍名单`],
        ['序号', '学生姓名', '身份证件号', '学校标识码', '学校名称', '就读方式'],
        ...mine
          .filter((c) => c.fate !== 'not-enrolled' && c.fate !== 'unenrolled')
          .map((c, i) => [
            String(i + 1),
            c.fate === 'renamed' ? `${c.name}儿` : c.name,
            c.id,
            school.code,
            school.name,
            c.boarding ? '住校' : '走读',
          ]),
      ]),
    });
    rosters.push({
      org: school.code,
      role: 'school',
      kind: 'headcount',
      fileName: `${school.name}开学清点.csv`,
      content: csv([
        ['姓名', '身份证号', '到校情况'],
        ...mine
          .filter((c) => c.fate !== 'not-enrolled')
          .map((c) => [c.name, c.id, c.fate === 'absent' ? '未到' : '已到']),
      ]),
    });
  }
  // The county's rosters come after the schools': each accepted roster reruns the comparison, and a
  // 户籍 roster compared with only some schools' 学籍 would report every other school's children as
  // not enrolled (they would be closed again by the next run, 比对销号, but only after opening cases).
  rosters.push({
    org: DEMO_COUNTY.region,
    role: 'county',
    kind: 'poverty',
    fileName: '脱贫户及三类监测对象.csv',
    content: csv([
      ['姓名', '身份证号', '监测类型'],
      ...children.filter((c) => c.poor).map((c) => [c.name, c.id, '脱贫户']),
    ]),
  });
  rosters.push({
    org: DEMO_COUNTY.region,
    role: 'county',
    kind: 'household',
    fileName: '富民县户籍适龄儿童.csv',
    content: csv([
      ['富民县2025年户籍适龄儿童少年名单'],
      ['序号', '姓名', '公民身份号码', '户籍地址', '户籍地行政区划代码'],
      ...children
        .filter((c) => c.fate !== 'unenrolled')
        .map((c, i) => [String(i + 1), c.name, c.id, `${c.school.name}附近`, townshipOf(c.school.code)]),
    ]),
  });
  return rosters;
}

/** Uploads one roster the way a browser does: POST /uploads, then the pre-signed POST form. */
export async function uploadRosterBuffer(
  apiUrl: string,
  token: string,
  roster: { kind: string; fileName: string; content: Buffer; contentType?: string },
): Promise<string> {
  const contentType = roster.contentType ?? 'text/csv';
  const res = await fetch(`${apiUrl}/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: roster.kind,
      fileName: roster.fileName,
      size: roster.content.length,
      contentType,
    }),
  });
  const created = (await res.json()) as {
    upload: { id: string };
    post: { url: string; fields: Record<string, string> };
  };
  if (res.status !== 201) throw new Error(`POST /uploads answered ${res.status}: ${JSON.stringify(created)}`);
  const form = new FormData();
  for (const [k, v] of Object.entries(created.post.fields)) form.append(k, v);
  form.append('file', new Blob([new Uint8Array(roster.content)], { type: contentType }), roster.fileName);
  const posted = await fetch(created.post.url, { method: 'POST', body: form });
  if (posted.status >= 300) throw new Error(`the storage refused ${roster.fileName}: HTTP ${posted.status}`);
  return created.upload.id;
}

async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`demo: ${what} did not finish in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function getJson<T>(apiUrl: string, path: string, token: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${apiUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
  return (await res.json()) as T;
}

/**
 * Loads the demo county into a running local cloud through the real flow — every organisation
 * uploads its rosters, then the county runs the comparison — and returns the comparison's counts
 * and a development token per role so a newcomer can look around.
 */
export async function loadDemo(cloud: LocalCloud) {
  for (const roster of demoRosters()) {
    const token = await cloud.token({ role: roster.role, org: roster.org });
    const id = await uploadRosterBuffer(cloud.apiUrl, token, roster);
    await waitFor(async () => {
      const upload = await getJson<{ status: string }>(cloud.apiUrl, `/uploads/${id}`, token);
      return ['accepted', 'rejected', 'superseded'].includes(upload.status) ? upload : undefined;
    }, `upload of ${roster.fileName}`);
  }
  const county = await cloud.token({ role: 'county', org: DEMO_COUNTY.region, name: '县教体局' });
  const started = await getJson<{ id: string }>(cloud.apiUrl, '/comparisons', county, {
    method: 'POST',
    body: '{}',
  });
  const run = await waitFor(async () => {
    const r = await getJson<{ status: string; counts: Record<string, number> }>(
      cloud.apiUrl,
      `/comparisons/${started.id}`,
      county,
    );
    return r.status === 'completed' ? r : undefined;
  }, 'the comparison');
  const township = DEMO_COUNTY.townships[0];
  const school = township.schools[0];
  return {
    comparisonId: started.id,
    counts: run.counts,
    tokens: [
      { who: `${DEMO_COUNTY.name}教育体育局 (county)`, token: county },
      {
        who: `${township.name} (township)`,
        token: await cloud.token({ role: 'township', org: township.code, name: township.name }),
      },
      {
        who: `${school.name} (school)`,
        token: await cloud.token({ role: 'school', org: school.code, name: school.name }),
      },
    ],
  };
}
