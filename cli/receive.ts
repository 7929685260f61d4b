/**
 * 参考接收端 — `npx kcbx receive`: a small HTTP server a partner department's developer runs to see
 * signed deliveries arrive, so that a partner's developer can start in minutes, and the local
 * target of partner subscriptions on `npm start`. It does what a real receiver must do: verify the
 * signature over the raw body, refuse old or replayed requests, and keep each event once by its
 * eventId (a redelivery is answered 200, so the platform stops retrying, but not stored again).
 */
import { appendFileSync, createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { deliveryEnvelopeSchema } from '../services/notifications/domain/minimise';
import {
  DEFAULT_TOLERANCE_SECONDS,
  EVENT_ID_HEADER,
  recentRequests,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyDelivery,
} from '../services/notifications/domain/signing';
import { maskedIdSchema } from '../shared/events/envelope';

const EXIT_BAD_OPTION = 2;
const SECRET_ENV = 'KCBX_RECEIVE_SECRET';
const MIN_SECRET_LENGTH = 16;
// An EventBridge event is at most 256 KB, and a delivery is smaller than its event.
const MAX_BODY_BYTES = 1024 * 1024;

interface ReceiveOptions {
  port?: string;
  secret?: string;
  host: string;
  out?: string;
  tolerance: string;
}

interface Settings {
  port: number;
  secret: string;
  host: string;
  out: string | undefined;
  tolerance: number;
}

type Checked = { ok: true; settings: Settings } | { ok: false; zh: string; en: string };

function settingsFrom(opts: ReceiveOptions): Checked {
  const bad = (zh: string, en: string): Checked => ({ ok: false, zh, en });
  const port = opts.port ?? '';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    return bad(
      `--port 应为 0–65535 的端口号（0 表示任选空闲端口），实为“${port}”。`,
      `--port must be a port number 0–65535 (0 picks a free one), got "${port}".`,
    );
  }
  const secret = opts.secret ?? process.env[SECRET_ENV] ?? '';
  if (secret.length === 0) {
    return bad(
      `缺少 --secret：请填写订阅的签名密钥（或设置环境变量 ${SECRET_ENV}）。`,
      `--secret is missing: give the subscription's signing secret (or set ${SECRET_ENV}).`,
    );
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    return bad(
      `签名密钥过短（${secret.length} 个字符），至少 ${MIN_SECRET_LENGTH} 个字符；请使用创建订阅时返回的密钥。`,
      `The signing secret is too short (${secret.length} characters); use at least ${MIN_SECRET_LENGTH}, e.g. the one returned when the subscription was created.`,
    );
  }
  if (!/^\d{1,5}$/.test(opts.tolerance) || Number(opts.tolerance) < 1 || Number(opts.tolerance) > 86_400) {
    return bad(
      `--tolerance 应为 1–86400 的整数秒，实为“${opts.tolerance}”。`,
      `--tolerance must be whole seconds 1–86400, got "${opts.tolerance}".`,
    );
  }
  if (opts.out !== undefined && !existsSync(path.dirname(path.resolve(opts.out)))) {
    const dir = path.dirname(path.resolve(opts.out));
    return bad(`--out 所在的文件夹不存在：${dir}`, `The folder of --out does not exist: ${dir}`);
  }
  return {
    ok: true,
    settings: {
      port: Number(port),
      secret,
      host: opts.host,
      out: opts.out,
      tolerance: Number(opts.tolerance),
    },
  };
}

/** The eventIds already in the output file, so that a restarted receiver still stores each event once. */
async function storedEventIds(file: string): Promise<Set<string>> {
  const ids = new Set<string>();
  if (!existsSync(file)) return ids;
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    try {
      const eventId = (JSON.parse(line) as { eventId?: unknown }).eventId;
      if (typeof eventId === 'string') ids.add(eventId);
    } catch {
      // A line cut short by a crash: its event was never acknowledged, so it will be delivered again.
    }
  }
  return ids;
}

// What a sender puts in a header or a field is printed, so it must not drive the terminal.
const printable = (text: string, max = 80) =>
  Array.from(text.slice(0, max), (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) ? '?' : c;
  }).join('');

