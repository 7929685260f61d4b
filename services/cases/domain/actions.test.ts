import { describe, expect, it } from 'vitest';
import { CASE_ACTION_NAMES_ZH, CASE_ACTION_TYPES, caseActionSchema, caseCommandSchema } from './actions';

/** The messages of a refused body, as the API would quote them. */
function messages(body: unknown): string[] {
  const parsed = caseCommandSchema.safeParse(body);
  if (parsed.success) throw new Error('expected the command to be refused');
  return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const command = (action: Record<string, unknown>, expectedVersion: unknown = 3) => ({
  expectedVersion,
  action,
});

describe('the command body of POST /cases/{id}/actions', () => {
  it('lists every action type once, each with a Chinese name', () => {
    const types = caseActionSchema.options.map((o) => o.shape.type.value);
    expect([...CASE_ACTION_TYPES].sort()).toEqual([...types].sort());
    expect(Object.keys(CASE_ACTION_NAMES_ZH).sort()).toEqual([...types].sort());
  });

  it('accepts a well-formed command and trims what a person typed', () => {
    const parsed = caseCommandSchema.parse(
      command({
        type: 'LOG_HOME_VISIT',
        date: '2025-10-09',
        visitors: [' 孙老师 '],
        outcome: ' 家长同意返校 ',
      }),
    );
    expect(parsed.action).toEqual({
      type: 'LOG_HOME_VISIT',
      date: '2025-10-09',
      visitors: ['孙老师'],
      outcome: '家长同意返校',
    });
  });

  it('names the action types when the type is unknown, in both languages', () => {
    const [message] = messages(command({ type: 'ESCALATE' }));
    expect(message).toContain('action.type');
    expect(message).toContain('unknown action type');
    expect(message).toContain('未知的操作类型');
    expect(message).toContain('FOUR_STEP');
  });

  it('requires the version the user saw (the optimistic lock)', () => {
    expect(messages({ action: { type: 'CONFIRM' } }).join()).toContain(
      'expectedVersion 应为您看到的案件版本号',
    );
    expect(messages(command({ type: 'CONFIRM' }, 0)).join()).toContain('从 1 开始');
  });

  it('refuses an unknown field, naming it', () => {
    const [message] = messages(command({ type: 'CONFIRM', reason: 'x' }));
    expect(message).toContain('CONFIRM 不接受字段：reason');
  });

  it('refuses an impossible date', () => {
    const [message] = messages(command({ type: 'RETURN', school: '2153012401', returnedOn: '2025-02-30' }));
    expect(message).toContain('action.returnedOn');
    expect(message).toContain('应为真实存在的日期');
  });

  it('refuses a school that is not a 10-digit 学校标识码', () => {
    expect(
      messages(command({ type: 'RETURN', school: '富民一中', returnedOn: '2025-10-09' })).join(),
    ).toContain('应为 10 位学校标识码');
  });

  it('requires a deadline on 责令改正 and 行政处罚, and a deadline after the document’s date', () => {
    const base = { type: 'FOUR_STEP', date: '2025-10-15', documentRef: '富教责〔2025〕12号' };
    expect(messages(command({ ...base, step: 'ORDER_TO_CORRECT' })).join()).toContain(
      '责令改正通知书须写明履行期限',
    );
    expect(messages(command({ ...base, step: 'PENALTY' })).join()).toContain('行政处罚决定书须写明履行期限');
    expect(messages(command({ ...base, step: 'PENALTY', deadline: '2025-10-15' })).join()).toContain(
      '期限应晚于文书日期',
    );
    expect(caseCommandSchema.safeParse(command({ ...base, step: 'EDUCATION' })).success).toBe(true);
  });

  it('requires the approved plan for 送教上门', () => {
    const [message] = messages(command({ type: 'PLACE', kind: 'HOME_TEACHING', since: '2025-10-10' }));
    expect(message).toContain('action.planRef');
    expect(message).toContain('送教上门须填写已批准的送教方案文号');
  });

  it('requires a deferral to end after it was approved', () => {
    const [message] = messages(
      command({
        type: 'DEFER',
        kind: 'SUSPENSION',
        documentRef: '富教休〔2025〕7号',
        approvedOn: '2025-09-20',
        endDate: '2025-09-20',
      }),
    );
    expect(message).toContain('截止日期应晚于批准日期');
  });

  it('explains the allowed values of a 缓学/休学 kind, an out-of-scope reason and a placement', () => {
    expect(
      messages(
        command({
          type: 'DEFER',
          kind: '休学',
          documentRef: 'x',
          approvedOn: '2025-09-20',
          endDate: '2026-01-01',
        }),
      ).join(),
    ).toContain('POSTPONEMENT（缓学）或 SUSPENSION（休学）');
    expect(
      messages(command({ type: 'CLOSE_OUT_OF_SCOPE', reason: 'MOVED', documentRef: 'x' })).join(),
    ).toContain('OVER_AGE（超龄）');
    expect(messages(command({ type: 'PLACE', kind: 'HOME', since: '2025-10-10' })).join()).toContain(
      '安置方式应为',
    );
  });

  it('asks for a document reference where the action rests on one', () => {
    expect(
      messages(command({ type: 'CLOSE_OUT_OF_SCOPE', reason: 'DECEASED', documentRef: '  ' })).join(),
    ).toContain('须填写文书编号');
  });

  it('asks for at least one 六有 item, each once', () => {
    expect(messages(command({ type: 'LOG_FOLLOW_UP', date: '2025-11-10', items: [] })).join()).toContain(
      '至少记录一项六有',
    );
    expect(
      messages(command({ type: 'LOG_FOLLOW_UP', date: '2025-11-10', items: ['TESTS', 'TESTS'] })).join(),
    ).toContain('六有项目不能重复');
  });

  it('asks who took part in a visit', () => {
    expect(
      messages(command({ type: 'LOG_TALK', date: '2025-11-10', visitors: [], outcome: '电话沟通' })).join(),
    ).toContain('至少填写一名参与人员');
  });

  it('asks for at least one responsible person', () => {
    expect(messages(command({ type: 'ASSIGN_RESPONSIBLE', chain: {} })).join()).toContain(
      '至少填写一名责任人',
    );
  });
});
