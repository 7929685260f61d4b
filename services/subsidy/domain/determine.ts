/**
 * 资助测算 — the subsidy engine (两免一补 and other aid, docs/domain.md §5). For one policy and one semester it
 * gives every enrolled child exactly one decision per benefit of the policy: ELIGIBLE (with the amount and
 * the school that pays), INELIGIBLE, or ON_HOLD (with the reason the money waits), each explained by the
 * policy group, the enrollment facts and the category roster rows it rests on.
 *
 * The rules every decision keeps (docs/domain.md §5.4):
 * - one decision per benefit per semester, even after a transfer: a payment decided earlier in the
 *   semester binds, and the receiving school does not pay again;
 * - no payment to an empty seat: a child the comparison did not find at school, with an open dropout
 *   case, or (offline) not marked present in the head count, is held, not paid;
 * - a category is a fact only when a roster row says so; a child in several groups of a benefit is paid
 *   once, at the amount the policy's `whenSeveralGroupsMatch` picks.
 *
 * Pure: rows come in (from files offline, from DynamoDB in the service) in any order; the result does not
 * depend on the order and the same row twice counts once. Money is integer 分 throughout.
 */
import type { Reason } from '../../../shared/events/envelope';
import type { OutcomeCode } from '../../../shared/events/vocab';
import { townshipCodeSchema } from '../../../shared/org';
import type { RosterKind } from '../../../shared/roster-kind';
import type { SchoolStage } from '../../../shared/rosters/records';
import { stageFromGrade } from '../../../shared/rosters/values';
import { addFen } from './money';
import {
  type Benefit,
  type Bilingual,
  CATEGORY_ROSTER,
  type Condition,
  isInForceOn,
  type Payment,
  POLICY_CATEGORIES,
  type Policy,
  type PolicyCategory,
  type PolicyGroup,
  policyVersionLabel,
} from './policy';
import {
  type FactName,
  groupLabel,
  HOLD_OUTCOMES,
  type HoldOutcome,
  type SchoolLabel,
  subsidyReasons,
} from './reasons';
import { parseSemester, type Semester } from './semester';

// ── inputs ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * One accepted roster row, as intake stores it (an `IntakeRow` fits): the record without the ID number,
 * the child's keyed pseudonym, and where the row came from. `idNumber` is optional: the service may read
 * rows without it and add full IDs only to the exports a role may see.
 */
export interface SubsidyRow {
  kind: RosterKind;
  uploadId: string;
  line: number;
  childKey: string;
  maskedId: string;
  idNumber?: string;
  /** The organisation the roster was uploaded for (a school or township code in the service). */
  org?: string;
  record: Record<string, unknown>;
}

/** 依据行 — a roster row a decision rests on. */
export interface SourceRow {
  kind: RosterKind;
  uploadId: string;
  line: number;
}

/** 学校信息 — what the region knows about a school beyond the rosters (its township, whether it is rural). */
export interface SchoolInfo {
  name?: string;
  /** 9-digit 乡镇 code. */
  township?: string;
  /** 农村学校 (营养改善计划 covers rural schools). */
  rural?: boolean;
}

/** 本学期已有决定 — a decision of an earlier run of the same semester (the transfer rule reads these). */
export interface PreviousDecision {
  childKey: string;
  benefit: string;
  status: SubsidyStatus;
  amountFen: number;
  /** 学校标识码, or the school's name when the rosters gave no code. */
  payerSchool?: string;
  payerSchoolName?: string;
}

export interface SubsidySettings {
  policy: Policy;
  /** '2025-autumn', '2026-spring', '2025-2026-1' … */
  semester: string | Semester;
  /** Keyed by 学校标识码 or by school name. */
  schools?: ReadonlyMap<string, SchoolInfo>;
  /** 四查三比对 outcomes of the semester, by childKey (the service's empty-seat check). */
  comparison?: ReadonlyMap<string, OutcomeCode> | Iterable<{ childKey: string; outcome: OutcomeCode }>;
  /** childKeys with an open 一生一案 dropout case. */
  openCases?: Iterable<string>;
  /** Decisions already made this semester (earlier runs), for the one-payment-per-semester rule. */
  previous?: Iterable<PreviousDecision>;
}

// ── outputs ──────────────────────────────────────────────────────────────────────────────────────────

export const SUBSIDY_STATUSES = ['ELIGIBLE', 'INELIGIBLE', 'ON_HOLD'] as const;
export type SubsidyStatus = (typeof SUBSIDY_STATUSES)[number];
export const SUBSIDY_STATUS_NAMES_ZH = {
  ELIGIBLE: '符合',
  INELIGIBLE: '不符合',
  ON_HOLD: '暂缓',
} as const satisfies Record<SubsidyStatus, string>;

/** 类别依据 — a household category and the roster row that says so. */
export interface CategoryEvidence extends SourceRow {
  category: PolicyCategory;
}

