import { describe, expect, it } from 'vitest';
import type { RosterKind } from '../../../shared/roster-kind';
import type { RawRow } from './raw-rows';
import { createRosterValidator, type ValidatedRow, type ValidationSummary } from './validate';
import { type CellInput, dateCell, makeId, num, sheet } from './validate-test-rows';

const TODAY = '2025-09-15';
const BOY = makeId('20150312', '123'); // 530124201503121236: born 2015-03-12, male
const GIRL = makeId('20160301', '202'); // female
const OTHER_BOY = makeId('20130905', '105');

function run<K extends RosterKind>(
  kind: K,
  rows: RawRow[],
  maxIssues?: number,
): { accepted: ValidatedRow<K>[]; summary: ValidationSummary } {
  const validator = createRosterValidator(kind, maxIssues ? { today: TODAY, maxIssues } : { today: TODAY });
  for (const row of rows) validator.push(row);
  const summary = validator.finish();
  return { accepted: validator.drain(), summary };
}

const codes = (summary: ValidationSummary) => summary.issues.map((i) => i.code);

/** A household roster: header on line 1, then the given rows from line 2. */
function household(...data: CellInput[][]) {
  return run('household', sheet([['身份证号', '姓名', '性别', '出生日期'], ...data]));
}

describe('createRosterValidator — header and file layout', () => {
  it('reads a 学籍 export with its real header: 序号 ignored, fields mapped, stage derived from 年级', () => {
    const { accepted, summary } = run(
      'enrollment',
      sheet([
        [
          '序号',
          '学生姓名',
          '性别',
          '出生日期',
          '身份证件号',
          '全国学籍号',
          '学校名称',
          '年级',
          '班级',
          '就读方式',
        ],
        ['1', '张三', '男', '2015-03-12', BOY, `G${BOY}`, '富民县第一小学', '四年级', '2班', '住校'],
        [
          '2',
          '李 小 红',
          '女',
          dateCell('2016-03-01'),
          GIRL,
          `G${GIRL}`,
          '富民县第一小学',
          '初一',
          '1班',
          '走读',
        ],
      ]),
    );
    expect(summary.issues).toEqual([]);
    expect(summary).toMatchObject({ rows: 2, accepted: 2, rejected: 0, header: { line: 1 } });
    expect(accepted.map((r) => r.record)).toEqual([
      {
        idNumber: BOY,
        name: '张三',
        sex: 'M',
        birthDate: '2015-03-12',
        studentNumber: `G${BOY}`,
        schoolName: '富民县第一小学',
        grade: '四年级',
        className: '2班',
        boarding: true,
        stage: 'PRIMARY',
      },
      {
        idNumber: GIRL,
        name: '李小红',
        sex: 'F',
        birthDate: '2016-03-01',
        studentNumber: `G${GIRL}`,
        schoolName: '富民县第一小学',
        grade: '初一',
        className: '1班',
        boarding: false,
        stage: 'JUNIOR',
      },
    ]);
    expect(accepted.map((r) => r.line)).toEqual([2, 3]);
  });

  it('skips a title row and a merged title (the title repeated across the merged cells) above the header', () => {
    const title = 'XX县2025年秋季学期义务教育阶段学生花名册';
    const { accepted, summary } = run(
      'enrollment',
      sheet([
        [title],
        [title, title, title, title],
        [],
        ['填报单位：富民县第一小学', '', '', '填报日期：2025-09-10'],
        ['序号', '姓名', '身份证号', '年级'],
        ['1', '张三', BOY, '一年级'],
      ]),
    );
    expect(summary.header?.line).toBe(5);
    expect(summary.skipped.beforeHeader).toBe(3);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.line).toBe(6);
  });

  it('refuses the file when no header row is found, saying which columns are missing and which it saw', () => {
    const { summary, accepted } = run(
      'attendance',
      sheet([
        ['2025年9月考勤表'],
        ['序号', '学生名字', '身份证号', '日期'],
        ['1', '张三', BOY, '2025-09-08'],
      ]),
    );
    expect(accepted).toEqual([]);
    expect(summary.rows).toBe(0);
    const error = summary.fileError!;
    expect(error.code).toBe('HEADER_NOT_FOUND');
    expect(error.missing).toEqual(['name', 'status']);
    expect(error.closestLine).toBe(2);
    expect(error.zh).toContain('第 2 行');
    expect(error.zh).toContain('学生名字');
    expect(error.zh).toContain('“姓名”');
    expect(error.zh).toContain('“出勤状态”');
    expect(error.en).toContain('Rename the columns');
    expect(`${error.zh}${error.en}`).not.toContain(BOY);
  });

  it('looks for the header only in the first 20 non-empty rows', () => {
    const titles: CellInput[][] = Array.from({ length: 20 }, (_, i) => [`说明第 ${i + 1} 行`]);
    const { summary } = run('household', sheet([...titles, ['身份证号', '姓名'], [BOY, '张三']]));
    expect(summary.fileError?.code).toBe('HEADER_NOT_FOUND');
    expect(summary.rows).toBe(0);
  });

  it('masks ID numbers when a file without a header shows its first row in the error', () => {
    const { summary } = run('household', sheet([[BOY, '张三', '男']]));
    expect(summary.fileError?.zh).toContain('没有识别出任何列名');
    expect(summary.fileError?.zh).toContain('5301**********');
    expect(summary.fileError?.zh).not.toContain(BOY);
  });
});

