/**
 * 名单记录 — the normalised record the system stores for one accepted row of each roster kind
 * (docs/domain.md §1.3). Whatever the headers and spellings of the uploaded file, intake turns every
 * row into one of these: canonical field names, 18-character ID numbers, ISO dates, enum codes.
 * Columns the system does not know are kept, under the header text the uploader wrote, in `extra`.
 *
 * Each enum has a const map of Chinese names for displays and exports; within schema version 1
 * values may be added, never renamed or removed.
 */
import { z } from 'zod';
import { localDateSchema } from '../events/envelope';
import { checkDigit } from '../id-number';
import { schoolCodeSchema } from '../org';
import type { RosterKind } from '../roster-kind';

// ── building blocks ──────────────────────────────────────────────────────────────────────────────────

/** 身份证号 — normalised: 18 characters, upper-case X, valid check digit (see shared/id-number.ts). */
export const idNumberSchema = z
  .string()
  .regex(/^\d{17}[\dX]$/, { error: 'an 18-character ID number (digits, final X upper-case)' })
  // zod runs every check even after the regex failed, so the refinement guards itself.
  .refine((id) => !/^\d{17}[\dX]$/.test(id) || checkDigit(id.slice(0, 17)) === id[17], {
    error: 'the check digit is wrong',
  });

/**
 * 姓名 — as normalised by intake: no leading or trailing whitespace and none inside Chinese names
 * ('张 三' → '张三'); 64 characters leave room for long minority names written in Chinese.
 */
export const personNameSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((n) => n === n.trim() && !/[\p{Script=Han}·]\s|\s[\p{Script=Han}·]/u.test(n), {
    error: 'a name without spaces around Chinese characters',
  });

/** 性别 — M 男, F 女. */
export const sexSchema = z.enum(['M', 'F']);
export type Sex = z.infer<typeof sexSchema>;
export const SEX_NAMES_ZH = { M: '男', F: '女' } as const satisfies Record<Sex, string>;

/** Short free text from a cell (school name, class, address …), trimmed, never empty. */
const cellTextSchema = z.string().trim().min(1).max(200);

/** 学籍号 — 全国学籍号 ('G' + ID number, 'L' + temporary number) or a 学籍辅号, upper-case. */
export const studentNumberSchema = z
  .string()
  .regex(/^[0-9A-Z-]{1,32}$/, { error: 'a student number of up to 32 digits and capital letters' });

/** 户籍地行政区划代码 — county (6), township (9) or village (12) code. */
export const householdRegionCodeSchema = z
  .string()
  .regex(/^(?:1[1-9]|[2-7]\d|8[0-2])\d{4}(?:\d{3}(?:\d{3})?)?$/, {
    error: 'a 6-, 9- or 12-digit 行政区划代码 starting with a province code 11–82',
  });

/** 未识别列 — columns the system has no field for, keyed by the header text as the uploader wrote it. */
export const extraColumnsSchema = z.record(z.string().min(1).max(100), z.string().max(1000));

/** 学段 — PRIMARY 小学 (grades 1–6), JUNIOR 初中 (grades 7–9). */
export const schoolStageSchema = z.enum(['PRIMARY', 'JUNIOR']);
export type SchoolStage = z.infer<typeof schoolStageSchema>;
export const SCHOOL_STAGE_NAMES_ZH = { PRIMARY: '小学', JUNIOR: '初中' } as const satisfies Record<
  SchoolStage,
  string
>;

/**
 * 出勤状态 — one pupil on one day. ABSENT is an absence whose reason the school did not record and LEAVE
 * a leave whose type it did not record: neither is excused by itself; whether an absence counts towards
 * the 3-day streak (东川 2025) is the attendance rule's decision, which also reads `leaveApproved`.
 */
export const attendanceStatusSchema = z.enum([
  'PRESENT',
  'LATE',
  'LEFT_EARLY',
  'PERSONAL_LEAVE',
  'SICK_LEAVE',
  'LEAVE',
  'ABSENT_UNEXCUSED',
  'ABSENT',
]);
export type AttendanceStatus = z.infer<typeof attendanceStatusSchema>;
export const ATTENDANCE_STATUS_NAMES_ZH = {
  PRESENT: '出勤',
  LATE: '迟到',
  LEFT_EARLY: '早退',
  PERSONAL_LEAVE: '事假',
  SICK_LEAVE: '病假',
  LEAVE: '请假（未注明类型）',
  ABSENT_UNEXCUSED: '旷课',
  ABSENT: '缺勤（未注明原因）',
} as const satisfies Record<AttendanceStatus, string>;

