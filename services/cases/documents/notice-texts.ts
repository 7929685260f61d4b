/**
 * 文书模板 — the texts of the documents the 四步法 and the 三线报告 need (docs/domain.md §4.9):
 * 《限期返校通知书》 (the school's or township's written demand after 劝返 fails),
 * 《责令送被监护人接受义务教育通知书》 (四步法 step 2, 责令改正), 《履行行政决定催告书》 (after a
 * 行政处罚决定 is ignored) and the 辍学情况报告单 (the written 三线报告). Pure: the case's data in, the
 * document's words out; `render.ts` lays them out as PDF.
 *
 * A document served on a guardian names the child (the guardian knows who they are) but shows the ID
 * number masked, like every display of kcbx (docs/domain.md §7.2): the masked number and the 文书编号 identify the
 * case, and a lost letter does not hand over a minor's full identity.
 */
import { z } from 'zod';
import { localDateSchema } from '../../../shared/events/envelope';
import { CHAIN_POSITION_NAMES_ZH, chainPositionSchema } from '../../../shared/region-settings';
import type { CaseRecord, ReportLine } from '../domain/case';
import { threeLineReports } from '../domain/three-line-report';

export const documentKindSchema = z.enum([
  'RETURN_NOTICE',
  'ORDER_TO_SEND',
  'ENFORCEMENT_REMINDER',
  'DROPOUT_REPORT',
]);
export type DocumentKind = z.infer<typeof documentKindSchema>;

export const DOCUMENT_TITLES_ZH = {
  RETURN_NOTICE: '限期返校通知书',
  ORDER_TO_SEND: '责令送被监护人接受义务教育通知书',
  ENFORCEMENT_REMINDER: '履行行政决定催告书',
  DROPOUT_REPORT: '辍学情况报告单',
} as const satisfies Record<DocumentKind, string>;

const text = (max: number) => z.string().trim().min(1).max(max);

/** What a document is filled with. Which fields a kind needs is checked by {@link documentText}. */
export const documentDataSchema = z.strictObject({
  caseId: text(128),
  childName: text(50),
  maskedId: z.string().regex(/^\d{4}\*{10}[\dX]{4}$/, 'a masked ID number such as 5301**********123X'),
  schoolName: text(100),
  /** 监护人 — from the case's chain (GUARDIAN). */
  guardianName: text(50).optional(),
  /** 发文机关 — the school, the 乡（镇）人民政府 or the county bureau issuing the document. */
  issuer: text(100),
  issuedOn: localDateSchema,
  /** 文书编号, e.g. 富政责〔2026〕7号. */
  documentRef: text(200).optional(),
  /** The day the guardian must comply by (返校, 送学, 履行). */
  deadline: localDateSchema.optional(),
  /** 辍学 since (the first day of the absence streak, or the day the case opened). */
  absentSince: localDateSchema.optional(),
  /** 催告书: the 行政处罚决定 being enforced. */
  decision: z
    .strictObject({
      documentRef: text(200),
      date: localDateSchema,
      /** 罚款 in yuan, when the decision imposed one (行政强制法第三十五条: the amount must be stated). */
      fineYuan: z.number().positive().max(1_000_000).optional(),
    })
    .optional(),
  /** 报告单: the report's recipient and the case's facts. */
  report: z
    .strictObject({
      recipient: text(100),
      openedOn: localDateSchema,
      source: text(50),
      state: text(50),
      township: text(50).optional(),
      householdCounty: text(50).optional(),
      absence: z
        .strictObject({
          days: z.number().int().min(1),
          firstAbsent: localDateSchema,
          lastAbsent: localDateSchema,
        })
        .optional(),
      chain: z.array(
        z.strictObject({ position: chainPositionSchema, name: text(50), title: text(100).optional() }),
      ),
    })
    .optional(),
});
export type DocumentData = z.infer<typeof documentDataSchema>;

/** The words of a document, ready to lay out. */
export interface DocumentText {
  title: string;
  documentRef?: string;
  /** To whom (a letter's salutation, or the report's recipient). */
  salutation?: string;
  paragraphs: string[];
  /** 报告单: label/value rows. */
  table?: [string, string][];
  issuer: string;
  /** The date in words, 2026年3月12日. */
  date: string;
  /** A line below the signature (who to contact, what the guardian may do). */
  footnote?: string;
}

/** 2026-03-12 → 2026年3月12日. */
export function dateZh(date: string): string {
  const [y, m, d] = date.split('-');
  return `${y}年${Number(m)}月${Number(d)}日`;
}

