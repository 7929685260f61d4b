import type { Command } from 'commander';
import { formatStatsTable, type Stats } from '../services/cases/domain/stats';
import { parseStatsPeriod } from '../services/cases/domain/stats-period';
import { apiClient } from './api-client';

/** `kcbx stats` — the statistics of GET /stats, printed as the tables bureaus report. */
export function registerStatsCommand(program: Command): void {
  program
    .command('stats')
    .description('Print the case statistics of a period: 动态清零, 辍学率, 巩固率, school-year table (统计)')
    .option(
      '--period <period>',
      'a term (2025-autumn, 2026-spring), school year (2025-2026), month (2026-03) or dates (2026-03-01..2026-03-31); default: this month',
    )
    .option('--json', 'print the figures as JSON instead of tables')
    .option('--api <url>', 'API base URL (default $KCBX_API or http://127.0.0.1:3000)')
    .option('--token <jwt>', 'bearer token (default $KCBX_TOKEN)')
    .action(async (opts: { period?: string; json?: boolean; api?: string; token?: string }) => {
      if (opts.period) {
        const parsed = parseStatsPeriod(opts.period);
        if (!parsed.ok) {
          console.error(`${parsed.error.zh}\n${parsed.error.en}`);
          process.exit(3);
        }
      }
      const api = apiClient(opts);
      const query = opts.period ? `?period=${encodeURIComponent(opts.period)}` : '';
      const stats = await api.get<Stats & { periodLabel: string }>(`/stats${query}`);
      if (opts.json) {
        console.log(JSON.stringify(stats, null, 2));
        return;
      }
      console.log(`${stats.periodLabel}\n`);
      console.log(formatStatsTable(stats));
    });
}
