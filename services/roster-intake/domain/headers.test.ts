import { describe, expect, it } from 'vitest';
import type { RosterKind } from '../../../shared/roster-kind';
import {
  columnLetter,
  findHeaderRow,
  type HeaderMapping,
  type InputField,
  normaliseHeader,
  recogniseHeader,
} from './headers';
import { sheet } from './validate-test-rows';

function mapped(kind: RosterKind, headers: string[]): HeaderMapping {
  const result = findHeaderRow(sheet([headers]), kind);
  if (!result.ok) throw new Error(result.error.en);
  return result.header;
}

function fieldsOf(mapping: HeaderMapping): Partial<Record<InputField, string>> {
  return Object.fromEntries(Object.entries(mapping.fields).map(([field, column]) => [field, column.header]));
}

describe('normaliseHeader', () => {
  it('removes spaces, full-width spaces and line breaks of a wrapped header cell', () => {
    expect(normaliseHeader(' 身份证\n号 ')).toBe('身份证号');
    expect(normaliseHeader('姓\u3000名')).toBe('姓名');
  });

  it('strips required markers: *, （必填）, 【必填】', () => {
    expect(normaliseHeader('*姓名')).toBe('姓名');
    expect(normaliseHeader('姓名*')).toBe('姓名');
    expect(normaliseHeader('身份证号（必填）')).toBe('身份证号');
    expect(normaliseHeader('身份证号【必填】')).toBe('身份证号');
  });

  it('makes full-width and half-width parentheses the same', () => {
    expect(normaliseHeader('身份证号（学生）')).toBe(normaliseHeader('身份证号(学生)'));
  });
});

describe('recogniseHeader', () => {
  it.each([
    ['身份证号', 'idNumber'],
    ['身份证号码', 'idNumber'],
    ['身份证件号', 'idNumber'],
    ['公民身份号码', 'idNumber'],
    ['证件号码', 'idNumber'],
    ['学籍号', 'studentNumber'],
    ['全国学籍号', 'studentNumber'],
    ['学籍辅号', 'studentNumber'],
    ['姓名', 'name'],
    ['学生姓名', 'name'],
    ['出生年月', 'birthDate'],
    ['出生日期（格式：2015-01-01）', 'birthDate'],
    ['序号', 'serial'],
  ])('reads %s as %s', (header, field) => {
    expect(recogniseHeader('enrollment', header)).toBe(field);
  });

  it('reads 状态 by kind: present in a headcount, the attendance status in an attendance roster', () => {
    expect(recogniseHeader('headcount', '状态')).toBe('present');
    expect(recogniseHeader('attendance', '状态')).toBe('status');
  });

  it('does not take 户主姓名 or 户主身份证号 for the child', () => {
    expect(recogniseHeader('household', '户主姓名')).toBeUndefined();
    expect(recogniseHeader('household', '户主身份证号')).toBeUndefined();
  });
});

