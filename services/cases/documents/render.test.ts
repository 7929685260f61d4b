import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { caseRecordSchema } from '../domain/case';
import {
  DOCUMENT_TITLES_ZH,
  type DocumentData,
  documentDataFromCase,
  documentKindSchema,
  documentText,
} from './notice-texts';
import { renderNotice, wrapText } from './render';

const FULL_ID = '530124201407230061';
const CASE_ID = `case-${'a'.repeat(32)}-1`;

const record = caseRecordSchema.parse({
  caseId: CASE_ID,
  region: '530124',
  child: { childKey: `c_${'a'.repeat(32)}`, maskedId: '5301**********0061' },
  idNumber: FULL_ID,
  name: '李四',
  school: '2153012401',
  schoolName: '富民县第一小学',
  township: '530124100',
  state: 'PENALTY',
  version: 12,
  openedOn: '2026-03-04',
  openedAt: '2026-03-04T07:00:00Z',
  source: 'ATTENDANCE',
  priority: false,
  chain: {
    PRINCIPAL: { name: '钱校长' },
    HEAD_TEACHER: { name: '孙老师', title: '五年级二班班主任', phone: '13800000002' },
    GUARDIAN: { name: '李父', phone: '13900000000' },
  },
  signals: [
    {
      source: 'ATTENDANCE',
      receivedOn: '2026-03-04',
      signalId: 'e_0123456789',
      streak: { days: 3, firstAbsent: '2026-03-02', lastAbsent: '2026-03-04' },
      evidence: [],
    },
  ],
  threeLineReport: { TOWNSHIP: { producedOn: '2026-03-04' } },
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
    {
      step: 'PENALTY',
      date: '2026-03-30',
      documentRef: '富政罚〔2026〕2号',
      reminders: [{ date: '2026-04-20', documentRef: '富政催〔2026〕1号', deadline: '2026-04-30' }],
    },
  ],
  followUps: [],
  overdue: [],
  history: [],
});

const options = { issuer: '富民县永定街道办事处', issuedOn: '2026-04-20', deadline: '2026-03-09' };
const dataFor = (kind: (typeof documentKindSchema.options)[number]): DocumentData =>
  documentDataFromCase(kind, record, { ...options, fineYuan: 500, documentRef: '富一小〔2026〕1号' });

describe('document texts', () => {
  it('fills each notice from the case: the child by name and masked ID, the guardian, the step it rests on', () => {
    const order = documentText('ORDER_TO_SEND', dataFor('ORDER_TO_SEND'));
    expect(order.title).toBe('责令送被监护人接受义务教育通知书');
    expect(order.documentRef).toBe('富政责〔2026〕7号');
    expect(order.salutation).toBe('李父：');
    expect(order.paragraphs.join('')).toContain('李四（身份证号 5301**********0061）');
    expect(order.paragraphs.join('')).toContain(
      '现责令你于2026年3月26日前将被监护人李四送至富民县第一小学接受义务教育',
    );
    expect(order.paragraphs.join('')).toContain('第五十八条');
  });

  it('states in the 催告书 what 行政强制法第三十五条 requires: deadline, manner, amount, the right to be heard', () => {
    const reminder = documentText('ENFORCEMENT_REMINDER', dataFor('ENFORCEMENT_REMINDER'));
    const body = reminder.paragraphs.join('');
    expect(reminder.documentRef).toBe('富政催〔2026〕1号');
    expect(body).toContain('2026年3月30日对你作出《行政处罚决定书》（富政罚〔2026〕2号）');
    expect(body).toContain('现催告你于2026年4月30日前履行下列义务');
    expect(body).toContain('缴纳罚款人民币500元');
    expect(body).toContain('陈述和申辩');
  });

  it('gives the 报告单 the facts of the 三线报告 and the chain, without the guardian', () => {
    const report = documentText('DROPOUT_REPORT', dataFor('DROPOUT_REPORT'));
    expect(report.salutation).toBe('乡（镇）人民政府：');
    const rows = Object.fromEntries(report.table ?? []);
    expect(rows).toMatchObject({
      案件编号: CASE_ID,
      身份证号: '5301**********0061',
      发现方式: '考勤发现（连续缺勤）',
      缺勤情况: '连续缺勤3个工作日（2026年3月2日至2026年3月4日）',
      包保责任人: '校长 钱校长；班主任 孙老师（五年级二班班主任）',
    });
  });

  it('never prints the full ID number or a phone number of the chain', () => {
    for (const kind of documentKindSchema.options) {
      const all = JSON.stringify(documentText(kind, dataFor(kind)));
      expect(all).not.toContain(FULL_ID);
      expect(all).not.toMatch(/1[3-9]\d{9}/);
    }
  });

  it('names the field a notice is missing', () => {
    const { guardianName: _none, ...noGuardian } = dataFor('RETURN_NOTICE');
    expect(() => documentText('RETURN_NOTICE', noGuardian)).toThrow(/guardianName/);
    expect(() => documentText('RETURN_NOTICE', { ...dataFor('RETURN_NOTICE'), maskedId: FULL_ID })).toThrow(
      /masked ID/,
    );
  });

  it('keeps closing punctuation off the start of a line', () => {
    const measure = (s: string) => [...s].length;
    expect(wrapText('一二三四。五六', 4, measure)).toEqual(['一二三四。', '五六']);
    expect(wrapText('一二三四五六', 4, measure, 2)).toEqual(['一二', '三四五六']);
  });
});

describe('PDF notices', () => {
  it.each(documentKindSchema.options)('renders %s as a small PDF that loads back', async (kind) => {
    const started = performance.now();
    const bytes = await renderNotice(kind, dataFor(kind));
    const ms = performance.now() - started;
    const pdf = await PDFDocument.load(bytes);
    expect(pdf.getPageCount()).toBeGreaterThanOrEqual(1);
    expect(pdf.getTitle()).toBe(DOCUMENT_TITLES_ZH[kind]);
    expect(pdf.getCreationDate()?.toISOString()).toBe('2026-04-19T16:00:00.000Z');
    // The subset keeps a notice small; the whole font is 8 MB.
    expect(bytes.length).toBeLessThan(150_000);
    expect(Buffer.from(bytes).includes(Buffer.from(FULL_ID))).toBe(false);
    process.stdout.write(`${kind}: ${bytes.length} bytes in ${ms.toFixed(0)} ms\n`);
  });
});
