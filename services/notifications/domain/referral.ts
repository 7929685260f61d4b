/**
 * 部门转介 — which partner departments a case is referred to, by its cause (docs/domain.md §4.8: cases
 * are referred to partner departments by cause). Every referral names the rule it rests on, so a user
 * (and an auditor) can see why a department heard about a child.
 *
 * The same routing decides which cause values a department may learn at all (`minimise.ts`): a
 * department is told a child's cause only when that cause is referred to it (docs/domain.md §7.4, collect
 * and share the minimum).
 */
import { type CauseCategory, causeCategorySchema } from '../../../shared/events/vocab';
import { PARTNER_DEPARTMENT_NAMES_ZH, type PartnerDepartment } from '../../../shared/org';

/** Why a department is told: the rule, cited, and what it means in both languages. */
export interface ReferralRule {
  /** Where the rule comes from, e.g. 'docs/domain.md §4.8'. */
  cites: string;
  zh: string;
  en: string;
}

interface CauseRoute extends ReferralRule {
  departments: readonly PartnerDepartment[];
}

/**
 * 按辍学原因转介 — the departments each cause is referred to. An empty list means the education line
 * handles the cause itself (docs/domain.md §4.1: the case's own 双线 chain) and no partner is told.
 */
export const CAUSE_REFERRALS = {
  ILLNESS: {
    departments: ['health'],
    cites: 'docs/domain.md §4.8 (残联/卫健: disability, illness)',
    zh: '因病辍学：转卫健部门，协助治疗与康复，评估能否随班就读或送教上门。',
    en: 'Illness: referred to health, for treatment and an assessment of schooling or home teaching.',
  },
  DISABILITY: {
    departments: ['disabled-persons-federation', 'health'],
    cites:
      'docs/domain.md §4.8 (残联/卫健: disability, illness), docs/domain.md §4.5 (送教上门 for severe disability)',
    zh: '因残辍学：转残联、卫健部门，评估残疾程度并安排随班就读、特殊教育学校或送教上门。',
    en: 'Disability: referred to the disabled persons federation and health, to assess and place the child (class, special school or home teaching).',
  },
  WEARINESS: {
    departments: ['youth-league', 'womens-federation'],
    cites: 'docs/domain.md §4.8 (共青团/妇联: care)',
    zh: '厌学辍学：转共青团、妇联，开展关爱帮扶，配合学校劝返。',
    en: 'Weariness of school: referred to the youth league and the women’s federation for care, alongside the school’s persuasion.',
  },
  POVERTY: {
    departments: ['rural-revitalization', 'civil-affairs'],
    cites: 'docs/domain.md §4.8 (乡村振兴; 民政: 低保), docs/domain.md §5.2 (家庭经济困难)',
    zh: '因贫辍学：转乡村振兴、民政部门，落实防返贫监测帮扶和低保等救助。',
    en: 'Poverty: referred to rural revitalisation and civil affairs, for poverty-relapse monitoring and assistance such as 低保.',
  },
  SICK_PARENTS: {
    departments: ['civil-affairs', 'rural-revitalization'],
    cites: 'docs/domain.md §2.3 (family causes), docs/domain.md §4.8 (民政; 乡村振兴)',
    zh: '父母患病：转民政、乡村振兴部门，落实临时救助和因病致贫监测。',
    en: 'Sick parents: referred to civil affairs and rural revitalisation, for temporary assistance and illness-poverty monitoring.',
  },
  LEFT_BEHIND: {
    departments: ['civil-affairs', 'womens-federation', 'youth-league'],
    cites: 'docs/domain.md §4.8 (民政: 留守; 共青团/妇联: care)',
    zh: '留守儿童：转民政部门落实监护责任，妇联、共青团开展关爱。',
    en: 'Left-behind child: referred to civil affairs for guardianship, and to the women’s federation and youth league for care.',
  },
  WITH_MIGRANT_PARENTS: {
    departments: [],
    cites:
      'docs/domain.md §4.2 (异地就读 is verified with the other school), docs/domain.md §3.4 (the bureau notifies the other county)',
    zh: '随父母外出：由教育部门与就读地学校核实异地就读，不转介协作部门。',
    en: 'With migrant parents: the education line verifies study elsewhere with the other school; no partner referral.',
  },
  HOUSEHOLD_REGISTRATION: {
    departments: ['public-security'],
    cites: 'docs/domain.md §4.8 (公安: 户籍 problems), docs/domain.md §2.3 (空挂户, 双户籍)',
    zh: '户籍问题（空挂户、双户籍）：转公安部门核实、更正户籍。',
    en: 'Household registration problem (空挂户, 双户籍): referred to public security to verify and correct the register.',
  },
  WORK: {
    departments: ['human-resources', 'market-regulation'],
    cites: 'docs/domain.md §4.8 (人社 and 市场监管: child labour)',
    zh: '外出务工：转人社、市场监管部门，查处违法招用童工，用人单位同样适用依法控辍四步法。',
    en: 'Work: referred to human resources and market regulation to act against child labour; the four-step procedure applies to employers too.',
  },
  EARLY_MARRIAGE: {
    departments: ['public-security', 'womens-federation'],
    cites: 'docs/domain.md §4.8 (公安: early marriage; 妇联: care)',
    zh: '早婚早育：转公安部门依法处理，妇联维护未成年人权益。',
    en: 'Early marriage: referred to public security to act under the law, and to the women’s federation to protect the minor.',
  },
  RELIGIOUS: {
    departments: ['united-front'],
    cites: 'docs/domain.md §4.8 (统战部: 入寺入教)',
    zh: '入寺入教：转统战部门，协调宗教场所劝返适龄儿童。',
    en: 'Religious (入寺入教): referred to the united front department to work with the religious site.',
  },
  OTHER: {
    departments: [],
    cites: 'docs/domain.md §4.1 (the case’s own 双线 chain)',
    zh: '其他原因：由包保责任人处理，不自动转介协作部门。',
    en: 'Other causes: handled by the responsible chain; no automatic partner referral.',
  },
} as const satisfies Record<CauseCategory, CauseRoute>;