const clock = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function readBody(req: IncomingMessage): Promise<Buffer | 'TOO_LARGE'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'TOO_LARGE' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function listenAddress(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/`;
}

async function runReceive(opts: ReceiveOptions): Promise<void> {
  const checked = settingsFrom(opts);
  if (!checked.ok) {
    console.error(`kcbx receive: ${checked.zh}\n${checked.en}\n(npx kcbx receive --help)`);
    process.exitCode = EXIT_BAD_OPTION;
    return;
  }
  const { settings } = checked;
  const stored = settings.out === undefined ? new Set<string>() : await storedEventIds(settings.out);
  const seen = recentRequests(settings.tolerance);
  const counts = { received: 0, duplicates: 0, refused: 0 };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('kcbx receive: POST signed events to this address / 请以 POST 向此地址发送签名事件\n');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST, GET' }).end();
      return;
    }
    const body = await readBody(req);
    if (body === 'TOO_LARGE') {
      counts.refused++;
      console.log(`${clock()}  ✗ 413 TOO_LARGE  body above ${MAX_BODY_BYTES} bytes / 请求体过大`);
      reply(res, 413, {
        code: 'TOO_LARGE',
        zh: `请求体超过 ${MAX_BODY_BYTES} 字节。`,
        en: `The body is larger than ${MAX_BODY_BYTES} bytes.`,
      });
      return;
    }
    const verified = verifyDelivery({
      secret: settings.secret,
      headers: req.headers,
      body,
      now: new Date(),
      toleranceSeconds: settings.tolerance,
      seen,
    });
    if (!verified.ok) {
      counts.refused++;
      console.log(`${clock()}  ✗ 401 ${verified.code}  ${verified.en}`);
      reply(res, 401, { code: verified.code, zh: verified.zh, en: verified.en });
      return;
    }
    let envelope: ReturnType<typeof deliveryEnvelopeSchema.safeParse>;
    try {
      envelope = deliveryEnvelopeSchema.safeParse(JSON.parse(body.toString('utf8')));
    } catch {
      envelope = deliveryEnvelopeSchema.safeParse(undefined);
    }
    if (!envelope.success) {
      counts.refused++;
      const fields = envelope.error.issues.map((i) => i.path.join('.') || '(body)').join(', ');
      console.log(`${clock()}  ✗ 400 INVALID_ENVELOPE  ${printable(fields, 200)}`);
      reply(res, 400, {
        code: 'INVALID_ENVELOPE',
        zh: `签名有效，但请求体不是 kcbx 投递信封（问题字段：${fields}）。`,
        en: `The signature is valid but the body is not a kcbx delivery envelope (fields: ${fields}).`,
      });
      return;
    }
    const e = envelope.data;
    const child = e.data.child as { maskedId?: unknown } | undefined;
    const masked = maskedIdSchema.safeParse(child?.maskedId);
    const line = `${clock()}  ${printable(e.detailType, 40)}  ${e.eventId}  ${masked.success ? masked.data : '-'}`;
    if (stored.has(e.eventId)) {
      counts.duplicates++;
      console.log(`${line}  duplicate 重复投递，已收过，不再写入`);
      reply(res, 200, { received: true, duplicate: true, eventId: e.eventId });
      return;
    }
    if (settings.out !== undefined) {
      // Written before the answer: a 200 promises the event is kept. Synchronous, so that two requests
      // for the same event cannot both pass the duplicate check before either is written.
      appendFileSync(settings.out, `${JSON.stringify(e)}\n`);
    }
    stored.add(e.eventId);
    counts.received++;
    console.log(line);
    reply(res, 200, { received: true, duplicate: false, eventId: e.eventId });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error(`${clock()}  ✗ 500  ${(err as Error).message}`);
      if (!res.headersSent)
        reply(res, 500, { code: 'RECEIVER_ERROR', zh: '接收端内部错误。', en: 'Receiver error.' });
    });
  });

  await new Promise<void>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${settings.host}:${settings.port}`;
      const zh =
        err.code === 'EADDRINUSE'
          ? `端口已被占用：${where}，请换一个 --port。`
          : `无法在 ${where} 监听：${err.message}`;
      const en =
        err.code === 'EADDRINUSE'
          ? `The port is in use: ${where}; choose another --port.`
          : `Cannot listen on ${where}: ${err.message}`;
      console.error(`kcbx receive: ${zh}\n${en}`);
      process.exitCode = 1;
      resolve();
    });
    server.listen(settings.port, settings.host, () => {
      const address = listenAddress(server.address() as AddressInfo);
      // One write, so that whoever waits for the first line gets the whole greeting with it.
      const lines = [
        `kcbx receive: 正在监听 listening on ${address} — POST signed deliveries here; Ctrl+C to stop / 按 Ctrl+C 停止`,
      ];
      if (!['127.0.0.1', 'localhost', '::1'].includes(settings.host)) {
        lines.push(
          `  ! 监听 ${settings.host} 使用明文 http，仅供测试；正式接收请在前面部署 HTTPS。/ Plain http on ${settings.host}: for testing only; put HTTPS in front for real deliveries.`,
        );
      }
      lines.push(
        settings.out === undefined
          ? '  事件仅打印，不保存（--out 可保存为 JSONL）/ events are printed only (--out saves them as JSONL)'
          : `  保存到 saving to ${settings.out}${stored.size > 0 ? `（已有 ${stored.size} 个事件 / ${stored.size} events already there）` : ''}`,
        '  时间 time  事件类型 detail-type  事件标识 event id  证件号 masked id',
      );
      console.log(lines.join('\n'));
      const stop = () => {
        server.close();
        server.closeAllConnections();
        console.log(
          `kcbx receive: 已停止 stopped — 接收 received ${counts.received}, 重复 duplicates ${counts.duplicates}, 拒收 refused ${counts.refused}`,
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      server.once('close', () => resolve());
    });
  });
}

