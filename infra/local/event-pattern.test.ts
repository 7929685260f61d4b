import { describe, expect, it } from 'vitest';
import { matchesEventPattern, validateEventPattern } from './event-pattern';

// Doc references below are sections of the Amazon EventBridge user guide:
//   [patterns]   "Amazon EventBridge event patterns" (eb-event-patterns)
//   [null]       "Matching null values and empty strings in Amazon EventBridge event patterns"
//   [arrays]     "Arrays in Amazon EventBridge event patterns"
//   [filtering]  "Content filtering in Amazon EventBridge event patterns" / "Comparison operators for use in
//                event patterns" (eb-create-pattern-operators), subsection named after the #
//   [ruler]      aws/event-ruler README (the matching engine behind EventBridge), section named after the #

/** A complete EventBridge event with the given overrides. */
function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '111122223333',
    time: '2017-12-22T18:43:48Z',
    region: 'us-west-1',
    resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
    detail: {},
    ...overrides,
  };
}

const withDetail = (detail: unknown) => event({ detail });

describe('matchesEventPattern — field and value matching', () => {
  // [patterns] the introductory EC2 instance-termination example.
  const ec2Termination = event({ detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' } });
  const terminationPattern = {
    source: ['aws.ec2'],
    'detail-type': ['EC2 Instance State-change Notification'],
    detail: { state: ['terminated'] },
  };

  it('matches the EC2 instance-termination pattern against a termination event', () => {
    expect(matchesEventPattern(terminationPattern, ec2Termination)).toBe(true);
  });

  it('does not match when a nested detail field differs', () => {
    expect(matchesEventPattern(terminationPattern, withDetail({ state: 'running' }))).toBe(false);
  });

  it('ignores event fields the pattern does not name', () => {
    expect(matchesEventPattern({ source: ['aws.ec2'] }, ec2Termination)).toBe(true);
  });

  it('requires every field named in the pattern to be present', () => {
    expect(matchesEventPattern({ detail: { 'no-such-field': ['x'] } }, ec2Termination)).toBe(false);
    expect(matchesEventPattern({ 'no-such-top-level': { nested: ['x'] } }, ec2Termination)).toBe(false);
  });

  it('matches any of several values for a field (OR within the array)', () => {
    // [patterns] "Match values": events from Amazon EC2 or AWS Fargate.
    const pattern = { source: ['aws.ec2', 'aws.fargate'] };
    expect(matchesEventPattern(pattern, event({ source: 'aws.ec2' }))).toBe(true);
    expect(matchesEventPattern(pattern, event({ source: 'aws.fargate' }))).toBe(true);
    expect(matchesEventPattern(pattern, event({ source: 'aws.lambda' }))).toBe(false);
  });

  it('matches nested numeric values at several levels', () => {
    // [patterns] "Value matching": the Macie alert with a risk score of 80 and a trigger risk of 8.
    const macie = event({
      'detail-type': 'Macie Alert',
      source: 'aws.macie',
      detail: {
        'notification-type': 'ALERT_CREATED',
        name: 'Scanning bucket policies',
        tags: ['Custom_Alert', 'Insider'],
        'risk-score': 80,
        trigger: { 'alert-type': 'basic', risk: 8 },
      },
    });
    const pattern = {
      source: ['aws.macie'],
      'detail-type': ['Macie Alert'],
      detail: { 'risk-score': [80], trigger: { risk: [8] } },
    };
    expect(matchesEventPattern(pattern, macie)).toBe(true);
    expect(
      matchesEventPattern({ ...pattern, detail: { 'risk-score': [80], trigger: { risk: [9] } } }, macie),
    ).toBe(false);
  });

  it('matches strings case-sensitively and character by character', () => {
    // [patterns] "EventBridge uses exact character-by-character matching without case-folding".
    expect(matchesEventPattern({ source: ['AWS.EC2'] }, event())).toBe(false);
    expect(matchesEventPattern({ source: ['aws.ec2 '] }, event())).toBe(false);
  });

  it('compares numbers numerically, so 300 matches 300.0', () => {
    expect(matchesEventPattern('{"detail":{"x-limit":[300]}}', '{"detail":{"x-limit":300.0}}')).toBe(true);
    expect(matchesEventPattern({ detail: { 'x-limit': [3.0e2] } }, withDetail({ 'x-limit': 300 }))).toBe(
      true,
    );
    expect(matchesEventPattern({ detail: { 'x-limit': [300] } }, withDetail({ 'x-limit': 301 }))).toBe(false);
  });

  it('does not treat a string and a number as equal', () => {
    expect(matchesEventPattern({ detail: { count: ['5'] } }, withDetail({ count: 5 }))).toBe(false);
    expect(matchesEventPattern({ detail: { count: [5] } }, withDetail({ count: '5' }))).toBe(false);
  });

  it('matches booleans exactly', () => {
    expect(matchesEventPattern({ detail: { ok: [true] } }, withDetail({ ok: true }))).toBe(true);
    expect(matchesEventPattern({ detail: { ok: [true] } }, withDetail({ ok: false }))).toBe(false);
    expect(matchesEventPattern({ detail: { ok: [true] } }, withDetail({ ok: 'true' }))).toBe(false);
  });

  it('accepts the pattern and the event as JSON text', () => {
    expect(matchesEventPattern(JSON.stringify(terminationPattern), JSON.stringify(ec2Termination))).toBe(
      true,
    );
    expect(matchesEventPattern('{not json', ec2Termination)).toBe(false);
  });

  it('does not match a nested pattern against a scalar event value', () => {
    expect(matchesEventPattern({ detail: { state: { name: ['x'] } } }, withDetail({ state: 'x' }))).toBe(
      false,
    );
  });

  it('does not match a leaf pattern against an object event value', () => {
    expect(matchesEventPattern({ detail: ['x'] }, withDetail({ a: 'x' }))).toBe(false);
  });
});

describe('matchesEventPattern — null values and empty strings', () => {
  // [null] the Auto Scaling event with an empty eventVersion and a null responseElements.
  const autoScaling = event({
    id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
    'detail-type': 'EC2 Instance Launch Successful',
    source: 'aws.autoscaling',
    resources: [],
    detail: { eventVersion: '', responseElements: null },
  });

  it('matches an empty string with [""]', () => {
    expect(matchesEventPattern({ detail: { eventVersion: [''] } }, autoScaling)).toBe(true);
  });

  it('matches an explicit null with [null]', () => {
    expect(matchesEventPattern({ detail: { responseElements: [null] } }, autoScaling)).toBe(true);
    // [patterns] "Field matching": the same event, with source and detail-type as well.
    expect(
      matchesEventPattern(
        {
          source: ['aws.autoscaling'],
          'detail-type': ['EC2 Instance Launch Successful'],
          detail: { responseElements: [null] },
        },
        autoScaling,
      ),
    ).toBe(true);
  });

  it('does not treat null and the empty string as interchangeable', () => {
    expect(matchesEventPattern({ detail: { responseElements: [''] } }, autoScaling)).toBe(false);
    expect(matchesEventPattern({ detail: { eventVersion: [null] } }, autoScaling)).toBe(false);
  });

  it('does not match [null] against a missing field', () => {
    expect(matchesEventPattern({ detail: { missing: [null] } }, autoScaling)).toBe(false);
  });

  it('does not match [null] against an empty array', () => {
    expect(matchesEventPattern({ resources: [null] }, autoScaling)).toBe(false);
  });
});

describe('matchesEventPattern — arrays in the event', () => {
  // [arrays] the resources example: the first pattern value matches the second event value.
  const pattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };

  it('matches when the event array and the pattern array intersect', () => {
    const resources = [
      'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
    ];
    expect(matchesEventPattern(pattern, event({ resources }))).toBe(true);
  });

  it('does not match when the intersection is empty', () => {
    expect(
      matchesEventPattern(pattern, event({ resources: ['arn:aws:ec2:us-east-1:1:instance/other'] })),
    ).toBe(false);
    expect(matchesEventPattern(pattern, event({ resources: [] }))).toBe(false);
  });

  it('applies content filters to each element of an event array', () => {
    expect(
      matchesEventPattern({ detail: { tags: [{ prefix: 'Ins' }] } }, withDetail({ tags: ['A', 'Insider'] })),
    ).toBe(true);
    expect(
      matchesEventPattern({ detail: { tags: [{ prefix: 'X' }] } }, withDetail({ tags: ['A', 'Insider'] })),
    ).toBe(false);
    expect(
      matchesEventPattern(
        { detail: { vals: [{ numeric: ['>', 0, '<', 10] }] } },
        withDetail({ vals: [100, 5, 200] }),
      ),
    ).toBe(true);
  });

  it('matches fields of objects inside an event array', () => {
    // [ruler] "JSON Array Matching": the employees example.
    const employees = withDetail({
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    });
    expect(matchesEventPattern({ detail: { employees: { firstName: ['Anna'] } } }, employees)).toBe(true);
    expect(
      matchesEventPattern({ detail: { employees: { firstName: ['Anna'], lastName: ['Smith'] } } }, employees),
    ).toBe(true);
  });

  it('requires fields of one sub-pattern to come from the same array element', () => {
    // [ruler] "JSON Array Matching": "Anna"/"Jones" must not match — they are in different elements.
    const employees = withDetail({
      employees: [
        [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
        ],
        [{ firstName: 'Peter', lastName: 'Jones' }],
      ],
    });
    expect(matchesEventPattern({ detail: { employees: { firstName: ['Anna'] } } }, employees)).toBe(true);
    expect(
      matchesEventPattern({ detail: { employees: { firstName: ['Anna'], lastName: ['Jones'] } } }, employees),
    ).toBe(false);
  });
});

describe('matchesEventPattern — prefix and suffix', () => {
  it('matches a prefix on time', () => {
    // [filtering] "Prefix matching".
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expect(matchesEventPattern(pattern, event({ time: '2017-10-02T18:43:48Z' }))).toBe(true);
    expect(matchesEventPattern(pattern, event({ time: '2017-10-03T18:43:48Z' }))).toBe(false);
  });

  it('matches a prefix on source, as CDK events.Match.prefix emits it', () => {
    const pattern = { source: [{ prefix: 'kcbx.' }] };
    expect(matchesEventPattern(pattern, event({ source: 'kcbx.roster-intake' }))).toBe(true);
    expect(matchesEventPattern(pattern, event({ source: 'aws.ec2' }))).toBe(false);
  });

  it('matches a prefix case-sensitively', () => {
    expect(matchesEventPattern({ source: [{ prefix: 'AWS.' }] }, event())).toBe(false);
  });

  it('matches a prefix ignoring case with equals-ignore-case', () => {
    // [filtering] "Prefix matching while ignoring case".
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ service: 'EventBridge' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ service: 'EVENTBRIDGE' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ service: 'eventbus' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ service: 'Lambda' }))).toBe(false);
  });

  it('matches a suffix on a file name', () => {
    // [filtering] "Suffix matching".
    const pattern = { FileName: [{ suffix: '.png' }] };
    expect(matchesEventPattern(pattern, event({ FileName: 'image.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, event({ FileName: 'image.PNG' }))).toBe(false);
    expect(matchesEventPattern(pattern, event({ FileName: 'image.jpg' }))).toBe(false);
  });

  it('matches a suffix ignoring case with equals-ignore-case', () => {
    // [filtering] "Suffix matching while ignoring case".
    const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'image.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'IMAGE.PNG' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'image.jpg' }))).toBe(false);
  });

  it('never matches prefix or suffix against a non-string value', () => {
    expect(matchesEventPattern({ detail: { n: [{ prefix: '1' }] } }, withDetail({ n: 12 }))).toBe(false);
    expect(matchesEventPattern({ detail: { n: [{ suffix: '2' }] } }, withDetail({ n: 12 }))).toBe(false);
  });
});

describe('matchesEventPattern — equals-ignore-case', () => {
  it('matches a value regardless of case', () => {
    // [filtering] "Equals-ignore-case matching": Name is "Alice".
    const pattern = { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } };
    expect(matchesEventPattern(pattern, withDetail({ Name: 'Alice' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ Name: 'ALICE' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ Name: 'Alicia' }))).toBe(false);
  });
});

describe('matchesEventPattern — anything-but', () => {
  it('matches anything except a single string', () => {
    // [filtering] "Anything-but matching": state is anything but "initializing".
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(matchesEventPattern(pattern, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
  });

  it('matches anything except a single number', () => {
    // [filtering] "Anything-but matching": x-limit is anything but 123.
    const pattern = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': 124 }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': 123 }))).toBe(false);
    // A string is "anything but" the number 123.
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': '123' }))).toBe(true);
  });

  it('matches anything except a list of strings', () => {
    // [filtering] "Anything-but matching": a list of strings.
    const pattern = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matchesEventPattern(pattern, withDetail({ state: 'pending' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'stopped' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ state: 'overloaded' }))).toBe(false);
  });

  it('matches anything except a list of numbers', () => {
    // [filtering] "Anything-but matching": a list of numbers.
    const pattern = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': 301.8 }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': 200 }))).toBe(false);
  });

  it('matches anything that does not start with a prefix', () => {
    // [filtering] "Anything-but matching": the "init" prefix example.
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
    // [filtering] operators table: Region is not in the US.
    const notUs = { detail: { Region: [{ 'anything-but': { prefix: 'us-' } }] } };
    expect(matchesEventPattern(notUs, withDetail({ Region: 'eu-west-1' }))).toBe(true);
    expect(matchesEventPattern(notUs, withDetail({ Region: 'us-east-1' }))).toBe(false);
  });

  it('matches anything that does not start with any of several prefixes', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: ['init', 'test'] } }] } };
    expect(matchesEventPattern(pattern, withDetail({ state: 'post-init' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'testing' }))).toBe(false);
  });

  it('matches anything that does not end with a suffix', () => {
    // [filtering] operators table: FileName does not end with a .png extension.
    const pattern = { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'image.jpg' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FileName: 'image.png' }))).toBe(false);
  });

  it('matches anything except a value in any casing', () => {
    // [filtering] operators table: state is anything but "initializing" in any casing.
    const pattern = { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'INITIALIZING' }))).toBe(false);
    const list = {
      detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OVERLOADED'] } }] },
    };
    expect(matchesEventPattern(list, withDetail({ state: 'overloaded' }))).toBe(false);
    expect(matchesEventPattern(list, withDetail({ state: 'pending' }))).toBe(true);
  });

  it('matches anything that does not fit a wildcard', () => {
    // [filtering] operators table: FilePath is not a file path that includes /lib/.
    const pattern = { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ FilePath: '/usr/bin/env' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ FilePath: '/usr/lib/libc.so' }))).toBe(false);
  });

  it('does not match a missing field', () => {
    expect(
      matchesEventPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, withDetail({})),
    ).toBe(false);
    expect(matchesEventPattern({ detail: { state: [{ 'anything-but': { prefix: 'x' } }] } }, event())).toBe(
      false,
    );
  });

  it('matches null and values of other types, which are "anything but" the listed strings', () => {
    expect(
      matchesEventPattern(
        { detail: { state: [{ 'anything-but': 'initializing' }] } },
        withDetail({ state: null }),
      ),
    ).toBe(true);
    expect(
      matchesEventPattern(
        { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
        withDetail({ state: 12 }),
      ),
    ).toBe(true);
  });

  it('matches an event array if any element is not excluded', () => {
    // [arrays] + Event Ruler: each array element is matched on its own.
    const pattern = { detail: { tags: [{ 'anything-but': 'banned' }] } };
    expect(matchesEventPattern(pattern, withDetail({ tags: ['banned', 'ok'] }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ tags: ['banned'] }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ tags: [] }))).toBe(false);
  });
});

