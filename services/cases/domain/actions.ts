/**
 * 案件操作 — the commands a user (or the system) sends to a case: the body of
 * `POST /cases/{id}/actions` is a {@link caseCommandSchema}, one {@link caseActionSchema} variant per
 * action type. These schemas check what can be checked without the case (shapes, dates in order,
 * documents present); whether the action fits the case's state, the caller's role and the case's own
 * dates is the state machine's business (`transitions.ts`).
 *
 * Messages are written "English / 中文" in one string, as the API's validation errors quote them.
 */
import { z } from 'zod';
import { causeCategorySchema, outcomeCodeSchema } from '../../../shared/events/vocab';
import { actorSchema } from '../../../shared/org';
import { chainPositionSchema } from '../../../shared/region-settings';
import {
  caseDocumentIdSchema,
  caseDocumentKindSchema,
  caseSignalSchema,
  deferralKindSchema,
  FOUR_STEPS,
  type FourStep,
  placementKindSchema,
  reportIdSchema,
  reportLineSchema,
  responsiblePersonSchema,
  sixHaveItemSchema,
} from './case';

const dateSchema = z.iso.date({
  error: 'expected a real date YYYY-MM-DD, e.g. 2025-10-09 / 应为真实存在的日期 YYYY-MM-DD，如 2025-10-09',
});

const noteSchema = z
  .string({ error: 'expected text / 应为文字' })
  .trim()
  .min(1, { error: 'must not be empty / 不能为空' })
  .max(2000, { error: 'at most 2000 characters / 不超过 2000 字' });

/** 文书编号 — e.g. 东教责〔2025〕12号. */
const documentRefSchema = z
  .string({
    error: 'expected a document reference, e.g. 东教责〔2025〕12号 / 应为文书编号，如 东教责〔2025〕12号',
  })
  .trim()
  .min(1, {
    error:
      'a document reference is required, e.g. 东教责〔2025〕12号 / 须填写文书编号，如 东教责〔2025〕12号',
  })
  .max(200, { error: 'at most 200 characters / 文书编号不超过 200 字' });

/** A person's name (and title), as a visit or a verification records it. */
const personSchema = z
  .string({ error: 'expected a name / 应为姓名' })
  .trim()
  .min(1, { error: 'a name is required / 须填写姓名' })
  .max(100, { error: 'at most 100 characters / 不超过 100 字' });

/** 学校标识码 — the same rule as `schoolCodeSchema`, with a message in both languages. */
const schoolSchema = z
  .string({ error: 'expected a 10-digit 学校标识码 / 应为 10 位学校标识码' })
  .regex(/^\d{10}$/, {
    error: 'a 10-digit 学校标识码, e.g. 2153012401 / 应为 10 位学校标识码，如 2153012401',
  });

const optionalNote = { note: noteSchema.optional() };

