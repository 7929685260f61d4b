/**
 * 政策选用与发布 — which policy a subsidy run uses, and whether a county may publish a document.
 *
 * A deployment serves one county. Its policies are the built-ins shipped with kcbx (the national baseline
 * and a worked province example) and the versions the county has published. The choice for a semester is
 * made here and nowhere else, so that the API's answer, the list of policies and the worker agree:
 *
 * 1. a policy the request names: a built-in by name, else the county's published id (its version in force);
 * 2. otherwise the county's published version in force on the semester's first day (`selectPolicy`);
 * 3. otherwise the built-in the region setting `subsidyPolicy` names.
 *
 * A county publishes for its own region code only. Its published versions live in its deployment and are
 * chosen for its runs alone: a document saying `CN` or `530000` would claim to be the national or province
 * policy while binding one county, and no other county would ever see it. The national baseline ships
 * built in; a province's document is carried into a county by publishing it as the county's version, with
 * the province's document named in `sources`.
 */
import {
  type Bilingual,
  isInForceOn,
  type Policy,
  type PolicyError,
  policyRegionSchema,
  policyVersionLabel,
  selectPolicy,
  validatePolicy,
} from './policy';
import type { Semester } from './semester';

/** Where a policy comes from: shipped with kcbx, or published by the county. */
export type PolicySource = 'built-in' | 'published';

/** 所用政策 — what a run records of the policy it uses; id + version name one document for ever. */
export interface PolicyRef {
  source: PolicySource;
  id: string;
  version: string;
  /** policyVersionLabel, as every decision and subsidy.determined record it: 'national-baseline.2021.1'. */
  label: string;
  region: string;
  example: boolean;
}

export function policyRef(policy: Policy, source: PolicySource): PolicyRef {
  return {
    source,
    id: policy.id,
    version: policy.version,
    label: policyVersionLabel(policy),
    region: policy.region,
    example: policy.example,
  };
}

/** The policies a deployment can use. */
export interface PolicyCatalogue {
  /** The deployment's county (6-digit 行政区划代码). */
  county: string;
  /** The county's published versions. */
  published: readonly Policy[];
  /** The built-in policies, by the name the CLI and the region setting use. */
  builtIns: ReadonlyMap<string, Policy>;
  /** The region setting `subsidyPolicy`: the built-in used when no published version is in force. */
  fallback: string;
}

export type PolicyChoiceFailure = Bilingual & { code: 'UNKNOWN_POLICY' | 'POLICY_NOT_IN_FORCE' };

export type PolicyChoice =
  | { ok: true; policy: Policy; ref: PolicyRef; because: Bilingual }
  | ({ ok: false } & PolicyChoiceFailure);

const dates = (p: Policy) => `${p.effectiveFrom}${p.effectiveUntil ? ` – ${p.effectiveUntil}` : ' –'}`;

function chosen(policy: Policy, source: PolicySource, because: Bilingual): PolicyChoice {
  return { ok: true, policy, ref: policyRef(policy, source), because };
}

function notInForce(policies: readonly Policy[], semester: Semester): PolicyChoice {
  const labels = policies.map((p) => `${policyVersionLabel(p)}（${dates(p)}）`);
  return {
    ok: false,
    code: 'POLICY_NOT_IN_FORCE',
    zh: `政策 ${labels.join('、')} 在 ${semester.label}（${semester.startsOn}）未生效：请换一个学期或政策。`,
    en: `Policy ${labels.join(', ')} is not in force on ${semester.startsOn} (${semester.label}); choose another semester or policy.`,
  };
}

/**
 * 适用政策 — the policy a run for `semester` uses: the one `asked` for (a built-in name, else a published
 * id), otherwise the county's latest published version in force, otherwise the built-in the region setting
 * names. A policy not in force on the semester's first day is never used.
 */
export function choosePolicy(catalogue: PolicyCatalogue, semester: Semester, asked?: string): PolicyChoice {
  const { county, published, builtIns, fallback } = catalogue;
  if (asked !== undefined) {
    const builtIn = builtIns.get(asked);
    if (builtIn) {
      return isInForceOn(builtIn, semester.startsOn)
        ? chosen(builtIn, 'built-in', {
            zh: `请求指定的内置政策 ${asked}`,
            en: `the built-in policy ${asked}, as asked`,
          })
        : notInForce([builtIn], semester);
    }
    const versions = published.filter((p) => p.id === asked);
    if (versions.length === 0) {
      const names = [...builtIns.keys(), ...new Set(published.map((p) => p.id))];
      return {
        ok: false,
        code: 'UNKNOWN_POLICY',
        zh: `没有名为“${asked}”的内置或本县已发布的政策；可用：${names.join('、')}（GET /subsidies/policies）。`,
        en: `There is no built-in or published policy "${asked}"; use one of ${names.join(', ')} (GET /subsidies/policies).`,
      };
    }
    const version = selectPolicy(versions, county, semester);
    return version
      ? chosen(version, 'published', {
          zh: `请求指定的本县政策 ${asked}，${semester.startsOn} 生效的版本 ${version.version}`,
          en: `the county's policy ${asked}, as asked: version ${version.version} is in force on ${semester.startsOn}`,
        })
      : notInForce(versions, semester);
  }

  const own = selectPolicy(published, county, semester);
  if (own) {
    return chosen(own, 'published', {
      zh: `本县发布的政策，${own.effectiveFrom} 起生效，${semester.startsOn} 在其生效期内`,
      en: `published by the county, in force from ${own.effectiveFrom}, which covers ${semester.startsOn}`,
    });
  }
  const builtIn = builtIns.get(fallback);
  if (!builtIn) {
    return {
      ok: false,
      code: 'UNKNOWN_POLICY',
      zh: `地区设置 subsidyPolicy 指定的内置政策“${fallback}”不存在；可用：${[...builtIns.keys()].join('、')}。`,
      en: `The region setting subsidyPolicy names "${fallback}", which is not a built-in policy (${[...builtIns.keys()].join(', ')}).`,
    };
  }
  if (!isInForceOn(builtIn, semester.startsOn)) return notInForce([builtIn], semester);
  return chosen(builtIn, 'built-in', {
    zh: `本县没有在 ${semester.startsOn} 生效的已发布政策，使用地区设置 subsidyPolicy 指定的内置政策 ${fallback}`,
    en: `the county has published no policy in force on ${semester.startsOn}: the built-in ${fallback} named by the region setting subsidyPolicy`,
  });
}

