/**
 * 测算说明 — the bilingual sentences that say why a child got a decision: the rule (a policy group, read
 * back from its condition), the roster rows that carried a category, and why a payment is held. Clerks
 * read them on the payment list and act on them, so they name schools, never a full ID number.
 */
import type { Reason } from '../../../shared/events/envelope';
import { OUTCOME_NAMES_ZH, type OutcomeCode } from '../../../shared/events/vocab';
import { fenToYuan } from './money';
import {
  type Benefit,
  type Bilingual,
  CATEGORY_NAMES,
  type Condition,
  type Policy,
  type PolicyCategory,
  type PolicyGroup,
  STAGE_NAMES,
} from './policy';

export type { Reason } from '../../../shared/events/envelope';

/** A school as a sentence names it: its name when known, else its code. */
export interface SchoolLabel {
  code?: string;
  name?: string;
}

function schoolText(s: SchoolLabel | undefined): Bilingual {
  if (s?.name) return { zh: s.name, en: s.name };
  if (s?.code) return { zh: `学校 ${s.code}`, en: `school ${s.code}` };
  return { zh: '未注明的学校', en: 'an unnamed school' };
}

function categoriesText(list: readonly PolicyCategory[], joinZh: string, joinEn: string): Bilingual {
  return {
    zh: list.map((c) => CATEGORY_NAMES[c].zh).join(joinZh),
    en: list.map((c) => CATEGORY_NAMES[c].en).join(joinEn),
  };
}

/**
 * Reads a condition back as words: '小学学生 且 住校 且 家庭经济困难'; with `detail`, the hardship categories
 * are listed too.
 */
export function describeCondition(
  c: Condition | undefined,
  policy: Pick<Policy, 'hardshipCategories'>,
  detail = false,
): Bilingual {
  if (!c) return { zh: '所有在籍学生', en: 'every enrolled pupil' };
  const nested = (parts: Condition[], zh: string, en: string): Bilingual => {
    const texts = parts.map((p) => {
      const t = describeCondition(p, policy, detail);
      return p.all || p.any ? { zh: `（${t.zh}）`, en: `(${t.en})` } : t;
    });
    return { zh: texts.map((t) => t.zh).join(zh), en: texts.map((t) => t.en).join(en) };
  };
  if (c.all) return nested(c.all, ' 且 ', ' and ');
  if (c.any) return nested(c.any, ' 或 ', ' or ');
  if (c.stage) return { zh: `${STAGE_NAMES[c.stage].zh}学生`, en: `${STAGE_NAMES[c.stage].en} pupil` };
  if (c.boarding !== undefined)
    return c.boarding ? { zh: '住校', en: 'boarding' } : { zh: '走读', en: 'day pupil' };
  if (c.rural !== undefined) {
    return c.rural
      ? { zh: '在农村学校就读', en: 'at a rural school' }
      : { zh: '在城镇学校就读', en: 'at an urban school' };
  }
  if (c.hardship) {
    if (!detail) return { zh: '家庭经济困难', en: 'from a family in economic difficulty' };
    const list = categoriesText(policy.hardshipCategories, '、', ', ');
    return { zh: `家庭经济困难（${list.zh}之一）`, en: `from a family in economic difficulty (${list.en})` };
  }
  if (c.category) return CATEGORY_NAMES[c.category];
  if (c.anyCategory) return categoriesText(c.anyCategory, '或', ' or ');
  return { zh: '（空条件）', en: '(empty condition)' };
}

/** A group as the reason names it: its own name, else its condition read back. */
export function groupLabel(group: PolicyGroup, policy: Policy): Bilingual {
  const described = describeCondition(group.when, policy);
  return { zh: group.name?.zh ?? described.zh, en: group.name?.en ?? described.en };
}

export const benefitName = (b: Pick<Benefit, 'code' | 'name'>): Bilingual => ({
  zh: b.name.zh,
  en: b.name.en ?? b.code,
});

