import { z } from 'zod';
import { calendarOverridesSchema } from './calendar';

const monthDay = z
  .string()
  .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'expected MM-DD, e.g. 08-31 / 应为 月-日，如 08-31');
const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM, e.g. 15:00 / 应为 时:分，如 15:00');

/**
 * 双线责任人 — the two lines of responsibility plus the guardian. Which positions must be filled is the
 * region's chain shape (双线四级六长, 八包, 十人制 …, `CaseRules.chain`); a case cannot leave
 * SUSPECTED until every required position is filled.
 */
export const chainPositionSchema = z.enum([
  // 政府线 — government line
  'COUNTY_HEAD',
  'TOWNSHIP_HEAD',
  'VILLAGE_HEAD',
  'GROUP_HEAD',
  // 教育线 — education line
  'BUREAU_HEAD',
  'PRINCIPAL',
  'HEAD_TEACHER',
  'CONTACT_TEACHER',
  // 监护人
  'GUARDIAN',
]);
export type ChainPosition = z.infer<typeof chainPositionSchema>;

export const CHAIN_POSITION_NAMES_ZH = {
  COUNTY_HEAD: '县级包保领导',
  TOWNSHIP_HEAD: '乡（镇）长',
  VILLAGE_HEAD: '村（社区）主任',
  GROUP_HEAD: '村民小组长',
  BUREAU_HEAD: '教育局局长',
  PRINCIPAL: '校长',
  HEAD_TEACHER: '班主任',
  CONTACT_TEACHER: '包保教师',
  GUARDIAN: '监护人',
} as const satisfies Record<ChainPosition, string>;

/**
 * 控辍工作规则 — the case rules that are region settings (docs/domain.md §8): the chain's shape, the
 * deadlines in working days, the follow-up period and the reporting snapshot cadence.
 */
export const caseRulesSchema = z
  .strictObject({
    /** Positions that must be filled before a case leaves SUSPECTED (default 双线四级 + guardian). */
    chain: z
      .array(chainPositionSchema)
      .min(1)
      .default(['TOWNSHIP_HEAD', 'VILLAGE_HEAD', 'PRINCIPAL', 'HEAD_TEACHER', 'CONTACT_TEACHER', 'GUARDIAN']),
    /** 三线报告: due by the end of the Nth working day after the case opened. */
    threeLineReportWorkingDays: z.number().int().min(0).max(10).default(1),
    /** 首次家访: within N working days of opening. */
    firstHomeVisitWorkingDays: z.number().int().min(1).max(30).default(5),
    /** 劝返: a PERSUADING case with no logged action for N working days is overdue. */
    persuadingIdleWorkingDays: z.number().int().min(1).max(60).default(10),
    /** 送教上门: at least weekly — overdue after N calendar days without a visit. */
    homeTeachingVisitDays: z.number().int().min(1).max(31).default(7),
    /** 巩固: follow-up period after 复学 (one term, counted as 20 weeks). */
    followUpDays: z.number().int().min(28).max(400).default(140),
  })
  .default({
    chain: ['TOWNSHIP_HEAD', 'VILLAGE_HEAD', 'PRINCIPAL', 'HEAD_TEACHER', 'CONTACT_TEACHER', 'GUARDIAN'],
    threeLineReportWorkingDays: 1,
    firstHomeVisitWorkingDays: 5,
    persuadingIdleWorkingDays: 10,
    homeTeachingVisitDays: 7,
    followUpDays: 140,
  });
export type CaseRules = z.infer<typeof caseRulesSchema>;

/** 报送层级 — who a snapshot is reported to. */
export const reportingLevelSchema = z.enum(['school', 'county', 'city', 'province']);
export type ReportingLevel = z.infer<typeof reportingLevelSchema>;

export const REPORTING_LEVEL_NAMES_ZH = {
  school: '学校',
  county: '县（区）',
  city: '市（州）',
  province: '省',
} as const satisfies Record<ReportingLevel, string>;

/**
 * 报送周期. The periods tile the calendar and all end on a month's last day:
 * - MONTH, QUARTER: calendar months and quarters.
 * - SEMESTER: September to February and March to August. A semester is reported at the end of February
 *   and the end of August rather than at the end of teaching (January, July): each snapshot then closes
 *   the period just before the next 四查三比对 (about a week into the September and March terms,
 *   docs/domain.md §2.1), the holidays' cases are inside it, and two semesters make one school year.
 * - SCHOOL_YEAR: 1 September to 31 August (the entry cut-off date is 31 August in most counties).
 */
