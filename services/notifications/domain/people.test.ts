import { describe, expect, it } from 'vitest';
import { type CaseRules, caseRulesSchema } from '../../../shared/region-settings';
import {
  type CaseRecord,
  caseOpenedEvent,
  caseRecordSchema,
  type ReportLine,
  sweepCase,
} from '../../cases/port';
import {
  type Contact,
  contactRegistrationSchema,
  DEFAULT_QUIET_HOURS,
  dueNotices,
  matchContacts,
  type Notice,
  noticesForEvent,
  type PeopleEvent,
  personIdOf,
  positionsFor,
} from './people';

const RULES: CaseRules = caseRulesSchema.parse(undefined);
const SCHOOL = '2153012401';
const TOWNSHIP = '530124100';
const REGION = '530124';
const LINES: ReportLine[] = ['PROVINCE_PLATFORM', 'TOWNSHIP', 'COUNTY_BUREAU'];
const SYSTEM = { role: 'ops', org: REGION } as const;

/** A case opened on Wednesday 2026-03-04 (三线报告 due Thursday 03-05, first visit due 03-11). */
function openCase(fields: Partial<CaseRecord> = {}): CaseRecord {
  return caseRecordSchema.parse({
    caseId: `case-${'a'.repeat(32)}-1`,
    region: REGION,
    child: { childKey: `c_${'a'.repeat(32)}`, maskedId: '5301**********0061' },
    idNumber: '530124201407230061',
    name: '李四',
    school: SCHOOL,
    township: TOWNSHIP,
    state: 'SUSPECTED',
    version: 1,
    openedOn: '2026-03-04',
    openedAt: '2026-03-04T07:00:00Z',
    source: 'ATTENDANCE',
    priority: false,
    chain: {},
    signals: [],
    threeLineReport: Object.fromEntries(LINES.map((l) => [l, { producedOn: '2026-03-04' }])),
    persuasionActions: [],
    fourStep: [],
    followUps: [],
    overdue: [],
    history: [],
    ...fields,
  });
}

const CHAIN: CaseRecord['chain'] = {
  TOWNSHIP_HEAD: { name: '王乡长' },
  VILLAGE_HEAD: { name: '赵主任' },
  PRINCIPAL: { name: '钱校长' },
  HEAD_TEACHER: { name: '孙老师' },
  GUARDIAN: { name: '李父', phone: '13900000000' },
};

/** Runs the daily sweep on `today` and returns the swept case with its case.overdue events. */
function sweep(record: CaseRecord, today: string) {
  const result = sweepCase(record, { actor: SYSTEM, now: `${today}T00:30:00Z`, today, rules: RULES });
  if (!result) return { record, events: [] as PeopleEvent[] };
  return { record: result.record, events: result.events as PeopleEvent[] };
}

const notify = (event: PeopleEvent, record: CaseRecord) => noticesForEvent(event, record, { rules: RULES });
const who = (notices: Notice[]) =>
  notices.flatMap((n) => n.recipients.map((r) => `${r.position}@${r.org}${r.name ? `:${r.name}` : ''}`));

describe('who is told of a new case', () => {
  it('tells the principal and the township head, with the day the 三线报告 is due', () => {
    const record = openCase();
    const [notice, ...rest] = notify(caseOpenedEvent(record, record.openedAt), record);
    expect(rest).toEqual([]);
    expect(notice).toMatchObject({ kind: 'NEW_CASE', dueOn: '2026-03-05', day: '2026-03-04', level: 0 });
    expect(who([notice!])).toEqual([`PRINCIPAL@${SCHOOL}`, `TOWNSHIP_HEAD@${TOWNSHIP}`]);
  });

  it('tells everyone the chain names on both lines, but never the guardian', () => {
    const record = openCase({ chain: CHAIN });
    const notices = notify(caseOpenedEvent(record, record.openedAt), record);
    expect(who(notices)).toEqual([
      `PRINCIPAL@${SCHOOL}:钱校长`,
      `HEAD_TEACHER@${SCHOOL}:孙老师`,
      `TOWNSHIP_HEAD@${TOWNSHIP}:王乡长`,
      `VILLAGE_HEAD@${TOWNSHIP}:赵主任`,
    ]);
  });

  it('cannot reach the township line of a case whose township is unknown', () => {
    const record = openCase({ township: undefined });
    expect(who(notify(caseOpenedEvent(record, record.openedAt), record))).toEqual([`PRINCIPAL@${SCHOOL}`]);
  });
});