/** 学籍依据 — an enrollment fact a rule used, with where it came from. */
export interface FactEvidence {
  fact: FactName;
  value: string | boolean;
  /** The roster row, or 'schools' for the region's school list. */
  source: SourceRow | 'schools';
}

export interface DecisionExplanation {
  /** policyVersionLabel of the policy used, e.g. 'national-baseline.2021.1'. */
  policy: string;
  /** '2025-2026-1'. */
  semester: string;
  /** The group that decided (ELIGIBLE, or the amount a hold keeps back). */
  group?: { id: string; amountFen: number; name: Bilingual };
  categories: readonly CategoryEvidence[];
  facts: readonly FactEvidence[];
  /** Every reason the payment is held (the decision's `reason` is the first). */
  holds: readonly Reason[];
  /** Other groups matched, groups that could not be checked, the transfer, … */
  notes: readonly Reason[];
  /** Set when an earlier decision of the semester at another school binds (the transfer rule). */
  transfer?: { payerSchool?: string; payerSchoolName?: string; amountFen: number };
}

/** 资助决定 — one child, one benefit, one semester. */
export interface SubsidyDecision {
  childKey: string;
  maskedId: string;
  /** Full 身份证号 when the rows carried it: exports for roles that may see it only, never logs. */
  idNumber?: string;
  name?: string;
  benefit: string;
  status: SubsidyStatus;
  /** 发放金额（分） — what is paid this semester; 0 unless ELIGIBLE. */
  amountFen: number;
  /** 暂缓金额（分） — what an ON_HOLD decision keeps back; 0 otherwise. */
  heldFen: number;
  /** The school the child is enrolled at now. */
  school?: string;
  schoolName?: string;
  /** The school that pays (ELIGIBLE) or would pay (ON_HOLD); after a transfer, the earlier school. */
  payerSchool?: string;
  payerSchoolName?: string;
  /** 乡镇 of the paying school. */
  township?: string;
  stage?: SchoolStage;
  grade?: string;
  className?: string;
  boarding?: boolean;
  rural?: boolean;
  reason: Reason;
  explanation: DecisionExplanation;
}

/**
 * The school that pays a decision, '-' when none does (no enrollment school known): a run lists its payers
 * and stores each payer's decisions together, so a school's list is one read.
 */
export const payerOf = (d: Pick<SubsidyDecision, 'payerSchool'>): string => d.payerSchool ?? '-';

/** Counts and amounts of one benefit (in 分). */
export interface BenefitTotal {
  benefit: string;
  payment: Payment;
  eligible: number;
  amountFen: number;
  held: number;
  heldFen: number;
  ineligible: number;
}

export interface SchoolTotal {
  /** 学校标识码, the name when only the name is known, '' for children without a school. */
  school: string;
  schoolName?: string;
  township?: string;
  benefits: BenefitTotal[];
  amountFen: number;
  heldFen: number;
}

export interface TownshipTotal {
  /** 9-digit code, '' when unknown. */
  township: string;
  benefits: BenefitTotal[];
  amountFen: number;
  heldFen: number;
}

export interface SubsidyTotals {
  byBenefit: BenefitTotal[];
  /** By paying school (a transferred child counts at the school that pays). */
  bySchool: SchoolTotal[];
  byTownship: TownshipTotal[];
  amountFen: number;
  heldFen: number;
}

export interface SubsidyRunResult {
  policy: Policy;
  policyVersion: string;
  semester: Semester;
  /** Sorted by paying school, then child, then benefit in the policy's order. */
  decisions: SubsidyDecision[];
  totals: SubsidyTotals;
  /** Enrolled children decided. */
  children: number;
  /** Children on a category roster with no enrollment row (no decision: they are not enrolled). */
  categoryOnlyChildren: number;
  /** Which empty-seat checks ran. */
  presence: { headcount: boolean; comparison: boolean; openCases: boolean };
}

export interface SubsidyRun {
  add(row: SubsidyRow): void;
  finish(): SubsidyRunResult;
}

// ── per-child facts ──────────────────────────────────────────────────────────────────────────────────

interface EnrollmentFact {
  source: SourceRow;
  schoolKey: string;
  schoolCode?: string;
  schoolName?: string;
  township?: string;
  stage?: SchoolStage;
  grade?: string;
  className?: string;
  boarding?: boolean;
  rural?: boolean;
  name?: string;
}

interface Child {
  childKey: string;
  maskedId: string;
  idNumber?: string;
  enrollment: EnrollmentFact[];
  /** Each category with the first row (by upload, then line) that carries it. */
  categories: Map<PolicyCategory, SourceRow>;
  present?: SourceRow;
  absent?: { source: SourceRow; school?: SchoolLabel };
}

/** A fact resolved from all of a child's enrollment rows: known, missing, or contradictory. */
type Resolved<T> =
  | { state: 'known'; value: T; source: SourceRow | 'schools' }
  | { state: 'missing' }
  | { state: 'conflict' };

