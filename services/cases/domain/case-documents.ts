/**
 * 案件文书 — which documents a case's work calls for, and what each says (docs/domain.md §4.9). Pure: the case
 * in, the documents to generate out; `adapters/case-documents.ts` renders them
 * (services/cases/documents), stores them and attaches them to the case (ATTACH_DOCUMENT).
 *
 * One history entry calls for one document, and the document's id is its kind and that entry's
 * version: the same change never calls for a document twice, and a case that goes round again (a
 * relapse persuaded anew, a second 催告书) gets new ones.
 *
 * - 辍学情况报告单 — when the case opens (OPEN, version 1): the school's written 三线报告 to the township
 *   government and to the county education bureau (docs/domain.md §3.4, lines 2 and 3; the province
 *   platform, line 1, is filed online and needs no paper). One PDF, one form per recipient.
 * - 《限期返校通知书》 — when 劝返 starts (START_PERSUADING): verification has confirmed the dropout, and
 *   the school's written demand to the guardian is the first formal act of persuasion, the one the
 *   legal track later rests on ("经学校和有关部门多次劝返"). Not at CONFIRM: a confirmed child may be
 *   placed (送教上门, 特殊教育学校) instead, and a notice to return to class would then be wrong.
 * - 《责令送被监护人接受义务教育通知书》 — at FOUR_STEP ORDER_TO_CORRECT (docs/domain.md §4.4, step 2),
 *   with the step's 文书编号 and deadline, issued by the township government or county bureau that took it
 *   (义务教育法第五十八条).
 * - 《履行行政决定催告书》 — at each PENALTY_REMINDER, with the reminder's 文书编号 and deadline and the
 *   行政处罚决定 it enforces (行政强制法第三十五条、第五十四条).
 */
import { addWorkingDays, type WorkingCalendar } from '../../../shared/calendar';
import { todayInChina } from '../../../shared/dates';
import { CASE_STATE_NAMES_ZH, type CaseState } from '../../../shared/events/vocab';
import type { Actor } from '../../../shared/org';
import { type DocumentData, type DocumentKind, documentDataFromCase } from '../documents/notice-texts';
import {
  CASE_DOCUMENT_NAMES_ZH,
  type CaseDocument,
  type CaseDocumentKind,
  type CaseRecord,
  type HistoryEntry,
  type ReportLine,
} from './case';

// The case record names the kinds the renderer knows; a kind added on one side only does not compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const KINDS_AGREE: Same<CaseDocumentKind, DocumentKind> = true;
void KINDS_AGREE;

/**
 * 限期返校 — the working days the 《限期返校通知书》 gives the guardian. No policy names a figure; one
 * working week leaves time to arrange the return and still falls well inside the 劝返 idle period
 * (`persuadingIdleWorkingDays`, 10), so a notice ignored is followed up before the case turns overdue.
 */
export const RETURN_NOTICE_WORKING_DAYS = 5;

/** The written 三线报告 lines a 辍学情况报告单 goes to (docs/domain.md §3.4: 书面报告乡镇政府、县教育局). */
export const WRITTEN_REPORT_LINES: readonly ReportLine[] = ['TOWNSHIP', 'COUNTY_BUREAU'];

/** A blank the guardian's name is written into by hand when the case does not name the guardian. */
const BLANK_NAME = '＿＿＿＿＿＿';

const SLUGS = {
  DROPOUT_REPORT: 'dropout-report',
  RETURN_NOTICE: 'return-notice',
  ORDER_TO_SEND: 'order-to-send',
  ENFORCEMENT_REMINDER: 'enforcement-reminder',
} as const satisfies Record<CaseDocumentKind, string>;

/** A document the case's history calls for. */
export interface DocumentDue {
  documentId: string;
  kind: CaseDocumentKind;
  /** The version of the change that called for it. */
  forVersion: number;
  titleZh: string;
}

/** A document to generate: what it is, and the data of each form it holds. */
export interface DocumentCall extends DocumentDue {
  /** One form per recipient (the 报告单 goes to two lines), in page order; one for a letter. */
  parts: DocumentData[];
}

export interface DocumentOptions {
  /** The deployment's region, e.g. 富民县: it names the government that issues a document. */
  regionName: string;
  /** The working-day calendar (with the region's overrides) the return deadline is counted in. */
  calendar?: WorkingCalendar;
}

/** `order-to-send-v12`: unique within the case, the same however often it is computed. */
export function documentIdFor(kind: CaseDocumentKind, forVersion: number): string {
  return `${SLUGS[kind]}-v${forVersion}`;
}

/** Where a case's document is kept: under the roster bucket's reports/ prefix, one folder per case. */
export function documentObjectKey(caseId: string, documentId: string): string {
  return `reports/case-documents/${caseId}/${documentId}.pdf`;
}

/** The file name a download is offered under (no child data: the link may be forwarded). */
export function documentFileName(
  caseId: string,
  document: Pick<CaseDocument, 'documentId' | 'kind'>,
): string {
  return `${CASE_DOCUMENT_NAMES_ZH[document.kind]}-${caseId}-${document.documentId}.pdf`;
}

/** Every document the case's history calls for, oldest first (what, not what it says). */
export function documentsDue(record: CaseRecord): DocumentDue[] {
  return record.history.flatMap((entry) => {
    const kind = kindCalledFor(entry);
    return kind === undefined
      ? []
      : [
          {
            documentId: documentIdFor(kind, entry.version),
            kind,
            forVersion: entry.version,
            titleZh: CASE_DOCUMENT_NAMES_ZH[kind],
          },
        ];
  });
}

