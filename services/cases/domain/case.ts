/**
 * 一生一案 — the case record of one suspected dropout, from the first signal to kept-in-school
 * (docs/domain.md §4). Pure data: the transitions live in `transitions.ts`, the deadlines in
 * `deadlines.ts`. A case is stored as one item (its history inside it) so every change is one
 * conditional write on `version` — the optimistic lock.
 */
import { z } from 'zod';
import { evidenceRefSchema } from '../../../shared/events/catalogue';
import { childRefSchema, localDateSchema } from '../../../shared/events/envelope';
import {
  type CaseState,
  caseStateSchema,
  causeCategorySchema,
  closedAsSchema,
  overdueItemSchema,
  suspicionSourceSchema,
} from '../../../shared/events/vocab';
import { actorSchema, roleSchema } from '../../../shared/org';
import { chainPositionSchema } from '../../../shared/region-settings';

/** Free text a person typed (a visit's outcome, an explanation): bounded, never empty. */
export const noteSchema = z.string().trim().min(1).max(2000);
/** 文书编号 — the reference of a document kept on paper or in the document store (e.g. 东教责〔2025〕12号). */
export const documentRefSchema = z.string().trim().min(1).max(200);

/** 包保责任人 — one person on the chain: who they are and how to reach them (contact details stay out of events). */
export const responsiblePersonSchema = z.strictObject({
  name: z.string().trim().min(1).max(50),
  /** 职务/单位, e.g. 中心校校长, 村委会主任. */
  title: z.string().trim().max(100).optional(),
  phone: z
    .string()
    .regex(/^[0-9+\- ]{5,20}$/)
    .optional(),
});
export type ResponsiblePerson = z.infer<typeof responsiblePersonSchema>;

/**
 * 双线责任人 — the two lines of responsibility plus the guardian; which positions must be filled is the
 * region's chain shape (`caseRulesSchema.chain`), and a case cannot leave SUSPECTED until they are.
 */
export const responsibleChainSchema = z.partialRecord(chainPositionSchema, responsiblePersonSchema);
export type ResponsibleChain = z.infer<typeof responsibleChainSchema>;

/** 三线报告 — the three lines a suspected dropout is reported on (docs/domain.md §3.4). */
export const reportLineSchema = z.enum(['PROVINCE_PLATFORM', 'TOWNSHIP', 'COUNTY_BUREAU']);
export type ReportLine = z.infer<typeof reportLineSchema>;

export const REPORT_LINE_NAMES_ZH = {
  PROVINCE_PLATFORM: '省级控辍保学平台',
  TOWNSHIP: '乡（镇）人民政府',
  COUNTY_BUREAU: '县教育体育局',
} as const satisfies Record<ReportLine, string>;

export const lineReportSchema = z.strictObject({
  /** The day the report was produced (the system produces all three when the case opens). */
  producedOn: localDateSchema,
  acknowledgedOn: localDateSchema.optional(),
  acknowledgedBy: actorSchema.optional(),
});
export type LineReport = z.infer<typeof lineReportSchema>;

/** 分类安置 — placements (docs/domain.md §4.5). */
export const placementKindSchema = z.enum([
  'REGULAR_CLASS',
  'INDIVIDUAL_TEACHING',
  'HOME_TEACHING',
  'VOCATIONAL_INTEGRATION',
  'SPECIAL_SCHOOL',
]);
export type PlacementKind = z.infer<typeof placementKindSchema>;

export const PLACEMENT_NAMES_ZH = {
  REGULAR_CLASS: '随班就读',
  INDIVIDUAL_TEACHING: '单独教学（个性化教学）',
  HOME_TEACHING: '送教上门',
  VOCATIONAL_INTEGRATION: '普职融合',
  SPECIAL_SCHOOL: '特殊教育学校',
} as const satisfies Record<PlacementKind, string>;

/** 依法控辍四步法 — the legal steps, taken in this order, none skipped. */
export const FOUR_STEPS = ['EDUCATION', 'ORDER_TO_CORRECT', 'PENALTY', 'ENFORCEMENT_OR_SUIT'] as const;
export type FourStep = (typeof FOUR_STEPS)[number];

/** 缓学 / 休学 — the two kinds of approved deferral (the school-year table counts 休学 separately). */
export const deferralKindSchema = z.enum(['POSTPONEMENT', 'SUSPENSION']);
export type DeferralKind = z.infer<typeof deferralKindSchema>;

