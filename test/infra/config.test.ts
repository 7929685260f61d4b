import { describe, expect, it } from 'vitest';
import { deployments } from '../../infra/config/deployments';
import { loadDeployments } from '../../infra/config/schema';

const good = {
  id: 'sample',
  name: '样例县',
  regionCode: '530124',
  aws: { region: 'cn-northwest-1' },
  identity: { issuer: 'https://id.example.cn/realms/kcbx', audience: ['kcbx-api'] },
};

describe('deployment configuration', () => {
  it('ships a county in cn-northwest-1, one in ap-east-1 and a local one', () => {
    expect(deployments.map((d) => d.aws.region)).toEqual(
      expect.arrayContaining(['cn-northwest-1', 'ap-east-1']),
    );
    expect(deployments.filter((d) => d.local)).toHaveLength(1);
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
