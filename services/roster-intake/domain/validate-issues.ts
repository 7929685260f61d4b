/**
 * 校验问题 — what the validator reports about a row: codes, severities and their Chinese names.
 */

/** Why a row was rejected (severity 'error') or accepted with a remark (severity 'warning'). */
export const ROW_ISSUE_CODES = [
  'ID_MISSING',
  'ID_STORED_AS_NUMBER',
  'ID_BAD_LENGTH',
  'ID_BAD_CHARACTERS',
  'ID_BAD_PROVINCE',
  'ID_BAD_BIRTH_DATE',
  'ID_FUTURE_BIRTH_DATE',
  'ID_BAD_CHECK_DIGIT',
  'ID_TEMPORARY_NUMBER',
  'ID_UPGRADED',
  'ID_FROM_STUDENT_NUMBER',
  'STUDENT_NUMBER_MISMATCH',
  'NAME_MISSING',
  'BIRTH_DATE_MISMATCH',
  'BIRTH_DATE_UNREADABLE',
  'SEX_MISMATCH',
  'REQUIRED_MISSING',
  'VALUE_UNRECOGNISED',
  'DATE_INVALID',
  'DATE_IN_FUTURE',
  'DATE_RANGE_INVALID',
  'DUPLICATE_IN_FILE',
  'FORMULA_LIKE',
  'RECORD_INVALID',
  /** The file as a whole could not be read (format, encoding, size, zip bomb…): no row was validated. */
  'FILE_UNREADABLE',
] as const;
export type RowIssueCode = (typeof ROW_ISSUE_CODES)[number];

export const ROW_ISSUE_CODE_NAMES_ZH = {
  ID_MISSING: '缺少身份证号',
  ID_STORED_AS_NUMBER: '身份证号被存成数字（后几位丢失）',
  ID_BAD_LENGTH: '身份证号位数错误',
  ID_BAD_CHARACTERS: '身份证号含非法字符',
  ID_BAD_PROVINCE: '身份证号省级代码错误',
  ID_BAD_BIRTH_DATE: '身份证号中的出生日期错误',
  ID_FUTURE_BIRTH_DATE: '身份证号中的出生日期晚于今天',
  ID_BAD_CHECK_DIGIT: '身份证号校验位错误',
  ID_TEMPORARY_NUMBER: '临时学籍号，不是身份证号',
  ID_UPGRADED: '15 位身份证号已升为 18 位',
  ID_FROM_STUDENT_NUMBER: '身份证号取自学籍号',
  STUDENT_NUMBER_MISMATCH: '学籍号与身份证号不一致',
  NAME_MISSING: '缺少姓名',
  BIRTH_DATE_MISMATCH: '出生日期与身份证号不一致',
  BIRTH_DATE_UNREADABLE: '出生日期无法识别',
  SEX_MISMATCH: '性别与身份证号不一致',
  REQUIRED_MISSING: '必填项为空',
  VALUE_UNRECOGNISED: '取值无法识别',
  DATE_INVALID: '日期无法识别',
  DATE_IN_FUTURE: '日期晚于今天',
  DATE_RANGE_INVALID: '开始日期晚于结束日期',
  DUPLICATE_IN_FILE: '文件内重复',
  FORMULA_LIKE: '内容以公式符号开头',
  RECORD_INVALID: '内容不符合要求',
  FILE_UNREADABLE: '文件无法读取',
} as const satisfies Record<RowIssueCode, string>;

export type IssueSeverity = 'error' | 'warning';

export const SEVERITY_NAMES_ZH = { error: '错误', warning: '警告' } as const satisfies Record<
  IssueSeverity,
  string
>;

/**
 * 行问题 — one problem of one row. `column` is the header text as the uploader wrote it, `field` the
 * record field (or 'extra' for an unknown column). Messages say what is wrong and how to fix it, and
 * never quote a full ID number.
 */
export interface RowIssue {
  line: number;
  column: string;
  field: string;
  code: RowIssueCode;
  severity: IssueSeverity;
  zh: string;
  en: string;
}