export const DEFERRAL_KIND_NAMES_ZH = {
  POSTPONEMENT: '缓学',
  SUSPENSION: '休学',
} as const satisfies Record<DeferralKind, string>;

/** 六有 — what a returned student's follow-up must show (课本, 作业, 辅导, 测试, 成绩, 资助). */
export const sixHaveItemSchema = z.enum(['TEXTBOOKS', 'HOMEWORK', 'TUTORING', 'TESTS', 'GRADES', 'AID']);
export type SixHaveItem = z.infer<typeof sixHaveItemSchema>;

export const SIX_HAVE_NAMES_ZH = {
  TEXTBOOKS: '有课本',
  HOMEWORK: '有作业',
  TUTORING: '有辅导',
  TESTS: '有测试',
  GRADES: '有成绩',
  AID: '有资助',
} as const satisfies Record<SixHaveItem, string>;

/** 线索 — one signal that the child may have dropped out; a later signal joins the open case. */
export const caseSignalSchema = z.strictObject({
  source: suspicionSourceSchema,
  receivedOn: localDateSchema,
  /** dropout.suspected event id, or the manual report's request id: what makes a redelivery a no-op. */
  signalId: z.string().min(1).max(200),
  outcome: z.string().optional(),
  streak: z
    .strictObject({
      days: z.number().int().min(1),
      firstAbsent: localDateSchema,
      lastAbsent: localDateSchema,
    })
    .optional(),
  evidence: z.array(evidenceRefSchema).max(50),
  note: noteSchema.optional(),
});
export type CaseSignal = z.infer<typeof caseSignalSchema>;

/**
 * 报告编号 — the id of a person's report (POST /cases): derived from the report itself, so a retried
 * request carries the same id and is recognised, whichever case (if any) it reached.
 */
export const reportIdSchema = z.string().regex(/^report-[0-9a-f]{32}$/, 'a report id such as report-0f3a…');