describe('createRosterValidator — rows that are not data', () => {
  it('skips blank rows without counting them as rows', () => {
    const { summary, accepted } = household([], [BOY, '张三'], ['', '  ', '\u3000'], [GIRL, '李红']);
    expect(summary.rows).toBe(2);
    expect(accepted).toHaveLength(2);
    expect(summary.skipped.blank).toBe(2);
  });

  it('treats a template row with only its 序号 filled in as blank', () => {
    const { summary } = run(
      'household',
      sheet([
        ['序号', '身份证号', '姓名'],
        ['1', BOY, '张三'],
        ['2', '', ''],
        [num(3), '', '', ''],
      ]),
    );
    expect(summary).toMatchObject({ rows: 1, accepted: 1, rejected: 0, skipped: { blank: 2 } });
  });

  it('skips a trailing 合计 / 总计 / 小计 row', () => {
    for (const word of ['合计', '总计：2人', '小 计']) {
      const { summary } = run(
        'headcount',
        sheet([
          ['序号', '姓名', '身份证号', '在校情况'],
          ['1', '张三', BOY, '在校'],
          [word, '', '', '2'],
        ]),
      );
      expect(summary).toMatchObject({ rows: 1, accepted: 1, rejected: 0 });
      expect(summary.skipped.total).toBe(1);
    }
  });

  it('skips a totals row that has numbers but no ID and no name', () => {
    const { summary } = run(
      'headcount',
      sheet([
        ['序号', '姓名', '身份证号', '在校情况', '人数'],
        ['1', '张三', BOY, '在校', '1'],
        ['', '', '', '', num(1)],
      ]),
    );
    expect(summary).toMatchObject({ rows: 1, rejected: 0, skipped: { total: 1 } });
  });

  it('skips signature lines under the table and a header repeated inside the data', () => {
    const { summary } = household(
      [BOY, '张三'],
      ['身份证号', '姓名', '性别', '出生日期'],
      [GIRL, '李红'],
      ['填表人：王老师', '', '联系电话：13812345678'],
    );
    expect(summary).toMatchObject({ rows: 2, accepted: 2, rejected: 0 });
    expect(summary.skipped).toMatchObject({ repeatedHeader: 1, footer: 1 });
  });
});