describe('matchesEventPattern — numeric', () => {
  // [filtering] "Numeric matching", with the sample event from [ruler] "Ruler by Example".
  const pattern = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };
  const sample = { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 };

  it('matches when every numeric comparison holds', () => {
    expect(matchesEventPattern(pattern, withDetail(sample))).toBe(true);
  });

  it('treats the bounds of a range as exclusive or inclusive as written', () => {
    expect(matchesEventPattern(pattern, withDetail({ ...sample, 'c-count': 0 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ...sample, 'c-count': 0.5 }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ ...sample, 'c-count': 5.1 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ...sample, 'd-count': 10 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ...sample, 'x-limit': 301.9 }))).toBe(false);
  });

  it('supports >= and <=', () => {
    const inclusive = { detail: { n: [{ numeric: ['>=', 1, '<=', 2] }] } };
    expect(matchesEventPattern(inclusive, withDetail({ n: 1 }))).toBe(true);
    expect(matchesEventPattern(inclusive, withDetail({ n: 2 }))).toBe(true);
    expect(matchesEventPattern(inclusive, withDetail({ n: 2.5 }))).toBe(false);
  });

  it('never matches a non-number event value', () => {
    expect(matchesEventPattern(pattern, withDetail({ ...sample, 'd-count': '3' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ ...sample, 'd-count': null }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 5, 'x-limit': 301.8 }))).toBe(false);
  });

  it('matches the operators-table price examples', () => {
    // [patterns] comparison operators summary: Price is 100; Price is more than 10 and at most 20.
    expect(
      matchesEventPattern({ detail: { Price: [{ numeric: ['=', 100] }] } }, withDetail({ Price: 100 })),
    ).toBe(true);
    const range = { detail: { Price: [{ numeric: ['>', 10, '<=', 20] }] } };
    expect(matchesEventPattern(range, withDetail({ Price: 20 }))).toBe(true);
    expect(matchesEventPattern(range, withDetail({ Price: 10 }))).toBe(false);
  });
});