const HELP_AFTER = `
示例 Example:
  npx kcbx receive --port 8787 --secret "$KCBX_SECRET" --out events.jsonl

  Then use http://127.0.0.1:8787/ as the subscription's target when running kcbx locally (npm start),
  or put this behind your HTTPS address. 本机运行 kcbx（npm start）时，将 http://127.0.0.1:8787/ 设为订阅的
  接收地址；正式环境请置于 HTTPS 地址之后。

What each delivery carries / 每次投递包含:
  POST body           the delivery envelope (JSON): contractVersion, eventId, detailType, occurredAt,
                      subscriptionId, partnerOrg, data (the event fields your department may receive)
  ${TIMESTAMP_HEADER}    unix seconds when it was signed
  ${SIGNATURE_HEADER}    v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the secret>
  ${EVENT_ID_HEADER}     the eventId (optional; must equal the body's)

Answers / 应答: 200 accepted (a redelivered eventId is answered 200 and marked duplicate, stored once);
  401 with {code, zh, en} when the signature, timestamp (±tolerance) or replay check fails.

Try it without the platform / 自行试发:
  body='{"contractVersion":1,"eventId":"01K4Y3N5A1B2C3D4E5F6G7H8J9","detailType":"case.opened","occurredAt":"2025-09-12T07:30:00.000Z","subscriptionId":"sub-test","partnerOrg":"530124:public-security","data":{}}'
  ts=$(date +%s)
  sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$KCBX_SECRET" | sed 's/^.* //')
  curl -i http://127.0.0.1:8787/ -H "${TIMESTAMP_HEADER}: $ts" -H "${SIGNATURE_HEADER}: v1=$sig" -d "$body"

The secret may also come from the ${SECRET_ENV} environment variable (keeps it out of shell history).
Contracts of every event type: docs/events (JSON Schema); fields per department: services/notifications/README.md.`;

export function registerReceiveCommand(program: Command): void {
  program
    .command('receive')
    .description(
      '参考接收端 reference receiver: verify signed partner deliveries, print them, optionally save them',
    )
    .option('--port <n>', 'port to listen on (0 picks a free one) / 监听端口')
    .option('--secret <s>', `the subscription's signing secret (or set ${SECRET_ENV}) / 订阅的签名密钥`)
    .option('--host <address>', 'address to listen on / 监听地址', '127.0.0.1')
    .option('--out <file>', 'append each new event as one JSON line to this file / 保存为 JSONL 文件')
    .option(
      '--tolerance <seconds>',
      'how far a timestamp may be from this clock / 时间戳允许偏差（秒）',
      String(DEFAULT_TOLERANCE_SECONDS),
    )
    .addHelpText('after', HELP_AFTER)
    .action(runReceive);
}