describe('createRosterValidator — ID numbers', () => {
  it('normalises spaces, full-width digits and a lower-case x', () => {
    const girlWithX = makeId('20160229', '102'); // check digit X
    expect(girlWithX.endsWith('X')).toBe(true);
    const fullWidth = OTHER_BOY.replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
    const { accepted, summary } = household(
      [` ${BOY.slice(0, 6)} ${BOY.slice(6, 14)}\u3000${BOY.slice(14)} `, '张三'],
      [girlWithX.toLowerCase(), '李红'],
      [fullWidth, '王五'],
    );
    expect(accepted.map((r) => r.record.idNumber)).toEqual([BOY, girlWithX, OTHER_BOY]);
    expect(summary.issues).toEqual([]);
  });

  it('upgrades a 15-digit number to 18 characters, with an ID_UPGRADED warning', () => {
    const { accepted, summary } = household(['530124850615121', '赵六']);
    expect(accepted[0]?.record.idNumber).toBe('530124198506151217');
    expect(accepted[0]?.warnings.map((w) => w.code)).toEqual(['ID_UPGRADED']);
    expect(summary.warnings).toBe(1);
  });

  it('takes the ID number from a 学籍号 of the form G + ID number when the ID cell is empty', () => {
    const { accepted } = run(
      'enrollment',
      sheet([
        ['姓名', '身份证号', '全国学籍号'],
        ['张三', '', `G${BOY}`],
      ]),
    );
    expect(accepted[0]?.record.idNumber).toBe(BOY);
    expect(accepted[0]?.warnings).toMatchObject([
      { code: 'ID_FROM_STUDENT_NUMBER', severity: 'warning', column: '全国学籍号', field: 'studentNumber' },
    ]);
  });

  it('accepts a roster that has only the 学籍号 column', () => {
    const { accepted } = run(
      'enrollment',
      sheet([
        ['学籍号', '姓名'],
        [`G${BOY}`, '张三'],
      ]),
    );
    expect(accepted[0]?.record).toMatchObject({ idNumber: BOY, studentNumber: `G${BOY}` });
  });

  it('rejects a temporary L 学籍号 without an ID number', () => {
    const { summary } = run(
      'enrollment',
      sheet([
        ['身份证号', '学籍号', '姓名'],
        ['', 'L2025090100123', '张三'],
      ]),
    );
    expect(summary.issues).toMatchObject([
      { code: 'ID_TEMPORARY_NUMBER', severity: 'error', column: '学籍号' },
    ]);
  });

  it('rejects an ID stored as a number by Excel (a number cell), never matching it to a child', () => {
    const { accepted, summary } = household([num(Number(BOY), '530124201503121000'), '张三']);
    expect(accepted).toEqual([]);
    expect(summary.issues).toEqual([
      {
        line: 2,
        column: '身份证号',
        field: 'idNumber',
        code: 'ID_STORED_AS_NUMBER',
        severity: 'error',
        zh: '身份证号被 Excel 存成了数字，后几位已丢失；请把该列设置为文本格式后重新填写。',
        en: 'ID stored as a number (Excel dropped the last digits); format the column as text and re-enter it.',
      },
    ]);
  });

  it('rejects ID text that shows Excel lost digits: 16–18 digits ending in 000 that fail the check, or 5.30124E+17', () => {
    const { summary } = household(
      ['530124201503121000', '张三'],
      ['53012420150312000', '李四'],
      ['5.30124E+17', '王五'],
      ['5.30124201503121E+17', '赵六'],
    );
    expect(summary.rejected).toBe(4);
    expect(codes(summary)).toEqual(Array(4).fill('ID_STORED_AS_NUMBER'));
  });

  it('accepts a 15-digit old ID number in a number cell, which Excel holds exactly', () => {
    const { accepted } = household([num(530124850615121), '赵六']);
    expect(accepted[0]?.record.idNumber).toBe('530124198506151217');
  });

  it('rejects a wrong check digit and an impossible birth date with the ID parser’s message', () => {
    const badCheck = `${BOY.slice(0, 17)}5`;
    const badDate = makeId('20150230');
    const { summary } = household([badCheck, '张三'], [badDate, '李四'], ['', '王五']);
    expect(summary.issues.map((i) => [i.line, i.code])).toEqual([
      [2, 'ID_BAD_CHECK_DIGIT'],
      [3, 'ID_BAD_BIRTH_DATE'],
      [4, 'ID_MISSING'],
    ]);
    expect(summary.issues[0]?.zh).toContain('校验位错误');
    expect(summary.issues[0]?.en).toContain('Check digit is wrong');
  });

  it('never writes a full ID number into any message', () => {
    const { summary } = run(
      'enrollment',
      sheet([
        ['身份证号', '姓名', '性别', '出生日期', '学籍号', '年级', '班级'],
        [BOY, '张三', '女', '2015-03-13', `G${GIRL}`, '四年级', '1班'],
        [BOY, '张三', '男', '', '', '', ''],
        ['530124850615121', '赵六', '', '', '', '', ''],
        ['', '李红', '', '', `G${GIRL}`, '', ''],
        [`${BOY.slice(0, 17)}5`, '王五', '', '', '', '', ''],
        [OTHER_BOY, '钱七', BOY, '', '', '', ''],
      ]),
    );
    expect(summary.issues.length).toBeGreaterThanOrEqual(6);
    for (const issue of summary.issues) expect(`${issue.zh} ${issue.en}`).not.toMatch(/\d{15}/);
  });
});

