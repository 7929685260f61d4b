import { randomBytes } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import type { Command } from 'commander';
import type { IntakeSummary } from '../services/roster-intake/domain/intake';
import { ROSTER_CONTENT_TYPES } from '../services/roster-intake/domain/upload';
import { rosterKindSchema } from '../shared/roster-kind';
import { apiClient } from './api-client';
import { EXIT_INPUT_UNUSABLE } from './errors';
import { progressBar } from './progress';
import { rosterFileArgs } from './terminal';

interface UploadView {
  id: string;
  kind: string;
  org: string;
  period: string;
  status: string;
  summary?: IntakeSummary;
  problems?: { code: string; zh: string; en: string }[];
  supersedes?: string;
  supersededBy?: string;
}

/** Sends the file as the multipart form a pre-signed POST expects, streaming it with progress. */
function postFile(url: string, fields: Record<string, string>, file: string, size: number): Promise<void> {
  const boundary = `----kcbx${randomBytes(12).toString('hex')}`;
  const head = Object.entries(fields)
    .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('');
  const fileHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${encodeURIComponent(path.basename(file))}"\r\nContent-Type: ${fields['Content-Type']}\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const length = Buffer.byteLength(head) + Buffer.byteLength(fileHead) + size + Buffer.byteLength(tail);
  const target = new URL(url);
  const bar = progressBar('上传 upload', size);
  return new Promise((resolve, reject) => {
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => {
          bar.done();
          if ((res.statusCode ?? 500) < 300) resolve();
          else {
            const reason = /<Message>(.*?)<\/Message>/.exec(body)?.[1] ?? body.slice(0, 200);
            reject(
              new Error(
                `存储服务拒绝了文件 (HTTP ${res.statusCode})：${reason}\nThe storage refused the file: ${reason}`,
              ),
            );
          }
        });
      },
    );
    req.on('error', reject);
    req.write(head);
    req.write(fileHead);
    let sent = 0;
    const stream = createReadStream(file);
    stream.on('data', (chunk) => {
      sent += chunk.length;
      bar.update(sent);
    });
    stream.on('error', reject);
    stream.on('end', () => req.end(tail));
    stream.pipe(req, { end: false });
  });
}

export function printUploadSummary(u: UploadView): void {
  const statusZh: Record<string, string> = {
    accepted: '已接收 accepted',
    rejected: '已退回 rejected',
    superseded: '已被替代 superseded',
    pending: '等待上传 pending',
    processing: '校验中 processing',
  };
  const lines = [
    `上传 ${u.id}  ${u.kind}  机构 ${u.org}  学期 ${u.period}`,
    `状态 status: ${statusZh[u.status] ?? u.status}`,
  ];
  if (u.summary) {
    const s = u.summary;
    lines.push(
      `行数 rows ${s.rows}   接收 accepted ${s.accepted}   退回 rejected ${s.rejected}   重复 duplicates ${s.duplicates}   提醒 warnings ${s.warnings}   跳过 skipped ${s.skipped}`,
    );
    const codes = Object.entries(s.byCode).sort((a, b) => b[1] - a[1]);
    if (codes.length) lines.push(`问题 issues: ${codes.map(([c, n]) => `${c}×${n}`).join(', ')}`);
  }
  for (const p of u.problems ?? []) lines.push(`  ✗ ${p.zh}`, `    ${p.en}`);
  if (u.supersedes) lines.push(`替代了此前的上传 supersedes ${u.supersedes}`);
  if (u.supersededBy) lines.push(`已被新的上传替代 superseded by ${u.supersededBy}`);
  console.log(lines.join('\n'));
}

export function registerUploadCommand(program: Command): void {
  program
    .command('upload')
    .description('Upload a roster (.xlsx or .csv) to kcbx and wait for its validation report (上传名单)')
    .argument('<file>', 'the roster file')
    .requiredOption('--kind <kind>', rosterKindSchema.options.join(' | '))
    .option('--org <code>', 'the organisation the roster is for (default: your own)')
    .option(
      '--period <period>',
      'term such as 2025-autumn, or a date for attendance (default: the current term)',
    )
    .option('--report <file>', 'also download the row-level report (.xlsx or .csv)')
    .option('--api <url>', 'API base URL (default $KCBX_API or http://127.0.0.1:3000)')
    .option('--token <jwt>', 'bearer token (default $KCBX_TOKEN)')
    .action(
      async (
        file: string,
        opts: { kind: string; org?: string; period?: string; report?: string; api?: string; token?: string },
      ) => {
        const { kind, size } = rosterFileArgs(file, opts.kind);
        const ext = path.extname(file).toLowerCase();
        const contentType =
          (ROSTER_CONTENT_TYPES as Record<string, readonly string[]>)[ext]?.[0] ?? 'application/octet-stream';
        const api = apiClient(opts);
        const created = await api.post<{
          upload: UploadView;
          post: { url: string; fields: Record<string, string> };
        }>('/uploads', {
          kind,
          fileName: path.basename(file),
          size,
          contentType,
          org: opts.org,
          period: opts.period,
        });
        await postFile(created.post.url, created.post.fields, file, size);
        process.stderr.write('校验中 validating…');
        const deadline = Date.now() + 15 * 60_000;
        let upload = created.upload;
        while (upload.status === 'pending' || upload.status === 'processing') {
          if (Date.now() > deadline)
            throw new Error(
              `校验超时：稍后用 GET /uploads/${upload.id} 查看。\nStill processing; check GET /uploads/${upload.id} later.`,
            );
          await new Promise((r) => setTimeout(r, 1000));
          upload = await api.get<UploadView>(`/uploads/${created.upload.id}`);
          process.stderr.write('.');
        }
        process.stderr.write('\n');
        printUploadSummary(upload);
        if (opts.report) {
          const format = opts.report.toLowerCase().endsWith('.csv') ? 'csv' : 'xlsx';
          const { url } = await api.get<{ url: string }>(`/uploads/${upload.id}/report?format=${format}`);
          const res = await fetch(url);
          if (!res.ok) throw new Error(`报告下载失败 report download failed: HTTP ${res.status}`);
          writeFileSync(opts.report, Buffer.from(await res.arrayBuffer()));
          console.log(`报告已保存 report saved: ${opts.report}`);
        }
        if (upload.status === 'rejected') process.exitCode = EXIT_INPUT_UNUSABLE;
      },
    );
}
