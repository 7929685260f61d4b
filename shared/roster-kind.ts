import { z } from 'zod';

/**
 * 名单类型 — the kinds of roster an organisation uploads (docs/domain.md §1.3). Who may upload which
 * kind is decided by `canUpload` in `shared/authz.ts`.
 */
export const rosterKindSchema = z.enum([
  'household',
  'enrollment',
  'headcount',
  'attendance',
  'poverty',
  'assistance',
  'disability',
  'deferral',
]);
export type RosterKind = z.infer<typeof rosterKindSchema>;

export const ROSTER_KIND_NAMES_ZH = {
  household: '户籍',
  enrollment: '学籍',
  headcount: '在校清点',
  attendance: '考勤',
  poverty: '脱贫户及三类监测',
  assistance: '低保特困孤儿留守',
  disability: '残疾',
  deferral: '缓学休学',
} as const satisfies Record<RosterKind, string>;
