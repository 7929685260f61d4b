/**
 * 资助发放名单 in S3 (the deployment's roster bucket, under reports/, which its lifecycle rule expires):
 * written by the worker, handed out as a short-lived link.
 */
import { putReport } from '../../../shared/aws/reports';
import { xlsxBuffer } from '../../../shared/spreadsheet-export';
import type { SubsidyRunResult } from '../domain/determine';
import { writePaymentListXlsx } from '../domain/payment-list';
import { semesterTitleZh } from '../domain/semester';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const paymentListKey = (region: string, runId: string) =>
  `reports/subsidies/${region}/${runId}/payment-list.xlsx`;

/** The name the county's browser saves the file under: 资助发放名单-2025—2026 学年秋季学期.xlsx. */
export const paymentListFileName = (semester: SubsidyRunResult['semester']) =>
  `资助发放名单-${semesterTitleZh(semester).replaceAll(' ', '')}.xlsx`;

/**
 * Writes the printable list of a run with full ID numbers (it is handed to the county only, whose role
 * sees them) in memory and stores it in S3: it never passes through the function's temporary folder.
 * Answers the key it is stored under.
 */
export async function storePaymentList(
  region: string,
  runId: string,
  result: SubsidyRunResult,
): Promise<string> {
  const key = paymentListKey(region, runId);
  const workbook = await xlsxBuffer((out) => writePaymentListXlsx(result, out, { ids: 'full' }));
  await putReport(key, workbook, XLSX);
  return key;
}
