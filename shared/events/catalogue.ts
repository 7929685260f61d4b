/**
 * 事件目录 — one zod schema per EventBridge detail-type on the kcbx bus. Producers validate before they
 * publish (`toPutEventsEntry`), consumers parse what they receive (`parseEventDetail`), and partner
 * departments get the JSON Schema generated from these (`docs/events`). Every detail object is strict:
 * an unknown field — above all a raw ID number or a name — is an error, not something passed along.
 */
import { z } from 'zod';
import { actorSchema, orgCodeSchema, roleSchema, schoolCodeSchema, townshipCodeSchema } from '../org';
import { rosterKindSchema } from '../roster-kind';
import {
  childRefSchema,
  codeSchema,
  displayTextSchema,
  envelopeShape,
  localDateSchema,
  reasonSchema,
  recordIdSchema,
  townshipInRegion,
} from './envelope';
import {
  caseStateSchema,
  causeCategorySchema,
  closedAsSchema,
  outcomeCodeSchema,
  overdueItemSchema,
  suspicionSourceSchema,
} from './vocab';

const countSchema = z.number().int().min(0);

/** 名单期次 — the period a roster describes: a term such as '2025-autumn' (秋季学期) or a date (daily attendance). */
export const rosterPeriodSchema = z
  .union([z.string().regex(/^\d{4}-(?:spring|autumn)$/), localDateSchema])
  .describe("Term such as '2025-autumn' or '2026-spring', or a date YYYY-MM-DD.");

/** 学期 — a school-year semester: '2025-2026-1' is the autumn term of 2025–2026, '-2' the spring term. */
export const semesterSchema = z
  .string()
  .regex(/^\d{4}-\d{4}-[12]$/)
  .refine((s) => Number(s.slice(5, 9)) === Number(s.slice(0, 4)) + 1, {
    error: 'the second year must follow the first, e.g. 2025-2026-1',
  })
  .describe("School-year semester, e.g. '2025-2026-1' (autumn) or '2025-2026-2' (spring).");

/** 金额（分） — money in integer fen (1 元 = 100 分), never floating-point yuan. */
export const amountFenSchema = z.number().int().min(0).describe('Amount in integer fen (1 yuan = 100 fen).');

/** 证据行 — the uploaded roster row a signal rests on: the upload and its 1-based line number. */
export const evidenceRefSchema = z.strictObject({ uploadId: recordIdSchema, line: z.number().int().min(1) });
export type EvidenceRef = z.infer<typeof evidenceRefSchema>;

/** 连续缺勤 — an unexcused absence streak in working days (东川 2025: 3 or more days make a suspected dropout). */
export const absenceStreakSchema = z
  .strictObject({ days: z.number().int().min(1), firstAbsent: localDateSchema, lastAbsent: localDateSchema })
  .refine((s) => s.firstAbsent <= s.lastAbsent, {
    error: 'firstAbsent must not be after lastAbsent',
    path: ['lastAbsent'],
  });
export type AbsenceStreak = z.infer<typeof absenceStreakSchema>;

/** A rejection reason that may point at a line and column of the uploaded file. */
export const rosterProblemSchema = reasonSchema.extend({
  line: z.number().int().min(1).optional(),
  column: displayTextSchema.max(64).optional(),
});

// ── roster-intake ────────────────────────────────────────────────────────────────────────────────────

/** 名单已接收 — an uploaded roster passed validation and its rows are stored. */
export const rosterAcceptedSchema = z.strictObject({
  ...envelopeShape,
  uploadId: recordIdSchema,
  kind: rosterKindSchema,
  /** The organisation the roster is for (the upload target). */
  org: orgCodeSchema,
  period: rosterPeriodSchema,
  counts: z
    .strictObject({ rows: countSchema, accepted: countSchema, rejected: countSchema, warnings: countSchema })
    .refine((c) => c.accepted + c.rejected === c.rows, { error: 'accepted + rejected must equal rows' }),
});

/** 名单被退回 — an upload was refused as a whole; the reasons tell the uploader what to fix. */
export const rosterRejectedSchema = z.strictObject({
  ...envelopeShape,
  uploadId: recordIdSchema,
  kind: rosterKindSchema,
  org: orgCodeSchema,
  // The first 100 problems: an event must stay far below EventBridge's 256 KB; the full report stays with the upload.
  reasons: z.array(rosterProblemSchema).min(1).max(100),
});

/** 未报考勤 — a school had not recorded a working day's attendance by the cut-off (东川 2025: 15:00). */
export const attendanceMissingSchema = z
  .strictObject({
    ...envelopeShape,
    school: schoolCodeSchema,
    township: townshipCodeSchema.optional(),
    date: localDateSchema,
  })
  .superRefine(townshipInRegion);

// ── comparison ───────────────────────────────────────────────────────────────────────────────────────

