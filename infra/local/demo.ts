import type { LocalCloud } from './local-cloud';

/** The generated demo county: 富民县 with three townships and a handful of schools. */
export const DEMO_COUNTY = {
  region: '530124',
  name: '富民县',
  townships: [
    {
      code: '530124100',
      name: '永定街道',
      schools: [
        { code: '2153012401', name: '富民县第一小学' },
        { code: '2153012402', name: '富民县第一中学' },
      ],
    },
    { code: '530124101', name: '大营街道', schools: [{ code: '2153012403', name: '大营中心小学' }] },
    { code: '530124201', name: '款庄镇', schools: [{ code: '2153012404', name: '款庄中心学校' }] },
  ],
} as const;

/**
 * Loads the demo county into a running local cloud and returns what a newcomer needs to try
 * it: one development token per role. Later services add their rosters, cases and runs here.
 */
export async function loadDemo(cloud: LocalCloud) {
  const township = DEMO_COUNTY.townships[0];
  const school = township.schools[0];
  return [
    {
      who: `${DEMO_COUNTY.name}教育体育局 (county)`,
      token: await cloud.token({ role: 'county', org: DEMO_COUNTY.region, name: '县教体局' }),
    },
    {
      who: `${township.name} (township)`,
      token: await cloud.token({ role: 'township', org: township.code, name: township.name }),
    },
    {
      who: `${school.name} (school)`,
      token: await cloud.token({ role: 'school', org: school.code, name: school.name }),
    },
  ];
}