describe('createRosterValidator — names, birth dates, sex', () => {
  it('rejects a row without a name', () => {
    const { summary } = household([BOY, '  ']);
    expect(summary.issues).toMatchObject([
      { line: 2, column: '姓名', field: 'name', code: 'NAME_MISSING', severity: 'error' },
    ]);
    expect(summary).toMatchObject({ rows: 1, accepted: 0, rejected: 1 });
  });

  it('removes whitespace inside Chinese names and unifies the name dot', () => {
    const { accepted } = household(
      [BOY, ' 张\u3000三 '],
      [GIRL, '阿依古丽 • 买买提'],
      [OTHER_BOY, 'Anna  Li'],
    );
    expect(accepted.map((r) => r.record.name)).toEqual(['张三', '阿依古丽·买买提', 'Anna Li']);
  });

  it('accepts a birth date column that agrees with the ID in any date spelling, or only to the month', () => {
    const { summary } = household(
      [BOY, '张三', '男', '2015/3/12'],
      [GIRL, '李红', '女', '2016年3月1日'],
      [OTHER_BOY, '王五', '男', '2013.09'],
    );
    expect(summary.issues).toEqual([]);
    expect(summary.accepted).toBe(3);
  });

  it('rejects a birth date column that disagrees with the ID, and warns when it cannot be read', () => {
    const { summary, accepted } = household(
      [BOY, '张三', '男', '2015-03-13'],
      [GIRL, '李红', '女', '三月一日'],
    );
    expect(summary.issues).toMatchObject([
      { line: 2, column: '出生日期', code: 'BIRTH_DATE_MISMATCH', severity: 'error' },
      { line: 3, column: '出生日期', code: 'BIRTH_DATE_UNREADABLE', severity: 'warning' },
    ]);
    expect(accepted.map((r) => r.record.birthDate)).toEqual(['2016-03-01']);
  });

  it('warns when the sex column disagrees with the ID, and records the sex the ID number says', () => {
    const { accepted } = household([BOY, '张三', '女']);
    expect(accepted[0]?.record.sex).toBe('M');
    expect(accepted[0]?.warnings).toMatchObject([
      { code: 'SEX_MISMATCH', severity: 'warning', column: '性别' },
    ]);
  });

  it('keeps a formula-like name as text and flags it FORMULA_LIKE', () => {
    const { accepted } = household([BOY, '=HYPERLINK("http://x","张三")'], [GIRL, '@李红']);
    expect(accepted.map((r) => r.record.name)).toEqual(['=HYPERLINK("http://x","张三")', '@李红']);
    expect(accepted.flatMap((r) => r.warnings.map((w) => w.code))).toEqual(['FORMULA_LIKE', 'FORMULA_LIKE']);
  });

  it('keeps unknown columns under their header text in extra', () => {
    const { accepted } = run(
      'household',
      sheet([
        ['序号', '身份证号', '姓名', '户主姓名', '与户主关系', '', '监护人'],
        ['1', BOY, '张三', '张大山', '子', '', '张大山'],
        ['2', GIRL, '李红', '', '女', '手写备注', '', '多出的列'],
      ]),
    );
    expect(accepted[0]?.record).toMatchObject({
      guardianName: '张大山',
      extra: { 户主姓名: '张大山', 与户主关系: '子' },
    });
    expect(accepted[1]?.record.extra).toEqual({ 与户主关系: '女', 列F: '手写备注', 列H: '多出的列' });
  });
});

describe('createRosterValidator — dates', () => {
  it.each([
    ['2025-09-08', '2025-09-08'],
    ['2025/9/8', '2025-09-08'],
    ['2025.9.8', '2025-09-08'],
    ['2025年9月8日', '2025-09-08'],
    ['20250908', '2025-09-08'],
    ['2025-09-08 00:00:00', '2025-09-08'],
    [dateCell('2025-09-08'), '2025-09-08'],
    [num(45908), '2025-09-08'],
    [num(20250908), '2025-09-08'],
  ] as [CellInput, string][])('reads the attendance date %o as %s', (cell, expected) => {
    const { accepted, summary } = run(
      'attendance',
      sheet([
        ['姓名', '身份证号', '考勤日期', '出勤状态'],
        ['张三', BOY, cell, '出勤'],
      ]),
    );
    expect(summary.issues).toEqual([]);
    expect(accepted[0]?.record.date).toBe(expected);
  });

  it.each(['2025-02-30', '9/8/2025', '下周一', '2025-13-01'])('rejects the invalid date %s', (value) => {
    const { summary } = run(
      'attendance',
      sheet([
        ['姓名', '身份证号', '日期', '考勤状态'],
        ['张三', BOY, value, '出勤'],
      ]),
    );
    expect(summary.issues).toMatchObject([{ code: 'DATE_INVALID', severity: 'error', column: '日期' }]);
    expect(summary.issues[0]?.zh).toContain('2025-09-08');
  });

  it('rejects an attendance date after today', () => {
    const { summary } = run(
      'attendance',
      sheet([
        ['姓名', '身份证号', '日期', '出勤状态'],
        ['张三', BOY, '2025-09-16', '出勤'],
      ]),
    );
    expect(codes(summary)).toEqual(['DATE_IN_FUTURE']);
  });
});