describe('matchesEventPattern — exists', () => {
  it('matches exists:true when the field is present', () => {
    // [filtering] "Exists matching": detail.state exists in the EC2 pending event.
    const pattern = { detail: { state: [{ exists: true }] } };
    const pending = event({
      id: '7bf73129-1428-4cd3-a780-95db273d1602',
      detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
    });
    expect(matchesEventPattern(pattern, pending)).toBe(true);
    // ...and does NOT match the event with no detail.state field.
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': { c1: 100 } }))).toBe(false);
  });

  it('matches exists:true on a present null and on an empty string', () => {
    expect(matchesEventPattern({ detail: { state: [{ exists: true }] } }, withDetail({ state: null }))).toBe(
      true,
    );
    expect(matchesEventPattern({ detail: { state: [{ exists: true }] } }, withDetail({ state: '' }))).toBe(
      true,
    );
  });

  it('matches exists:false when the field is missing', () => {
    // [filtering] "Exists matching": no detail.c-count field.
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    expect(matchesEventPattern(pattern, withDetail({ state: ['initializing', 'running'] }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 3 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': null }))).toBe(false);
  });

  it('matches exists:false when the whole parent object is missing', () => {
    expect(matchesEventPattern({ extra: { flag: [{ exists: false }] } }, event())).toBe(true);
  });

  it('only looks at leaf nodes: an object value does not "exist" as a leaf', () => {
    // [filtering] / [ruler] "Exists matching": exists:false also matches when c-count is an object.
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    expect(matchesEventPattern(pattern, withDetail({ state: 'running', 'c-count': { c1: 100 } }))).toBe(true);
    expect(
      matchesEventPattern(
        { detail: { 'c-count': [{ exists: true }] } },
        withDetail({ 'c-count': { c1: 100 } }),
      ),
    ).toBe(false);
  });

  it('combines exists with other values of the same field (OR)', () => {
    const pattern = { detail: { state: ['running', { exists: false }] } };
    expect(matchesEventPattern(pattern, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({}))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'stopped' }))).toBe(false);
  });
});