export const reportingPeriodSchema = z.enum(['MONTH', 'QUARTER', 'SEMESTER', 'SCHOOL_YEAR']);
export type ReportingPeriod = z.infer<typeof reportingPeriodSchema>;

export const REPORTING_PERIOD_NAMES_ZH = {
  MONTH: '每月',
  QUARTER: '每季度',
  SEMESTER: '每学期',
  SCHOOL_YEAR: '每学年',
} as const satisfies Record<ReportingPeriod, string>;

const DEFAULT_CADENCE = {
  school: 'MONTH',
  county: 'QUARTER',
  city: 'SEMESTER',
  province: 'SCHOOL_YEAR',
} as const satisfies Record<ReportingLevel, ReportingPeriod>;

/**
 * 台账快照报送周期 — a region setting: how often each level freezes the ledgers (docs/domain.md §6.1;
 * defaults: school monthly, county quarterly, city each semester, province each school year).
 */
export const reportingCadenceSchema = z
  .strictObject({
    school: reportingPeriodSchema.default(DEFAULT_CADENCE.school),
    county: reportingPeriodSchema.default(DEFAULT_CADENCE.county),
    city: reportingPeriodSchema.default(DEFAULT_CADENCE.city),
    province: reportingPeriodSchema.default(DEFAULT_CADENCE.province),
  })
  .default(DEFAULT_CADENCE);
export type ReportingCadence = z.infer<typeof reportingCadenceSchema>;

/**
 * 地区设置 — the rules that differ between regions. The policy documents disagree on
 * several of them, so each is a setting rather than a fork of the code.
 */
export const regionSettingsSchema = z
  .object({
    /** 入学年龄: children who have turned this age on the entry cut-off date start grade 1. */
    minAge: z.number().int().min(5).max(8).default(6),
    /** 适龄上限 (周岁): 15 in 富民 2019 and 临沧 2020, 16 in 双江 2020. */
    maxAge: z.number().int().min(14).max(18).default(15),
    /** 入学截止日 (MM-DD) of the check year, commonly 31 August. */
    entryCutoff: monthDay.default('08-31'),
    /**
     * Consecutive working days of unexcused absence that make a suspected dropout, read as
     * "at least N": 东川 2025 §二(三)2 says 3天及以上 (N = 3); 富民 2019 says 连续超过3个工作日 (N = 4).
     */
    absenceThreshold: z.number().int().min(1).max(30).default(3),
    /** 东川 2025 §二(三)3: attendance is recorded by 15:00 every working day. */
    attendanceCutoff: clockTime.default('15:00'),
    /** IANA time zone of the region's calendar dates and cut-off times. */
    timeZone: z.string().default('Asia/Shanghai'),
    /**
     * 放假调休 of years the calendar package does not hold yet (e.g. the State Council's 2027 notice,
     * loaded by the operations team when it is published); see shared/calendar.ts.
     */
    calendar: calendarOverridesSchema.optional(),
    /** 一生一案 rules: chain shape, deadlines, follow-up period. */
    cases: caseRulesSchema,
    /** 台账快照: how often each level freezes the ledgers. */
    reporting: reportingCadenceSchema,
    /**
     * 资助政策 — the built-in subsidy policy a run uses when the request names none (services/subsidy).
     * Named, not picked by region: the province variant shipped with kcbx is an example, and a region moves
     * to its own policy only when its finance bureau says so. Checked against the built-ins at synth time.
     */
    subsidyPolicy: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,39}$/, 'a built-in policy name such as national-baseline')
      .default('national-baseline'),
  })
  .strict();

export type RegionSettings = z.infer<typeof regionSettingsSchema>;

/** Parses settings from a deployment's config or a Lambda's environment (JSON). */
export function parseRegionSettings(input: unknown): RegionSettings {
  return regionSettingsSchema.parse(input ?? {});
}

/** The settings a function was deployed with (KCBX_REGION_SETTINGS, JSON); the defaults when it has none. */
export function regionSettingsFromEnv(): RegionSettings {
  return parseRegionSettings(JSON.parse(process.env.KCBX_REGION_SETTINGS ?? '{}'));
}