/** 脱贫户及三类监测对象 — the 乡村振兴 categories (docs/domain.md §1.3; 东川 2025 priority groups, §2.4). */
export const povertyCategorySchema = z.enum([
  'LIFTED_OUT_OF_POVERTY',
  'UNSTABLE',
  'MARGINAL',
  'SUDDEN_HARDSHIP',
]);
export type PovertyCategory = z.infer<typeof povertyCategorySchema>;
export const POVERTY_CATEGORY_NAMES_ZH = {
  LIFTED_OUT_OF_POVERTY: '脱贫户（建档立卡户）',
  UNSTABLE: '脱贫不稳定户',
  MARGINAL: '边缘易致贫户',
  SUDDEN_HARDSHIP: '突发严重困难户',
} as const satisfies Record<PovertyCategory, string>;

/**
 * 民政救助与关爱类别 — assistance and care categories from 民政. UNSUPPORTED (事实无人抚养儿童) is a 民政
 * category of its own beside 孤儿, so it is not folded into ORPHAN.
 */
export const assistanceCategorySchema = z.enum(['DIBAO', 'TEKUN', 'ORPHAN', 'UNSUPPORTED', 'LEFT_BEHIND']);
export type AssistanceCategory = z.infer<typeof assistanceCategorySchema>;
export const ASSISTANCE_CATEGORY_NAMES_ZH = {
  DIBAO: '低保',
  TEKUN: '特困供养',
  ORPHAN: '孤儿',
  UNSUPPORTED: '事实无人抚养儿童',
  LEFT_BEHIND: '留守儿童',
} as const satisfies Record<AssistanceCategory, string>;

/** 残疾类别 — the seven categories of the 残疾人证 (GB/T 26341). */
export const disabilityCategorySchema = z.enum([
  'VISUAL',
  'HEARING',
  'SPEECH',
  'PHYSICAL',
  'INTELLECTUAL',
  'MENTAL',
  'MULTIPLE',
]);
export type DisabilityCategory = z.infer<typeof disabilityCategorySchema>;
export const DISABILITY_CATEGORY_NAMES_ZH = {
  VISUAL: '视力残疾',
  HEARING: '听力残疾',
  SPEECH: '言语残疾',
  PHYSICAL: '肢体残疾',
  INTELLECTUAL: '智力残疾',
  MENTAL: '精神残疾',
  MULTIPLE: '多重残疾',
} as const satisfies Record<DisabilityCategory, string>;

/** 残疾等级 — 一级 (most severe) to 四级. */
export const disabilityLevelSchema = z.number().int().min(1).max(4);

/** 缓学 / 休学 — deferred entry (not yet enrolled) or suspended study (enrolled, paused). */
export const deferralTypeSchema = z.enum(['DEFERRED', 'SUSPENDED']);
export type DeferralType = z.infer<typeof deferralTypeSchema>;
export const DEFERRAL_TYPE_NAMES_ZH = { DEFERRED: '缓学', SUSPENDED: '休学' } as const satisfies Record<
  DeferralType,
  string
>;

// ── the records ──────────────────────────────────────────────────────────────────────────────────────

/** Fields every roster row has. `sex` and `birthDate` are always filled by intake from the ID number. */
const personShape = {
  idNumber: idNumberSchema,
  name: personNameSchema,
  sex: sexSchema.optional(),
  birthDate: localDateSchema.optional(),
  extra: extraColumnsSchema.optional(),
};

/** Where a pupil is: the fields school rosters share. */
const schoolPlaceShape = {
  studentNumber: studentNumberSchema.optional(),
  schoolName: cellTextSchema.optional(),
  schoolCode: schoolCodeSchema.optional(),
  grade: cellTextSchema.optional(),
  className: cellTextSchema.optional(),
};

/** 户籍 — a child registered in the region (公安 / township). */
export const householdRecordSchema = z.strictObject({
  ...personShape,
  address: cellTextSchema.optional(),
  guardianName: personNameSchema.optional(),
  householdNumber: cellTextSchema.optional(),
  regionCode: householdRegionCodeSchema.optional(),
});
export type HouseholdRecord = z.infer<typeof householdRecordSchema>;

/** 学籍 — a pupil registered at a school (全国中小学生学籍信息管理系统 export). */
export const enrollmentRecordSchema = z.strictObject({
  ...personShape,
  ...schoolPlaceShape,
  /** 就读方式: true 住校 (boarding), false 走读 (day pupil). */
  boarding: z.boolean().optional(),
  /** From 学段, or derived from 年级 when it reads 一年级…九年级 / 初一…初三. */
  stage: schoolStageSchema.optional(),
});
export type EnrollmentRecord = z.infer<typeof enrollmentRecordSchema>;

/** 在校清点 — the term-start headcount: is the pupil physically at school? */
export const headcountRecordSchema = z.strictObject({
  ...personShape,
  ...schoolPlaceShape,
  present: z.boolean(),
});
export type HeadcountRecord = z.infer<typeof headcountRecordSchema>;

/** 考勤 — one pupil on one school day. */
export const attendanceRecordSchema = z.strictObject({
  ...personShape,
  ...schoolPlaceShape,
  date: localDateSchema,
  status: attendanceStatusSchema,
  /** 请假审批: true 已批准, false 未批准 or pending; absent when the file does not say. */
  leaveApproved: z.boolean().optional(),
});
export type AttendanceRecord = z.infer<typeof attendanceRecordSchema>;