describe('createRosterValidator — duplicates', () => {
  it('keeps the first row of an ID and warns DUPLICATE_IN_FILE on the later ones, which are not imported', () => {
    const { accepted, summary } = household([BOY, '张三'], [GIRL, '李红'], [BOY, '张三'], [BOY, '张叁']);
    expect(accepted.map((r) => r.line)).toEqual([2, 3]);
    expect(summary).toMatchObject({ rows: 4, accepted: 2, rejected: 0, duplicates: 2, warnings: 2 });
    expect(summary.issues).toMatchObject([
      { line: 4, code: 'DUPLICATE_IN_FILE', severity: 'warning', column: '身份证号' },
      { line: 5, code: 'DUPLICATE_IN_FILE', severity: 'warning' },
    ]);
    expect(summary.issues[0]?.zh).toContain('第 2 行');
    expect(summary.issues[0]?.zh).toContain('5301**********1236');
  });

  it('counts a rejected row as no claim on its ID: a later valid row is not a duplicate', () => {
    const { accepted, summary } = household([BOY, ''], [BOY, '张三']);
    expect(accepted.map((r) => r.line)).toEqual([3]);
    expect(summary.duplicates).toBe(0);
  });

  it('treats attendance rows as duplicates only for the same ID and the same date', () => {
    const { accepted, summary } = run(
      'attendance',
      sheet([
        ['姓名', '身份证号', '日期', '出勤状态'],
        ['张三', BOY, '2025-09-08', '出勤'],
        ['张三', BOY, '2025-09-09', '旷课'],
        ['张三', BOY, '2025/9/8', '迟到'],
      ]),
    );
    expect(accepted.map((r) => r.line)).toEqual([2, 3]);
    expect(summary.issues).toMatchObject([{ line: 4, code: 'DUPLICATE_IN_FILE' }]);
  });

  it('lets one child appear once per category in an assistance roster', () => {
    const { accepted, summary } = run(
      'assistance',
      sheet([
        ['姓名', '身份证号', '救助类型'],
        ['张三', BOY, '低保'],
        ['张三', BOY, '留守儿童'],
        ['张三', BOY, '农村低保'],
      ]),
    );
    expect(accepted.map((r) => r.record.category)).toEqual(['DIBAO', 'LEFT_BEHIND']);
    expect(summary.duplicates).toBe(1);
  });
});

