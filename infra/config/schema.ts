import { RegionInfo } from 'aws-cdk-lib/region-info';
import { z } from 'zod';
import { regionSettingsSchema } from '../../shared/region-settings';
import { isChinaRegion } from './partition';

/** 省级行政区划代码 (first two digits of a 6-digit region code). */
const PROVINCE_CODES = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
]);

/** Taiwan (71), Hong Kong (81) and Macao (82): outside the mainland and its personal-information law. */
const OUTSIDE_MAINLAND = new Set(['71', '81', '82']);

/** Whether a region code is of the mainland (中国内地), where the personal-information law applies. */
const isMainlandRegionCode = (code: string): boolean =>
  PROVINCE_CODES.has(code.slice(0, 2)) && !OUTSIDE_MAINLAND.has(code.slice(0, 2));

const knownAwsRegions = new Set(RegionInfo.regions.map((r) => r.name));

const regionCodeSchema = z
  .string()
  .regex(/^\d{6}$/, 'must be a 6-digit 行政区划代码 such as 530124')
  .refine((code) => PROVINCE_CODES.has(code.slice(0, 2)), {
    message: 'unknown region code: its first two digits are not a province (11–82); check the 行政区划代码',
  });

export const deploymentSchema = z
  .object({
    /** Short id used in the stack name (Kcbx-<id>) and resource names. */
    id: z.string().regex(/^[a-z][a-z0-9-]{1,24}$/, 'lower-case letters, digits and dashes, e.g. fumin'),
    /** Human name of the region, e.g. 富民县. */
    name: z.string().min(1),
    /** The region this deployment serves: a county, or a city/province bureau covering several. */
    regionCode: regionCodeSchema,
    aws: z
      .object({
        account: z
          .string()
          .regex(/^\d{12}$/, 'a 12-digit AWS account id')
          .optional(),
        region: z.string().refine((r) => knownAwsRegions.has(r), {
          message: 'unknown AWS region; use a region name such as cn-northwest-1 or cn-north-1',
        }),
      })
      .strict(),
    /** OIDC issuer whose JWTs the HTTP API accepts (Cognito is not in every region). */
    identity: z
      .object({
        issuer: z.url({
          message: 'missing or invalid identity.issuer: the OIDC issuer URL of this deployment',
        }),
        audience: z.array(z.string().min(1)).min(1),
      })
      .strict(),
    /** The `local` deployment runs on emulators: resources are disposable there, and only there. */
    local: z.boolean().default(false),
    /** Where alarm notifications go (an operations team mailbox). */
    alarmEmail: z.email().optional(),
    /** Days to keep raw uploaded roster files before they expire. */
    rosterRetentionDays: z.number().int().min(30).max(3650).default(365),
    settings: regionSettingsSchema.default(regionSettingsSchema.parse({})),
  })
  .strict()
  .superRefine((d, ctx) => {
    // 个人信息保护法 第三十六条: personal information handled by state organs (a county education bureau
    // is one) is stored inside the PRC; 第三十八至四十条 govern any transfer abroad. A mainland region's
    // children's records therefore live in a China region. Only the emulated `local` stack is exempt:
    // it never leaves the developer's machine, whatever AWS region its template names.
    if (d.local || !isMainlandRegionCode(d.regionCode) || isChinaRegion(d.aws.region)) return;
    ctx.addIssue({
      code: 'custom',
      path: ['aws', 'region'],
      message:
        `${d.name}（${d.regionCode}）是中国内地的地区，其儿童个人信息须存储在境内（个人信息保护法第三十六条、第三十八至四十条），` +
        `不能部署到 ${d.aws.region}：请改为 cn-north-1（北京）或 cn-northwest-1（宁夏）；只有在本机模拟器上运行的部署才可设 local: true。 ` +
        `${d.regionCode} is a region of mainland China: its children's personal information must be stored in mainland ` +
        `China (PIPL art. 36, 38–40), so it cannot be deployed to ${d.aws.region}. Use cn-north-1 (Beijing) or ` +
        `cn-northwest-1 (Ningxia); only a deployment that runs on the local emulators may set local: true.`,
    });
  });

export type Deployment = z.infer<typeof deploymentSchema>;

export const deploymentsSchema = z
  .array(deploymentSchema)
  .min(1)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const [i, d] of list.entries()) {
      if (seen.has(d.id))
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate deployment id ${d.id}` });
      seen.add(d.id);
    }
    if (list.filter((d) => d.local).length > 1) {
      ctx.addIssue({ code: 'custom', message: 'at most one deployment may be local' });
    }
  });

/** Validates a deployment list and turns zod's issues into one readable message. */
export function loadDeployments(input: unknown): Deployment[] {
  const parsed = deploymentsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : '(root)';
    return `  - ${where}: ${issue.message}`;
  });
  throw new Error(`Invalid deployment configuration (infra/config/deployments.ts):\n${lines.join('\n')}`);
}