/** 工作记录 — one entry of the case's history: every accepted command, with who/when/why/evidence. */
export const historyEntrySchema = z.strictObject({
  /** The case version this entry produced. */
  version: z.number().int().min(1),
  at: z.iso.datetime(),
  actor: actorSchema,
  /** The user's subject id (the person, not only the organisation). */
  by: z.string().min(1).max(200).optional(),
  action: z.string(),
  from: caseStateSchema.optional(),
  to: caseStateSchema.optional(),
  /** The action's validated payload (dates, documents, notes) as recorded. */
  details: z.record(z.string(), z.unknown()),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/**
 * 案件文书 — the documents a case's work calls for, generated from templates as PDF (docs/domain.md §4.9;
 * which one when is `case-documents.ts`): the 辍学情况报告单 of the 三线报告 (docs/domain.md §3.4), the
 * school's 《限期返校通知书》 when 劝返 starts, and the 四步法 documents (docs/domain.md §4.4) 《责令送被监护人
 * 接受义务教育通知书》 and 《履行行政决定催告书》. The same four as `services/cases/documents`
 * renders (a test keeps the two lists equal).
 */
export const caseDocumentKindSchema = z.enum([
  'RETURN_NOTICE',
  'ORDER_TO_SEND',
  'ENFORCEMENT_REMINDER',
  'DROPOUT_REPORT',
]);
export type CaseDocumentKind = z.infer<typeof caseDocumentKindSchema>;

export const CASE_DOCUMENT_NAMES_ZH = {
  RETURN_NOTICE: '限期返校通知书',
  ORDER_TO_SEND: '责令送被监护人接受义务教育通知书',
  ENFORCEMENT_REMINDER: '履行行政决定催告书',
  DROPOUT_REPORT: '辍学情况报告单',
} as const satisfies Record<CaseDocumentKind, string>;

/** A case-scoped document id: the kind and the case version that called for it, e.g. order-to-send-v12. */
export const caseDocumentIdSchema = z.string().regex(/^[a-z][a-z-]{0,40}-v\d{1,6}$/);

/** 文书 — one generated document kept with the case: where the PDF is and what it was (hash, size). */
export const caseDocumentSchema = z.strictObject({
  documentId: caseDocumentIdSchema,
  kind: caseDocumentKindSchema,
  /** The object in the roster bucket (reports/case-documents/<caseId>/<documentId>.pdf). */
  objectKey: z.string().min(1).max(400),
  /** The case version whose change called for the document (its data is the case's as of then). */
  forVersion: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.number().int().min(1),
  attachedAt: z.iso.datetime(),
});
export type CaseDocument = z.infer<typeof caseDocumentSchema>;

/** 逾期记录 — an overdue duty and the chain level it has climbed to. */
export const overdueRecordSchema = z.strictObject({
  item: overdueItemSchema,
  /** The duty's own key (e.g. THREE_LINE_REPORT, or FOUR_STEP_DEADLINE:ORDER_TO_CORRECT). */
  dutyKey: z.string(),
  dueOn: localDateSchema,
  escalationLevel: z.number().int().min(0),
  escalatedTo: roleSchema.exclude(['ops']),
  raisedOn: localDateSchema,
});
export type OverdueRecord = z.infer<typeof overdueRecordSchema>;

export const caseRecordSchema = z.strictObject({
  caseId: z.string(),
  region: z.string(),
  child: childRefSchema,
  /** Full ID number: stored (encrypted table), shown only to roles `idVisibility` allows. */
  idNumber: z.string().optional(),
  name: z.string().optional(),
  school: z.string().optional(),
  schoolName: z.string().optional(),
  township: z.string().optional(),
  /** 户籍所在县 (6 digits) when known: a non-local child's 户籍 county is notified. */
  householdCounty: z.string().optional(),
  state: caseStateSchema,
  version: z.number().int().min(1),
  openedOn: localDateSchema,
  openedAt: z.iso.datetime(),
  source: suspicionSourceSchema,
  priority: z.boolean(),
  flags: z.array(z.string()).default([]),
  causeCategory: causeCategorySchema.optional(),
  chain: responsibleChainSchema,
  signals: z.array(caseSignalSchema),
  threeLineReport: z.partialRecord(reportLineSchema, lineReportSchema),
  /** Dates of logged home visits and talks (劝返 actions), ascending. */
  persuasionActions: z.array(localDateSchema),
  fourStep: z.array(
    z.strictObject({
      step: z.enum(FOUR_STEPS),
      date: localDateSchema,
      documentRef: documentRefSchema,
      deadline: localDateSchema.optional(),
      reminders: z
        .array(
          z.strictObject({
            date: localDateSchema,
            documentRef: documentRefSchema,
            /** 催告期限 — the day the 催告书 gives the guardian to comply (absent on older records). */
            deadline: localDateSchema.optional(),
          }),
        )
        .default([]),
    }),
  ),
  placement: z
    .strictObject({
      kind: placementKindSchema,
      since: localDateSchema,
      school: z.string().optional(),
      planRef: documentRefSchema.optional(),
      visits: z.array(localDateSchema).default([]),
    })
    .optional(),
  deferral: z
    .strictObject({
      documentRef: documentRefSchema,
      approvedOn: localDateSchema,
      endDate: localDateSchema,
      /** 缓学 or 休学 (absent on older records). */
      kind: deferralKindSchema.optional(),
    })
    .optional(),
  returned: z
    .strictObject({ school: z.string(), returnedOn: localDateSchema, followUpEnds: localDateSchema })
    .optional(),
  /** 巩固 follow-up: each record's date and the 六有 items it shows. */
  followUps: z.array(z.strictObject({ date: localDateSchema, items: z.array(sixHaveItemSchema).min(1) })),
  overdue: z.array(overdueRecordSchema),
  closedAs: closedAsSchema.optional(),
  closedOn: localDateSchema.optional(),
  /** Generated documents, in the order they were attached (absent on cases older than documents). */
  documents: z.array(caseDocumentSchema).optional(),
  history: z.array(historyEntrySchema),
});
export type CaseRecord = z.infer<typeof caseRecordSchema>;

/** States that end a case (no work left); DEFERRED may reopen when its end date passes without return. */
export const TERMINAL_STATES: readonly CaseState[] = [
  'STUDYING_ELSEWHERE',
  'DEFERRED',
  'NOT_DROPOUT',
  'OUT_OF_SCOPE',
  'CLOSED',
];

/** Whether the case still counts as open (动态清零 counts these). */
export function isOpen(state: CaseState): boolean {
  return !TERMINAL_STATES.includes(state);
}

/**
 * Whether the case already holds this signal or report: as one of its signals, or as the note of a
 * report from an organisation outside the case's scope. What makes a redelivery or a retry a no-op.
 */
export function holdsReport(record: CaseRecord, id: string): boolean {
  return (
    record.signals.some((s) => s.signalId === id) ||
    record.history.some((h) => h.action === 'NOTE_OUTSIDE_REPORT' && h.details.reportId === id)
  );
}