describe('matchesEventPattern — IP address (cidr)', () => {
  // [filtering] "IP address matching": 10.0.0.0/24.
  const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };

  it('matches an IPv4 address inside the block', () => {
    expect(matchesEventPattern(pattern, withDetail({ sourceIPAddress: '10.0.0.0' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ sourceIPAddress: '10.0.0.255' }))).toBe(true);
  });

  it('does not match an address outside the block, a non-address or a non-string', () => {
    expect(matchesEventPattern(pattern, withDetail({ sourceIPAddress: '10.0.1.1' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ sourceIPAddress: 'not-an-ip' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ sourceIPAddress: '10.0.0.256' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ sourceIPAddress: 167772161 }))).toBe(false);
  });

  it('matches IPv6 blocks', () => {
    const v6 = { detail: { ip: [{ cidr: '2001:db8::/32' }] } };
    expect(matchesEventPattern(v6, withDetail({ ip: '2001:db8:0:0:1::1' }))).toBe(true);
    expect(matchesEventPattern(v6, withDetail({ ip: '2001:db9::1' }))).toBe(false);
    expect(matchesEventPattern(v6, withDetail({ ip: '10.0.0.1' }))).toBe(false);
  });
});

describe('matchesEventPattern — wildcard', () => {
  it('matches * against any run of characters', () => {
    const pattern = { detail: { key: [{ wildcard: 'dir/*.png' }] } };
    expect(matchesEventPattern(pattern, withDetail({ key: 'dir/photo.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ key: 'dir/sub/photo.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ key: 'dir/.png' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ key: 'dir/photo.jpg' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ key: 'other/photo.png' }))).toBe(false);
  });

  it('matches the Event Ruler example with a star in the middle', () => {
    // [ruler] "Wildcard matching": Simple*Service.
    const pattern = { source: [{ wildcard: 'Simple*Service' }] };
    expect(matchesEventPattern(pattern, event({ source: 'SimpleNotificationService' }))).toBe(true);
    expect(matchesEventPattern(pattern, event({ source: 'SimpleService' }))).toBe(true);
    expect(matchesEventPattern(pattern, event({ source: 'SimpleServices' }))).toBe(false);
  });

  it('matches several stars with backtracking', () => {
    const pattern = { detail: { arn: [{ wildcard: 'arn:aws:events:*:*:event-bus/*' }] } };
    expect(
      matchesEventPattern(pattern, withDetail({ arn: 'arn:aws:events:us-east-1:123:event-bus/kcbx' })),
    ).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ arn: 'arn:aws:events:us-east-1:123:rule/kcbx' }))).toBe(
      false,
    );
  });

  it('treats \\* as a literal star', () => {
    const pattern = { detail: { key: [{ wildcard: 'a\\*b' }] } };
    expect(matchesEventPattern(pattern, withDetail({ key: 'a*b' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ key: 'axb' }))).toBe(false);
  });

  it('is case-sensitive and only applies to strings', () => {
    const pattern = { detail: { key: [{ wildcard: '*.png' }] } };
    expect(matchesEventPattern(pattern, withDetail({ key: 'A.PNG' }))).toBe(false);
    expect(matchesEventPattern({ detail: { n: [{ wildcard: '1*' }] } }, withDetail({ n: 12 }))).toBe(false);
  });
});