describe('who is told of an overdue item', () => {
  it('tells the principal once about the 三线报告, though each of its three lines raised an event', () => {
    const { record, events } = sweep(openCase({ chain: CHAIN }), '2026-03-06');
    expect(events.map((e) => e.detailType)).toEqual(['case.overdue', 'case.overdue', 'case.overdue']);
    const notices = events.flatMap((e) => notify(e, record));
    expect(new Set(notices.map((n) => n.subject))).toEqual(new Set([`${record.caseId}:THREE_LINE_REPORT`]));
    expect(notices[0]).toMatchObject({
      kind: 'OVERDUE',
      level: 0,
      day: '2026-03-06',
      item: 'THREE_LINE_REPORT',
      dueOn: '2026-03-05',
      target: 'PRINCIPAL',
    });
    expect(new Set(who(notices))).toEqual(new Set([`PRINCIPAL@${SCHOOL}:钱校长`]));
  });

  it('tells the head teacher of a missed first home visit, or the 包保教师 when the chain names one', () => {
    const acknowledged = Object.fromEntries(
      LINES.map((l) => [l, { producedOn: '2026-03-04', acknowledgedOn: '2026-03-04' }]),
    );
    const plain = sweep(openCase({ chain: CHAIN, threeLineReport: acknowledged }), '2026-03-12');
    expect(plain.events.flatMap((e) => who(notify(e, plain.record)))).toEqual([
      `HEAD_TEACHER@${SCHOOL}:孙老师`,
    ]);

    const withContact = sweep(
      openCase({
        chain: { ...CHAIN, CONTACT_TEACHER: { name: '周老师' } },
        threeLineReport: acknowledged,
      }),
      '2026-03-12',
    );
    expect(withContact.events.flatMap((e) => who(notify(e, withContact.record)))).toEqual([
      `CONTACT_TEACHER@${SCHOOL}:周老师`,
    ]);
  });

  it('sends an escalation to the level it reached: the township head, then the county bureau', () => {
    // Due Thursday 03-05: the principal's from Friday, the township's from Monday, the county's from Tuesday.
    const monday = sweep(openCase({ chain: CHAIN }), '2026-03-09');
    const toTownship = monday.events.flatMap((e) => notify(e, monday.record));
    expect(toTownship[0]).toMatchObject({ kind: 'ESCALATED', level: 1, target: 'TOWNSHIP' });
    expect(new Set(who(toTownship))).toEqual(new Set([`TOWNSHIP_HEAD@${TOWNSHIP}:王乡长`]));

    const later = sweep(monday.record, '2026-03-12');
    const toCounty = later.events
      .flatMap((e) => notify(e, later.record))
      .filter((n) => n.item === 'THREE_LINE_REPORT');
    expect(toCounty[0]).toMatchObject({ kind: 'ESCALATED', level: 2, target: 'COUNTY' });
    // The bureau has one head, told though the chain does not name them; no county head is named.
    expect(new Set(who(toCounty))).toEqual(new Set([`BUREAU_HEAD@${REGION}`]));
  });

  it('sends a missed 责令改正 deadline to the county: the bureau head and the county head of the chain', () => {
    const acknowledged = Object.fromEntries(
      LINES.map((l) => [l, { producedOn: '2026-03-04', acknowledgedOn: '2026-03-04' }]),
    );
    const ordered = openCase({
      state: 'ORDER_TO_CORRECT',
      chain: { ...CHAIN, COUNTY_HEAD: { name: '刘县长' } },
      threeLineReport: acknowledged,
      persuasionActions: ['2026-03-06'],
      fourStep: [
        { step: 'EDUCATION', date: '2026-03-10', documentRef: '富教宣〔2026〕3号', reminders: [] },
        {
          step: 'ORDER_TO_CORRECT',
          date: '2026-03-12',
          documentRef: '富政责〔2026〕7号',
          deadline: '2026-03-26',
          reminders: [],
        },
      ],
    });
    // Due 03-26: level 0 (township) from 03-27, one level up after 5 more working days.
    const { record, events } = sweep(ordered, '2026-04-03');
    const notices = events.flatMap((e) => notify(e, record));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ kind: 'ESCALATED', level: 1, target: 'COUNTY' });
    expect(who(notices)).toEqual([`BUREAU_HEAD@${REGION}`, `COUNTY_HEAD@${REGION}:刘县长`]);
  });

  it('sends nothing for a duty done between the sweep and the delivery', () => {
    const { record, events } = sweep(openCase({ chain: CHAIN }), '2026-03-06');
    const done = {
      ...record,
      threeLineReport: Object.fromEntries(
        LINES.map((l) => [l, { producedOn: '2026-03-04', acknowledgedOn: '2026-03-06' }]),
      ),
    };
    expect(events.flatMap((e) => notify(e, done))).toEqual([]);
  });
});

