import type { Command } from 'commander';
import { apiClient } from './api-client';

interface ReplayStatus {
  replayName: string;
  state: string;
  reason?: string;
  eventLastReplayedTime?: string;
  eventEndTime?: string;
}

const EXIT_BAD_OPTION = 2;
const isInstant = (value: string) =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
  !Number.isNaN(Date.parse(value));

/**
 * `kcbx replay` — sends a subscription's events again from the bus archive (POST
 * /subscriptions/{id}/replay) and waits until the replay has finished. Deliveries already made are not
 * posted twice; the partner deduplicates anything else by eventId.
 */
export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      '重放 Replay a partner subscription’s events from the bus archive, and wait for it to finish',
    )
    .requiredOption('--subscription <id>', 'the subscription id (GET /subscriptions) / 订阅编号')
    .requiredOption(
      '--since <time>',
      'replay events from this time, ISO 8601, e.g. 2026-03-06T00:00:00+08:00 / 起始时间',
    )
    .option('--until <time>', 'up to this time (default: now) / 截止时间（默认现在）')
    .option('--no-wait', 'start the replay and return without waiting / 只启动，不等待完成')
    .option('--interval <seconds>', 'how often to ask for progress / 查询进度的间隔（秒）', '2')
    .option('--api <url>', 'API base URL (default $KCBX_API or http://127.0.0.1:3000)')
    .option('--token <jwt>', 'bearer token of a county or ops user (default $KCBX_TOKEN)')
    .action(
      async (opts: {
        subscription: string;
        since: string;
        until?: string;
        wait: boolean;
        interval: string;
        api?: string;
        token?: string;
      }) => {
        for (const [flag, value] of [
          ['--since', opts.since],
          ['--until', opts.until],
        ] as const) {
          if (value !== undefined && !isInstant(value)) {
            console.error(
              `${flag} 应为带时区的 ISO 8601 时间，如 2026-03-06T00:00:00+08:00，实为“${value}”。\n` +
                `${flag} must be an ISO 8601 time with a zone, e.g. 2026-03-06T00:00:00+08:00, got "${value}".`,
            );
            process.exit(EXIT_BAD_OPTION);
          }
        }
        const interval = Number(opts.interval);
        if (!Number.isFinite(interval) || interval <= 0) {
          console.error(`--interval 应为正数（秒）。\n--interval must be a positive number of seconds.`);
          process.exit(EXIT_BAD_OPTION);
        }
        const api = apiClient(opts);
        const id = encodeURIComponent(opts.subscription);
        const started = await api.post<{ replayName: string; state: string; href: string }>(
          `/subscriptions/${id}/replay`,
          {
            since: new Date(opts.since).toISOString(),
            ...(opts.until ? { until: new Date(opts.until).toISOString() } : {}),
          },
        );
        console.log(`重放已启动 replay started: ${started.replayName} (${started.state})`);
        if (!opts.wait) return;
        for (;;) {
          await new Promise((r) => setTimeout(r, interval * 1000));
          const status = await api.get<ReplayStatus>(started.href);
          if (status.state === 'COMPLETED') {
            console.log(`重放完成 replay completed: ${status.replayName}`);
            return;
          }
          if (status.state === 'FAILED' || status.state === 'CANCELLED') {
            console.error(`重放未完成 replay ${status.state}: ${status.reason ?? ''}`);
            process.exit(1);
          }
          const upTo = status.eventLastReplayedTime ? `, up to ${status.eventLastReplayedTime}` : '';
          console.log(`  ${status.state}${upTo}`);
        }
      },
    );
}