describe('matchesEventPattern — $or', () => {
  it('matches when any alternative matches, alongside other fields (AND)', () => {
    // [ruler] "Rule examples with $or Primitive": "source" && ("metricName" || "namespace").
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(matchesEventPattern(pattern, event({ source: 'aws.cloudwatch', metricName: 'ReadLatency' }))).toBe(
      true,
    );
    expect(matchesEventPattern(pattern, event({ source: 'aws.cloudwatch', namespace: 'AWS/ES' }))).toBe(true);
    expect(matchesEventPattern(pattern, event({ source: 'aws.cloudwatch', namespace: 'AWS/S3' }))).toBe(
      false,
    );
    expect(matchesEventPattern(pattern, event({ source: 'aws.ec2', metricName: 'ReadLatency' }))).toBe(false);
  });

  it('applies $or inside detail', () => {
    // [filtering] "$or matching" / Event Ruler's compiler example, at the detail level.
    const pattern = {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 2 }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': 301.8 }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 9, 'd-count': 11 }))).toBe(false);
  });

  it('supports nested $or with AND inside an alternative', () => {
    // [ruler] "Nested Or and And".
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
    };
    const base = { source: 'aws.cloudwatch' };
    expect(matchesEventPattern(pattern, event({ ...base, scope: 'Service' }))).toBe(true);
    expect(
      matchesEventPattern(
        pattern,
        event({ ...base, metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 }),
      ),
    ).toBe(true);
    expect(
      matchesEventPattern(pattern, event({ ...base, metricType: 'MetricType', namespace: 'AWS/EC2' })),
    ).toBe(false);
    expect(matchesEventPattern(pattern, event({ ...base, metricType: 'MetricType', spaceId: 1000 }))).toBe(
      false,
    );
  });

  it('supports parallel $or at two levels', () => {
    // [ruler] "Parallel Or".
    const pattern = {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    };
    expect(
      matchesEventPattern(pattern, event({ namespace: 'AWS/EC2', detail: { source: 'aws.cloudwatch' } })),
    ).toBe(true);
    expect(matchesEventPattern(pattern, event({ namespace: 'AWS/EC2', detail: { source: 'aws.ec2' } }))).toBe(
      false,
    );
  });
});

