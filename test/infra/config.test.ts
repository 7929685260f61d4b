import { describe, expect, it } from 'vitest';
import { deployments } from '../../infra/config/deployments';
import { partitionOf } from '../../infra/config/partition';
import { loadDeployments } from '../../infra/config/schema';

const good = {
  id: 'sample',
  name: '样例县',
  regionCode: '530124',
  aws: { region: 'cn-northwest-1' },
  identity: { issuer: 'https://id.example.cn/realms/kcbx', audience: ['kcbx-api'] },
};

describe('deployment configuration', () => {
  it('ships a county in each China region and a local one', () => {
    expect(deployments.map((d) => d.aws.region)).toEqual(
      expect.arrayContaining(['cn-northwest-1', 'cn-north-1']),
    );
    expect(deployments.filter((d) => d.local)).toHaveLength(1);
  });

  it('keeps every shipped county outside the local stack in a China region', () => {
    for (const d of deployments.filter((d) => !d.local)) expect(partitionOf(d.aws.region)).toBe('aws-cn');
  });

  it('refuses a mainland county in a region outside China, in Chinese and English', () => {
    for (const region of ['ap-east-1', 'us-east-1', 'eu-central-1']) {
      const attempt = () => loadDeployments([{ ...good, aws: { region } }]);
      expect(attempt).toThrow(/aws\.region: 样例县（530124）是中国内地的地区/);
      expect(attempt).toThrow(/个人信息保护法第三十六条/);
      expect(attempt).toThrow(/cn-north-1（北京）或 cn-northwest-1（宁夏）/);
      expect(attempt).toThrow(/530124 is a region of mainland China: .* cannot be deployed to /);
      expect(attempt).toThrow(new RegExp(`cannot be deployed to ${region}\\. Use cn-north-1 \\(Beijing\\)`));
    }
  });

  it('lets only the emulated local stack name a region outside China for a mainland county', () => {
    const [local] = loadDeployments([{ ...good, aws: { region: 'us-east-1' }, local: true }]);
    expect(local!.aws.region).toBe('us-east-1');
    const [beijing] = loadDeployments([{ ...good, aws: { region: 'cn-north-1' } }]);
    expect(beijing!.aws.region).toBe('cn-north-1');
  });

  it('leaves a Hong Kong or Macao code, outside the mainland, free to choose its region', () => {
    expect(() =>
      loadDeployments([{ ...good, regionCode: '810000', aws: { region: 'ap-east-1' } }]),
    ).not.toThrow();
    expect(() =>
      loadDeployments([{ ...good, regionCode: '820000', aws: { region: 'ap-east-1' } }]),
    ).not.toThrow();
  });

  it('fills region settings with the defaults where a deployment is silent', () => {
    const [d] = loadDeployments([good]);
    expect(d!.settings).toMatchObject({ minAge: 6, maxAge: 15, entryCutoff: '08-31', absenceThreshold: 3 });
    expect(d!.local).toBe(false);
  });

  it('refuses an unknown region code with a message that names it', () => {
    expect(() => loadDeployments([{ ...good, regionCode: '990101' }])).toThrow(
      /regionCode: unknown region code/,
    );
    expect(() => loadDeployments([{ ...good, regionCode: '5301' }])).toThrow(/6-digit/);
  });

  it('refuses an unknown AWS region', () => {
    expect(() => loadDeployments([{ ...good, aws: { region: 'cn-middle-9' } }])).toThrow(
      /unknown AWS region/,
    );
  });

  it('refuses a deployment without an issuer', () => {
    expect(() => loadDeployments([{ ...good, identity: { audience: ['kcbx-api'] } }])).toThrow(
      /identity\.issuer: missing or invalid identity\.issuer/,
    );
  });

  it('refuses duplicate ids and a second local deployment', () => {
    expect(() => loadDeployments([good, good])).toThrow(/duplicate deployment id sample/);
    expect(() =>
      loadDeployments([
        { ...good, local: true },
        { ...good, id: 'other', local: true },
      ]),
    ).toThrow(/at most one deployment may be local/);
  });
});
