import type { Readable } from 'node:stream';
import type { Publishable } from '../../../shared/aws/publish';
import { deriveEventId } from '../../../shared/events/envelope';
import { maskIdNumber } from '../../../shared/id-number';
import type { RosterKind } from '../../../shared/roster-kind';
import type { IntakeRow } from '../../../shared/rosters/rows';
import { openRoster, RosterFileError, type RosterFileInfo } from './raw-rows';
import { type ReportSummary, reportToCsv, reportToXlsx, summariseReport } from './report';
import type { UploadProblem, UploadStatus } from './upload';
import { createRosterValidator, type RowIssue, type ValidatedRow, type ValidationSummary } from './validate';

/** What the upload record keeps of a validation: the report's numbers and how the file was read. */
export type IntakeSummary = ReportSummary & { format?: string; encoding?: string; sheet?: string };

export interface IntakeInput {
  upload: { id: string; kind: RosterKind; org: string; period: string; fileName: string };
  object: {
    body: Readable | AsyncIterable<Uint8Array>;
    size: number;
    /**
     * The same file again from its first byte (the same object version): an .xlsx whose worksheets come
     * before its shared strings, as Excel writes them, is read twice rather than parked on disk.
     */
    reopen: () => Promise<Readable | AsyncIterable<Uint8Array>>;
  };
  today: string;
  maxBytes: number;
  childKeyOf: (id18: string) => string;
  writeRows: (rows: IntakeRow[]) => Promise<void>;
  /** A named sheet of an .xlsx (default: the first). */
  sheet?: string;
  /** Rows per write batch (memory stays flat in file size). */
  batchSize?: number;
  /** Receives the issues listed in the report (the CLI prints the first ones). */
  onIssues?: (issues: readonly RowIssue[]) => void;
}

export interface IntakeOutcome {
  status: Extract<UploadStatus, 'accepted' | 'rejected'>;
  summary: IntakeSummary;
  problems: UploadProblem[];
  reportCsv: string;
  reportXlsx: Buffer;
}

const emptySummary = (kind: RosterKind): ValidationSummary => ({
  kind,
  rows: 0,
  accepted: 0,
  rejected: 0,
  duplicates: 0,
  warnings: 0,
  skipped: { beforeHeader: 0, blank: 0, total: 0, footer: 0, repeatedHeader: 0 },
  issueCounts: {},
  issues: [],
  issuesOmitted: 0,
});

/**
 * Reads, validates and stores one roster file: the same engine serves the intake worker and the
 * offline `kcbx validate` (which passes a writeRows that stores nothing).
 */
export async function processRoster(input: IntakeInput): Promise<IntakeOutcome> {
  const { upload } = input;
  const batchSize = input.batchSize ?? 500;
  const toRow = (v: ValidatedRow): IntakeRow => {
    const { idNumber, ...record } = v.record as { idNumber: string } & Record<string, unknown>;
    return {
      uploadId: upload.id,
      line: v.line,
      childKey: input.childKeyOf(idNumber),
      maskedId: maskIdNumber(idNumber),
      idNumber,
      kind: upload.kind,
      org: upload.org,
      period: upload.period,
      record,
      warnings: v.warnings.length ? v.warnings.map((w) => w.code) : undefined,
    };
  };

  let fileProblem: UploadProblem | undefined;
  let info: RosterFileInfo | undefined;
  let validation = emptySummary(upload.kind);
  if (input.object.size > input.maxBytes) {
    const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
    fileProblem = {
      code: 'TOO_LARGE',
      zh: `文件 ${mib(input.object.size)} MB，超过上限 ${mib(input.maxBytes)} MB：请按学校或乡镇拆分后分别上传。`,
      en: `The file is ${mib(input.object.size)} MiB, above the ${mib(input.maxBytes)} MiB limit: split it by school or township.`,
    };
  } else {
    const validator = createRosterValidator(upload.kind, { today: input.today });
    const flush = async () => {
      const ready = validator.drain();
      if (ready.length > 0) await input.writeRows(ready.map(toRow));
    };
    let buffered = 0;
    try {
      const opened = await openRoster(input.object.body, {
        fileName: upload.fileName,
        sheet: input.sheet,
        limits: { maxBytes: input.maxBytes },
        reopen: input.object.reopen,
      });
      info = opened.info;
      for await (const row of opened.rows) {
        validator.push(row);
        if (++buffered >= batchSize) {
          buffered = 0;
          await flush();
        }
      }
      validation = validator.finish();
      await flush();
    } catch (err: unknown) {
      if (!(err instanceof RosterFileError)) throw err;
      fileProblem = { code: err.code, zh: err.zh, en: err.en };
      validation = validator.finish();
    }
  }

  const report = summariseReport(validation);
  const summary: IntakeSummary = {
    ...report,
    format: info?.format,
    encoding: info?.encoding,
    sheet: info?.sheet,
  };
  let problems: UploadProblem[] = [];
  if (fileProblem) problems = [fileProblem];
  else if (report.fileError) problems = [report.fileError];
  else if (report.accepted === 0) {
    problems = [
      {
        code: 'NO_VALID_ROWS',
        zh: `没有一行通过校验（共 ${report.rows} 行）：请按校验报告逐行修改后重新上传。`,
        en: `No row passed validation (${report.rows} rows): fix the rows listed in the report and upload again.`,
      },
    ];
  }
  const issues: RowIssue[] = fileProblem
    ? [
        {
          line: 1,
          column: '',
          field: '',
          code: 'FILE_UNREADABLE',
          severity: 'error',
          zh: fileProblem.zh,
          en: fileProblem.en,
        },
      ]
    : validation.issues;
  input.onIssues?.(issues);
  return {
    status: problems.length > 0 ? 'rejected' : 'accepted',
    summary,
    problems,
    reportCsv: reportToCsv(issues),
    reportXlsx: await reportToXlsx(issues, validation),
  };
}

/** The event an upload's outcome publishes: its id is derived from the upload and object version. */
export function rosterEvent(upload: {
  id: string;
  kind: RosterKind;
  org: string;
  region: string;
  period: string;
  status: UploadStatus;
  objectVersion?: string;
  updatedAt: string;
  summary?: IntakeSummary;
  problems?: UploadProblem[];
  issues?: RowIssue[];
}): Publishable {
  const common = {
    schemaVersion: 1 as const,
    occurredAt: upload.updatedAt,
    region: upload.region,
    uploadId: upload.id,
    kind: upload.kind,
    org: upload.org,
  };
  if (upload.status === 'rejected') {
    return {
      detailType: 'roster.rejected',
      detail: {
        ...common,
        eventId: deriveEventId('roster.rejected', upload.id, upload.objectVersion ?? ''),
        // Events go to subscribers: the reason is stated by code, never by quoting the file (a
        // "header not found" message shows the first row, which may hold a child's name).
        reasons: (upload.problems ?? []).slice(0, 100).map((p) => ({
          code: p.code,
          zh: `名单被整体退回（${p.code}），原因和修改方法见上传记录 ${upload.id} 的校验报告。`,
          en: `The roster was refused as a whole (${p.code}); upload ${upload.id} and its report say why and how to fix it.`,
        })),
      },
    };
  }
  const s = upload.summary!;
  return {
    detailType: 'roster.accepted',
    detail: {
      ...common,
      eventId: deriveEventId('roster.accepted', upload.id, upload.objectVersion ?? ''),
      period: upload.period,
      // Dropped duplicates count as rejected rows: they are not stored.
      counts: { rows: s.rows, accepted: s.accepted, rejected: s.rows - s.accepted, warnings: s.warnings },
    },
  };
}