function need<T>(value: T | undefined, kind: DocumentKind, field: string): T {
  if (value === undefined) {
    throw new Error(
      `${DOCUMENT_TITLES_ZH[kind]} needs ${field} / 生成《${DOCUMENT_TITLES_ZH[kind]}》缺少 ${field}`,
    );
  }
  return value;
}

/** The words of a document of `kind` filled with `data` (validated first: a missing field is named). */
export function documentText(kind: DocumentKind, input: DocumentData): DocumentText {
  const data = documentDataSchema.parse(input);
  const child = `${data.childName}（身份证号 ${data.maskedId}）`;
  const common = { title: DOCUMENT_TITLES_ZH[kind], documentRef: data.documentRef, issuer: data.issuer };
  const date = dateZh(data.issuedOn);
  switch (kind) {
    case 'RETURN_NOTICE': {
      const guardian = need(data.guardianName, kind, 'guardianName');
      const deadline = dateZh(need(data.deadline, kind, 'deadline'));
      const since = data.absentSince ? `自${dateZh(data.absentSince)}起` : '近期';
      return {
        ...common,
        salutation: `${guardian}（学生${data.childName}的监护人）：`,
        paragraphs: [
          `你的子女（被监护人）${child}，系${data.schoolName}学生，${since}未到校上课。`,
          '根据《中华人民共和国义务教育法》第五条和《中华人民共和国未成年人保护法》第十六条的规定，适龄儿童、少年的父母或者其他法定监护人应当依法保证其按时入学接受并完成义务教育。',
          `请你于${deadline}前送${data.childName}返回${data.schoolName}就读。逾期未返校的，学校将报告乡（镇）人民政府和县级人民政府教育行政部门，依法责令改正。`,
          '如有特殊情况，请及时与学校联系。',
        ],
        date,
        footnote: `案件编号：${data.caseId}`,
      };
    }
    case 'ORDER_TO_SEND': {
      const guardian = need(data.guardianName, kind, 'guardianName');
      const deadline = dateZh(need(data.deadline, kind, 'deadline'));
      return {
        ...common,
        salutation: `${guardian}：`,
        paragraphs: [
          `经查，你的被监护人${child}系适龄儿童、少年，现未按规定在${data.schoolName}接受义务教育。经学校和有关部门多次劝返，你仍未送其返校。`,
          `你的行为违反了《中华人民共和国义务教育法》第五条的规定。根据《中华人民共和国义务教育法》第五十八条的规定，现责令你于${deadline}前将被监护人${data.childName}送至${data.schoolName}接受义务教育。`,
          '逾期不改正的，本机关将依法给予行政处罚；仍不履行的，将依法申请人民法院强制执行或者提起诉讼。',
          '如不服本通知，可以依法申请行政复议或者提起行政诉讼。',
        ],
        date,
        footnote: `案件编号：${data.caseId}`,
      };
    }
    case 'ENFORCEMENT_REMINDER': {
      const guardian = need(data.guardianName, kind, 'guardianName');
      const deadline = dateZh(need(data.deadline, kind, 'deadline'));
      const decision = need(data.decision, kind, 'decision');
      // 行政强制法第三十五条: the reminder states the deadline, the manner, any amount and how to pay it,
      // and the party's right to state their case and defend themselves.
      const duties = [
        `将被监护人${data.childName}送至${data.schoolName}接受义务教育`,
        ...(decision.fineYuan !== undefined
          ? [`按行政处罚决定书载明的方式缴纳罚款人民币${decision.fineYuan.toLocaleString('zh-CN')}元`]
          : []),
      ];
      return {
        ...common,
        salutation: `${guardian}：`,
        paragraphs: [
          `本机关于${dateZh(decision.date)}对你作出《行政处罚决定书》（${decision.documentRef}），已依法送达。你至今未履行该决定确定的义务，你的被监护人${child}仍未接受义务教育。`,
          `根据《中华人民共和国行政强制法》第三十五条、第五十四条的规定，现催告你于${deadline}前履行下列义务：${duties.join('；')}。`,
          '根据《中华人民共和国行政强制法》第三十六条的规定，你收到本催告书后有权进行陈述和申辩。',
          '逾期仍不履行的，本机关将依法申请人民法院强制执行。',
        ],
        date,
        footnote: `案件编号：${data.caseId}`,
      };
    }
    case 'DROPOUT_REPORT': {
      const report = need(data.report, kind, 'report');
      const absence = report.absence
        ? `连续缺勤${report.absence.days}个工作日（${dateZh(report.absence.firstAbsent)}至${dateZh(report.absence.lastAbsent)}）`
        : '—';
      return {
        ...common,
        salutation: `${report.recipient}：`,
        paragraphs: [
          `我校学生${data.childName}疑似辍学，现按三线报告制度报告如下，请予登记并督促落实控辍保学措施。`,
        ],
        table: [
          ['案件编号', data.caseId],
          ['学生姓名', data.childName],
          ['身份证号', data.maskedId],
          ['就读学校', data.schoolName],
          ['所属乡（镇）', report.township ?? '—'],
          ['户籍所在县', report.householdCounty ?? '本县'],
          ['发现日期', dateZh(report.openedOn)],
          ['发现方式', report.source],
          ['缺勤情况', absence],
          ['当前状态', report.state],
          [
            '包保责任人',
            report.chain.length > 0
              ? report.chain
                  .map(
                    (p) =>
                      `${CHAIN_POSITION_NAMES_ZH[p.position]} ${p.name}${p.title ? `（${p.title}）` : ''}`,
                  )
                  .join('；')
              : '待落实',
          ],
        ],
        date,
        footnote: '报告单位负责人（签字）：',
      };
    }
  }
}

