import { loadDeployments } from './schema';

/**
 * The regions kcbx is deployed to: one stack each. An operations team adds its county or
 * province here and runs `npx cdk deploy Kcbx-<id>`.
 */
export const deployments = loadDeployments([
  {
    // 昆明市东川区: 东川 2025 — 3天及以上 unexcused absence, attendance recorded by 15:00.
    id: 'dongchuan',
    name: '昆明市东川区',
    regionCode: '530113',
    aws: { region: 'cn-northwest-1' },
    identity: { issuer: 'https://id.dongchuan.example.cn/realms/kcbx', audience: ['kcbx-api'] },
    settings: { absenceThreshold: 3, attendanceCutoff: '15:00' },
  },
  {
    // 双江自治县: 双江 2020 counts 适龄 up to 16 周岁. Beijing, so that both China regions are exercised.
    id: 'shuangjiang',
    name: '临沧市双江自治县',
    regionCode: '530925',
    aws: { region: 'cn-north-1' },
    identity: { issuer: 'https://login.shuangjiang.example.cn/oidc', audience: ['kcbx-api'] },
    settings: { maxAge: 16 },
  },
  {
    // 富民县: 富民 2019 — 连续超过3个工作日, i.e. at least 4. Runs only on this machine's emulators: its
    // AWS region is what the local cloud's SDK clients are given, never where children's data goes.
    id: 'local',
    name: '富民县 (local)',
    regionCode: '530124',
    aws: { region: 'us-east-1' },
    identity: { issuer: 'https://kcbx.local/dev-issuer', audience: ['kcbx-api'] },
    local: true,
    rosterRetentionDays: 30,
    settings: { absenceThreshold: 4 },
  },
]);
