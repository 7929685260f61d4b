import { expect } from 'vitest';
import type { LocalCloud } from '../../infra/local/local-cloud';
import { csvBuffer } from '../../services/roster-intake/domain/test-fixtures';
import { eventually } from '../local-cloud';
import { callApi, uploadRoster } from './uploads';

/** A child on a school's 学籍 roster, and how the school reports them on each day of attendance. */
export interface RosterChild {
  name: string;
  idNumber: string;
  grade: string;
  status: 'PRESENT' | 'ABSENT_UNEXCUSED';
}

export interface AbsenceSteps {
  /** The school's token: it uploads the roster and reports the attendance. */
  school: string;
  /** The county's token: it runs the attendance rule. */
  county: string;
  /** The school's identification code, as on the roster. */
  schoolCode: string;
  children: readonly RosterChild[];
  /** The working days reported, in order; the rule runs as of the last. */
  dates: readonly string[];
}

/**
 * The start of every case from attendance: the school uploads its 学籍 roster (accepted), reports the
 * children on each day (201 each), then the county runs the attendance rule as of the last day.
 * Returns the rule's response for the caller to check.
 */
export async function reportAbsences(cloud: LocalCloud, steps: AbsenceSteps) {
  const enrollment = csvBuffer(
    [
      ['学生姓名', '身份证件号', '学校标识码', '年级'],
      ...steps.children.map((c) => [c.name, c.idNumber, steps.schoolCode, c.grade]),
    ],
    { encoding: 'utf-8' },
  );
  expect(
    (await uploadRoster(cloud, steps.school, 'enrollment', '学籍.csv', 'text/csv', enrollment)).status,
  ).toBe('accepted');
  for (const date of steps.dates) {
    const res = await callApi(cloud, 'POST', '/attendance', steps.school, {
      date,
      records: steps.children.map((c) => ({ idNumber: c.idNumber, name: c.name, status: c.status })),
    });
    expect(res.status).toBe(201);
  }
  return callApi<{ newSignals: number; missingSchools: string[] }>(
    cloud,
    'POST',
    '/checks/attendance',
    steps.county,
    { asOf: steps.dates[steps.dates.length - 1] },
  );
}

/** Waits (after the events have settled) until the caller sees exactly one case, and returns it. */
export async function onlyCase<T>(cloud: LocalCloud, token: string): Promise<T> {
  await cloud.eventsIdle();
  return eventually(async () => {
    const res = await callApi<{ cases: T[] }>(cloud, 'GET', '/cases', token);
    return res.body.cases?.length === 1 && res.body.cases[0]!;
  });
}
