import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** An error as an AWS JSON 1.1 service returns it: the SDK turns `type` into the exception's name. */
export function awsError(status: number, type: string, message: string) {
  return Object.assign(new Error(message), { status, type });
}

export const validationError = (message: string) => awsError(400, 'ValidationException', message);

/** A handler of one `X-Amz-Target` operation: the parsed request body in, the response body out. */
export type JsonOperation = (body: Record<string, unknown>) => unknown;

/** Epoch seconds (how the SDK sends timestamps over JSON 1.1), an ISO string, or undefined. */
export function timestampOf(value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(String(value));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A timestamp as JSON 1.1 responses carry it: epoch seconds. */
export const epochSeconds = (date: Date | string | undefined) =>
  date === undefined ? undefined : new Date(date).getTime() / 1000;

/** Reads local state kept as JSON, or `fallback` when there is none yet. */
export function readState<T>(file: string, fallback: T): T {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : fallback;
}

/** Writes local state atomically, so a crash mid-write never leaves half a file behind. */
export function writeState(file: string, value: unknown, mode = 0o644) {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2), { mode });
  renameSync(tmp, file);
}
