/** The environment variable that carries the offset (milliseconds) to processes a test spawns. */
export const OFFSET_ENV: 'KCBX_TEST_CLOCK_OFFSET_MS';
/** The machine's time in epoch milliseconds, whatever the test clock says. */
export function realNow(): number;
/** How far (ms) `Date` in this realm is ahead of the machine's clock; 0 when not shifted. */
export function clockOffsetMs(): number;
/** Shifts `Date` in this realm by `offsetMs` from the machine's clock (0: back to the machine's time). */
export function shiftClock(offsetMs: number): void;
/** Sets the clock so that it reads `instant` (an ISO 8601 date-time with its offset) now. */
export function setClock(instant: string): void;
/** Epoch ms of an ISO 8601 instant that carries its zone (Z or ±hh:mm). */
export function parseInstant(instant: string): number;
/** The offset the environment asks for (KCBX_TEST_CLOCK_OFFSET_MS, else KCBX_TEST_NOW); undefined for neither. */
export function offsetFromEnv(env?: Record<string, string | undefined>): number | undefined;
