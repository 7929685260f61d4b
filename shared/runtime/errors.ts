/** A message for a person, in the two languages the users read. */
export interface Bilingual {
  zh: string;
  en: string;
}

/**
 * An error a caller can act on: it carries an HTTP status, a stable code and a message that
 * says what is wrong and how to fix it. Anything else is an internal error and is not shown.
 */
export class UserFacingError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly text: Bilingual,
    readonly details?: unknown,
  ) {
    super(`${code}: ${text.en}`);
    this.name = 'UserFacingError';
  }
}

export const badRequest = (code: string, text: Bilingual, details?: unknown) =>
  new UserFacingError(400, code, text, details);
export const unauthorized = (text: Bilingual) => new UserFacingError(401, 'UNAUTHORIZED', text);
export const forbidden = (code: string, text: Bilingual) => new UserFacingError(403, code, text);
export const notFound = (what: Bilingual) =>
  new UserFacingError(404, 'NOT_FOUND', { zh: `未找到${what.zh}`, en: `${what.en} not found` });
export const conflict = (code: string, text: Bilingual) => new UserFacingError(409, code, text);
