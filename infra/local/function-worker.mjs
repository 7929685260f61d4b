// One Lambda execution environment of the local cloud: loads a handler from its TypeScript
// source (with tsx) inside a worker thread that has the function's own environment variables,
// then serves one invocation at a time, as Lambda does.
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';
import { clockOffsetMs, shiftClock } from './test-clock.mjs';

// The clock of the process hosting the cloud, shifted only when a test has set it.
const followHostClock = (offsetMs) => {
  if (offsetMs || clockOffsetMs()) shiftClock(offsetMs ?? 0);
};
followHostClock(workerData.clockOffsetMs);
register();

const toError = (err) => ({
  errorType: err?.name ?? 'Error',
  errorMessage: err?.message ?? String(err),
  stack: typeof err?.stack === 'string' ? err.stack.split('\n') : [],
});

let handler;
try {
  const mod = await import(pathToFileURL(workerData.entryPath).href);
  handler = mod[workerData.handlerExport];
  if (typeof handler !== 'function') {
    throw new Error(`${workerData.entryPath} does not export a function named ${workerData.handlerExport}`);
  }
  parentPort.postMessage({ type: 'ready' });
} catch (err) {
  parentPort.postMessage({ type: 'init-error', error: toError(err) });
}

parentPort.on('message', async ({ id, event, context, clockOffsetMs: offsetMs }) => {
  followHostClock(offsetMs);
  const deadline = Date.now() + context.timeoutMs;
  const lambdaContext = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const value = await handler(event, lambdaContext);
    parentPort.postMessage({ type: 'result', id, ok: true, value: value === undefined ? null : value });
  } catch (err) {
    parentPort.postMessage({ type: 'result', id, ok: false, error: toError(err) });
  }
});
