/**
 * 比对说明 — the short bilingual sentences that say why a child got an outcome. Clerks read them in the
 * export and act on them, so each names the school and the roster that decided, never a full ID number.
 */
import type { RosterKind } from '../../../shared/roster-kind';
import { ROSTER_KIND_NAMES_ZH } from '../../../shared/roster-kind';
import { DEFERRAL_TYPE_NAMES_ZH, type DeferralType } from '../../../shared/rosters/records';

/** One sentence in Chinese and English. */
export interface Reason {
  readonly zh: string;
  readonly en: string;
}

/** A school as a reason names it: its name when known, else its code. */
export interface SchoolLabel {
  code?: string;
  name?: string;
}

const KIND_NAMES_EN: Record<RosterKind, string> = {
  household: 'household',
  enrollment: 'enrollment',
  headcount: 'head count',
  attendance: 'attendance',
  poverty: 'poverty / monitoring',
  assistance: 'assistance',
  disability: 'disability',
  deferral: 'deferral',
};

/** A deferral's period: '2025-09-01 至 2026-01-15', or '2025-09-01 起' when it has no end. */
function deferralSpan(from: string, until: string | undefined): Reason {
  return until
    ? { zh: `${from} 至 ${until}`, en: `${from} to ${until}` }
    : { zh: `${from} 起`, en: `from ${from}` };
}

const DEFERRAL_TYPE_NAMES_EN: Record<DeferralType, string> = {
  DEFERRED: 'deferred entry',
  SUSPENDED: 'suspension of study',
};

function school(s: SchoolLabel | undefined): Reason {
  if (s?.name) return { zh: s.name, en: s.name };
  if (s?.code) return { zh: `学校 ${s.code}`, en: `school ${s.code}` };
  return { zh: '未注明的学校', en: 'a school the roster does not name' };
}

function kinds(list: readonly RosterKind[]): Reason {
  return {
    zh: list.map((k) => ROSTER_KIND_NAMES_ZH[k]).join('、'),
    en: list.map((k) => KIND_NAMES_EN[k]).join(', '),
  };
}

