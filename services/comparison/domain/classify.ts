import { isRealDate } from '../../../shared/dates';
/**
 * 四查三比对 — the comparison engine (docs/domain.md §2). Rows of every roster kind are joined on the normalised
 * ID number and every child of compulsory age gets exactly one outcome, with the flags, the school and the
 * evidence (roster rows) that explain it.
 *
 * Pure and streaming: `add` takes accepted intake rows of any kind in any order and keeps one compact
 * entry per child (evidence as packed numbers, school and class names interned), so memory grows with the
 * number of children, not with file bytes. Every fact is kept as a set, a flag or a minimum, so the same
 * rows in any order (or a row delivered twice) give identical results.
 */
import { type OutcomeCode, outcomeCodeSchema } from '../../../shared/events/vocab';
import { ageOn } from '../../../shared/id-number';
import { schoolCodeSchema, townshipCodeSchema } from '../../../shared/org';
import type { RosterKind } from '../../../shared/roster-kind';
import type { DeferralType } from '../../../shared/rosters/records';
import type { IntakeRow } from '../../../shared/rosters/rows';
import { type Reason, reasons, type SchoolLabel } from './reasons';

export type { Reason } from './reasons';

/** What one comparison run is about: the region, the check date and the region's age rules. */
export interface ComparisonSettings {
  /** 6-digit 行政区划代码. */
  region: string;
  /** 比对日 'YYYY-MM-DD', e.g. a week after term start. */
  asOf: string;
  /** 入学年龄: age reached on the entry cut-off date. */
  minAge: number;
  /** 适龄上限: not older than this (周岁) on `asOf`. */
  maxAge: number;
  /** 入学截止日 'MM-DD'. */
  entryCutoff: string;
}

/** 标记 — what a clerk should know about a child besides the outcome. */
export type ChildFlag = 'priority' | 'disability' | 'left_behind' | 'migrant' | 'boarding';

/** Flags in the order they are listed. */
export const CHILD_FLAGS: readonly ChildFlag[] = [
  'priority',
  'disability',
  'left_behind',
  'migrant',
  'boarding',
];

export const CHILD_FLAG_NAMES_ZH = {
  priority: '脱贫户/三类监测',
  disability: '残疾',
  left_behind: '留守',
  migrant: '随迁（户籍在外地）',
  boarding: '住校',
} as const satisfies Record<ChildFlag, string>;

/** One roster row that took part in a child's outcome. */
export interface Evidence {
  kind: RosterKind;
  uploadId: string;
  line: number;
}

/** The outcome of one child of compulsory age. */
export interface ChildResult {
  /** Normalised 18-character 身份证号 (exports only; never print it). */
  idNumber: string;
  maskedId: string;
  childKey: string;
  name: string;
  sex?: 'M' | 'F';
  birthDate: string;
  outcome: OutcomeCode;
  flags: readonly ChildFlag[];
  /** 10-digit 学校标识码, when known. */
  school?: string;
  schoolName?: string;
  /** 9-digit 乡镇 code, when a roster says it. */
  township?: string;
  grade?: string;
  className?: string;
  /** False when no head count says anything about the child (their school uploaded none). */
  presenceChecked: boolean;
  evidence: readonly Evidence[];
  reasons: readonly Reason[];
}

export type OutcomeCounts = Record<OutcomeCode, number>;

export interface ComparisonCounts extends OutcomeCounts {
  /** Children in the rosters but outside the compulsory-age window (not classified). */
  outOfWindow: number;
  /** CONSISTENT children whose school uploaded no head count: enrolled, presence not checked. */
  presenceUnchecked: number;
}

export interface SchoolCounts {
  /** 学校标识码; the school's name when only the name is known; '' for children without a school. */
  school: string;
  schoolName?: string;
  counts: OutcomeCounts;
}

export interface ComparisonOutcome {
  /** Sorted by school, then outcome (in the order of outcomeCodeSchema), then ID number. */
  results: ChildResult[];
  counts: ComparisonCounts;
  /** Every school with a classified child (and '' for children without one), in the results' order. */
  bySchool: SchoolCounts[];
}

export interface Comparison {
  add(row: IntakeRow): void;
  finish(): ComparisonOutcome;
}

// ── packing ──────────────────────────────────────────────────────────────────────────────────────────