/**
 * 转介标记 — facts about a case, other than its cause, that bring a department in whatever the cause.
 * They come from the case (its flags and the rosters the child appears in), not from the event bus.
 */
export interface ReferralFlags {
  /** 依法控辍四步法 has started (guardians, employers or those who married a minor refuse). */
  fourStep?: boolean;
  /** The child is on the 残联 disability register. */
  disabled?: boolean;
  /** The family receives 低保 or 特困 support, or the child is an orphan (孤儿, 事实无人抚养). */
  assistance?: boolean;
  /** A 脱贫户 or 三类监测 household (脱贫不稳定户, 边缘易致贫户, 突发严重困难户). */
  monitoredHousehold?: boolean;
}

type FlagRoute = ReferralRule & { department: PartnerDepartment };

export const FLAG_REFERRALS = {
  fourStep: {
    department: 'justice',
    cites: 'docs/domain.md §4.8 (司法), docs/domain.md §4.4 (依法控辍四步法)',
    zh: '已启动依法控辍四步法：转司法部门，配合行政处罚、申请强制执行或提起诉讼。',
    en: 'The four-step legal procedure has started: referred to justice for penalties, enforcement or a suit.',
  },
  disabled: {
    department: 'disabled-persons-federation',
    cites: 'docs/domain.md §4.8 (残联), docs/domain.md §2.4 (disabled children are a priority group)',
    zh: '残疾儿童：无论辍学原因，均告知残联，评估安置方式。',
    en: 'Disabled child: the disabled persons federation is told whatever the cause, to assess placement.',
  },
  assistance: {
    department: 'civil-affairs',
    cites: 'docs/domain.md §4.8 (民政: 留守, 低保, 孤儿)',
    zh: '低保、特困或孤儿：转民政部门落实救助与监护。',
    en: '低保, 特困 or orphan: referred to civil affairs for assistance and guardianship.',
  },
  monitoredHousehold: {
    department: 'rural-revitalization',
    cites: 'docs/domain.md §4.8 (乡村振兴), docs/domain.md §2.4 (脱贫户 and 三类监测 are priority groups)',
    zh: '脱贫户或三类监测户：转乡村振兴部门，纳入防返贫监测帮扶。',
    en: '脱贫户 or monitored household: referred to rural revitalisation for poverty-relapse support.',
  },
} as const satisfies Record<keyof ReferralFlags, FlagRoute>;

/** One department a case goes to, with every rule that sends it there (the cause first, then flags). */
export interface Referral {
  department: PartnerDepartment;
  /** The department's name as users know it, e.g. 公安. */
  departmentZh: string;
  rules: readonly ReferralRule[];
}

const FLAG_ORDER = [
  'fourStep',
  'disabled',
  'assistance',
  'monitoredHousehold',
] as const satisfies readonly (keyof ReferralFlags)[];

/**
 * 转介部门 — the partner departments to refer a case to, each once, in the order the rules name them.
 * `cause` may be unknown while the case is being verified (核查); then only the flags refer.
 */
export function referralsFor(cause: CauseCategory | undefined, flags: ReferralFlags = {}): Referral[] {
  const byDepartment = new Map<PartnerDepartment, ReferralRule[]>();
  const add = (department: PartnerDepartment, rule: ReferralRule) => {
    const rules = byDepartment.get(department) ?? [];
    rules.push({ cites: rule.cites, zh: rule.zh, en: rule.en });
    byDepartment.set(department, rules);
  };
  if (cause !== undefined) {
    const route: CauseRoute = CAUSE_REFERRALS[cause];
    for (const department of route.departments) add(department, route);
  }
  for (const flag of FLAG_ORDER) {
    if (flags[flag] === true) add(FLAG_REFERRALS[flag].department, FLAG_REFERRALS[flag]);
  }
  return [...byDepartment].map(([department, rules]) => ({
    department,
    departmentZh: PARTNER_DEPARTMENT_NAMES_ZH[department],
    rules,
  }));
}

/**
 * 可知晓的原因 — the causes referred to `department` (by cause, not by flag). `minimise.ts` shows a
 * department a child's cause only if it is one of these, and a subscription may filter only on these.
 */
export function causesReferredTo(department: PartnerDepartment): CauseCategory[] {
  return causeCategorySchema.options.filter((cause) =>
    (CAUSE_REFERRALS[cause].departments as readonly PartnerDepartment[]).includes(department),
  );
}