describe('findHeaderRow — one realistic header per kind', () => {
  it('household: a 公安 户籍 export', () => {
    const m = mapped('household', [
      '序号',
      '户号',
      '家庭成员姓名',
      '公民身份号码',
      '性别',
      '出生日期',
      '与户主关系',
      '户籍地址',
      '监护人姓名',
    ]);
    expect(fieldsOf(m)).toEqual({
      householdNumber: '户号',
      name: '家庭成员姓名',
      idNumber: '公民身份号码',
      sex: '性别',
      birthDate: '出生日期',
      address: '户籍地址',
      guardianName: '监护人姓名',
    });
    expect(m.serialColumn?.header).toBe('序号');
    expect(m.extraColumns.map((c) => c.header)).toEqual(['与户主关系']);
  });

  it('enrollment: a 学籍系统 export', () => {
    const m = mapped('enrollment', [
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
    ]);
    expect(fieldsOf(m)).toEqual({
      name: '学生姓名',
      sex: '性别',
      birthDate: '出生日期',
      idNumber: '身份证件号',
      studentNumber: '全国学籍号',
      schoolName: '学校名称',
      grade: '年级',
      className: '班级',
      boarding: '就读方式',
    });
  });

  it('headcount: a term-start 在校清点 sheet', () => {
    const m = mapped('headcount', [
      '序号',
      '学校标识码',
      '年级',
      '班级',
      '姓名',
      '身份证号码',
      '在校情况',
      '备注',
    ]);
    expect(fieldsOf(m)).toMatchObject({
      schoolCode: '学校标识码',
      idNumber: '身份证号码',
      present: '在校情况',
    });
    expect(m.extraColumns.map((c) => c.header)).toEqual(['备注']);
  });

  it('attendance: a daily 考勤 sheet', () => {
    const m = mapped('attendance', [
      '考勤日期',
      '班级',
      '学生姓名',
      '身份证号',
      '出勤状态',
      '请假类型',
      '请假审批',
    ]);
    expect(fieldsOf(m)).toEqual({
      date: '考勤日期',
      className: '班级',
      name: '学生姓名',
      idNumber: '身份证号',
      status: '出勤状态',
      leaveType: '请假类型',
      leaveApproved: '请假审批',
    });
  });

  it('poverty: a 乡村振兴 防返贫监测 export', () => {
    const m = mapped('poverty', [
      '序号',
      '县',
      '乡镇',
      '村',
      '户主姓名',
      '家庭成员姓名',
      '证件号码',
      '人口类型',
    ]);
    expect(fieldsOf(m)).toEqual({ name: '家庭成员姓名', idNumber: '证件号码', category: '人口类型' });
    expect(m.extraColumns.map((c) => c.header)).toEqual(['县', '乡镇', '村', '户主姓名']);
  });

  it('assistance: a 民政 list', () => {
    const m = mapped('assistance', ['序号', '姓名', '身份证号码', '保障类型', '所属乡镇']);
    expect(fieldsOf(m)).toEqual({ name: '姓名', idNumber: '身份证号码', category: '保障类型' });
  });

  it('disability: a 残联 list', () => {
    const m = mapped('disability', [
      '残疾人姓名',
      '性别',
      '残疾人身份证号',
      '残疾类别',
      '残疾等级',
      '残疾证号',
    ]);
    expect(fieldsOf(m)).toEqual({
      name: '残疾人姓名',
      sex: '性别',
      idNumber: '残疾人身份证号',
      category: '残疾类别',
      level: '残疾等级',
    });
  });

  it('deferral: a 缓学休学 register with markers and wrapped cells', () => {
    const m = mapped('deferral', [
      '*姓名',
      '身份证号\n（必填）',
      '类型',
      '起始日期',
      '截止\n日期',
      '批准文号',
    ]);
    expect(fieldsOf(m)).toEqual({
      name: '*姓名',
      idNumber: '身份证号 （必填）',
      type: '类型',
      from: '起始日期',
      until: '截止 日期',
      approvalRef: '批准文号',
    });
  });
});

describe('findHeaderRow — layout', () => {
  it('skips title rows and merged titles and finds the header below them', () => {
    const title = '富民县2025年秋季学期学生花名册';
    const result = findHeaderRow(
      sheet([[title], [title, title, title], [], ['学校：富民县第一小学'], ['姓名', '身份证号']]),
      'enrollment',
    );
    expect(result.ok && result.header.line).toBe(5);
  });

  it('keeps a second column for the same field as an extra column', () => {
    const m = mapped('household', ['身份证号', '姓名', '证件号码']);
    expect(m.fields.idNumber?.index).toBe(0);
    expect(m.extraColumns).toEqual([{ index: 2, header: '证件号码', role: 'extra' }]);
  });

  it('explains a missing required column in Chinese and English, with what to rename it to', () => {
    const result = findHeaderRow(sheet([['名单'], ['序号', '姓名', '学生编号', '在校情况']]), 'headcount');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.missing).toEqual(['identity']);
    expect(result.error.seenHeaders).toEqual(['序号', '姓名', '学生编号', '在校情况']);
    expect(result.error.zh).toContain('缺少：身份证号（或学籍号）');
    expect(result.error.zh).toContain(
      '“身份证号”（也可用：身份证号码、身份证件号、身份证件号码、公民身份号码）',
    );
    expect(result.error.en).toContain('lacks: ID number (or student number)');
    expect(result.error.en).toContain('"身份证号"');
  });

  it('reports an empty file', () => {
    const result = findHeaderRow([], 'household');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.zh).toContain('没有任何内容');
  });
});

describe('columnLetter', () => {
  it('names columns like Excel', () => {
    expect([0, 25, 26, 27, 701, 702].map(columnLetter)).toEqual(['A', 'Z', 'AA', 'AB', 'ZZ', 'AAA']);
  });
});