// Checked by pattern, not by zod: the sort compares schools millions of times in a county's run.
const SCHOOL_CODE = /^\d{10}$/;
const isSchoolCode = (s: string) => SCHOOL_CODE.test(s);
const isTownshipCode = (s: string) => townshipCodeSchema.safeParse(s).success;
const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

function compareSource(a: SourceRow, b: SourceRow): number {
  if (a.uploadId !== b.uploadId) return a.uploadId < b.uploadId ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  return a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0;
}
const firstOf = (a: SourceRow | undefined, b: SourceRow) => (!a || compareSource(b, a) < 0 ? b : a);

/**
 * 城乡类型 — reads whether a school is rural from a 城乡分类 text or code (教育统计 城乡分类: 1xx 城区,
 * 2xx 乡村) or a yes/no 是否农村学校 cell. 镇区 (12x) is left unknown on purpose: it holds county seats as
 * well as township centres, and 营养改善计划 covers schools below the county seat, so the region's school
 * list has to say.
 */
export function ruralFromText(value: string, header = ''): boolean | undefined {
  const v = value.trim().replace(/\s+/g, '');
  if (v === '') return undefined;
  if (/是否|农村学校/.test(header) || /^(是|否|y|n|yes|no|true|false|1|0)$/i.test(v)) {
    if (/^(是|y|yes|true|1|农村)$/i.test(v)) return true;
    if (/^(否|n|no|false|0|城镇|城市)$/i.test(v)) return false;
  }
  if (/^2\d\d$/.test(v) || /^(乡村|农村|村庄|村|乡中心区|乡村学校|农村学校)$/.test(v)) return true;
  if (/^1[1]\d$/.test(v) || /^(城区|城市|主城区|城乡结合区|城镇学校)$/.test(v)) return false;
  return undefined;
}

/** Enrollment columns that may say whether the school is rural (kept by intake in `extra`). */
const RURAL_HEADERS = /城乡|农村/;

function ruralFromExtra(extra: unknown): boolean | undefined {
  if (!extra || typeof extra !== 'object') return undefined;
  for (const [header, value] of Object.entries(extra as Record<string, unknown>)) {
    if (RURAL_HEADERS.test(header) && typeof value === 'string') {
      const rural = ruralFromText(value, header);
      if (rural !== undefined) return rural;
    }
  }
  return undefined;
}

// ── condition evaluation (three-valued: a fact the rosters do not give is unknown, never assumed) ───

type Truth = 'T' | 'F' | 'U';

/** The enrollment facts as bits, so that evaluating a group for a child allocates next to nothing. */
const FACTS: readonly FactName[] = ['stage', 'boarding', 'rural'];
const FACT_BIT: Record<FactName, number> = { stage: 1, boarding: 2, rural: 4 };
const factsIn = (mask: number) => FACTS.filter((f) => mask & FACT_BIT[f]);
const NO_CATEGORIES: readonly CategoryEvidence[] = Object.freeze([]);

interface Evaluation {
  truth: Truth;
  categories: readonly CategoryEvidence[];
  /** Facts the result rests on (bits of FACT_BIT). */
  facts: number;
  /** Facts that were needed but unknown. */
  unknown: number;
}

interface ChildView {
  stage: Resolved<SchoolStage>;
  boarding: Resolved<boolean>;
  rural: Resolved<boolean>;
  categories: Map<PolicyCategory, SourceRow>;
}

const FALSE: Evaluation = Object.freeze({ truth: 'F', categories: NO_CATEGORIES, facts: 0, unknown: 0 });
const TRUE: Evaluation = Object.freeze({ truth: 'T', categories: NO_CATEGORIES, facts: 0, unknown: 0 });

function factTest<T>(fact: FactName, resolved: Resolved<T>, wanted: T): Evaluation {
  const bit = FACT_BIT[fact];
  if (resolved.state !== 'known') return { truth: 'U', categories: NO_CATEGORIES, facts: 0, unknown: bit };
  return { truth: resolved.value === wanted ? 'T' : 'F', categories: NO_CATEGORIES, facts: bit, unknown: 0 };
}

function categoriesTest(list: readonly PolicyCategory[], child: ChildView): Evaluation {
  if (child.categories.size === 0) return FALSE;
  const found: CategoryEvidence[] = [];
  for (const category of list) {
    const source = child.categories.get(category);
    if (source) found.push({ category, ...source });
  }
  return found.length ? { truth: 'T', categories: found, facts: 0, unknown: 0 } : FALSE;
}

function merge(parts: readonly Evaluation[], truth: Truth): Evaluation {
  if (parts.length === 1) return parts[0]!.truth === truth ? parts[0]! : { ...parts[0]!, truth };
  const categories: CategoryEvidence[] = [];
  let facts = 0;
  let unknown = 0;
  for (const p of parts) {
    if (p.categories.length) categories.push(...p.categories);
    facts |= p.facts;
    unknown |= p.unknown;
  }
  return { truth, categories: categories.length ? categories : NO_CATEGORIES, facts, unknown };
}