/** The document a recorded choice names: a retried run uses exactly the policy it started with. */
export function policyForRef(
  ref: Pick<PolicyRef, 'source' | 'id' | 'version'>,
  catalogue: Pick<PolicyCatalogue, 'published' | 'builtIns'>,
): Policy | undefined {
  const same = (p: Policy) => p.id === ref.id && p.version === ref.version;
  return ref.source === 'built-in'
    ? [...catalogue.builtIns.values()].find(same)
    : catalogue.published.find(same);
}

// ── publishing ───────────────────────────────────────────────────────────────────────────────────────

export type PublicationCheck =
  | { ok: true; policy: Policy }
  | { ok: false; status: 400; errors: PolicyError[] }
  | {
      ok: false;
      status: 409;
      errors: PolicyError[];
      existing: { source: PolicySource; policy: Policy };
      /** The document sent is the one already published (a repeated request). */
      identical: boolean;
    };

/** JSON with object keys sorted, so that two documents compare by content rather than key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function regionError(region: string, county: string): PolicyError {
  if (region === 'CN') {
    return {
      path: '$.region',
      code: 'REGION_NOT_THIS_COUNTY',
      zh: `本系统服务于 ${county}，只能发布本县的政策（region 应为 "${county}"）。全国基础标准已内置（national-baseline）；要在本县执行国家文件，请以本县代码发布本县版本，并在 sources 中注明原文件。`,
      en: `This deployment serves ${county} and publishes that county's policies only (region must be "${county}"). The national baseline is built in (national-baseline); to apply a national document here, publish it as the county's version and name the document in sources.`,
    };
  }
  return {
    path: '$.region',
    code: 'REGION_NOT_THIS_COUNTY',
    zh: `地区 ${region} 不是本系统服务的县（${county}）：只能发布本县的政策（region 应为 "${county}"）。省、市文件请以本县代码发布为本县版本，并在 sources 中注明原文件。`,
    en: `Region ${region} is not the county this deployment serves (${county}): publish the county's own policies only (region must be "${county}"). Publish a province or city document as the county's version and name it in sources.`,
  };
}

/**
 * 发布检查 — whether `input` may be published in the county: 409 when its id + version already names a
 * document (published versions never change; a built-in's id + version is taken too, so that a label in a
 * decision names one document), else 400 with every error (`validatePolicy` against the county's published
 * versions: contradictions, overlapping dates) and a region other than the county's.
 */
export function checkPublication(input: unknown, catalogue: PolicyCatalogue): PublicationCheck {
  const raw = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const taken = (p: Policy) => p.id === raw.id && p.version === raw.version;
  const builtIn = [...catalogue.builtIns.values()].find(taken);
  const own = catalogue.published.find(taken);
  const existing = builtIn
    ? { source: 'built-in' as const, policy: builtIn }
    : own
      ? { source: 'published' as const, policy: own }
      : undefined;
  if (existing) {
    const parsed = validatePolicy(input);
    const label = policyVersionLabel(existing.policy);
    return {
      ok: false,
      status: 409,
      existing,
      identical: parsed.ok && canonicalJson(parsed.policy) === canonicalJson(existing.policy),
      errors: [
        {
          path: '$.version',
          code: 'VERSION_EXISTS',
          zh:
            existing.source === 'built-in'
              ? `${label} 是内置政策的版本：请用另一个 id 或版本号发布本县政策`
              : `${label} 已发布（${existing.policy.effectiveFrom} 起）：已发布的版本不能修改，请用新的版本号发布`,
          en:
            existing.source === 'built-in'
              ? `${label} is a built-in policy's version: publish the county's policy under another id or version`
              : `${label} is already published (from ${existing.policy.effectiveFrom}): a published version never changes, publish a new version`,
        },
      ],
    };
  }

  const result = validatePolicy(input, catalogue.published);
  const errors = result.ok ? [] : [...result.errors];
  if (
    typeof raw.region === 'string' &&
    policyRegionSchema.safeParse(raw.region).success &&
    raw.region !== catalogue.county
  ) {
    errors.push(regionError(raw.region, catalogue.county));
  }
  if (errors.length > 0 || !result.ok) return { ok: false, status: 400, errors };
  return { ok: true, policy: result.policy };
}
