/**
 * How an offline command fails, in words a user can act on (Chinese line first, then English):
 * a wrong option, found before any file is read, or an input that cannot be used.
 */

/** Exit code when an input (a roster, a policy file, a school list) cannot be used. */
export const EXIT_INPUT_UNUSABLE = 3;

/** A wrong option: `kcbx: …` and exit code 1 (`kcbx absences` exits 2). */
export class UsageError extends Error {}

export function usage(zh: string, en: string): UsageError {
  return new UsageError(`${zh}\n${en}`);
}

/** An input that cannot be used: its lines go to stderr as they are, and the exit code is 3. */
export class UnusableInputError extends Error {}

export function unusable(lines: readonly string[]): UnusableInputError {
  return new UnusableInputError(lines.join('\n'));
}

/** A command's action that reports an unusable input with exit code 3 instead of failing as a bug would. */
export function reportingUnusable<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await action(...args);
    } catch (err) {
      if (!(err instanceof UnusableInputError)) throw err;
      console.error(err.message);
      process.exitCode = EXIT_INPUT_UNUSABLE;
    }
  };
}