function evaluate(c: Condition | undefined, child: ChildView, policy: Policy): Evaluation {
  if (!c) return TRUE;
  if (c.all) {
    const parts: Evaluation[] = [];
    let open = false;
    for (const part of c.all) {
      const e = evaluate(part, child, policy);
      if (e.truth === 'F') return FALSE;
      if (e.truth === 'U') open = true;
      parts.push(e);
    }
    return merge(parts, open ? 'U' : 'T');
  }
  if (c.any) {
    const parts = c.any.map((p) => evaluate(p, child, policy));
    const met = parts.filter((p) => p.truth === 'T');
    if (met.length) return merge(met, 'T');
    const open = parts.filter((p) => p.truth === 'U');
    return open.length ? merge(open, 'U') : FALSE;
  }
  if (c.stage) return factTest('stage', child.stage, c.stage);
  if (c.boarding !== undefined) return factTest('boarding', child.boarding, c.boarding);
  if (c.rural !== undefined) return factTest('rural', child.rural, c.rural);
  if (c.hardship) return categoriesTest(policy.hardshipCategories, child);
  if (c.category) return categoriesTest([c.category], child);
  if (c.anyCategory) return categoriesTest(c.anyCategory, child);
  return FALSE;
}

// ── the run ──────────────────────────────────────────────────────────────────────────────────────────

const CATEGORY_SET = new Set<string>(POLICY_CATEGORIES);
const HOLD_OUTCOME_SET = new Set<string>(HOLD_OUTCOMES);

function resolve<T>(
  facts: readonly EnrollmentFact[],
  pick: (f: EnrollmentFact) => T | undefined,
): Resolved<T> {
  let found: { value: T; source: SourceRow } | undefined;
  for (const f of facts) {
    const value = pick(f);
    if (value === undefined) continue;
    if (found && found.value !== value) return { state: 'conflict' };
    found ??= { value, source: f.source };
  }
  return found ? { state: 'known', ...found } : { state: 'missing' };
}

function emptyTotal(benefit: Benefit): BenefitTotal {
  return {
    benefit: benefit.code,
    payment: benefit.payment,
    eligible: 0,
    amountFen: 0,
    held: 0,
    heldFen: 0,
    ineligible: 0,
  };
}

function addToTotal(t: BenefitTotal, d: SubsidyDecision): void {
  if (d.status === 'ELIGIBLE') {
    t.eligible++;
    t.amountFen = addFen(t.amountFen, d.amountFen);
  } else if (d.status === 'ON_HOLD') {
    t.held++;
    t.heldFen = addFen(t.heldFen, d.heldFen);
  } else t.ineligible++;
}

/** Schools in a stable order: codes, then name-only schools, then '' (no school). */
function schoolOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '' || b === '') return a === '' ? 1 : -1;
  const ca = isSchoolCode(a);
  if (ca !== isSchoolCode(b)) return ca ? -1 : 1;
  return a < b ? -1 : 1;
}

