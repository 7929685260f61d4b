/**
 * Generated rosters for benchmarks: realistic 学籍 rows (valid IDs of 富民县 children, Chinese
 * names, schools, grades), written as UTF-8 CSV, GB18030 CSV or XLSX (streamed, any size).
 */
import { createWriteStream } from 'node:fs';
import ExcelJS from 'exceljs';
import { encodeText } from '../services/roster-intake/domain/test-fixtures';
import { checkDigit } from '../shared/id-number';

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN =
  '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉旭宇浩然子涵梓萱一诺欣怡雨桐';
export const HEADER = [
  '序号',
  '学生姓名',
  '性别',
  '出生日期',
  '身份证件号',
  '学校名称',
  '年级',
  '班级',
  '就读方式',
];

/** Row i of the generated 学籍 roster (deterministic). */
export function rosterRow(i: number): string[] {
  const year = 2011 + (i % 9);
  const month = 1 + (i % 12);
  const day = 1 + (i % 28);
  // Unique for up to 100,000 rows per county: the sequence and the last two region digits come from i.
  const seq = String(i % 1000).padStart(3, '0');
  const area = `${['5301', '5309', '5303'][Math.floor(i / 100_000) % 3]}${String(Math.floor(i / 1000) % 100).padStart(2, '0')}`;
  const first17 = `${area}${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${seq}`;
  const id = first17 + checkDigit(first17);
  const name =
    SURNAMES[i % SURNAMES.length]! +
    GIVEN[(i * 7) % GIVEN.length]! +
    (i % 3 ? GIVEN[(i * 13) % GIVEN.length] : '');
  const sex = Number(seq[2]) % 2 === 1 ? '男' : '女';
  const grade = ['一年级', '二年级', '三年级', '四年级', '五年级', '六年级', '七年级', '八年级', '九年级'][
    8 - (i % 9)
  ]!;
  return [
    String(i + 1),
    name,
    sex,
    `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    id,
    `富民县第${1 + (i % 20)}小学`,
    grade,
    `${1 + (i % 6)}班`,
    i % 4 ? '走读' : '住校',
  ];
}

const csvLine = (cells: string[]) => `${cells.join(',')}\r\n`;

export async function writeCsv(file: string, rows: number, encoding: 'utf-8' | 'gb18030'): Promise<void> {
  const out = createWriteStream(file);
  const write = (text: string) =>
    new Promise<void>((resolve) =>
      out.write(encodeText(text, encoding)) ? resolve() : out.once('drain', resolve),
    );
  await write(csvLine(['富民县2025年秋季学期学籍名单']) + csvLine(HEADER));
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += csvLine(rosterRow(i));
    if (chunk.length > 1 << 16) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise<void>((resolve) => out.end(resolve));
}

export async function writeXlsx(file: string, rows: number): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true });
  const sheet = workbook.addWorksheet('学籍');
  sheet.addRow(['富民县2025年秋季学期学籍名单']).commit();
  sheet.addRow(HEADER).commit();
  for (let i = 0; i < rows; i++) sheet.addRow(rosterRow(i)).commit();
  sheet.commit();
  await workbook.commit();
}