describe('createRosterValidator — each kind', () => {
  it('headcount: 在校情况 words become present true/false; an empty status is rejected', () => {
    const { accepted, summary } = run(
      'headcount',
      sheet([
        ['序号', '学生姓名', '身份证号码', '学校标识码', '年级', '班级', '到校情况'],
        ['1', '张三', BOY, '2153012401', '三年级', '1班', '已到'],
        ['2', '李红', GIRL, '2153012401', '二年级', '2班', '未报到'],
        ['3', '王五', OTHER_BOY, '2153012401', '六年级', '1班', '辍学'],
        ['4', '赵六', makeId('20140101'), '2153012401', '五年级', '1班', ''],
        ['5', '钱七', makeId('20140102'), '2153012401', '五年级', '1班', '不知道'],
      ]),
    );
    expect(accepted.map((r) => [r.record.present, r.record.schoolCode])).toEqual([
      [true, '2153012401'],
      [false, '2153012401'],
      [false, '2153012401'],
    ]);
    expect(summary.issues).toMatchObject([
      { line: 5, code: 'REQUIRED_MISSING', severity: 'error', column: '到校情况' },
      { line: 6, code: 'VALUE_UNRECOGNISED', severity: 'error', column: '到校情况' },
    ]);
    expect(summary.issues[1]?.zh).toContain('在校');
  });

  it('attendance: statuses, a 请假类型 column refining 请假, and leave approval', () => {
    const { accepted } = run(
      'attendance',
      sheet([
        ['序号', '姓名', '身份证号', '考勤日期', '出勤状态', '请假类型', '审批状态', '班级'],
        ['1', '张一', makeId('20150101'), '2025-09-08', '出勤', '', '', '七(1)班'],
        ['2', '张二', makeId('20150102'), '2025-09-08', '旷课', '', '', '七(1)班'],
        ['3', '张三', makeId('20150103'), '2025-09-08', '事假', '', '已批准', '七(1)班'],
        ['4', '张四', makeId('20150104'), '2025-09-08', '请假', '病假', '未批准', '七(1)班'],
        ['5', '张五', makeId('20150105'), '2025-09-08', '迟到', '', '', '七(1)班'],
        ['6', '张六', makeId('20150106'), '2025-09-08', '早退', '', '', '七(1)班'],
        ['7', '张七', makeId('20150107'), '2025-09-08', '缺勤', '', '', '七(1)班'],
      ]),
    );
    expect(accepted.map((r) => [r.record.status, r.record.leaveApproved])).toEqual([
      ['PRESENT', undefined],
      ['ABSENT_UNEXCUSED', undefined],
      ['PERSONAL_LEAVE', true],
      ['SICK_LEAVE', false],
      ['LATE', undefined],
      ['LEFT_EARLY', undefined],
      ['ABSENT', undefined],
    ]);
    expect(accepted[0]?.record.className).toBe('七(1)班');
  });

  it('poverty: 监测类型 words become the four categories; an unknown one is rejected with the accepted list', () => {
    const { accepted, summary } = run(
      'poverty',
      sheet([
        ['序号', '家庭成员姓名', '公民身份号码', '监测类型'],
        ['1', '张一', makeId('20150101'), '脱贫户'],
        ['2', '张二', makeId('20150102'), '建档立卡户'],
        ['3', '张三', makeId('20150103'), '脱贫不稳定户'],
        ['4', '张四', makeId('20150104'), '边缘易致贫户'],
        ['5', '张五', makeId('20150105'), '突发严重困难户'],
        ['6', '张六', makeId('20150106'), '一般户'],
      ]),
    );
    expect(accepted.map((r) => r.record.category)).toEqual([
      'LIFTED_OUT_OF_POVERTY',
      'LIFTED_OUT_OF_POVERTY',
      'UNSTABLE',
      'MARGINAL',
      'SUDDEN_HARDSHIP',
    ]);
    expect(summary.issues).toMatchObject([{ line: 7, code: 'VALUE_UNRECOGNISED', severity: 'error' }]);
    expect(summary.issues[0]?.zh).toContain('边缘易致贫户');
  });

  it('assistance: 低保, 特困, 孤儿, 事实无人抚养儿童, 留守', () => {
    const { accepted } = run(
      'assistance',
      sheet([
        ['姓名', '证件号码', '人员类别'],
        ['张一', makeId('20150101'), '城市低保'],
        ['张二', makeId('20150102'), '特困供养人员'],
        ['张三', makeId('20150103'), '社会散居孤儿'],
        ['张四', makeId('20150104'), '事实无人抚养儿童'],
        ['张五', makeId('20150105'), '农村留守儿童'],
      ]),
    );
    expect(accepted.map((r) => r.record.category)).toEqual([
      'DIBAO',
      'TEKUN',
      'ORPHAN',
      'UNSUPPORTED',
      'LEFT_BEHIND',
    ]);
  });

  it('disability: category and level are optional; an unknown value is dropped with a warning', () => {
    const { accepted } = run(
      'disability',
      sheet([
        ['残疾人姓名', '残疾人身份证号', '残疾类别', '残疾等级', '残疾证号'],
        ['张一', makeId('20150101'), '智力残疾', '二级', '5301242015010112342'],
        ['张二', makeId('20150102'), '', '', ''],
        ['张三', makeId('20150103'), '其他', 'Ⅳ级', ''],
      ]),
    );
    expect(accepted.map((r) => [r.record.category, r.record.level])).toEqual([
      ['INTELLECTUAL', 2],
      [undefined, undefined],
      [undefined, 4],
    ]);
    expect(accepted[2]?.warnings).toMatchObject([
      { code: 'VALUE_UNRECOGNISED', severity: 'warning', column: '残疾类别' },
    ]);
    expect(accepted[0]?.record.extra).toEqual({ 残疾证号: '5301242015010112342' });
  });

  it('deferral: type, dates and approval; an end before the start is rejected', () => {
    const { accepted, summary } = run(
      'deferral',
      sheet([
        ['姓名', '身份证号', '缓学/休学', '开始日期', '截止日期', '批准文号', '原因'],
        ['张一', makeId('20190101'), '缓学', '2025-09-01', '2026-08-31', '富教发〔2025〕12号', '因病'],
        ['张二', makeId('20150102'), '休学', '2025/9/1', '2026年1月20日', '', ''],
        ['张三', makeId('20150103'), '休学', '2026-01-20', '2025-09-01', '', ''],
      ]),
    );
    expect(accepted.map((r) => r.record)).toMatchObject([
      {
        type: 'DEFERRED',
        from: '2025-09-01',
        until: '2026-08-31',
        approvalRef: '富教发〔2025〕12号',
        reason: '因病',
      },
      { type: 'SUSPENDED', from: '2025-09-01', until: '2026-01-20' },
    ]);
    expect(summary.issues).toMatchObject([{ line: 4, code: 'DATE_RANGE_INVALID', column: '截止日期' }]);
  });

  it('household: address, guardian, 户号 and region code', () => {
    const { accepted } = run(
      'household',
      sheet([
        ['户号', '姓名', '公民身份号码', '性别', '出生日期', '户籍地址', '监护人姓名', '行政区划代码'],
        ['530124000123', '张三', BOY, '男', '20150312', '富民县永定街道 1 号', '张 大山', '530124001'],
      ]),
    );
    expect(accepted[0]?.record).toEqual({
      idNumber: BOY,
      name: '张三',
      sex: 'M',
      birthDate: '2015-03-12',
      householdNumber: '530124000123',
      address: '富民县永定街道 1 号',
      guardianName: '张大山',
      regionCode: '530124001',
    });
  });
});