/** 脱贫户 / 三类监测 — a child of a household in one of the 乡村振兴 categories. */
export const povertyRecordSchema = z.strictObject({
  ...personShape,
  category: povertyCategorySchema,
});
export type PovertyRecord = z.infer<typeof povertyRecordSchema>;

/** 低保 / 特困 / 孤儿 / 留守 — one 民政 category of one child (a child in two categories has two rows). */
export const assistanceRecordSchema = z.strictObject({
  ...personShape,
  category: assistanceCategorySchema,
});
export type AssistanceRecord = z.infer<typeof assistanceRecordSchema>;

/** 残疾 — a child registered by 残联 (送教上门 eligibility is decided later, from category and level). */
export const disabilityRecordSchema = z.strictObject({
  ...personShape,
  category: disabilityCategorySchema.optional(),
  level: disabilityLevelSchema.optional(),
});
export type DisabilityRecord = z.infer<typeof disabilityRecordSchema>;

/** 缓学 / 休学 — an approved deferral or suspension, valid from `from` to `until` inclusive. */
export const deferralRecordSchema = z
  .strictObject({
    ...personShape,
    ...schoolPlaceShape,
    type: deferralTypeSchema,
    from: localDateSchema,
    until: localDateSchema,
    /** 批准文号 — the approval document's reference. */
    approvalRef: cellTextSchema.optional(),
    /** 缓学（休学）原因. */
    reason: cellTextSchema.optional(),
  })
  .refine((r) => r.from <= r.until, { error: 'from must not be after until', path: ['until'] });
export type DeferralRecord = z.infer<typeof deferralRecordSchema>;

/** The record schema of each roster kind. */
export const rosterRecordSchemas = {
  household: householdRecordSchema,
  enrollment: enrollmentRecordSchema,
  headcount: headcountRecordSchema,
  attendance: attendanceRecordSchema,
  poverty: povertyRecordSchema,
  assistance: assistanceRecordSchema,
  disability: disabilityRecordSchema,
  deferral: deferralRecordSchema,
} as const satisfies Record<RosterKind, z.ZodType>;

export type RosterRecordByKind = { [K in RosterKind]: z.infer<(typeof rosterRecordSchemas)[K]> };
export type RosterRecord = RosterRecordByKind[RosterKind];

/** Every field name that occurs in some roster record. */
export type RosterFieldName = {
  [K in RosterKind]: keyof RosterRecordByKind[K];
}[RosterKind];

/** The fields of one kind's record, in display order. */
export function rosterRecordFields<K extends RosterKind>(kind: K): (keyof RosterRecordByKind[K] & string)[] {
  return Object.keys(rosterRecordSchemas[kind].shape) as (keyof RosterRecordByKind[K] & string)[];
}

/** 字段中文名 — the Chinese display name of every record field (report headers, exports, messages). */
export const ROSTER_FIELD_NAMES_ZH = {
  idNumber: '身份证号',
  name: '姓名',
  sex: '性别',
  birthDate: '出生日期',
  extra: '其他列',
  address: '住址',
  guardianName: '监护人姓名',
  householdNumber: '户号',
  regionCode: '户籍地行政区划代码',
  studentNumber: '学籍号',
  schoolName: '学校名称',
  schoolCode: '学校标识码',
  grade: '年级',
  className: '班级',
  boarding: '就读方式（住校/走读）',
  stage: '学段',
  present: '在校情况',
  date: '考勤日期',
  status: '出勤状态',
  leaveApproved: '请假审批',
  category: '类别',
  level: '残疾等级',
  type: '缓学/休学',
  from: '开始日期',
  until: '结束日期',
  approvalRef: '批准文号',
  reason: '原因',
} as const satisfies Record<RosterFieldName, string>;

/** Field names in English, for the English half of bilingual messages. */
export const ROSTER_FIELD_NAMES_EN = {
  idNumber: 'ID number',
  name: 'name',
  sex: 'sex',
  birthDate: 'birth date',
  extra: 'other columns',
  address: 'address',
  guardianName: 'guardian name',
  householdNumber: 'household number',
  regionCode: 'region code of the household registration',
  studentNumber: 'student number',
  schoolName: 'school name',
  schoolCode: 'school code',
  grade: 'grade',
  className: 'class',
  boarding: 'boarding or day pupil',
  stage: 'school stage',
  present: 'present at school',
  date: 'attendance date',
  status: 'attendance status',
  leaveApproved: 'leave approval',
  category: 'category',
  level: 'disability level',
  type: 'deferral or suspension',
  from: 'start date',
  until: 'end date',
  approvalRef: 'approval reference',
  reason: 'reason',
} as const satisfies Record<RosterFieldName, string>;