const amountText = (benefit: Benefit, fen: number): Bilingual =>
  benefit.payment === 'IN_KIND'
    ? { zh: '（免除或实物）', en: '(waiver or in kind)' }
    : { zh: `，本学期 ${fenToYuan(fen)} 元`, en: `: ${fenToYuan(fen)} yuan this semester` };

/** The fact names used in "missing" sentences. */
export const FACT_TEXT = {
  stage: { zh: '学段（年级）', en: 'school stage (grade)' },
  boarding: { zh: '就读方式（住校/走读）', en: 'boarding or day pupil' },
  rural: { zh: '学校是否为农村学校', en: 'whether the school is rural' },
} as const satisfies Record<string, Bilingual>;
export type FactName = keyof typeof FACT_TEXT;

/** The outcomes of 四查三比对 that hold a payment: the child is not (known to be) in the seat paid for. */
export const HOLD_OUTCOMES = [
  'ENROLLED_ABSENT',
  'NOT_ENROLLED',
  'PRESENT_UNENROLLED',
  'DEFERRED',
  'DUPLICATE_ENROLLMENT',
] as const satisfies readonly OutcomeCode[];
export type HoldOutcome = (typeof HOLD_OUTCOMES)[number];

export const subsidyReasons = {
  eligible(benefit: Benefit, group: PolicyGroup, policy: Policy): Reason {
    const g = groupLabel(group, policy);
    const a = amountText(benefit, group.amountFen);
    return { code: 'ELIGIBLE', zh: `符合“${g.zh}”${a.zh}`, en: `Qualifies as "${g.en}"${a.en}` };
  },

  ineligible(benefit: Benefit, policy: Policy): Reason {
    const groups = benefit.groups.map((g) => groupLabel(g, policy));
    const b = benefitName(benefit);
    return {
      code: 'NOT_IN_ANY_GROUP',
      zh: `不符合${b.zh}的条件（${groups.map((g) => g.zh).join('；或 ')}）`,
      en: `Not eligible for ${b.en} (needs: ${groups.map((g) => g.en).join('; or ')})`,
    };
  },

  factUnknown(facts: readonly FactName[], conflicting: readonly FactName[]): Reason {
    const missing = facts.filter((f) => !conflicting.includes(f));
    const parts: Bilingual[] = [];
    if (missing.length) {
      parts.push({
        zh: `学籍未注明${missing.map((f) => FACT_TEXT[f].zh).join('、')}`,
        en: `the enrollment roster does not say ${missing.map((f) => FACT_TEXT[f].en).join(', ')}`,
      });
    }
    if (conflicting.length) {
      parts.push({
        zh: `学籍各行的${conflicting.map((f) => FACT_TEXT[f].zh).join('、')}互相矛盾`,
        en: `enrollment rows disagree on ${conflicting.map((f) => FACT_TEXT[f].en).join(', ')}`,
      });
    }
    // Where the missing fact is kept decides what to fix: 学段 and 住校 in 学籍, 城乡 in the school list.
    const fix = facts.includes('rural')
      ? {
          zh: '请补全学籍或在学校名单中注明是否农村学校后重新测算',
          en: 'complete the roster or mark rural schools in the school list, then run again',
        }
      : { zh: '请补全学籍后重新测算', en: 'complete the enrollment roster and run again' };
    return {
      code: 'FACT_UNKNOWN',
      zh: `${parts.map((p) => p.zh).join('，')}，无法判定：${fix.zh}`,
      en: `${parts.map((p) => p.en).join('; ')}: cannot decide — ${fix.en}`,
    };
  },

  alsoMatched(group: PolicyGroup, policy: Policy): Reason {
    const g = groupLabel(group, policy);
    return {
      code: 'ALSO_MATCHED',
      zh: `也符合“${g.zh}”（${fenToYuan(group.amountFen)} 元），同一项目只发一次`,
      en: `Also qualifies as "${g.en}" (${fenToYuan(group.amountFen)} yuan); a benefit is paid once`,
    };
  },

  notChecked(group: PolicyGroup, policy: Policy, facts: readonly FactName[]): Reason {
    const g = groupLabel(group, policy);
    return {
      code: 'GROUP_NOT_CHECKED',
      zh: `未能核对是否符合“${g.zh}”（${fenToYuan(group.amountFen)} 元）：缺少${facts.map((f) => FACT_TEXT[f].zh).join('、')}`,
      en: `Could not check "${g.en}" (${fenToYuan(group.amountFen)} yuan): ${facts.map((f) => FACT_TEXT[f].en).join(', ')} unknown`,
    };
  },

  transferred(
    payer: SchoolLabel | undefined,
    current: SchoolLabel | undefined,
    benefit: Benefit,
    fen: number,
  ): Reason {
    const p = schoolText(payer);
    const c = schoolText(current);
    const a = amountText(benefit, fen);
    return {
      code: 'PAID_BY_PREVIOUS_SCHOOL',
      zh: `本学期已由${p.zh}核定${a.zh.replace(/^，/, '：')}；学生现在${c.zh}，转入学校不重复发放`,
      en: `Decided for this semester by ${p.en}${a.en}; the pupil is now at ${c.en}, which does not pay again`,
    };
  },

  heldByOutcome(outcome: HoldOutcome): Reason {
    const en: Record<HoldOutcome, string> = {
      ENROLLED_ABSENT: 'enrolled but not at school (suspected dropout)',
      NOT_ENROLLED: 'neither enrolled nor at school here',
      PRESENT_UNENROLLED: 'at school without an enrollment record here',
      DEFERRED: 'deferred or suspended (缓学/休学)',
      DUPLICATE_ENROLLMENT: 'enrolled at more than one school',
    };
    return {
      code: `COMPARISON_${outcome}`,
      zh: `四查三比对结果为“${OUTCOME_NAMES_ZH[outcome]}”：核实在校前暂缓发放`,
      en: `The comparison found the child ${en[outcome]}: held until the child is verified at school`,
    };
  },

  openCase(): Reason {
    return {
      code: 'OPEN_DROPOUT_CASE',
      zh: '有未结案的控辍案件（一生一案）：复学前暂缓发放',
      en: 'An open dropout case exists: held until the child is back at school',
    };
  },

  absentOnHeadcount(at: SchoolLabel | undefined): Reason {
    const s = schoolText(at);
    return {
      code: 'ABSENT_ON_HEADCOUNT',
      zh: `${s.zh}的在校清点名单标为未到校：核实在校前暂缓发放`,
      en: `Marked not present in the head count of ${s.en}: held until the child is verified at school`,
    };
  },

  notOnHeadcount(): Reason {
    return {
      code: 'NOT_ON_HEADCOUNT',
      zh: '在校清点名单中没有该生（或未标为在校）：核实在校前暂缓发放',
      en: 'Not marked present in any head count: held until the child is verified at school',
    };
  },

  severalSchools(schools: readonly SchoolLabel[]): Reason {
    const names = schools.map(schoolText);
    return {
      code: 'SEVERAL_SCHOOLS',
      zh: `学籍同时在${names.map((n) => n.zh).join('、')}：确定就读学校前暂缓发放，以免重复发放`,
      en: `Enrolled at ${names.map((n) => n.en).join(', ')}: held until one school is confirmed, so nothing is paid twice`,
    };
  },

  noSchool(): Reason {
    return {
      code: 'NO_SCHOOL',
      zh: '学籍未注明学校，不知由哪所学校发放：请补全学校标识码',
      en: 'The enrollment row names no school, so no school can pay: add the school code',
    };
  },

  notCompared(): Reason {
    return {
      code: 'NOT_IN_COMPARISON',
      zh: '本次四查三比对结果中没有该生（如不在适龄范围），未作在校核对',
      en: 'The child is not in the comparison results (e.g. outside the age window); presence not checked',
    };
  },

  recomputedDiffers(fen: number): Reason {
    return {
      code: 'RECOMPUTED_DIFFERS',
      zh: `按现学校的学籍重新测算为 ${fenToYuan(fen)} 元；本学期仍按原学校的核定`,
      en: `Recomputed from the current school's roster it would be ${fenToYuan(fen)} yuan; the earlier decision stands this semester`,
    };
  },
};