describe('createRosterValidator — streaming', () => {
  it('drain() hands over the accepted rows since the last drain, so the caller can write in batches', () => {
    const validator = createRosterValidator('household', { today: TODAY });
    for (const row of sheet([
      ['身份证号', '姓名'],
      [BOY, '张三'],
      [GIRL, '李红'],
    ]))
      validator.push(row);
    expect(validator.drain().map((r) => r.line)).toEqual([2, 3]);
    expect(validator.drain()).toEqual([]);
    validator.push({
      line: 4,
      cells: [
        { kind: 'text', text: OTHER_BOY },
        { kind: 'text', text: '王五' },
      ],
    });
    expect(validator.drain().map((r) => r.line)).toEqual([4]);
    expect(validator.finish()).toMatchObject({ rows: 3, accepted: 3 });
  });

  it('keeps at most maxIssues issue records and counts the rest', () => {
    const rows = sheet([['身份证号', '姓名'], ...Array.from({ length: 10 }, () => ['123', '张三'])]);
    const { summary } = run('household', rows, 4);
    expect(summary.issues).toHaveLength(4);
    expect(summary.issuesOmitted).toBe(6);
    expect(summary.issueCounts).toEqual({ ID_BAD_LENGTH: 10 });
    expect(summary.rejected).toBe(10);
  });
});

describe('a county-wide 学籍 export', () => {
  it('keeps a child listed at two schools (the comparison reports the double enrollment)', async () => {
    const { createRosterValidator } = await import('./validate');
    const { checkDigit } = await import('../../../shared/id-number');
    const first17 = '53012420150312001';
    const id = first17 + checkDigit(first17);
    const v = createRosterValidator('enrollment', { today: '2025-09-08' });
    const text = (t: string) => ({ kind: 'text' as const, text: t });
    v.push({ line: 1, cells: [text('姓名'), text('身份证号'), text('学校标识码')] });
    v.push({ line: 2, cells: [text('张三'), text(id), text('2153012401')] });
    v.push({ line: 3, cells: [text('张三'), text(id), text('2153012402')] });
    v.push({ line: 4, cells: [text('张三'), text(id), text('2153012402')] });
    const accepted = v.drain();
    const summary = v.finish();
    expect(accepted.map((r) => r.line)).toEqual([2, 3]);
    expect(summary.duplicates).toBe(1);
  });
});