describe('matchesEventPattern — combined filters', () => {
  it('matches the complex example combining prefix, anything-but, numeric and cidr', () => {
    // [filtering] "Complex example with multiple matching" + [ruler] "Complex example" (source-ip cidr).
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    const detail = {
      'c-count': 5,
      'd-count': 3,
      'x-limit': 301.8,
      'source-ip': '10.0.0.33',
      'instance-id': 'i-000000aaaaaa00000',
      state: 'running',
    };
    expect(matchesEventPattern(pattern, event({ time: '2017-10-02T16:24:49Z', detail }))).toBe(true);
    expect(
      matchesEventPattern(
        pattern,
        event({ time: '2017-10-02T16:24:49Z', detail: { ...detail, state: 'initializing' } }),
      ),
    ).toBe(false);
    expect(
      matchesEventPattern(
        pattern,
        event({ time: '2017-10-02T16:24:49Z', detail: { ...detail, 'x-limit': 300 } }),
      ),
    ).toBe(false);
    expect(matchesEventPattern(pattern, event({ time: '2017-10-03T16:24:49Z', detail }))).toBe(false);
  });
});

describe('matchesEventPattern — kcbx rules as CDK emits them', () => {
  const pattern = {
    source: ['kcbx.roster-intake'],
    'detail-type': ['roster.accepted'],
    detail: { kind: ['enrollment', 'poverty'] },
  };
  const accepted = (kind: string, overrides: Record<string, unknown> = {}) =>
    event({
      source: 'kcbx.roster-intake',
      'detail-type': 'roster.accepted',
      account: '000000000000',
      region: 'ap-east-1',
      resources: [],
      detail: { kind, org: '2153012401', period: '2025-autumn' },
      ...overrides,
    });

  it('matches an accepted enrollment or poverty roster', () => {
    expect(matchesEventPattern(pattern, accepted('enrollment'))).toBe(true);
    expect(matchesEventPattern(pattern, accepted('poverty'))).toBe(true);
  });

  it('does not match another roster kind', () => {
    expect(matchesEventPattern(pattern, accepted('attendance'))).toBe(false);
  });

  it('does not match another detail-type or source', () => {
    expect(matchesEventPattern(pattern, accepted('enrollment', { 'detail-type': 'roster.rejected' }))).toBe(
      false,
    );
    expect(matchesEventPattern(pattern, accepted('enrollment', { source: 'kcbx.comparison' }))).toBe(false);
  });

  it('matches the same rule given as the JSON text of a synthesized template', () => {
    expect(matchesEventPattern(JSON.stringify(pattern), accepted('poverty'))).toBe(true);
  });
});