/** A strict action object: an unknown field is an error that names it, in both languages. */
function action<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.strictObject(
    { type: z.literal(type), ...shape },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) for ${type}: ${issue.keys.join(', ')} / ${type} 不接受字段：${issue.keys.join('、')}`
          : undefined,
    },
  );
}

const later = (a: string, b: string) => a > b;

// ── the actions ──────────────────────────────────────────────────────────────────────────────────────

/** 落实包保责任人 — set or replace positions on the responsible chain (the others stay as they are). */
export const assignResponsibleSchema = action('ASSIGN_RESPONSIBLE', {
  chain: z
    .partialRecord(chainPositionSchema, responsiblePersonSchema, {
      error: `chain positions are ${chainPositionSchema.options.join(', ')} / 责任人岗位应为 ${chainPositionSchema.options.join('、')}`,
    })
    .refine((chain) => Object.keys(chain).length > 0, {
      error: 'name at least one responsible person / 至少填写一名责任人',
    }),
  ...optionalNote,
});

/** 辍学原因 — one of the cause categories. */
const causeSchema = z.enum(causeCategorySchema.options, {
  error: `cause is one of ${causeCategorySchema.options.join(', ')} / 辍学原因应为 ${causeCategorySchema.options.join('、')} 之一`,
});

/** 登记辍学原因 — the cause category, and whether the child belongs to a priority group (重点群体). */
export const setCauseSchema = action('SET_CAUSE', {
  causeCategory: causeSchema,
  priority: z.boolean({ error: 'priority is true or false / 重点群体标记应为 true 或 false' }).optional(),
  flags: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
  ...optionalNote,
});

/** 开始核查 — SUSPECTED → VERIFYING, once the whole chain is named. */
export const startVerifyingSchema = action('START_VERIFYING', optionalNote);

/** 三线报告确认 — one line (province platform, township, county bureau) acknowledged the report. */
export const acknowledgeReportSchema = action('ACKNOWLEDGE_REPORT', {
  line: z.enum(reportLineSchema.options, {
    error:
      'line is PROVINCE_PLATFORM, TOWNSHIP or COUNTY_BUREAU / 报告线应为 PROVINCE_PLATFORM（省级平台）、TOWNSHIP（乡镇）或 COUNTY_BUREAU（县教育局）',
  }),
  date: dateSchema,
  ...optionalNote,
});

/** 异地就读 — verified with the other school: who confirmed it and when. */
export const closeStudyingElsewhereSchema = action('CLOSE_STUDYING_ELSEWHERE', {
  otherSchool: personSchema.describe('The other school’s name.'),
  otherSchoolCode: schoolSchema.optional(),
  verifiedWith: personSchema,
  verifiedOn: dateSchema,
  ...optionalNote,
});

/** 缓学 / 休学 — approved by the bureau, with its document and the day it ends. */
export const deferSchema = action('DEFER', {
  kind: z.enum(deferralKindSchema.options, {
    error:
      'kind is POSTPONEMENT (缓学) or SUSPENSION (休学) / 类型应为 POSTPONEMENT（缓学）或 SUSPENSION（休学）',
  }),
  documentRef: documentRefSchema,
  approvedOn: dateSchema,
  endDate: dateSchema,
  ...optionalNote,
}).refine((a) => later(a.endDate, a.approvedOn), {
  error: 'endDate must be after approvedOn / 截止日期应晚于批准日期',
  path: ['endDate'],
});

/** 非辍学 — a data error or misunderstanding: what it was. */
export const closeNotDropoutSchema = action('CLOSE_NOT_DROPOUT', {
  explanation: noteSchema,
  documentRef: documentRefSchema.optional(),
});

/** 不在控辍范围的原因 — 出国, 死亡, 超龄. */
export const outOfScopeReasonSchema = z.enum(['ABROAD', 'DECEASED', 'OVER_AGE'], {
  error:
    'reason is ABROAD, DECEASED or OVER_AGE / 原因应为 ABROAD（出国）、DECEASED（死亡）或 OVER_AGE（超龄）',
});
export type OutOfScopeReason = z.infer<typeof outOfScopeReasonSchema>;

export const OUT_OF_SCOPE_REASON_NAMES_ZH = {
  ABROAD: '出国（境）',
  DECEASED: '死亡',
  OVER_AGE: '超龄',
} as const satisfies Record<OutOfScopeReason, string>;

/** 不在控辍范围 — with the document that proves it (出入境记录, 死亡证明, the birth date's record). */
export const closeOutOfScopeSchema = action('CLOSE_OUT_OF_SCOPE', {
  reason: outOfScopeReasonSchema,
  documentRef: documentRefSchema,
  ...optionalNote,
});

/** 确认辍学 — verification found the child out of school without a reason that closes the case. */
export const confirmSchema = action('CONFIRM', optionalNote);

/** 开始劝返 — CONFIRMED → PERSUADING. */
export const startPersuadingSchema = action('START_PERSUADING', optionalNote);

const persuasionShape = {
  date: dateSchema,
  visitors: z
    .array(personSchema, { error: 'list who took part / 请列出参与人员' })
    .min(1, { error: 'name at least one person who took part / 至少填写一名参与人员' })
    .max(20, { error: 'at most 20 people / 参与人员不超过 20 人' }),
  outcome: noteSchema,
};

/** 入户家访 — a home visit: who went, when, what came of it. */
export const logHomeVisitSchema = action('LOG_HOME_VISIT', persuasionShape);
/** 谈心谈话 — a talk with the child or guardian (at school, by phone, at the township). */
export const logTalkSchema = action('LOG_TALK', persuasionShape);

/** Steps whose document sets the guardian a deadline: 责令改正通知书, 行政处罚决定书. */
export const FOUR_STEPS_WITH_DEADLINE: readonly FourStep[] = ['ORDER_TO_CORRECT', 'PENALTY'];

/** 依法控辍四步法 — one legal step with its date, document and (for 责令改正 and 行政处罚) deadline. */
export const fourStepSchema = action('FOUR_STEP', {
  step: z.enum(FOUR_STEPS, {
    error:
      'step is EDUCATION, ORDER_TO_CORRECT, PENALTY or ENFORCEMENT_OR_SUIT / 步骤应为 EDUCATION（宣传教育）、ORDER_TO_CORRECT（责令改正）、PENALTY（行政处罚）或 ENFORCEMENT_OR_SUIT（申请强制执行或提起诉讼）',
  }),
  date: dateSchema,
  documentRef: documentRefSchema,
  deadline: dateSchema.optional(),
  ...optionalNote,
}).superRefine((a, ctx) => {
  if (a.deadline === undefined) {
    if (FOUR_STEPS_WITH_DEADLINE.includes(a.step)) {
      ctx.addIssue({
        code: 'custom',
        path: ['deadline'],
        message: `${a.step} sets the guardian a deadline; enter it / ${a.step === 'PENALTY' ? '行政处罚决定书' : '责令改正通知书'}须写明履行期限`,
      });
    }
  } else if (!later(a.deadline, a.date)) {
    ctx.addIssue({
      code: 'custom',
      path: ['deadline'],
      message: 'the deadline must be after the step’s date / 期限应晚于文书日期',
    });
  }
});

/** 履行行政决定催告书 — served when a 行政处罚决定 was ignored past its deadline. */
export const penaltyReminderSchema = action('PENALTY_REMINDER', {
  date: dateSchema,
  documentRef: documentRefSchema,
  deadline: dateSchema,
  ...optionalNote,
}).refine((a) => later(a.deadline, a.date), {
  error: 'the deadline must be after the reminder’s date / 催告期限应晚于催告书日期',
  path: ['deadline'],
});

/** 分类安置 — the placement; 送教上门 needs its approved plan (送教上门方案). */
export const placeSchema = action('PLACE', {
  kind: z.enum(placementKindSchema.options, {
    error: `placement is one of ${placementKindSchema.options.join(', ')} / 安置方式应为 ${placementKindSchema.options.join('、')} 之一`,
  }),
  since: dateSchema,
  school: schoolSchema.optional(),
  planRef: documentRefSchema.optional(),
  ...optionalNote,
}).refine((a) => a.kind !== 'HOME_TEACHING' || a.planRef !== undefined, {
  error:
    'HOME_TEACHING needs the approved plan’s reference (planRef) / 送教上门须填写已批准的送教方案文号（planRef）',
  path: ['planRef'],
});

/** 送教上门记录 — one visit: the day, the teacher, what was taught. */
export const logHomeTeachingVisitSchema = action('LOG_HOME_TEACHING_VISIT', {
  date: dateSchema,
  teacher: personSchema,
  content: noteSchema,
});

/** 复学 — back at school: which school, since when. */
export const returnSchema = action('RETURN', {
  school: schoolSchema,
  returnedOn: dateSchema,
  ...optionalNote,
});

/** 巩固跟踪 — one follow-up record and the 六有 items it shows. */
export const logFollowUpSchema = action('LOG_FOLLOW_UP', {
  date: dateSchema,
  items: z
    .array(
      z.enum(sixHaveItemSchema.options, {
        error: `六有 items are ${sixHaveItemSchema.options.join(', ')} / 六有项目应为 ${sixHaveItemSchema.options.join('、')}`,
      }),
    )
    .min(1, { error: 'record at least one 六有 item / 至少记录一项六有' })
    .refine((items) => new Set(items).size === items.length, {
      error: 'each 六有 item once / 六有项目不能重复',
    }),
  ...optionalNote,
});

/** 巩固在校 — the follow-up period is over and was kept up. */
export const retainSchema = action('RETAIN', optionalNote);

/** 结案（销号） — RETAINED, or PLACED with the document the closure rests on. */
export const closeSchema = action('CLOSE', {
  documentRef: documentRefSchema.optional(),
  ...optionalNote,
});

/** 缓学休学期满未复学 — the daily schedule reopens the case for verification. */
export const reopenDeferralSchema = action('REOPEN_DEFERRAL', optionalNote);

/** 新线索 — another signal for a child whose case is open (never a second case). */
export const addSignalSchema = action('ADD_SIGNAL', {
  signal: caseSignalSchema,
  /** The signal found the child in a priority group: the case becomes priority (never the reverse). */
  priority: z.boolean().optional(),
  /** A person's report (POST /cases) from an organisation that may see the case: which one it was. */
  reportedBy: actorSchema.optional(),
});

/**
 * 比对销号 — a later comparison explains a child that an earlier one reported (dropout.resolved): a case
 * nobody has started on, raised by comparisons alone, is closed as not a dropout; on any other case the
 * finding is recorded for the people working it.
 */
export const resolveByDataSchema = action('RESOLVE_BY_DATA', {
  /** The dropout.resolved event id: what makes a redelivery a no-op. */
  signalId: z.string().min(1).max(200),
  comparisonId: z.string().min(1).max(128),
  previousOutcome: outcomeCodeSchema,
  outcome: outcomeCodeSchema,
});

/**
 * 外单位报告 — a person of an organisation that may not see the child's open case reported the child
 * (POST /cases). It reaches the people working the case as a note in its history, as a comparison's
 * finding on a worked case does (RESOLVE_BY_DATA): who reported, when and what they said. The state,
 * the signals, the priority and the cause stay as they are — an organisation neither steers nor learns
 * of a case outside its scope. Taken by the system only; a report id the case holds changes nothing.
 */
export const noteOutsideReportSchema = action('NOTE_OUTSIDE_REPORT', {
  reportId: reportIdSchema,
  /** The reporting organisation (the person is the history entry's `by`). */
  reportedBy: actorSchema,
  receivedOn: dateSchema,
  note: noteSchema,
  /** What the reporter gave as the cause and priority: information for the case's people, not applied. */
  causeCategory: causeSchema.optional(),
  priority: z.boolean().optional(),
});

/**
 * 归档文书 — a document the case's work called for was generated and stored (docs/domain.md §4.9): it
 * joins the case's documents and history. Taken by the system only; a document already attached (same
 * id) changes nothing, so a redelivered event attaches nothing twice.
 */
export const attachDocumentSchema = action('ATTACH_DOCUMENT', {
  documentId: caseDocumentIdSchema,
  kind: caseDocumentKindSchema,
  objectKey: z
    .string()
    .max(400)
    .regex(/^reports\/case-documents\/[^/]+\/[^/]+\.pdf$/),
  forVersion: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.number().int().min(1),
});

/** Every action type, in the order a case usually meets them. */
export const CASE_ACTION_TYPES = [
  'ASSIGN_RESPONSIBLE',
  'SET_CAUSE',
  'START_VERIFYING',
  'ACKNOWLEDGE_REPORT',
  'CLOSE_STUDYING_ELSEWHERE',
  'DEFER',
  'CLOSE_NOT_DROPOUT',
  'CLOSE_OUT_OF_SCOPE',
  'CONFIRM',
  'START_PERSUADING',
  'LOG_HOME_VISIT',
  'LOG_TALK',
  'FOUR_STEP',
  'PENALTY_REMINDER',
  'PLACE',
  'LOG_HOME_TEACHING_VISIT',
  'RETURN',
  'LOG_FOLLOW_UP',
  'RETAIN',
  'CLOSE',
  'REOPEN_DEFERRAL',
  'ADD_SIGNAL',
  'RESOLVE_BY_DATA',
  'NOTE_OUTSIDE_REPORT',
  'ATTACH_DOCUMENT',
] as const satisfies readonly CaseActionType[];

export const caseActionSchema = z.discriminatedUnion(
  'type',
  [
    assignResponsibleSchema,
    setCauseSchema,
    startVerifyingSchema,
    acknowledgeReportSchema,
    closeStudyingElsewhereSchema,
    deferSchema,
    closeNotDropoutSchema,
    closeOutOfScopeSchema,
    confirmSchema,
    startPersuadingSchema,
    logHomeVisitSchema,
    logTalkSchema,
    fourStepSchema,
    penaltyReminderSchema,
    placeSchema,
    logHomeTeachingVisitSchema,
    returnSchema,
    logFollowUpSchema,
    retainSchema,
    closeSchema,
    reopenDeferralSchema,
    addSignalSchema,
    resolveByDataSchema,
    noteOutsideReportSchema,
    attachDocumentSchema,
  ],
  {
    error: (issue): string | undefined =>
      issue.code === 'invalid_union'
        ? `unknown action type; use one of ${CASE_ACTION_TYPES.join(', ')} / 未知的操作类型，应为 ${CASE_ACTION_TYPES.join('、')} 之一`
        : undefined,
  },
);
export type CaseAction = z.infer<typeof caseActionSchema>;
export type CaseActionType = CaseAction['type'];
export type CaseActionOf<T extends CaseActionType> = Extract<CaseAction, { type: T }>;

export const CASE_ACTION_NAMES_ZH = {
  ASSIGN_RESPONSIBLE: '落实包保责任人',
  SET_CAUSE: '登记辍学原因',
  START_VERIFYING: '开始核查',
  ACKNOWLEDGE_REPORT: '确认三线报告',
  CLOSE_STUDYING_ELSEWHERE: '核实异地就读并结案',
  DEFER: '登记缓学休学并结案',
  CLOSE_NOT_DROPOUT: '核实非辍学并结案',
  CLOSE_OUT_OF_SCOPE: '核实不在控辍范围并结案',
  CONFIRM: '确认辍学',
  START_PERSUADING: '开始劝返',
  LOG_HOME_VISIT: '登记入户家访',
  LOG_TALK: '登记谈心谈话',
  FOUR_STEP: '依法控辍四步法',
  PENALTY_REMINDER: '送达履行行政决定催告书',
  PLACE: '分类安置',
  LOG_HOME_TEACHING_VISIT: '登记送教上门',
  RETURN: '登记复学',
  LOG_FOLLOW_UP: '登记巩固跟踪（六有）',
  RETAIN: '确认巩固在校',
  CLOSE: '结案销号',
  REOPEN_DEFERRAL: '缓学休学期满重新核查',
  ADD_SIGNAL: '追加疑似辍学线索',
  RESOLVE_BY_DATA: '比对结果已解释（数据销号）',
  NOTE_OUTSIDE_REPORT: '记录外单位报告（备注）',
  ATTACH_DOCUMENT: '生成文书并归档',
} as const satisfies Record<CaseActionType, string>;

/** The body of `POST /cases/{id}/actions`: the action and the case version the user saw (optimistic lock). */
export const caseCommandSchema = z.strictObject({
  expectedVersion: z
    .number({
      error:
        'expectedVersion is the case version you loaded, e.g. 3 / expectedVersion 应为您看到的案件版本号，如 3',
    })
    .int({ error: 'expectedVersion is a whole number / expectedVersion 应为整数' })
    .min(1, { error: 'expectedVersion starts at 1 / expectedVersion 从 1 开始' }),
  action: caseActionSchema,
});
export type CaseCommand = z.infer<typeof caseCommandSchema>;