/** Kinds that take part, in the order evidence and name sources are ranked. Attendance does not. */
const KINDS = [
  'household',
  'enrollment',
  'headcount',
  'deferral',
  'poverty',
  'assistance',
  'disability',
] as const satisfies readonly RosterKind[];
type ComparedKind = (typeof KINDS)[number];
const KIND_INDEX = new Map<string, number>(KINDS.map((k, i) => [k, i]));
const bit = (kind: ComparedKind) => 1 << KINDS.indexOf(kind);
const K_HOUSEHOLD = bit('household');
const K_ENROLLMENT = bit('enrollment');
const K_POVERTY = bit('poverty');
const K_DISABILITY = bit('disability');
/** 居住地来源 — the region's own records of where a child lives. */
const RESIDENCE = K_HOUSEHOLD | K_POVERTY | bit('assistance') | K_DISABILITY;

// Facts kept as bits.
const PRESENT = 1; // a head count says present
const ABSENT_MARKED = 2; // a head count says not present
const BOARDING = 4;
const LEFT_BEHIND = 8;
const DEFERRAL_COVERS = 16;
const SEX_M = 32;
const SEX_F = 64;
const BIRTH_SEEN = 128; // some row gave a birth date …
const BIRTH_OTHER = 256; // … and some row's differs from the ID number's (the values are in rare.births)

const NONE = -1;
/** The value in rare.births that stands for "the birth date in the ID number". */
const BIRTH_OF_ID = '=';

interface DeferralFact {
  type: DeferralType;
  from: string;
  until?: string;
  covers: boolean;
  school: number;
}

/** Facts only a few children have, kept off the common columns. */
interface RareFacts {
  /** Normalised names other than the child's first, with the kinds (bits) whose rows wrote each. */
  names?: { norm: string; kinds: number }[];
  /** Every distinct birth date written, BIRTH_OF_ID for the ID number's own. */
  births?: string[];
  /** Enrollment schools beyond the child's first. */
  schools?: number[];
  deferrals?: DeferralFact[];
}

const SPACES = /[\s\u200B-\u200D\u2060\uFEFF]/g;
/** 姓名比对 — names compare without any whitespace (also full-width and zero-width spaces). */
export const comparableName = (name: string) => name.replace(SPACES, '');

const OUTCOMES = outcomeCodeSchema.options;
const OUTCOME_RANK = new Map<OutcomeCode, number>(OUTCOMES.map((o, i) => [o, i]));

function zeroCounts(): OutcomeCounts {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as OutcomeCounts;
}

function checkSettings(s: ComparisonSettings): void {
  const problems: string[] = [];
  if (!/^\d{6}$/.test(s.region)) problems.push(`region must be a 6-digit code, got "${s.region}"`);
  if (!isRealDate(s.asOf)) problems.push(`asOf must be a real YYYY-MM-DD date, got "${s.asOf}"`);
  // 02-29 is refused: a cut-off must exist every year.
  if (!/^\d{2}-\d{2}$/.test(s.entryCutoff) || !isRealDate(`2001-${s.entryCutoff}`)) {
    problems.push(`entryCutoff must be a month and day MM-DD that exists every year, got "${s.entryCutoff}"`);
  }
  if (!Number.isInteger(s.minAge) || !Number.isInteger(s.maxAge) || s.minAge < 0 || s.maxAge < s.minAge) {
    problems.push(
      `minAge and maxAge must be whole numbers with minAge ≤ maxAge, got ${s.minAge}, ${s.maxAge}`,
    );
  }
  if (problems.length) throw new RangeError(`Comparison settings: ${problems.join('; ')}`);
}

/**
 * 入学截止日 of the school year (学年) that `asOf` falls in. A school year starts in the autumn; a check from
 * August to December belongs to the year that starts then, one from January to July to the year that
 * started the autumn before — so a spring check (March) does not count the children who only start grade 1
 * in September as missing. For an autumn check this is `${year(asOf)}-${entryCutoff}`.
 */
export function entryCutoffDate(asOf: string, entryCutoff: string): string {
  const year = Number(asOf.slice(0, 4));
  const schoolYear = Number(asOf.slice(5, 7)) >= 8 ? year : year - 1;
  return `${schoolYear}-${entryCutoff}`;
}