describe('validateEventPattern', () => {
  it('accepts every documented pattern', () => {
    const good: unknown[] = [
      {
        source: ['aws.ec2'],
        'detail-type': ['EC2 Instance State-change Notification'],
        detail: { state: ['terminated'] },
      },
      { detail: { responseElements: [null], eventVersion: [''] } },
      { time: [{ prefix: '2017-10-02' }] },
      { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
      { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['a', 'b'] } }] } },
      { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }] } },
      { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }], v6: [{ cidr: '2001:db8::/32' }] } },
      { detail: { 'c-count': [{ exists: false }] } },
      { detail: { key: [{ wildcard: 'dir/*.png' }], star: [{ wildcard: 'a\\*b' }] } },
      { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] },
      '{"source":["kcbx.roster-intake"],"detail-type":["roster.accepted"]}',
    ];
    for (const pattern of good) expect(validateEventPattern(pattern), JSON.stringify(pattern)).toEqual([]);
  });

  it('rejects a pattern that is not an object', () => {
    expect(validateEventPattern(null)).toHaveLength(1);
    expect(validateEventPattern([{ source: ['aws.ec2'] }])).toHaveLength(1);
    expect(validateEventPattern(42)[0]).toMatch(/JSON object/);
    expect(validateEventPattern('{"source": [')[0]).toMatch(/not valid JSON/);
  });

  it('rejects an empty pattern and empty nested objects or arrays', () => {
    expect(validateEventPattern({})[0]).toMatch(/empty/);
    expect(validateEventPattern({ detail: {} })[0]).toMatch(/detail: empty objects/);
    expect(validateEventPattern({ source: [] })[0]).toMatch(/source: empty arrays/);
  });

  it('rejects leaf values that are not arrays', () => {
    const problems = validateEventPattern({ source: 'aws.ec2', detail: { count: 5 } });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^source: .*did you mean \["aws\.ec2"\]/);
    expect(problems[1]).toMatch(/^detail\.count: /);
  });

  it('rejects nested arrays inside a leaf', () => {
    expect(validateEventPattern({ source: [['aws.ec2']] })[0]).toMatch(/source\[0\]/);
  });

  it('rejects unknown operators and several operators in one expression', () => {
    expect(validateEventPattern({ detail: { type: [{ contains: 'Normal' }] } })[0]).toMatch(
      /detail\.type\[0\]: unknown operator "contains"/,
    );
    expect(validateEventPattern({ detail: { type: [{ prefix: 'a', suffix: 'b' }] } })[0]).toMatch(
      /only one operator/,
    );
    expect(validateEventPattern({ detail: { type: [{ prefix: { 'ignore-case': 'a' } }] } })).toHaveLength(1);
  });

  it('rejects malformed numeric expressions', () => {
    const bad: unknown[] = [
      ['<', 10, '>', 0],
      ['>', 'zero'],
      ['==', 1],
      ['>', 0, '<'],
      ['!=', 3],
      '> 5',
      ['>', 0, '<=', 5, '<', 9],
    ];
    for (const numeric of bad) {
      expect(
        validateEventPattern({ detail: { n: [{ numeric }] } }).length,
        JSON.stringify(numeric),
      ).toBeGreaterThan(0);
    }
  });

  it('rejects malformed wildcards', () => {
    expect(validateEventPattern({ detail: { key: [{ wildcard: 'a**b' }] } })[0]).toMatch(
      /consecutive wildcard/,
    );
    expect(validateEventPattern({ detail: { key: [{ wildcard: 'a\\b' }] } })[0]).toMatch(/backslash/);
    expect(validateEventPattern({ detail: { key: [{ wildcard: 42 }] } })).toHaveLength(1);
    expect(validateEventPattern({ detail: { key: [{ 'anything-but': { wildcard: 'x**' } }] } })).toHaveLength(
      1,
    );
  });

  it('rejects malformed anything-but, exists and cidr expressions', () => {
    expect(validateEventPattern({ detail: { s: [{ 'anything-but': ['a', 1] }] } })[0]).toMatch(
      /only strings or only numbers/,
    );
    expect(validateEventPattern({ detail: { s: [{ 'anything-but': [null] }] } })).toHaveLength(1);
    expect(validateEventPattern({ detail: { s: [{ 'anything-but': { numeric: ['>', 1] } }] } })).toHaveLength(
      1,
    );
    expect(validateEventPattern({ detail: { s: [{ 'anything-but': { prefix: '' } }] } })[0]).toMatch(
      /empty prefix/,
    );
    expect(validateEventPattern({ detail: { s: [{ exists: 'yes' }] } })).toHaveLength(1);
    expect(validateEventPattern({ detail: { ip: [{ cidr: '10.0.0.0/33' }] } })).toHaveLength(1);
    expect(validateEventPattern({ detail: { ip: [{ cidr: '10.0.0.0' }] } })).toHaveLength(1);
  });

  it('rejects $or without at least two objects or with operator names as fields', () => {
    expect(validateEventPattern({ $or: [{ source: ['a'] }] })[0]).toMatch(/at least two/);
    expect(validateEventPattern({ $or: { source: ['a'] } })[0]).toMatch(/\$or: must be an array/);
    expect(validateEventPattern({ $or: [{ source: ['a'] }, 'b'] })[0]).toMatch(/only objects/);
    expect(validateEventPattern({ $or: [{ numeric: [123] }, { prefix: ['abc'] }] })).toHaveLength(2);
  });
});