export const reasons = {
  presentAtOwnSchool(at: SchoolLabel | undefined): Reason {
    const s = school(at);
    return {
      zh: `学籍在${s.zh}，在校清点名单标为在校`,
      en: `Enrolled at ${s.en} and marked present in the head count`,
    };
  },

  presentElsewhere(at: SchoolLabel | undefined, seen: SchoolLabel | undefined): Reason {
    const s = school(at);
    const p = school(seen);
    return {
      zh: `学籍在${s.zh}，在${p.zh}的在校清点名单中标为在校：请核实是否转学未转学籍`,
      en: `Enrolled at ${s.en}, marked present in the head count of ${p.en}: check for a transfer without its enrollment record`,
    };
  },

  presenceUnchecked(at: SchoolLabel | undefined): Reason {
    const s = school(at);
    return {
      zh: `学籍在${s.zh}；该校未上传在校清点名单，未核对是否在校`,
      en: `Enrolled at ${s.en}; the school uploaded no head count, so presence was not checked`,
    };
  },

  markedAbsent(at: SchoolLabel | undefined, marked: SchoolLabel | undefined, sameSchool: boolean): Reason {
    const s = school(at);
    if (sameSchool) {
      return {
        zh: `学籍在${s.zh}，在校清点名单标为未到校`,
        en: `Enrolled at ${s.en}, marked not present in the head count`,
      };
    }
    const m = school(marked);
    return {
      zh: `学籍在${s.zh}，在${m.zh}的在校清点名单中标为未到校`,
      en: `Enrolled at ${s.en}, marked not present in the head count of ${m.en}`,
    };
  },

  notOnHeadcount(at: SchoolLabel | undefined): Reason {
    const s = school(at);
    return {
      zh: `学籍在${s.zh}，但不在该校的在校清点名单上`,
      en: `Enrolled at ${s.en}, but not on the school's head count`,
    };
  },

  presentUnenrolled(seen: SchoolLabel | undefined): Reason {
    const p = school(seen);
    return {
      zh: `在${p.zh}的在校清点名单中标为在校，但上传的学籍名单中没有该生：需办理学籍（人籍分离）`,
      en: `Marked present in the head count of ${p.en}, but in no uploaded enrollment roster: the school must register the pupil`,
    };
  },

  notEnrolledResident(sources: readonly RosterKind[]): Reason {
    const k = kinds(sources);
    return {
      zh: `见于${k.zh}名单，已到义务教育年龄，但上传的学籍名单中没有该生，也无在校记录：需核实是否异地就读、缓学或失学`,
      en: `In the ${k.en} roster(s) and of compulsory age, but in no uploaded enrollment roster and not present in any head count: verify whether the child studies elsewhere, is deferred or is out of school`,
    };
  },

  notEnrolledMarkedAbsent(marked: SchoolLabel | undefined): Reason {
    const m = school(marked);
    return {
      zh: `在${m.zh}的在校清点名单中标为未到校，且上传的学籍名单中没有该生`,
      en: `Marked not present in the head count of ${m.en}, and in no uploaded enrollment roster`,
    };
  },

  notEnrolledOther(): Reason {
    return {
      zh: '上传的学籍名单中没有该生，也无在校记录',
      en: 'In no uploaded enrollment roster and not present in any head count',
    };
  },

  deferralCovers(type: DeferralType, from: string, until: string | undefined, asOf: string): Reason {
    const span = deferralSpan(from, until);
    return {
      zh: `已批准${DEFERRAL_TYPE_NAMES_ZH[type]}（${span.zh}），比对日 ${asOf} 在期限内`,
      en: `An approved ${DEFERRAL_TYPE_NAMES_EN[type]} (${span.en}) covers the check date ${asOf}`,
    };
  },

  deferralLapsed(type: DeferralType, from: string, until: string | undefined, asOf: string): Reason {
    const span = deferralSpan(from, until);
    return {
      zh: `${DEFERRAL_TYPE_NAMES_ZH[type]}期限（${span.zh}）不含比对日 ${asOf}`,
      en: `The ${DEFERRAL_TYPE_NAMES_EN[type]} (${span.en}) does not cover the check date ${asOf}`,
    };
  },

  duplicateEnrollment(schools: readonly (SchoolLabel | undefined)[]): Reason {
    const labels = schools.map(school);
    return {
      zh: `在 ${schools.length} 所学校都有学籍：${labels.map((l) => l.zh).join('、')}`,
      en: `Enrolled at ${schools.length} schools: ${labels.map((l) => l.en).join('; ')}`,
    };
  },

  namesDiffer(variants: readonly { name: string; kinds: readonly RosterKind[] }[]): Reason {
    return {
      zh: `同一身份证号在不同名单中姓名不一致：${variants.map((v) => `${kinds(v.kinds).zh}为“${v.name}”`).join('；')}`,
      en: `The same ID number carries different names: ${variants.map((v) => `${kinds(v.kinds).en} "${v.name}"`).join('; ')}`,
    };
  },

  birthDatesDiffer(dates: readonly string[]): Reason {
    return {
      zh: `同一身份证号在不同名单中出生日期不一致：${dates.join('、')}`,
      en: `The same ID number carries different birth dates: ${dates.join(', ')}`,
    };
  },

  sexesDiffer(): Reason {
    return {
      zh: '同一身份证号在不同名单中性别不一致',
      en: 'The same ID number carries a different sex in different rosters',
    };
  },

  migrant(): Reason {
    return {
      zh: '不在本地区户籍等名单中：户籍在外地（随迁子女）',
      en: "Not in the region's household or other residence rosters: registered elsewhere (migrant child)",
    };
  },
};