/** Creates one subsidy run; feed it rows of any roster kind in any order, then `finish`. */
export function createSubsidyRun(settings: SubsidySettings): SubsidyRun {
  const { policy } = settings;
  const parsed = typeof settings.semester === 'string' ? parseSemester(settings.semester) : settings.semester;
  if (!parsed) {
    throw new RangeError(
      `学期应写作 2025-autumn、2026-spring 或 2025-2026-1，实为“${String(settings.semester)}” / ` +
        `semester must be written 2025-autumn, 2026-spring or 2025-2026-1, got "${String(settings.semester)}"`,
    );
  }
  const semester: Semester = parsed;
  if (!isInForceOn(policy, semester.startsOn)) {
    throw new RangeError(
      `政策 ${policyVersionLabel(policy)} 在 ${semester.label}（${semester.startsOn}）未生效 / ` +
        `policy ${policyVersionLabel(policy)} is not in force on ${semester.startsOn} (${semester.label})`,
    );
  }
  const schools = settings.schools ?? new Map<string, SchoolInfo>();
  const outcomes = new Map<string, OutcomeCode>();
  if (settings.comparison) {
    if (settings.comparison instanceof Map) {
      for (const [k, o] of settings.comparison as ReadonlyMap<string, OutcomeCode>) outcomes.set(k, o);
    } else {
      for (const r of settings.comparison as Iterable<{ childKey: string; outcome: OutcomeCode }>) {
        outcomes.set(r.childKey, r.outcome);
      }
    }
  }
  const openCases = new Set(settings.openCases ?? []);
  const previous = new Map<string, PreviousDecision>();
  for (const p of settings.previous ?? []) {
    if (p.status === 'ELIGIBLE') previous.set(`${p.childKey}\u0000${p.benefit}`, p);
  }

  const children = new Map<string, Child>();
  let headcountRows = 0;
  /** Sentences are built once per distinct text and shared by the decisions that say it. */
  const sentences = new Map<string, Reason>();
  const said = (key: string, make: () => Reason): Reason => {
    let r = sentences.get(key);
    if (!r) {
      r = Object.freeze(make());
      sentences.set(key, r);
    }
    return r;
  };
  const groupNames = new Map<PolicyGroup, Bilingual>();
  const nameOf = (group: PolicyGroup) => {
    let n = groupNames.get(group);
    if (!n) {
      n = Object.freeze(groupLabel(group, policy));
      groupNames.set(group, n);
    }
    return n;
  };

  const childOf = (row: SubsidyRow): Child => {
    let c = children.get(row.childKey);
    if (!c) {
      c = { childKey: row.childKey, maskedId: row.maskedId, enrollment: [], categories: new Map() };
      children.set(row.childKey, c);
    }
    if (row.idNumber && !c.idNumber) c.idNumber = row.idNumber;
    return c;
  };

  function schoolInfo(code: string | undefined, name: string | undefined): SchoolInfo | undefined {
    return (code ? schools.get(code) : undefined) ?? (name ? schools.get(name) : undefined);
  }

  function add(row: SubsidyRow): void {
    const r = row.record;
    const source: SourceRow = { kind: row.kind, uploadId: row.uploadId, line: row.line };
    switch (row.kind) {
      case 'enrollment': {
        const c = childOf(row);
        if (c.enrollment.some((f) => compareSource(f.source, source) === 0)) return; // delivered twice
        const orgSchool = row.org && isSchoolCode(row.org) ? row.org : undefined;
        const schoolCode = text(r.schoolCode) ?? orgSchool;
        const schoolName = text(r.schoolName);
        const info = schoolInfo(schoolCode, schoolName);
        const grade = text(r.grade);
        const stage =
          r.stage === 'PRIMARY' || r.stage === 'JUNIOR' ? r.stage : grade ? stageFromGrade(grade) : undefined;
        const fact: EnrollmentFact = {
          source,
          schoolKey: schoolCode ?? (schoolName ? `#${schoolName}` : ''),
          schoolCode,
          schoolName: schoolName ?? info?.name,
          township: info?.township ?? (row.org && isTownshipCode(row.org) ? row.org : undefined),
          stage,
          grade,
          className: text(r.className),
          boarding: typeof r.boarding === 'boolean' ? r.boarding : undefined,
          rural: ruralFromExtra(r.extra),
          name: text(r.name),
        };
        c.enrollment.push(fact);
        c.enrollment.sort((a, b) => compareSource(a.source, b.source));
        break;
      }
      case 'poverty':
      case 'assistance': {
        const category = r.category;
        if (typeof category !== 'string' || !CATEGORY_SET.has(category)) return;
        const cat = category as PolicyCategory;
        if (CATEGORY_ROSTER[cat] !== row.kind) return; // a category is read only from its own roster
        const c = childOf(row);
        c.categories.set(cat, firstOf(c.categories.get(cat), source));
        break;
      }
      case 'disability': {
        const c = childOf(row);
        c.categories.set('DISABILITY', firstOf(c.categories.get('DISABILITY'), source));
        break;
      }
      case 'headcount': {
        headcountRows++;
        const c = childOf(row);
        if (r.present === true) c.present = firstOf(c.present, source);
        else if (r.present === false && (!c.absent || compareSource(source, c.absent.source) < 0)) {
          c.absent = { source, school: { code: text(r.schoolCode), name: text(r.schoolName) } };
        }
        break;
      }
      default:
        break; // other kinds take no part in subsidies
    }
  }

  function finish(): SubsidyRunResult {
    const label = policyVersionLabel(policy);
    const decisions: SubsidyDecision[] = [];
    let enrolled = 0;
    let categoryOnly = 0;
    /** Display names and townships of schools, from the rows and the region's list. */
    const schoolNames = new Map<string, string>();
    const schoolTownships = new Map<string, string>();
    for (const c of children.values()) {
      for (const f of c.enrollment) {
        if (f.schoolName && !schoolNames.has(f.schoolKey)) schoolNames.set(f.schoolKey, f.schoolName);
        if (f.township && !schoolTownships.has(f.schoolKey)) schoolTownships.set(f.schoolKey, f.township);
      }
    }
    const labels = new Map<string, SchoolLabel>();
    const labelOf = (key: string | undefined): SchoolLabel | undefined => {
      if (key === undefined || key === '') return undefined;
      let l = labels.get(key);
      if (!l) {
        l = key.startsWith('#')
          ? { name: key.slice(1) }
          : { code: key, name: schoolNames.get(key) ?? schools.get(key)?.name };
        labels.set(key, l);
      }
      return l;
    };
    const townshipOf = (key: string | undefined) =>
      key ? (schoolTownships.get(key) ?? schools.get(key.replace(/^#/, ''))?.township) : undefined;
    const display = (key: string | undefined) => (key?.startsWith('#') ? key.slice(1) : key);

    // Decisions come out by paying school, then child, then benefit: children are sorted once, and each
    // decision goes to its payer's bucket (a transfer can put one child's benefits at two schools).
    const who = (c: Child) => c.idNumber ?? c.childKey;
    const ordered: Child[] = [];
    for (const child of children.values()) {
      if (child.enrollment.length > 0) ordered.push(child);
      else if (child.categories.size > 0) categoryOnly++;
    }
    ordered.sort((a, b) => (who(a) < who(b) ? -1 : who(a) > who(b) ? 1 : 0));
    const buckets = new Map<string, SubsidyDecision[]>();
    for (const child of ordered) {
      enrolled++;
      for (const d of decideChild(child, labelOf, townshipOf, display, label)) {
        const key = d.payerSchool ?? '';
        let bucket = buckets.get(key);
        if (!bucket) {
          bucket = [];
          buckets.set(key, bucket);
        }
        bucket.push(d);
      }
    }
    for (const key of [...buckets.keys()].sort(schoolOrder)) {
      for (const d of buckets.get(key)!) decisions.push(d);
    }
    return {
      policy,
      policyVersion: label,
      semester,
      decisions,
      totals: totalsOf(decisions, policy),
      children: enrolled,
      categoryOnlyChildren: categoryOnly,
      presence: {
        headcount: headcountRows > 0,
        comparison: settings.comparison !== undefined,
        openCases: openCases.size > 0,
      },
    };
  }

  function decideChild(
    child: Child,
    labelOf: (key: string | undefined) => SchoolLabel | undefined,
    townshipOf: (key: string | undefined) => string | undefined,
    display: (key: string | undefined) => string | undefined,
    label: string,
  ): SubsidyDecision[] {
    // Schools: a name-only row of a school another row names with its code is that school.
    const codedNames = new Map<string, string>();
    for (const f of child.enrollment)
      if (f.schoolCode && f.schoolName) codedNames.set(f.schoolName, f.schoolCode);
    const keyOf = (f: EnrollmentFact) =>
      f.schoolCode ?? (f.schoolName && codedNames.get(f.schoolName)) ?? f.schoolKey;
    const schoolKeys = [...new Set(child.enrollment.map(keyOf))].sort(schoolOrder);
    const current = schoolKeys[0];
    const atCurrent = child.enrollment.filter((f) => keyOf(f) === current);

    const stage = resolve(atCurrent, (f) => f.stage);
    const boarding = resolve(atCurrent, (f) => f.boarding);
    const listed = current ? (schools.get(current.replace(/^#/, ''))?.rural ?? undefined) : undefined;
    const rural: Resolved<boolean> =
      listed !== undefined
        ? { state: 'known', value: listed, source: 'schools' }
        : resolve(atCurrent, (f) => f.rural);
    const view: ChildView = { stage, boarding, rural, categories: child.categories };
    const known = <T>(r: Resolved<T>) => (r.state === 'known' ? r.value : undefined);
    const gradeRow = atCurrent.find((f) => f.grade || f.className);

    // Holds that do not depend on the benefit, in the order they are reported.
    const holds: Reason[] = [];
    const outcome = outcomes.get(child.childKey);
    const notes: Reason[] = [];
    if (outcome && HOLD_OUTCOME_SET.has(outcome))
      holds.push(said(`O|${outcome}`, () => subsidyReasons.heldByOutcome(outcome as HoldOutcome)));
    else if (settings.comparison !== undefined && !outcome) notes.push(said('C', subsidyReasons.notCompared));
    if (openCases.has(child.childKey)) holds.push(said('K', subsidyReasons.openCase));
    if (headcountRows > 0 && !child.present) {
      const marked = child.absent?.school;
      // A head count often gives only the school code: name the school as the enrollment rows do.
      const at = marked?.code
        ? { ...labelOf(marked.code), ...(marked.name ? { name: marked.name } : {}) }
        : marked;
      holds.push(
        child.absent
          ? said(`H|${at?.code}|${at?.name}`, () => subsidyReasons.absentOnHeadcount(at))
          : said('P', subsidyReasons.notOnHeadcount),
      );
    }
    const placeHolds: Reason[] = [];
    if (schoolKeys.length > 1)
      placeHolds.push(subsidyReasons.severalSchools(schoolKeys.map((k) => labelOf(k) ?? {})));
    else if (!current) placeHolds.push(said('S', subsidyReasons.noSchool));

    const currentLabel = labelOf(current);
    const name = child.enrollment.find((f) => f.name)?.name;
    const school = current && !current.startsWith('#') ? current : undefined;
    const knownStage = known(stage);
    const knownBoarding = known(boarding);
    const knownRural = known(rural);

    return policy.benefits.map((benefit): SubsidyDecision => {
      const evaluated = benefit.groups.map((group) => ({ group, e: evaluate(group.when, view, policy) }));
      const met = evaluated.filter((x) => x.e.truth === 'T');
      const open = evaluated.filter((x) => x.e.truth === 'U');
      const pick = (list: typeof evaluated) =>
        benefit.whenSeveralGroupsMatch === 'FIRST'
          ? list[0]!
          : list.reduce((best, x) => (x.group.amountFen > best.group.amountFen ? x : best), list[0]!);

      // Most decisions add no note of their own and share the child's (usually empty) list.
      const benefitNotes: Reason[] = [];
      const addNote = (r: Reason) => {
        if (benefitNotes.length === 0) benefitNotes.push(...notes);
        benefitNotes.push(r);
      };
      let status: SubsidyStatus;
      let amount = 0;
      let reason: Reason;
      let chosen: { group: PolicyGroup; e: Evaluation } | undefined;
      if (met.length) {
        chosen = pick(met);
        status = 'ELIGIBLE';
        amount = chosen.group.amountFen;
        reason = said(`E|${benefit.code}|${chosen.group.id}`, () =>
          subsidyReasons.eligible(benefit, chosen!.group, policy),
        );
        for (const x of met) {
          if (x !== chosen) {
            addNote(
              said(`A|${benefit.code}|${x.group.id}`, () => subsidyReasons.alsoMatched(x.group, policy)),
            );
          }
        }
        for (const x of open) {
          if (x.group.amountFen > amount) {
            addNote(
              said(`N|${benefit.code}|${x.group.id}|${x.e.unknown}`, () =>
                subsidyReasons.notChecked(x.group, policy, factsIn(x.e.unknown)),
              ),
            );
          }
        }
      } else if (open.length) {
        chosen = pick(open);
        status = 'ON_HOLD';
        amount = chosen.group.amountFen;
        const unknownMask = open.reduce((m, x) => m | x.e.unknown, 0);
        const unknown = factsIn(unknownMask);
        const conflicting = unknown.filter((f) => view[f].state === 'conflict');
        reason = said(`U|${unknownMask}|${conflicting.join()}`, () =>
          subsidyReasons.factUnknown(unknown, conflicting),
        );
      } else {
        status = 'INELIGIBLE';
        reason = said(`I|${benefit.code}`, () => subsidyReasons.ineligible(benefit, policy));
      }

      // One payment per semester: an earlier decision at another school binds (the transfer rule).
      let payer = current;
      let transfer: DecisionExplanation['transfer'];
      const earlier = previous.get(`${child.childKey}\u0000${benefit.code}`);
      const bound =
        earlier !== undefined &&
        !(schoolKeys.length === 1 && sameSchool(earlier.payerSchool, current, labelOf));
      let benefitHolds = placeHolds.length ? [...holds, ...placeHolds] : holds;
      if (bound) {
        const recomputed = status === 'ELIGIBLE' ? amount : 0;
        payer = earlier.payerSchool;
        if (recomputed !== earlier.amountFen) addNote(subsidyReasons.recomputedDiffers(recomputed));
        status = 'ELIGIBLE';
        amount = earlier.amountFen;
        const payerLabel =
          labelOf(payer) ?? (payer ? { code: payer, name: earlier.payerSchoolName } : undefined);
        reason = subsidyReasons.transferred(
          { ...payerLabel, name: payerLabel?.name ?? earlier.payerSchoolName },
          currentLabel,
          benefit,
          amount,
        );
        transfer = {
          payerSchool: display(payer),
          payerSchoolName: payerLabel?.name ?? earlier.payerSchoolName,
          amountFen: amount,
        };
        // The earlier decision settles which school pays: several schools (or none) no longer hold it.
        benefitHolds = holds;
      }

      // No payment to an empty seat: holds apply to whatever would be paid.
      let heldFen = 0;
      if (benefitHolds.length > 0 && (status === 'ELIGIBLE' || reason.code === 'FACT_UNKNOWN')) {
        if (status === 'ON_HOLD') {
          if (benefitNotes.length === 0) benefitNotes.push(...notes);
          benefitNotes.unshift(reason);
        }
        status = 'ON_HOLD';
        reason = benefitHolds[0]!;
      }
      if (status === 'ON_HOLD') {
        heldFen = amount;
        amount = 0;
      } else if (status === 'INELIGIBLE') amount = 0;

      const explanation: DecisionExplanation = {
        policy: label,
        semester: semester.code,
        group:
          chosen && !bound
            ? {
                id: chosen.group.id,
                amountFen: chosen.group.amountFen,
                name: nameOf(chosen.group),
              }
            : undefined,
        categories: chosen ? dedupeCategories(chosen.e.categories) : NO_CATEGORIES,
        facts: chosen ? factsOf(chosen.e, view) : NO_FACTS,
        holds: status === 'ON_HOLD' && reason.code !== 'FACT_UNKNOWN' ? benefitHolds : NO_REASONS,
        notes: benefitNotes.length ? benefitNotes : notes,
        transfer,
      };
      const payerLabel = labelOf(payer);
      // Written out field by field, in one order: a spread here makes V8 keep 700,000 decisions of a
      // county as slow dictionary objects.
      return {
        childKey: child.childKey,
        maskedId: child.maskedId,
        idNumber: child.idNumber,
        // The name of the first enrollment row (by upload and line), so any order of rows gives the same one.
        name,
        benefit: benefit.code,
        status,
        amountFen: amount,
        heldFen,
        school,
        schoolName: currentLabel?.name,
        payerSchool: display(payer),
        payerSchoolName: payerLabel?.name ?? transfer?.payerSchoolName,
        township: townshipOf(payer),
        stage: knownStage,
        grade: gradeRow?.grade,
        className: gradeRow?.className,
        boarding: knownBoarding,
        rural: knownRural,
        reason,
        explanation,
      };
    });
  }

  return { add, finish };
}

/** Whether a previous decision's payer is the child's current school (by code or by name). */
function sameSchool(
  payer: string | undefined,
  current: string | undefined,
  labelOf: (key: string | undefined) => SchoolLabel | undefined,
): boolean {
  if (payer === undefined || current === undefined) return payer === current;
  if (payer === current || `#${payer}` === current) return true;
  const l = labelOf(current);
  return l?.name !== undefined && l.name === payer;
}

function dedupeCategories(list: readonly CategoryEvidence[]): readonly CategoryEvidence[] {
  if (list.length <= 1) return list;
  const seen = new Map<PolicyCategory, CategoryEvidence>();
  for (const c of list) if (!seen.has(c.category)) seen.set(c.category, c);
  return [...seen.values()].sort(
    (a, b) => POLICY_CATEGORIES.indexOf(a.category) - POLICY_CATEGORIES.indexOf(b.category),
  );
}

const NO_FACTS: readonly FactEvidence[] = Object.freeze([]);
const NO_REASONS: readonly Reason[] = Object.freeze([]);

function factsOf(e: Evaluation, view: ChildView): readonly FactEvidence[] {
  if (e.facts === 0) return NO_FACTS;
  const out: FactEvidence[] = [];
  for (const fact of FACTS) {
    const r = view[fact];
    if (e.facts & FACT_BIT[fact] && r.state === 'known') out.push({ fact, value: r.value, source: r.source });
  }
  return out;
}

/** Totals per benefit, per paying school and per township, all in integer 分. */
export function totalsOf(decisions: readonly SubsidyDecision[], policy: Policy): SubsidyTotals {
  const byBenefit = new Map(policy.benefits.map((b) => [b.code, emptyTotal(b)]));
  const benefitOf = new Map(policy.benefits.map((b) => [b.code, b]));
  const bySchool = new Map<string, SchoolTotal>();
  const byTownship = new Map<string, TownshipTotal>();
  let amountFen = 0;
  let heldFen = 0;
  for (const d of decisions) {
    const benefit = benefitOf.get(d.benefit);
    if (!benefit) continue;
    addToTotal(byBenefit.get(d.benefit)!, d);
    const schoolKey = d.payerSchool ?? '';
    let s = bySchool.get(schoolKey);
    if (!s) {
      s = {
        school: schoolKey,
        schoolName: d.payerSchoolName,
        township: d.township,
        benefits: policy.benefits.map(emptyTotal),
        amountFen: 0,
        heldFen: 0,
      };
      bySchool.set(schoolKey, s);
    }
    const townshipKey = d.township ?? '';
    let t = byTownship.get(townshipKey);
    if (!t) {
      t = { township: townshipKey, benefits: policy.benefits.map(emptyTotal), amountFen: 0, heldFen: 0 };
      byTownship.set(townshipKey, t);
    }
    const i = policy.benefits.indexOf(benefit);
    addToTotal(s.benefits[i]!, d);
    addToTotal(t.benefits[i]!, d);
    s.amountFen = addFen(s.amountFen, d.amountFen);
    s.heldFen = addFen(s.heldFen, d.heldFen);
    t.amountFen = addFen(t.amountFen, d.amountFen);
    t.heldFen = addFen(t.heldFen, d.heldFen);
    amountFen = addFen(amountFen, d.amountFen);
    heldFen = addFen(heldFen, d.heldFen);
  }
  return {
    byBenefit: [...byBenefit.values()],
    bySchool: [...bySchool.values()].sort((a, b) => schoolOrder(a.school, b.school)),
    byTownship: [...byTownship.values()].sort((a, b) =>
      a.township === b.township
        ? 0
        : a.township === ''
          ? 1
          : b.township === ''
            ? -1
            : a.township < b.township
              ? -1
              : 1,
    ),
    amountFen,
    heldFen,
  };
}

/** Runs the engine on rows already in memory (the service's Lambda, tests). */
export function determineSubsidies(
  settings: SubsidySettings & { rows: Iterable<SubsidyRow> },
): SubsidyRunResult {
  const run = createSubsidyRun(settings);
  for (const row of settings.rows) run.add(row);
  return run.finish();
}

/** The `totals` of a `subsidy.determined` event: per benefit, the children paid and the amount in 分. */
export function determinedTotals(result: Pick<SubsidyRunResult, 'totals'>) {
  return result.totals.byBenefit.map((t) => ({
    benefit: t.benefit,
    count: t.eligible,
    amountFen: t.amountFen,
  }));
}