/** 比对完成 — a 四查三比对 run finished; counts of children per outcome, plus those outside the age window. */
export const comparisonCompletedSchema = z.strictObject({
  ...envelopeShape,
  comparisonId: recordIdSchema,
  asOf: localDateSchema,
  counts: z.strictObject({
    CONSISTENT: countSchema,
    NOT_ENROLLED: countSchema,
    ENROLLED_ABSENT: countSchema,
    PRESENT_UNENROLLED: countSchema,
    IDENTITY_MISMATCH: countSchema,
    DUPLICATE_ENROLLMENT: countSchema,
    DEFERRED: countSchema,
    /** Children in the rosters but outside the region's compulsory-age window. */
    outOfWindow: countSchema,
  }),
});

const suspectedCommon = {
  ...envelopeShape,
  child: childRefSchema,
  school: schoolCodeSchema.optional(),
  township: townshipCodeSchema.optional(),
  /** 重点群体 — 脱贫户 / 三类监测 household, disabled child, or 初中 student (东川 2025). */
  priority: z.boolean(),
  asOf: localDateSchema,
} as const;

/** 疑似辍学 — a child is suspected of having dropped out; by comparison, attendance streak, or a person's report. */
export const dropoutSuspectedSchema = z.discriminatedUnion('source', [
  z
    .strictObject({
      ...suspectedCommon,
      source: z.literal('COMPARISON'),
      outcome: outcomeCodeSchema,
      evidence: z.array(evidenceRefSchema).min(1).max(50),
    })
    .superRefine(townshipInRegion),
  z
    .strictObject({
      ...suspectedCommon,
      source: z.literal('ATTENDANCE'),
      streak: absenceStreakSchema,
      evidence: z.array(evidenceRefSchema).min(1).max(50),
    })
    .superRefine(townshipInRegion),
  z
    .strictObject({
      ...suspectedCommon,
      source: z.literal('MANUAL'),
      outcome: outcomeCodeSchema.optional(),
      evidence: z.array(evidenceRefSchema).max(50),
    })
    .superRefine(townshipInRegion),
]);

/** 疑似解除 — a later comparison explains a child previously suspected (e.g. now consistent or deferred). */
export const dropoutResolvedSchema = z.strictObject({
  ...envelopeShape,
  child: childRefSchema,
  comparisonId: recordIdSchema,
  previousOutcome: outcomeCodeSchema,
  outcome: outcomeCodeSchema,
});

// ── cases ────────────────────────────────────────────────────────────────────────────────────────────

/** 立案 — a 一生一案 case was opened for a suspected dropout. */
export const caseOpenedSchema = z
  .strictObject({
    ...envelopeShape,
    caseId: recordIdSchema,
    child: childRefSchema,
    school: schoolCodeSchema.optional(),
    township: townshipCodeSchema.optional(),
    source: suspicionSourceSchema,
    priority: z.boolean(),
    causeCategory: causeCategorySchema.optional(),
  })
  .superRefine(townshipInRegion);

/** 案件状态变更 — a case moved from one state to another; `version` is the case's new version. */
export const caseStateChangedSchema = z
  .strictObject({
    ...envelopeShape,
    caseId: recordIdSchema,
    child: childRefSchema,
    from: caseStateSchema,
    to: caseStateSchema,
    version: z.number().int().min(1),
    actor: actorSchema,
    /** The cause as recorded on the case at this change (often known only after verification). */
    causeCategory: causeCategorySchema.optional(),
    /** 重点群体 as recorded on the case at this change. */
    priority: z.boolean().optional(),
  })
  .refine((d) => d.from !== d.to, { error: 'from and to must differ', path: ['to'] });

/** 逾期上报 — a case duty passed its deadline; escalationLevel 0 is the responsible level itself. */
export const caseOverdueSchema = z.strictObject({
  ...envelopeShape,
  caseId: recordIdSchema,
  child: childRefSchema,
  item: overdueItemSchema,
  dueOn: localDateSchema,
  escalationLevel: z.number().int().min(0),
  escalatedTo: roleSchema.exclude(['ops']),
});

/** 结案 — a case was closed, with the explanation it was closed as. */
export const caseClosedSchema = z.strictObject({
  ...envelopeShape,
  caseId: recordIdSchema,
  child: childRefSchema,
  closedAs: closedAsSchema,
});

/** 复学 — a child is back at school; 巩固 follow-up starts. */
export const studentReturnedSchema = z.strictObject({
  ...envelopeShape,
  caseId: recordIdSchema,
  child: childRefSchema,
  school: schoolCodeSchema,
  returnedOn: localDateSchema,
});

// ── subsidy ──────────────────────────────────────────────────────────────────────────────────────────

/** 资助项目 — a benefit code defined by the region's versioned subsidy policy, e.g. BOARDING_LIVING (寄宿生生活补助). */
export const benefitCodeSchema = codeSchema.describe(
  'Benefit code from the region subsidy policy, e.g. BOARDING_LIVING.',
);

