import { z } from 'zod';

const monthDay = z
  .string()
  .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'expected MM-DD, e.g. 08-31 / 应为 月-日，如 08-31');
const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM, e.g. 15:00 / 应为 时:分，如 15:00');

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
  })
  .strict();

export type RegionSettings = z.infer<typeof regionSettingsSchema>;

/** Parses settings from a deployment's config or a Lambda's environment (JSON). */
export function parseRegionSettings(input: unknown): RegionSettings {
  return regionSettingsSchema.parse(input ?? {});
}
