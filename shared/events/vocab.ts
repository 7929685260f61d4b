/**
 * 事件词表 — the enumerations shared by several services and by the event catalogue. Each enum has a
 * const map of Chinese names for displays and exports. Within schema version 1 values may be added,
 * never renamed or removed.
 */
import { z } from 'zod';

/** 比对结果 — the outcome of 四查三比对 for one child (docs/domain.md §2.2; 富民 2019, 临沧 2020 terms). */
export const outcomeCodeSchema = z.enum([
  'CONSISTENT',
  'NOT_ENROLLED',
  'ENROLLED_ABSENT',
  'PRESENT_UNENROLLED',
  'IDENTITY_MISMATCH',
  'DUPLICATE_ENROLLMENT',
  'DEFERRED',
]);
export type OutcomeCode = z.infer<typeof outcomeCodeSchema>;

export const OUTCOME_NAMES_ZH = {
  CONSISTENT: '比对一致',
  NOT_ENROLLED: '学籍、学生均不在校',
  ENROLLED_ABSENT: '学籍在、学生不在（疑似辍学）',
  PRESENT_UNENROLLED: '人籍分离',
  IDENTITY_MISMATCH: '人籍不符',
  DUPLICATE_ENROLLMENT: '重复学籍',
  DEFERRED: '缓学休学',
} as const satisfies Record<OutcomeCode, string>;

/** 疑似辍学来源 — what raised a suspected dropout: the semester comparison, an attendance streak, or a person. */
export const suspicionSourceSchema = z.enum(['COMPARISON', 'ATTENDANCE', 'MANUAL']);
export type SuspicionSource = z.infer<typeof suspicionSourceSchema>;

export const SUSPICION_SOURCE_NAMES_ZH = {
  COMPARISON: '比对发现',
  ATTENDANCE: '考勤发现（连续缺勤）',
  MANUAL: '人工报告',
} as const satisfies Record<SuspicionSource, string>;

/** 案件状态 — the states of a 一生一案 case (docs/domain.md §4). The transitions are the cases service's domain. */
export const caseStateSchema = z.enum([
  'SUSPECTED',
  'VERIFYING',
  'STUDYING_ELSEWHERE',
  'DEFERRED',
  'NOT_DROPOUT',
  'OUT_OF_SCOPE',
  'CONFIRMED',
  'PERSUADING',
  'EDUCATION',
  'ORDER_TO_CORRECT',
  'PENALTY',
  'ENFORCEMENT_OR_SUIT',
  'PLACED',
  'RETURNED',
  'RETAINED',
  'CLOSED',
]);
export type CaseState = z.infer<typeof caseStateSchema>;

export const CASE_STATE_NAMES_ZH = {
  SUSPECTED: '疑似辍学',
  VERIFYING: '核查中',
  STUDYING_ELSEWHERE: '异地就读',
  DEFERRED: '缓学休学',
  NOT_DROPOUT: '非辍学',
  OUT_OF_SCOPE: '不在控辍范围（出国、死亡、超龄、数据错误）',
  CONFIRMED: '确认辍学',
  PERSUADING: '劝返中',
  EDUCATION: '宣传教育',
  ORDER_TO_CORRECT: '责令改正',
  PENALTY: '行政处罚',
  ENFORCEMENT_OR_SUIT: '申请强制执行或提起诉讼',
  PLACED: '分类安置',
  RETURNED: '已复学',
  RETAINED: '巩固在校',
  CLOSED: '已结案',
} as const satisfies Record<CaseState, string>;

/** 结案类型 — the state a case was in when it was closed: the explanation the closure rests on. */
export const closedAsSchema = caseStateSchema.extract([
  'STUDYING_ELSEWHERE',
  'DEFERRED',
  'NOT_DROPOUT',
  'OUT_OF_SCOPE',
  'PLACED',
  'RETURNED',
  'RETAINED',
]);
export type ClosedAs = z.infer<typeof closedAsSchema>;

/** 辍学原因 — cause categories (docs/domain.md §2.3: personal, family, household registration; referral §4.8). */
export const causeCategorySchema = z.enum([
  'ILLNESS',
  'DISABILITY',
  'WEARINESS',
  'POVERTY',
  'SICK_PARENTS',
  'LEFT_BEHIND',
  'WITH_MIGRANT_PARENTS',
  'HOUSEHOLD_REGISTRATION',
  'WORK',
  'EARLY_MARRIAGE',
  'RELIGIOUS',
  'OTHER',
]);
export type CauseCategory = z.infer<typeof causeCategorySchema>;

export const CAUSE_CATEGORY_NAMES_ZH = {
  ILLNESS: '因病',
  DISABILITY: '因残',
  WEARINESS: '厌学',
  POVERTY: '因贫',
  SICK_PARENTS: '父母患病',
  LEFT_BEHIND: '留守',
  WITH_MIGRANT_PARENTS: '随父母外出务工',
  HOUSEHOLD_REGISTRATION: '户籍问题（空挂户、双户籍）',
  WORK: '外出务工',
  EARLY_MARRIAGE: '早婚早育',
  RELIGIOUS: '入寺入教',
  OTHER: '其他',
} as const satisfies Record<CauseCategory, string>;

/** 逾期事项 — the case duties that have deadlines and escalate when missed. */
export const overdueItemSchema = z.enum([
  'THREE_LINE_REPORT',
  'FIRST_HOME_VISIT',
  'PERSUADING_ACTION',
  'HOME_TEACHING_VISIT',
  'FOUR_STEP_DEADLINE',
]);
export type OverdueItem = z.infer<typeof overdueItemSchema>;

export const OVERDUE_ITEM_NAMES_ZH = {
  THREE_LINE_REPORT: '三线报告',
  FIRST_HOME_VISIT: '首次家访',
  PERSUADING_ACTION: '劝返工作',
  HOME_TEACHING_VISIT: '送教上门',
  FOUR_STEP_DEADLINE: '依法控辍四步法期限',
} as const satisfies Record<OverdueItem, string>;