/** 资助测算完成 — a subsidy run determined a semester's payments; totals per benefit. */
export const subsidyDeterminedSchema = z.strictObject({
  ...envelopeShape,
  runId: recordIdSchema,
  semester: semesterSchema,
  policyVersion: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  totals: z
    .array(z.strictObject({ benefit: benefitCodeSchema, count: countSchema, amountFen: amountFenSchema }))
    .refine((totals) => new Set(totals.map((t) => t.benefit)).size === totals.length, {
      error: 'each benefit appears once in totals',
    }),
});

/** 资助暂缓 — a child's benefit is held back (e.g. not actually at school, already paid this semester). */
export const subsidyHeldSchema = z.strictObject({
  ...envelopeShape,
  runId: recordIdSchema,
  child: childRefSchema,
  benefit: benefitCodeSchema,
  reason: codeSchema,
});

// ── the catalogue ────────────────────────────────────────────────────────────────────────────────────

/** The kcbx services that publish events; an event's EventBridge `source` is `kcbx.<service>`. */
export type EventSource = 'kcbx.roster-intake' | 'kcbx.comparison' | 'kcbx.cases' | 'kcbx.subsidy';

interface CatalogueEntry {
  source: EventSource;
  schema: z.ZodType;
  description: { en: string; zh: string };
}

/** detail-type → publishing service, detail schema and description. Every event on the bus is listed here. */
export const eventCatalogue = {
  'roster.accepted': {
    source: 'kcbx.roster-intake',
    schema: rosterAcceptedSchema,
    description: {
      en: 'An uploaded roster passed validation and its rows are stored.',
      zh: '上传的名单通过校验，数据已入库。',
    },
  },
  'roster.rejected': {
    source: 'kcbx.roster-intake',
    schema: rosterRejectedSchema,
    description: {
      en: 'An upload was refused as a whole; the reasons say what to fix.',
      zh: '上传的名单被整体退回，原因说明需要如何修改。',
    },
  },
  'comparison.completed': {
    source: 'kcbx.comparison',
    schema: comparisonCompletedSchema,
    description: {
      en: 'A comparison run (四查三比对) finished; counts of children per outcome.',
      zh: '四查三比对完成，按比对结果统计人数。',
    },
  },
  'dropout.suspected': {
    source: 'kcbx.comparison',
    schema: dropoutSuspectedSchema,
    description: {
      en: 'A child is suspected of having dropped out (by comparison, attendance streak or manual report).',
      zh: '发现疑似辍学学生（比对、连续缺勤或人工报告）。',
    },
  },
  'dropout.resolved': {
    source: 'kcbx.comparison',
    schema: dropoutResolvedSchema,
    description: {
      en: 'A later comparison explains a child who was suspected of having dropped out.',
      zh: '后续比对已解释此前的疑似辍学情况。',
    },
  },
  'attendance.missing': {
    source: 'kcbx.roster-intake',
    schema: attendanceMissingSchema,
    description: {
      en: "A school has not recorded a working day's attendance by the cut-off time.",
      zh: '学校在截止时间前未报送当日考勤。',
    },
  },
  'case.opened': {
    source: 'kcbx.cases',
    schema: caseOpenedSchema,
    description: {
      en: 'A case (一生一案) was opened for a suspected dropout.',
      zh: '疑似辍学学生已立案（一生一案）。',
    },
  },
  'case.state-changed': {
    source: 'kcbx.cases',
    schema: caseStateChangedSchema,
    description: { en: 'A case moved to another state.', zh: '案件状态发生变更。' },
  },
  'case.overdue': {
    source: 'kcbx.cases',
    schema: caseOverdueSchema,
    description: {
      en: 'A case duty passed its deadline and was escalated.',
      zh: '案件事项逾期，已逐级上报。',
    },
  },
  'case.closed': {
    source: 'kcbx.cases',
    schema: caseClosedSchema,
    description: { en: 'A case was closed with an explanation and evidence.', zh: '案件已凭证据结案。' },
  },
  'student.returned': {
    source: 'kcbx.cases',
    schema: studentReturnedSchema,
    description: {
      en: 'A student returned to school; follow-up (巩固) starts.',
      zh: '学生已复学，进入巩固跟踪。',
    },
  },
  'subsidy.determined': {
    source: 'kcbx.subsidy',
    schema: subsidyDeterminedSchema,
    description: {
      en: "A subsidy run determined a semester's payments (totals per benefit, in fen).",
      zh: '学期资助测算完成（按资助项目汇总，单位：分）。',
    },
  },
  'subsidy.held': {
    source: 'kcbx.subsidy',
    schema: subsidyHeldSchema,
    description: {
      en: "A child's benefit is held back, with the reason.",
      zh: '学生的资助被暂缓发放，并说明原因。',
    },
  },
} as const satisfies Record<string, CatalogueEntry>;