const GUARDIAN_LETTERS: DocumentKind[] = ['RETURN_NOTICE', 'ORDER_TO_SEND', 'ENFORCEMENT_REMINDER'];

export interface FromCaseOptions {
  /** 发文机关 (or the reporting school, for the 报告单). */
  issuer: string;
  issuedOn: string;
  /** 限期返校通知书: the return deadline and its 文书编号 (it is not a 四步法 step the case records). */
  deadline?: string;
  documentRef?: string;
  /** 报告单: which line it goes to. */
  line?: ReportLine | 'HOUSEHOLD_COUNTY';
  fineYuan?: number;
}

/**
 * The data of a document, from the case record: the child's name and masked ID, the school, the
 * guardian from the chain, and for the 四步法 documents the step's 文书编号 and deadline as recorded
 * (责令改正 its order; 催告书 the latest reminder of the 行政处罚 step).
 */
export function documentDataFromCase(
  kind: DocumentKind,
  record: CaseRecord,
  options: FromCaseOptions,
): DocumentData {
  const base = {
    caseId: record.caseId,
    childName: record.name ?? '（姓名待核实）',
    maskedId: record.child.maskedId,
    schoolName: record.schoolName ?? record.school ?? '（学校待核实）',
    guardianName: GUARDIAN_LETTERS.includes(kind) ? record.chain.GUARDIAN?.name : undefined,
    issuer: options.issuer,
    issuedOn: options.issuedOn,
    absentSince: record.signals.find((s) => s.streak)?.streak?.firstAbsent ?? record.openedOn,
  };
  switch (kind) {
    case 'RETURN_NOTICE':
      return { ...base, deadline: options.deadline, documentRef: options.documentRef };
    case 'ORDER_TO_SEND': {
      const order = record.fourStep.findLast((s) => s.step === 'ORDER_TO_CORRECT');
      return { ...base, documentRef: order?.documentRef, deadline: order?.deadline };
    }
    case 'ENFORCEMENT_REMINDER': {
      const penalty = record.fourStep.findLast((s) => s.step === 'PENALTY');
      const reminder = penalty?.reminders.at(-1);
      return {
        ...base,
        documentRef: reminder?.documentRef,
        deadline: reminder?.deadline,
        decision: penalty && {
          documentRef: penalty.documentRef,
          date: penalty.date,
          fineYuan: options.fineYuan,
        },
      };
    }
    case 'DROPOUT_REPORT': {
      const reports = threeLineReports(record, { full: true });
      const report = reports.find((r) => r.line === (options.line ?? 'TOWNSHIP')) ?? reports[0]!;
      const c = report.content;
      return {
        ...base,
        absentSince: undefined,
        documentRef: options.documentRef,
        report: {
          recipient: report.recipientZh,
          openedOn: c.openedOn,
          source: c.sourceZh,
          state: c.stateZh,
          township: c.township,
          householdCounty: c.householdCounty,
          absence: c.absence,
          chain: Object.entries(record.chain)
            .filter(([position]) => position !== 'GUARDIAN')
            .map(([position, person]) => ({
              position: position as keyof typeof CHAIN_POSITION_NAMES_ZH,
              name: person.name,
              title: person.title || undefined,
            })),
        },
      };
    }
  }
}
