import type { Command } from 'commander';
import { deployments } from '../infra/config/deployments';
import { ensureDevIssuer, issueDevToken } from '../infra/local/dev-issuer';
import { localDataDir } from '../infra/local/paths';

export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('Print a development token for the local deployment (开发用令牌)')
    .requiredOption('--role <role>', 'school | township | county | partner | ops')
    .requiredOption(
      '--org <code>',
      'school: 10-digit 学校标识码; township: 9-digit code; county/ops: 6-digit 区划代码; partner: <region>:<department>',
    )
    .option('--sub <subject>', 'subject (user id) to put in the token')
    .option('--name <name>', 'display name of the user')
    .option('--ttl <span>', 'lifetime, e.g. 30m, 8h, 7d', '8h')
    .addHelpText(
      'after',
      '\nExamples:\n  npx kcbx token --role school --org 5301240001\n  npx kcbx token --role county --org 530124\n' +
        '  npx kcbx token --role partner --org 530124:public-security\n' +
        '\nThe token goes to standard output only, so `TOKEN=$(npx kcbx token …)` works.',
    )
    .action(async (opts: { role: string; org: string; sub?: string; name?: string; ttl: string }) => {
      const local = deployments.find((d) => d.local);
      if (!local)
        throw new Error('No local deployment in infra/config/deployments.ts: development tokens need one.');
      const dev = await ensureDevIssuer(localDataDir(), local.identity.issuer, local.identity.audience[0]!);
      const token = await issueDevToken(dev, {
        role: opts.role,
        org: opts.org,
        subject: opts.sub,
        name: opts.name,
        expiresIn: opts.ttl,
      });
      process.stdout.write(`${token}\n`);
    });
}