/** Every document the case's history calls for, oldest first, with the data of its forms. */
export function documentsCalledFor(record: CaseRecord, options: DocumentOptions): DocumentCall[] {
  return documentsDue(record).map((due) => {
    const entry = record.history.find((h) => h.version === due.forVersion)!;
    return { ...due, parts: partsOf(due.kind, record, entry, options) };
  });
}

/**
 * Whether the change from `before` to `after` called for a document that no event announces: the
 * documents consumer hears of a case through case.opened and case.state-changed, and a 催告书
 * (PENALTY_REMINDER) changes no state.
 */
export function callsForUnannouncedDocument(before: CaseRecord, after: CaseRecord): boolean {
  return after.state === before.state && documentsDue(after).some((d) => d.forVersion > before.version);
}

/** The documents due that the case does not hold yet. */
export function missingDocuments<D extends DocumentDue>(record: CaseRecord, calls: readonly D[]): D[] {
  const held = new Set((record.documents ?? []).map((d) => d.documentId));
  return calls.filter((c) => !held.has(c.documentId));
}

function kindCalledFor(entry: HistoryEntry): CaseDocumentKind | undefined {
  switch (entry.action) {
    case 'OPEN':
      return 'DROPOUT_REPORT';
    case 'START_PERSUADING':
      return 'RETURN_NOTICE';
    case 'FOUR_STEP':
      return entry.details.step === 'ORDER_TO_CORRECT' ? 'ORDER_TO_SEND' : undefined;
    case 'PENALTY_REMINDER':
      return 'ENFORCEMENT_REMINDER';
    default:
      return undefined;
  }
}

function partsOf(
  kind: CaseDocumentKind,
  record: CaseRecord,
  entry: HistoryEntry,
  options: DocumentOptions,
): DocumentData[] {
  switch (kind) {
    case 'DROPOUT_REPORT':
      return WRITTEN_REPORT_LINES.map((line) => {
        const data = documentDataFromCase(kind, record, {
          issuer: schoolIssuer(record, options.regionName),
          issuedOn: record.openedOn,
          line,
        });
        // The report states the case as it was when it called for the report, not as it is now.
        const state = CASE_STATE_NAMES_ZH[stateAt(record, entry.version)];
        return data.report ? { ...data, report: { ...data.report, state } } : data;
      });
    case 'RETURN_NOTICE': {
      const issuedOn = todayInChina(new Date(entry.at));
      return [
        letter(
          documentDataFromCase(kind, record, {
            issuer: schoolIssuer(record, options.regionName),
            issuedOn,
            deadline: addWorkingDays(issuedOn, RETURN_NOTICE_WORKING_DAYS, options.calendar),
          }),
        ),
      ];
    }
    case 'ORDER_TO_SEND': {
      // The step as recorded by the entry itself: a case on its second round has an older order too.
      const step = stepDetails(entry);
      return [
        letter({
          ...documentDataFromCase(kind, record, {
            issuer: governmentIssuer(entry.actor, options.regionName),
            issuedOn: step.date,
          }),
          documentRef: step.documentRef,
          deadline: step.deadline,
        }),
      ];
    }
    case 'ENFORCEMENT_REMINDER': {
      const reminder = stepDetails(entry);
      // The 行政处罚决定 this reminder enforces: the PENALTY step that holds it.
      const penalty =
        record.fourStep.findLast(
          (s) =>
            s.step === 'PENALTY' &&
            s.reminders.some((r) => r.date === reminder.date && r.documentRef === reminder.documentRef),
        ) ?? record.fourStep.findLast((s) => s.step === 'PENALTY');
      const data = documentDataFromCase(kind, record, {
        issuer: governmentIssuer(entry.actor, options.regionName),
        issuedOn: reminder.date,
      });
      return [
        letter({
          ...data,
          documentRef: reminder.documentRef,
          deadline: reminder.deadline,
          decision: penalty ? { documentRef: penalty.documentRef, date: penalty.date } : data.decision,
        }),
      ];
    }
  }
}

/** A letter to the guardian; without a guardian on the chain, a blank for the name. */
function letter(data: DocumentData): DocumentData {
  return { ...data, guardianName: data.guardianName ?? BLANK_NAME };
}

function stepDetails(entry: HistoryEntry): { date: string; documentRef: string; deadline?: string } {
  const { date, documentRef, deadline } = entry.details;
  if (typeof date !== 'string' || typeof documentRef !== 'string') {
    throw new Error(`history entry v${entry.version} (${entry.action}) records no date and documentRef`);
  }
  return { date, documentRef, ...(typeof deadline === 'string' && { deadline }) };
}

/** The state the case was in once version `version` was written. */
function stateAt(record: CaseRecord, version: number): CaseState {
  let state: CaseState = record.state;
  for (const h of record.history) {
    if (h.version > version) break;
    if (h.to !== undefined) state = h.to;
  }
  return state;
}

/** 学校 — the school issues the 报告单 and the 限期返校通知书; a case with no school, its township or bureau. */
function schoolIssuer(record: CaseRecord, regionName: string): string {
  if (record.schoolName) return record.schoolName;
  if (record.school) return `学校（学校标识码 ${record.school}）`;
  return record.township ? townshipGovernment(regionName, record.township) : countyBureau(regionName);
}

/**
 * 发文机关 of a legal step: the township government or the county education bureau that took it
 * (义务教育法第五十八条). Township names are not in kcbx's data, so a township is named by its code.
 */
function governmentIssuer(actor: Actor, regionName: string): string {
  return actor.role === 'township' ? townshipGovernment(regionName, actor.org) : countyBureau(regionName);
}

function townshipGovernment(regionName: string, township: string): string {
  return `${regionName}乡（镇）人民政府（${township}）`;
}

function countyBureau(regionName: string): string {
  return `${regionName}教育体育局`;
}