describe('who is told of what happens to a case', () => {
  const changed = (record: CaseRecord, from: string, to: string): PeopleEvent =>
    ({
      detailType: 'case.state-changed',
      detail: {
        schemaVersion: 1,
        eventId: 'e_0123456789abcdef',
        occurredAt: '2026-03-12T03:00:00Z',
        region: REGION,
        caseId: record.caseId,
        child: record.child,
        from,
        to,
        version: 7,
        actor: { role: 'township', org: TOWNSHIP },
      },
    }) as PeopleEvent;

  it('tells the chain when the legal track moves on, and says nothing of routine moves', () => {
    const record = openCase({ chain: CHAIN, state: 'ORDER_TO_CORRECT' });
    const [notice] = notify(changed(record, 'EDUCATION', 'ORDER_TO_CORRECT'), record);
    expect(notice).toMatchObject({ kind: 'STATE_CHANGED', state: 'ORDER_TO_CORRECT', day: '2026-03-12' });
    expect(who([notice!])).toContain(`HEAD_TEACHER@${SCHOOL}:孙老师`);
    expect(notify(changed(record, 'SUSPECTED', 'VERIFYING'), record)).toEqual([]);
  });

  it('tells the chain when a deferral ends without the child back', () => {
    const record = openCase({ chain: CHAIN });
    expect(notify(changed(record, 'DEFERRED', 'SUSPECTED'), record)).toHaveLength(1);
  });

  it('tells the school line of a return, for the 巩固 follow-up', () => {
    const record = openCase({ chain: { HEAD_TEACHER: { name: '孙老师' } }, state: 'RETURNED' });
    const notices = notify(
      {
        detailType: 'student.returned',
        detail: {
          schemaVersion: 1,
          eventId: 'e_fedcba9876543210',
          occurredAt: '2026-03-20T03:00:00Z',
          region: REGION,
          caseId: record.caseId,
          child: record.child,
          school: SCHOOL,
          returnedOn: '2026-03-20',
        },
      },
      record,
    );
    expect(notices[0]).toMatchObject({ kind: 'RETURNED', returnedOn: '2026-03-20' });
    expect(who(notices)).toEqual([`PRINCIPAL@${SCHOOL}`, `HEAD_TEACHER@${SCHOOL}:孙老师`]);
  });
});

describe('due reminders', () => {
  it('reminds on the working day before and on the day, one reminder for the three report lines', () => {
    const record = openCase({ chain: CHAIN });
    // Opened Wednesday 03-04: the report is due Thursday 03-05, the first visit Wednesday 03-11.
    const onOpening = dueNotices(record, '2026-03-04', { rules: RULES });
    expect(onOpening.map((n) => [n.item, n.dueOn, who([n])])).toEqual([
      ['THREE_LINE_REPORT', '2026-03-05', [`PRINCIPAL@${SCHOOL}:钱校长`]],
    ]);
    expect(dueNotices(record, '2026-03-05', { rules: RULES }).map((n) => n.item)).toEqual([
      'THREE_LINE_REPORT',
    ]);
    expect(dueNotices(record, '2026-03-10', { rules: RULES }).map((n) => n.item)).toEqual([
      'FIRST_HOME_VISIT',
    ]);
    // Once overdue, the sweep's escalation speaks instead.
    expect(dueNotices(record, '2026-03-06', { rules: RULES })).toEqual([]);
  });

  it('reminds across a weekend: a duty due Monday is reminded on Friday', () => {
    // Opened Thursday 03-05: the report is due Friday 03-06, the first visit Thursday 03-12.
    const record = openCase({ openedOn: '2026-03-05', chain: CHAIN });
    const friday = dueNotices({ ...record, openedOn: '2026-03-06' }, '2026-03-06', { rules: RULES });
    expect(friday.map((n) => n.dueOn)).toEqual(['2026-03-09']);
  });
});

