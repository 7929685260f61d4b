// The test clock: shifts what `Date` reads in this JavaScript realm (a process or a worker thread) by a
// fixed offset from the machine's clock, so a test can run "on" a chosen day and time while time still
// passes at its real pace (timers, timeouts and `performance.now()` are untouched). Nothing loads it in
// the services: it is installed by the test setup (test/clock-setup.ts), by the preload of the processes
// tests spawn (test/clock-preload.mjs), and by the local cloud's function workers, which follow the clock
// of the process hosting the cloud (infra/local/function-host.ts).
//
// The offset of the test runner travels in the environment as KCBX_TEST_CLOCK_OFFSET_MS, so every
// process a test starts reads the same clock as the test itself.
//
// Node's HTTP servers stamp their responses' Date header from Node's own, unshifted clock; the AWS SDK
// takes a Date header far from its own time for clock skew and "corrects" its signing time to it, which
// the S3 emulator (15-minute skew limit, pre-signed URL expiry) then refuses. So while shifted, HTTP
// servers in the realm send the shifted time as their Date.
import http from 'node:http';

/** The environment variable that carries the offset (milliseconds) to processes a test spawns. */
export const OFFSET_ENV = 'KCBX_TEST_CLOCK_OFFSET_MS';

// One state per realm, however many copies of this module are loaded (the test runner's module graph and
// Node's own can each load one).
const STATE = Symbol.for('kcbx.testClock');

function state() {
  let s = globalThis[STATE];
  if (!s) {
    const RealDate = globalThis.Date;
    s = { RealDate, offsetMs: 0, installed: false };
    globalThis[STATE] = s;
  }
  return s;
}

/** The machine's time in epoch milliseconds, whatever the test clock says. */
export function realNow() {
  return state().RealDate.now();
}

/** How far (ms) `Date` in this realm is ahead of the machine's clock; 0 when not shifted. */
export function clockOffsetMs() {
  return state().offsetMs;
}

/**
 * Shifts `Date` in this realm by `offsetMs` from the machine's clock (0: back to the machine's time).
 * `new Date()`, `Date()` and `Date.now()` read the shifted time; everything else about `Date` (parsing,
 * `instanceof`, subclasses) is the built-in's.
 */
export function shiftClock(offsetMs) {
  if (!Number.isFinite(offsetMs)) throw new Error(`test clock: offset ${offsetMs} is not a number`);
  const s = state();
  s.offsetMs = Math.round(offsetMs);
  if (s.installed) return;
  const { RealDate } = s;
  const now = () => RealDate.now() + s.offsetMs;
  const ShiftedDate = new Proxy(RealDate, {
    construct: (target, args, newTarget) =>
      Reflect.construct(
        target,
        args.length === 0 ? [now()] : args,
        newTarget === ShiftedDate ? target : newTarget,
      ),
    apply: () => new RealDate(now()).toString(),
    get: (target, property) => (property === 'now' ? now : Reflect.get(target, property, target)),
  });
  globalThis.Date = ShiftedDate;
  stampServerDates(s, now);
  s.installed = true;
}

function stampServerDates(s, now) {
  const { writeHead } = http.ServerResponse.prototype;
  const hasDate = (headers) =>
    Array.isArray(headers)
      ? headers.some((h, i) => i % 2 === 0 && String(h).toLowerCase() === 'date')
      : Object.keys(headers ?? {}).some((k) => k.toLowerCase() === 'date');
  http.ServerResponse.prototype.writeHead = function (statusCode, ...rest) {
    if (s.offsetMs === 0 || !this.sendDate || this.hasHeader('date'))
      return writeHead.call(this, statusCode, ...rest);
    const date = new s.RealDate(now()).toUTCString();
    const at = typeof rest[0] === 'string' ? 1 : 0; // writeHead(status, [reason,] [headers])
    const headers = rest[at];
    if (hasDate(headers)) return writeHead.call(this, statusCode, ...rest);
    if (Array.isArray(headers)) {
      const args = [...rest];
      args[at] = [...headers, 'Date', date];
      return writeHead.call(this, statusCode, ...args);
    }
    this.setHeader('Date', date);
    return writeHead.call(this, statusCode, ...rest);
  };
}

/** Sets the clock so that it reads `instant` (an ISO 8601 date-time with its offset) now. */
export function setClock(instant) {
  const at = parseInstant(instant);
  shiftClock(at - realNow());
}

/** Epoch ms of an ISO 8601 instant; it must carry its zone (Z or ±hh:mm) so every machine reads it alike. */
export function parseInstant(instant) {
  const text = String(instant);
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(at))
    throw new Error(
      `test clock: "${text}" is not an ISO 8601 instant with its zone, e.g. 2026-10-15T10:00:00+08:00`,
    );
  return at;
}

/**
 * The offset the environment asks for: KCBX_TEST_CLOCK_OFFSET_MS when set (a process started by a test),
 * else KCBX_TEST_NOW read against the machine's clock now (the test runner itself); undefined for neither.
 */
export function offsetFromEnv(env = process.env) {
  const offset = env[OFFSET_ENV];
  if (offset !== undefined && offset !== '') {
    const ms = Number(offset);
    if (!Number.isFinite(ms)) throw new Error(`test clock: ${OFFSET_ENV}=${offset} is not a number`);
    return ms;
  }
  if (env.KCBX_TEST_NOW) return parseInstant(env.KCBX_TEST_NOW) - realNow();
  return undefined;
}
