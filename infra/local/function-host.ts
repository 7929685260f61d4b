import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LocalFunction } from './template';
import { clockOffsetMs } from './test-clock.mjs';

/** A handler that threw, or timed out: what Lambda reports as a function error. */
export class FunctionError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    errorMessage: string,
  ) {
    super(`${functionName}: ${errorType}: ${errorMessage}`);
    this.name = 'FunctionError';
  }
}

export interface FunctionHost {
  fn: LocalFunction;
  invoke(event: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export interface FunctionHostOptions {
  fn: LocalFunction;
  projectRoot: string;
  /** The environment the function sees: its template variables plus the local endpoints. */
  env: Record<string, string>;
  /** Receives every line the function writes to stdout/stderr. */
  log: (functionName: string, line: string) => void;
  /** Execution environments kept at most (Lambda would scale out; locally a few suffice). */
  maxConcurrency?: number;
}

interface Environment {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
}

const WORKER = path.join(path.dirname(new URL(import.meta.url).pathname), 'function-worker.mjs');

/**
 * Runs one function's handler in worker threads, each an isolated execution environment with
 * the function's own environment variables, timeout and one invocation at a time. A function reads
 * the same time as the process hosting the cloud: when a test has set that process's clock
 * (infra/local/test-clock.mjs), each invocation carries the offset, so the functions, the emulators'
 * signature and expiry checks, the token checks and the scheduler all agree on what "now" is.
 */
export function createFunctionHost(options: FunctionHostOptions): FunctionHost {
  const { fn } = options;
  const max = options.maxConcurrency ?? 4;
  const idle: Environment[] = [];
  const all = new Set<Environment>();
  const waiting: ((env: Environment) => void)[] = [];
  let stopped = false;

  const pipe = (stream: NodeJS.ReadableStream | null) => {
    if (!stream) return;
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        options.log(fn.name, buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
    });
  };

  const spawn = (): Environment => {
    const worker = new Worker(WORKER, {
      workerData: {
        entryPath: path.join(options.projectRoot, fn.entry),
        handlerExport: fn.handlerExport,
        clockOffsetMs: clockOffsetMs(),
      },
      env: options.env,
      stdout: true,
      stderr: true,
      execArgv: [],
    });
    pipe(worker.stdout);
    pipe(worker.stderr);
    const env: Environment = { worker, pending: new Map(), ready: Promise.resolve() };
    env.ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (msg: { type: string; error?: { errorType: string; errorMessage: string } }) => {
        if (msg.type === 'ready') resolve();
        else
          reject(
            new FunctionError(fn.name, msg.error?.errorType ?? 'InitError', msg.error?.errorMessage ?? ''),
          );
      });
    });
    env.ready.catch(() => undefined);
    worker.on(
      'message',
      (msg: {
        type: string;
        id: string;
        ok: boolean;
        value: unknown;
        error: { errorType: string; errorMessage: string };
      }) => {
        if (msg.type !== 'result') return;
        const p = env.pending.get(msg.id);
        if (!p) return;
        env.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(new FunctionError(fn.name, msg.error.errorType, msg.error.errorMessage));
      },
    );
    const fail = (err: Error) => {
      for (const p of env.pending.values())
        p.reject(new FunctionError(fn.name, 'Runtime.ExitError', err.message));
      env.pending.clear();
      all.delete(env);
      const i = idle.indexOf(env);
      if (i >= 0) idle.splice(i, 1);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`execution environment exited with code ${code}`)));
    all.add(env);
    return env;
  };

  const acquire = async (): Promise<Environment> => {
    const env = idle.pop();
    if (env) return env;
    if (all.size < max) return spawn();
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (env: Environment) => {
    if (!all.has(env)) return;
    const next = waiting.shift();
    if (next) next(env);
    else idle.push(env);
  };

  return {
    fn,
    async invoke(event: unknown) {
      if (stopped) throw new FunctionError(fn.name, 'Stopped', 'the local cloud is stopping');
      const env = await acquire();
      try {
        await env.ready;
      } catch (err) {
        all.delete(env);
        await env.worker.terminate();
        throw err;
      }
      const id = randomUUID();
      const context = {
        awsRequestId: id,
        functionName: fn.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: fn.arn,
        memoryLimitInMB: String(fn.memoryMb),
        logGroupName: `/aws/lambda/${fn.name}`,
        logStreamName: `local/${id}`,
        timeoutMs: fn.timeoutSeconds * 1000,
      };
      try {
        return await new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            env.pending.delete(id);
            all.delete(env);
            void env.worker.terminate();
            reject(
              new FunctionError(
                fn.name,
                'Sandbox.Timedout',
                `Task timed out after ${fn.timeoutSeconds} seconds`,
              ),
            );
          }, fn.timeoutSeconds * 1000);
          env.pending.set(id, {
            resolve: (v) => {
              clearTimeout(timer);
              resolve(v);
            },
            reject: (e) => {
              clearTimeout(timer);
              reject(e);
            },
          });
          // The function reads the clock of the process hosting the cloud (shifted only by a test clock).
          env.worker.postMessage({ id, event, context, clockOffsetMs: clockOffsetMs() });
        });
      } finally {
        release(env);
      }
    },
    async stop() {
      stopped = true;
      await Promise.all([...all].map((env) => env.worker.terminate()));
      all.clear();
      idle.length = 0;
    },
  };
}