describe('contacts', () => {
  const contact = (fields: Partial<Contact>): Contact => ({
    personId: 'p_x',
    org: SCHOOL,
    position: 'HEAD_TEACHER',
    name: '孙老师',
    mode: 'immediate',
    digestAt: '17:30',
    quietHours: DEFAULT_QUIET_HOURS,
    ...fields,
  });

  it('matches the person the chain names, whatever spaces the name was typed with', () => {
    const contacts = [
      contact({ personId: 'a', name: '孙 老师' }),
      contact({ personId: 'b', name: '周老师' }),
    ];
    expect(
      matchContacts({ position: 'HEAD_TEACHER', org: SCHOOL, name: '孙老师' }, contacts).map(
        (c) => c.personId,
      ),
    ).toEqual(['a']);
    expect(matchContacts({ position: 'HEAD_TEACHER', org: '2153012402', name: '孙老师' }, contacts)).toEqual(
      [],
    );
  });

  it('matches whoever holds a single-holder position when the chain names nobody', () => {
    const principal = contact({ personId: 'p', position: 'PRINCIPAL', name: '钱校长' });
    expect(matchContacts({ position: 'PRINCIPAL', org: SCHOOL }, [principal])).toEqual([principal]);
  });

  it('keys a person by organisation, position and name, so registering again replaces them', () => {
    expect(personIdOf(SCHOOL, 'PRINCIPAL', '钱校长')).toBe(personIdOf(SCHOOL, 'PRINCIPAL', '钱 校长'));
    expect(personIdOf(SCHOOL, 'PRINCIPAL', '钱校长')).not.toBe(personIdOf(SCHOOL, 'HEAD_TEACHER', '钱校长'));
    expect(personIdOf(SCHOOL, 'PRINCIPAL', '钱校长')).toMatch(/^p_[0-9a-f]{24}$/);
  });

  it('lets each level register its own staff', () => {
    expect(positionsFor('school')).toEqual(['PRINCIPAL', 'HEAD_TEACHER', 'CONTACT_TEACHER']);
    expect(positionsFor('township')).toEqual(['TOWNSHIP_HEAD', 'VILLAGE_HEAD', 'GROUP_HEAD']);
    expect(positionsFor('county')).toEqual(['BUREAU_HEAD', 'COUNTY_HEAD']);
  });

  it('checks each address against its channel and fills in the defaults', () => {
    const ok = (body: object) => contactRegistrationSchema.safeParse(body).success;
    const base = { name: '钱校长', position: 'PRINCIPAL' };
    expect(ok({ ...base, channel: 'sms', address: '13800000001' })).toBe(true);
    expect(ok({ ...base, channel: 'sms', address: '+85291234567' })).toBe(true);
    expect(ok({ ...base, channel: 'sms', address: '0871-1234567' })).toBe(false);
    expect(ok({ ...base, channel: 'email', address: 'qian@school.example.cn' })).toBe(true);
    expect(ok({ ...base, channel: 'email', address: '13800000001' })).toBe(false);
    expect(
      ok({
        ...base,
        channel: 'wecom',
        address: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa',
      }),
    ).toBe(true);
    expect(
      ok({ ...base, channel: 'wecom', address: 'https://evil.example.com/webhook/send?key=abcdefgh' }),
    ).toBe(false);
    expect(ok({ name: '李父', position: 'GUARDIAN', channel: 'sms', address: '13800000001' })).toBe(false);
    expect(
      contactRegistrationSchema.parse({ ...base, channel: 'sms', address: '13800000001' }),
    ).toMatchObject({
      mode: 'immediate',
      digestAt: '17:30',
      quietHours: { start: '22:00', end: '07:00' },
    });
  });
});