/** The birth date written in an 18-character ID number. */
const birthOfId = (id: string) => `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;

const isSchoolCode = (org: string) => schoolCodeSchema.safeParse(org).success;
const isTownshipCode = (org: string) => townshipCodeSchema.safeParse(org).success;
const NO_SCHOOLS: readonly number[] = Object.freeze([]);

/**
 * Makes V8 flatten a string built by concatenation (a pseudonym built character by character is a chain
 * of some 30 string objects, ~700 bytes) before it is kept for the whole run; the GC then drops the chain.
 */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

/**
 * 脱敏 — the display mask of an 18-character ID (as maskIdNumber: first 4 and last 4 kept), built as one
 * flat string: a concatenation would keep three string objects per child alive.
 */
function maskId(id: string): string {
  return String.fromCharCode(
    id.charCodeAt(0),
    id.charCodeAt(1),
    id.charCodeAt(2),
    id.charCodeAt(3),
    42,
    42,
    42,
    42,
    42,
    42,
    42,
    42,
    42,
    42,
    id.charCodeAt(14),
    id.charCodeAt(15),
    id.charCodeAt(16),
    id.charCodeAt(17),
  );
}

/** True when `date` (YYYY-MM-DD) is the birth date inside `id`, without building a string per row. */
function isBirthOfId(date: string, id: string): boolean {
  if (date.length !== 10) return false;
  for (let i = 0; i < 4; i++) if (date.charCodeAt(i) !== id.charCodeAt(6 + i)) return false;
  return (
    date.charCodeAt(5) === id.charCodeAt(10) &&
    date.charCodeAt(6) === id.charCodeAt(11) &&
    date.charCodeAt(8) === id.charCodeAt(12) &&
    date.charCodeAt(9) === id.charCodeAt(13)
  );
}

/** Numbers each distinct text in the order first seen, so that a child's columns hold small integers. */
function interner(): { values: string[]; intern: (text: string) => number } {
  const values: string[] = [];
  const index = new Map<string, number>();
  const intern = (text: string) => {
    let x = index.get(text);
    if (x === undefined) {
      x = values.length;
      values.push(text);
      index.set(text, x);
    }
    return x;
  };
  return { values, intern };
}

function widenInt32(a: Int32Array<ArrayBuffer>, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size).fill(NONE);
  b.set(a);
  return b;
}
function widenUint16(a: Uint16Array<ArrayBuffer>, size: number): Uint16Array<ArrayBuffer> {
  const b = new Uint16Array(size);
  b.set(a);
  return b;
}
function widenUint8(a: Uint8Array<ArrayBuffer>, size: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(size);
  b.set(a);
  return b;
}

/** Creates one comparison run. */
export function createComparison(settings: ComparisonSettings): Comparison {
  checkSettings(settings);
  const { asOf, minAge, maxAge } = settings;
  const cutoff = entryCutoffDate(asOf, settings.entryCutoff);

  // ── the children: one index per ID number, facts in columns (no object per child for the GC to trace) ──
  const indexOf = new Map<string, number>();
  let size = 0;
  let capacity = 1024;
  const ids: string[] = [];
  const childKeys: string[] = [];
  /** Display name: from the best-ranked kind (household first), then the smallest. */
  const names: string[] = [];
  /** First normalised name seen; `nameKinds` are the kinds whose rows carried it. */
  const normNames: string[] = [];
  let nameRank = new Uint8Array(capacity);
  let nameKinds = new Uint8Array(capacity);
  let kinds = new Uint8Array(capacity);
  let bits = new Uint16Array(capacity);
  /** First enrollment school (interned index); any others are in rare.schools. */
  let school = new Int32Array(capacity).fill(NONE);
  /** Head-count school of a present (resp. not-present) row: the smallest school key. */
  let seenAt = new Int32Array(capacity).fill(NONE);
  let markedAt = new Int32Array(capacity).fill(NONE);
  /** Row that gave grade and class (kind rank, then upload id, then line: enrollment first). */
  let placeUK = new Int32Array(capacity).fill(NONE);
  let placeLine = new Int32Array(capacity).fill(NONE);
  let grade = new Int32Array(capacity).fill(NONE);
  let className = new Int32Array(capacity).fill(NONE);
  let town = new Int32Array(capacity).fill(NONE);
  let townRank = new Uint8Array(capacity);
  /** Head of the child's evidence list in the evidence arena. */
  let evHead = new Int32Array(capacity).fill(NONE);
  const rare = new Map<number, RareFacts>();
  const rareOf = (i: number) => {
    let r = rare.get(i);
    if (!r) {
      r = {};
      rare.set(i, r);
    }
    return r;
  };

  function grow(): void {
    capacity *= 2;
    nameRank = widenUint8(nameRank, capacity);
    nameKinds = widenUint8(nameKinds, capacity);
    kinds = widenUint8(kinds, capacity);
    bits = widenUint16(bits, capacity);
    school = widenInt32(school, capacity);
    seenAt = widenInt32(seenAt, capacity);
    markedAt = widenInt32(markedAt, capacity);
    placeUK = widenInt32(placeUK, capacity);
    placeLine = widenInt32(placeLine, capacity);
    grade = widenInt32(grade, capacity);
    className = widenInt32(className, capacity);
    town = widenInt32(town, capacity);
    townRank = widenUint8(townRank, capacity);
    evHead = widenInt32(evHead, capacity);
  }

  // ── evidence arena: (upload × 8 + kind, line, next) per row, a linked list per child ──
  let evCapacity = 4096;
  let evSize = 0;
  let evUK = new Int32Array(evCapacity);
  let evLine = new Int32Array(evCapacity);
  let evNext = new Int32Array(evCapacity);
  function addEvidence(i: number, uk: number, line: number): void {
    for (let at = evHead[i]!; at !== NONE; at = evNext[at]!) {
      if (evUK[at] === uk && evLine[at] === line) return; // a row delivered twice counts once
    }
    if (evSize === evCapacity) {
      evCapacity *= 2;
      evUK = widenInt32(evUK, evCapacity);
      evLine = widenInt32(evLine, evCapacity);
      evNext = widenInt32(evNext, evCapacity);
    }
    evUK[evSize] = uk;
    evLine[evSize] = line;
    evNext[evSize] = evHead[i]!;
    evHead[i] = evSize++;
  }

  // ── interned texts: uploads, schools (code or name), grades, classes, townships ──
  const { values: uploads, intern: internUploadId } = interner();
  let lastUpload = '';
  let lastUploadIndex = NONE;
  // Rows come in runs of one upload: the last one is answered without a map lookup.
  const internUpload = (id: string) => {
    if (id !== lastUpload) {
      lastUpload = id;
      lastUploadIndex = internUploadId(id);
    }
    return lastUploadIndex;
  };
  const { values: texts, intern: internText } = interner();
  /** School keys: a 10-digit code, or '#' + the name when a row gives no code. */
  const { values: schoolKeys, intern: internSchool } = interner();
  /** How often each name was written beside each code (the display name is the most frequent). */
  const namesOfCode = new Map<string, Map<string, number>>();
  /** Schools (raw index) that uploaded a head count. */
  const headcountSchools = new Set<number>();
  let residenceRows = 0;

  const orgIsSchool = new Map<string, boolean>();
  const orgIsTownship = new Map<string, boolean>();
  const cached = (cache: Map<string, boolean>, org: string, test: (o: string) => boolean) => {
    let v = cache.get(org);
    if (v === undefined) {
      v = test(org);
      cache.set(org, v);
    }
    return v;
  };

  /** A row's school: record.schoolCode, else the uploading org when it is a school, else schoolName. */
  function schoolOf(row: IntakeRow): number {
    const r = row.record;
    const name = typeof r.schoolName === 'string' ? r.schoolName : undefined;
    let code = typeof r.schoolCode === 'string' ? r.schoolCode : undefined;
    if (!code && cached(orgIsSchool, row.org, isSchoolCode)) code = row.org;
    if (code) {
      if (name) {
        let counts = namesOfCode.get(code);
        if (!counts) {
          counts = new Map();
          namesOfCode.set(code, counts);
        }
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      return internSchool(code);
    }
    return name ? internSchool(`#${name}`) : NONE;
  }

  /** Orders two evidence rows: kind rank, then upload id, then line. */
  function compareRows(ukA: number, lineA: number, ukB: number, lineB: number): number {
    const ka = ukA & 7;
    const kb = ukB & 7;
    if (ka !== kb) return ka - kb;
    const ua = uploads[ukA >> 3]!;
    const ub = uploads[ukB >> 3]!;
    if (ua !== ub) return ua < ub ? -1 : 1;
    return lineA - lineB;
  }

  /** The smaller of two school indexes by key, so that the choice does not depend on arrival order. */
  const minSchool = (a: number, b: number) =>
    a === NONE ? b : b === NONE ? a : schoolKeys[a]! <= schoolKeys[b]! ? a : b;

  function add(row: IntakeRow): void {
    const kindIndex = KIND_INDEX.get(row.kind);
    if (kindIndex === undefined) return; // attendance belongs to the cases service's daily rule
    const kindBit = 1 << kindIndex;
    const r = row.record;
    const name = typeof r.name === 'string' ? r.name : '';
    let i = indexOf.get(row.idNumber);
    if (i === undefined) {
      i = size++;
      if (i === capacity) grow();
      indexOf.set(row.idNumber, i);
      ids.push(flat(row.idNumber));
      childKeys.push(flat(row.childKey));
      names.push(flat(name));
      normNames.push(comparableName(name));
      nameRank[i] = kindIndex;
    }

    const uk = internUpload(row.uploadId) * 8 + kindIndex;
    addEvidence(i, uk, row.line);
    kinds[i]! |= kindBit;
    if (kindBit & RESIDENCE) residenceRows++;

    // Identity: name, birth date, sex.
    if (name !== '') {
      const current = names[i]!;
      if (current === '' || kindIndex < nameRank[i]! || (kindIndex === nameRank[i] && name < current)) {
        names[i] = name;
        nameRank[i] = kindIndex;
      }
      const norm = comparableName(name);
      if (norm === normNames[i] || normNames[i] === '') {
        normNames[i] = norm;
        nameKinds[i]! |= kindBit;
      } else {
        const facts = rareOf(i);
        facts.names ??= [];
        const variants = facts.names;
        const known = variants.find((n) => n.norm === norm);
        if (known) known.kinds |= kindBit;
        else variants.push({ norm, kinds: kindBit });
      }
    }
    if (typeof r.birthDate === 'string') {
      const same = isBirthOfId(r.birthDate, row.idNumber);
      const b = bits[i]!;
      if (!same || b & BIRTH_OTHER) {
        const facts = rareOf(i);
        facts.births ??= b & BIRTH_SEEN && !(b & BIRTH_OTHER) ? [BIRTH_OF_ID] : [];
        const births = facts.births;
        const value = same ? BIRTH_OF_ID : r.birthDate;
        if (!births.includes(value)) births.push(value);
        bits[i] = b | BIRTH_OTHER;
      }
      bits[i]! |= BIRTH_SEEN;
    }
    if (r.sex === 'M') bits[i]! |= SEX_M;
    else if (r.sex === 'F') bits[i]! |= SEX_F;

    // Township: a household row's 9/12-digit region code first, else a township that uploaded the row.
    let townCode: string | undefined;
    let rank = 2;
    if (kindBit === K_HOUSEHOLD && typeof r.regionCode === 'string' && r.regionCode.length >= 9) {
      townCode = r.regionCode.slice(0, 9);
      rank = 0;
    } else if (cached(orgIsTownship, row.org, isTownshipCode)) {
      townCode = row.org;
      rank = 1;
    }
    if (townCode !== undefined) {
      const t = town[i]!;
      if (t === NONE || rank < townRank[i]! || (rank === townRank[i] && townCode < texts[t]!)) {
        town[i] = internText(townCode);
        townRank[i] = rank;
      }
    }

    // The kind's own facts.
    switch (row.kind) {
      case 'enrollment': {
        const s = schoolOf(row);
        const first = school[i]!;
        if (s === NONE) {
          // An enrollment row that names no school still says "enrolled" (kinds); it adds no school.
        } else if (first === NONE) school[i] = s;
        else if (first !== s) {
          const facts = rareOf(i);
          facts.schools ??= [];
          const schools = facts.schools;
          if (!schools.includes(s)) schools.push(s);
        }
        if (r.boarding === true) bits[i]! |= BOARDING;
        placeFrom(i, r, uk, row.line);
        break;
      }
      case 'headcount': {
        const s = schoolOf(row);
        if (s !== NONE) headcountSchools.add(s);
        if (r.present === true) {
          bits[i]! |= PRESENT;
          seenAt[i] = minSchool(seenAt[i]!, s);
        } else if (r.present === false) {
          bits[i]! |= ABSENT_MARKED;
          markedAt[i] = minSchool(markedAt[i]!, s);
        }
        placeFrom(i, r, uk, row.line);
        break;
      }
      case 'deferral': {
        const s = schoolOf(row);
        const from = typeof r.from === 'string' ? r.from : '';
        const until = typeof r.until === 'string' ? r.until : undefined;
        const type: DeferralType = r.type === 'SUSPENDED' ? 'SUSPENDED' : 'DEFERRED';
        const covers = from !== '' && from <= asOf && (until === undefined || asOf <= until);
        if (covers) bits[i]! |= DEFERRAL_COVERS;
        const facts = rareOf(i);
        facts.deferrals ??= [];
        const list = facts.deferrals;
        if (!list.some((d) => d.type === type && d.from === from && d.until === until && d.school === s)) {
          list.push({ type, from, until, covers, school: s });
        }
        placeFrom(i, r, uk, row.line);
        break;
      }
      case 'assistance':
        if (r.category === 'LEFT_BEHIND') bits[i]! |= LEFT_BEHIND;
        break;
    }
  }

  function placeFrom(i: number, r: Record<string, unknown>, uk: number, line: number): void {
    if (typeof r.grade !== 'string' && typeof r.className !== 'string') return;
    if (placeUK[i] !== NONE && compareRows(uk, line, placeUK[i]!, placeLine[i]!) >= 0) return;
    placeUK[i] = uk;
    placeLine[i] = line;
    grade[i] = typeof r.grade === 'string' ? internText(r.grade) : NONE;
    className[i] = typeof r.className === 'string' ? internText(r.className) : NONE;
  }

  function finish(): ComparisonOutcome {
    // Schools: a name-only key that was written beside exactly one code is that school.
    const codesOfName = new Map<string, Set<string>>();
    for (const [code, counts] of namesOfCode) {
      for (const name of counts.keys()) {
        let codes = codesOfName.get(name);
        if (!codes) {
          codes = new Set();
          codesOfName.set(name, codes);
        }
        codes.add(code);
      }
    }
    const canonical = schoolKeys.map((key, x) => {
      if (!key.startsWith('#')) return x;
      const codes = codesOfName.get(key.slice(1));
      return codes?.size === 1 ? internSchool([...codes][0]!) : x;
    });
    const canon = (s: number) => (s === NONE ? NONE : canonical[s]!);
    const labels = schoolKeys.map((key): SchoolLabel => {
      if (key.startsWith('#')) return { name: key.slice(1) };
      const counts = namesOfCode.get(key);
      if (!counts) return { code: key };
      let best = '';
      let bestCount = 0;
      for (const [name, n] of counts) {
        if (n > bestCount || (n === bestCount && name < best)) {
          best = name;
          bestCount = n;
        }
      }
      return { code: key, name: best };
    });
    const label = (s: number) => (s === NONE ? undefined : labels[s]);
    const withHeadcount = new Set([...headcountSchools].map(canon));
    const byKey = (a: number, b: number) => (schoolKeys[a]! < schoolKeys[b]! ? -1 : 1);

    // Birth dates and the age window: one string and one ageOn per distinct birth date.
    const births = new Map<number, { date: string; inWindow: boolean }>();
    const birthOf = (id: string) => {
      let key = 0;
      for (let c = 6; c < 14; c++) key = key * 10 + id.charCodeAt(c) - 48;
      let known = births.get(key);
      if (!known) {
        const date = birthOfId(id);
        known = {
          date,
          inWindow:
            date <= cutoff && date <= asOf && ageOn(date, cutoff) >= minAge && ageOn(date, asOf) <= maxAge,
        };
        births.set(key, known);
      }
      return known;
    };

    const counts: ComparisonCounts = { ...zeroCounts(), outOfWindow: 0, presenceUnchecked: 0 };
    const flagLists = new Map<number, readonly ChildFlag[]>();
    const flagsOf = (mask: number) => {
      let list = flagLists.get(mask);
      if (!list) {
        list = Object.freeze(CHILD_FLAGS.filter((_, f) => mask & (1 << f)));
        flagLists.set(mask, list);
      }
      return list;
    };
    /** Reasons that only name the school are shared by all the children they explain. */
    const sharedReasons = new Map<number, readonly Reason[]>();
    const rowOrder: number[] = [];
    const evidenceOf = (i: number): Evidence[] => {
      rowOrder.length = 0;
      for (let at = evHead[i]!; at !== NONE; at = evNext[at]!) rowOrder.push(at);
      if (rowOrder.length > 1)
        rowOrder.sort((a, b) => compareRows(evUK[a]!, evLine[a]!, evUK[b]!, evLine[b]!));
      const list = new Array<Evidence>(rowOrder.length);
      for (let n = 0; n < rowOrder.length; n++) {
        const at = rowOrder[n]!;
        list[n] = { kind: KINDS[evUK[at]! & 7]!, uploadId: uploads[evUK[at]! >> 3]!, line: evLine[at]! };
      }
      return list;
    };

    /** What the presence rules found for a child, as sentences (the base outcome's reasons). */
    interface Found {
      base: OutcomeCode;
      schools: readonly number[];
      present: boolean;
      absentMarked: boolean;
      seen: number;
      marked: number;
      residence: number;
    }
    function baseReasons(f: Found): Reason[] {
      const own = label(f.schools[0] ?? NONE);
      const isOwn = (s: number) => s === NONE || f.schools.length === 0 || f.schools.includes(s);
      switch (f.base) {
        case 'CONSISTENT':
          if (!f.present) return [reasons.presenceUnchecked(own)];
          return isOwn(f.seen)
            ? [reasons.presentAtOwnSchool(own)]
            : [reasons.presentElsewhere(own, label(f.seen))];
        case 'ENROLLED_ABSENT':
          return f.absentMarked
            ? [reasons.markedAbsent(own, label(f.marked), isOwn(f.marked))]
            : [reasons.notOnHeadcount(own)];
        case 'PRESENT_UNENROLLED':
          return [reasons.presentUnenrolled(label(f.seen))];
        default: {
          const list: Reason[] = [];
          const residence = f.residence;
          if (residence) list.push(reasons.notEnrolledResident(KINDS.filter((k) => residence & bit(k))));
          if (f.absentMarked) list.push(reasons.notEnrolledMarkedAbsent(label(f.marked)));
          if (list.length === 0) list.push(reasons.notEnrolledOther());
          return list;
        }
      }
    }

    /** The reasons of a child with more to say than the presence rules: identity, schools, deferrals. */
    function fullReasons(
      i: number,
      f: Found,
      outcome: OutcomeCode,
      facts: RareFacts | undefined,
      deferrals: readonly DeferralFact[] | undefined,
      covering: DeferralFact | undefined,
      migrant: boolean,
      birthDate: string,
    ): Reason[] {
      const list: Reason[] = [];
      if (outcome === 'IDENTITY_MISMATCH') {
        const variants = facts?.names;
        if (variants?.length) {
          const all = [{ norm: normNames[i]!, kinds: nameKinds[i]! }, ...variants]
            .map((v) => ({
              name: v.norm,
              kinds: KINDS.filter((k) => v.kinds & bit(k)),
              first: v.kinds & -v.kinds,
            }))
            .sort((x, y) => x.first - y.first || (x.name < y.name ? -1 : 1));
          list.push(reasons.namesDiffer(all));
        }
        if (facts?.births && facts.births.length > 1) {
          list.push(
            reasons.birthDatesDiffer(facts.births.map((v) => (v === BIRTH_OF_ID ? birthDate : v)).sort()),
          );
        }
        if (bits[i]! & SEX_M && bits[i]! & SEX_F) list.push(reasons.sexesDiffer());
      }
      if (outcome === 'DUPLICATE_ENROLLMENT') list.push(reasons.duplicateEnrollment(f.schools.map(label)));
      if (outcome === 'DEFERRED' && covering) {
        list.push(reasons.deferralCovers(covering.type, covering.from, covering.until, asOf));
      }
      // Under a deferral, "verify whether deferred" would contradict the verdict.
      if (outcome !== 'DEFERRED' || f.base !== 'NOT_ENROLLED') list.push(...baseReasons(f));
      if (!covering)
        for (const d of deferrals ?? []) list.push(reasons.deferralLapsed(d.type, d.from, d.until, asOf));
      if (migrant) list.push(reasons.migrant());
      return list;
    }

    /** The verdict for one child (precedence: identity, duplicate enrollment, deferral, then presence). */
    function classifyChild(i: number, birthDate: string): { result: ChildResult; school: number } {
      const facts = rare.get(i);
      const id = ids[i]!;
      const kindBits = kinds[i]!;
      const b = bits[i]!;
      const enrolled = (kindBits & K_ENROLLMENT) !== 0;
      const first = canon(school[i]!);
      let schools: readonly number[];
      if (facts?.schools) schools = [...new Set([first, ...facts.schools.map(canon)])].sort(byKey);
      else schools = first === NONE ? NO_SCHOOLS : [first];
      const present = (b & PRESENT) !== 0;
      const absentMarked = !present && (b & ABSENT_MARKED) !== 0;
      let absentOmitted = false;
      if (!present && !absentMarked && enrolled)
        for (const s of schools) if (withHeadcount.has(s)) absentOmitted = true;
      const presenceChecked = present || absentMarked || absentOmitted;
      const seen = canon(seenAt[i]!);
      const marked = canon(markedAt[i]!);
      const residence = kindBits & RESIDENCE;
      const migrant = (enrolled || present) && residence === 0 && residenceRows > 0;
      const deferrals = facts?.deferrals
        ? [...facts.deferrals].sort((x, y) =>
            x.from !== y.from ? (x.from < y.from ? -1 : 1) : (x.until ?? '~') < (y.until ?? '~') ? -1 : 1,
          )
        : undefined;
      const covering = deferrals?.find((d) => d.covers);

      // The school a clerk acts at: enrolled, else where the head count saw the child, else the deferral's.
      let at = schools[0] ?? NONE;
      if (at === NONE) at = seen !== NONE ? seen : marked;
      if (at === NONE && deferrals) at = canon((covering ?? deferrals[0]!).school);

      const identity = Boolean(
        facts?.names?.length || (facts?.births && facts.births.length > 1) || (b & SEX_M && b & SEX_F),
      );
      let base: OutcomeCode;
      if (enrolled) base = absentMarked || absentOmitted ? 'ENROLLED_ABSENT' : 'CONSISTENT';
      else base = present ? 'PRESENT_UNENROLLED' : 'NOT_ENROLLED';
      const outcome: OutcomeCode = identity
        ? 'IDENTITY_MISMATCH'
        : schools.length >= 2
          ? 'DUPLICATE_ENROLLMENT'
          : covering
            ? 'DEFERRED'
            : base;

      // Most children's reasons name only their school: those are built once per school and shared.
      let shareKey = NONE;
      if (!facts && !migrant && outcome === base) {
        const own = schools[0] ?? NONE;
        const seenOwn = seen === NONE || own === NONE || seen === own;
        const markedOwn = marked === NONE || own === NONE || marked === own;
        if (base === 'CONSISTENT' && (!present || seenOwn)) shareKey = present ? 0 : 1;
        else if (base === 'ENROLLED_ABSENT' && (!absentMarked || markedOwn)) shareKey = absentMarked ? 2 : 3;
        if (shareKey !== NONE) shareKey += (own + 1) * 8;
        else if (base === 'NOT_ENROLLED' && !absentMarked) shareKey = -8 - residence;
      }
      let why = shareKey === NONE ? undefined : sharedReasons.get(shareKey);
      if (!why) {
        const found: Found = { base, schools, present, absentMarked, seen, marked, residence };
        if (shareKey === NONE) {
          why = fullReasons(i, found, outcome, facts, deferrals, covering, migrant, birthDate);
        } else {
          why = Object.freeze(baseReasons(found).map((r) => Object.freeze(r)));
          sharedReasons.set(shareKey, why);
        }
      }

      let flagMask = 0;
      if (kindBits & K_POVERTY) flagMask |= 1;
      if (kindBits & K_DISABILITY) flagMask |= 2;
      if (b & LEFT_BEHIND) flagMask |= 4;
      if (migrant) flagMask |= 8;
      if (b & BOARDING) flagMask |= 16;

      const where = label(at);
      const result: ChildResult = {
        idNumber: id,
        maskedId: maskId(id),
        childKey: childKeys[i]!,
        name: names[i]!,
        sex: id.charCodeAt(16) & 1 ? 'M' : 'F',
        birthDate,
        outcome,
        flags: flagsOf(flagMask),
        school: where?.code,
        schoolName: where?.name,
        township: town[i] === NONE ? undefined : texts[town[i]!],
        grade: grade[i] === NONE ? undefined : texts[grade[i]!],
        className: className[i] === NONE ? undefined : texts[className[i]!],
        presenceChecked,
        evidence: evidenceOf(i),
        reasons: why,
      };
      return { result, school: at };
    }

    // Classify into buckets by (school, outcome), then order: schools by code, name-only schools by
    // name, children without a school last; within a bucket by ID number.
    indexOf.clear();
    const bucketOf = new Map<number, { school: number; outcome: OutcomeCode; results: ChildResult[] }>();
    for (let i = 0; i < size; i++) {
      const birth = birthOf(ids[i]!);
      if (!birth.inWindow) {
        counts.outOfWindow++;
        continue;
      }
      const { result, school: at } = classifyChild(i, birth.date);
      counts[result.outcome]++;
      if (result.outcome === 'CONSISTENT' && !result.presenceChecked) counts.presenceUnchecked++;
      const key = (at + 1) * OUTCOMES.length + OUTCOME_RANK.get(result.outcome)!;
      let bucket = bucketOf.get(key);
      if (!bucket) {
        bucket = { school: at, outcome: result.outcome, results: [] };
        bucketOf.set(key, bucket);
      }
      bucket.results.push(result);
    }
    const schoolOrder = (a: number, b: number) => {
      if (a === b) return 0;
      if (a === NONE || b === NONE) return a === NONE ? 1 : -1;
      const ka = schoolKeys[a]!;
      const kb = schoolKeys[b]!;
      const na = ka.startsWith('#');
      if (na !== kb.startsWith('#')) return na ? 1 : -1;
      return ka < kb ? -1 : 1;
    };
    const buckets = [...bucketOf.values()].sort(
      (x, y) =>
        schoolOrder(x.school, y.school) || OUTCOME_RANK.get(x.outcome)! - OUTCOME_RANK.get(y.outcome)!,
    );
    bucketOf.clear();
    const results: ChildResult[] = [];
    const bySchool: SchoolCounts[] = [];
    for (const bucket of buckets) {
      let last = bySchool[bySchool.length - 1];
      const key = bucket.school === NONE ? '' : schoolKeys[bucket.school]!.replace(/^#/, '');
      if (!last || last.school !== key) {
        last = { school: key, schoolName: label(bucket.school)?.name, counts: zeroCounts() };
        bySchool.push(last);
      }
      last.counts[bucket.outcome] += bucket.results.length;
      bucket.results.sort((x, y) => (x.idNumber < y.idNumber ? -1 : x.idNumber > y.idNumber ? 1 : 0));
      for (const r of bucket.results) results.push(r);
      bucket.results = [];
    }
    return { results, counts, bySchool };
  }

  return { add, finish };
}
