import { Command } from 'commander';
import { registerAbsencesCommand } from './absences';
import { registerCompareCommand } from './compare';
import { registerReceiveCommand } from './receive';
import { registerReplayCommand } from './replay';
import { registerStatsCommand } from './stats';
import { registerSubsidyCommand } from './subsidy';
import { registerTokenCommand } from './token';
import { registerUploadCommand } from './upload';
import { registerValidateCommand } from './validate';

const program = new Command()
  .name('kcbx')
  .description('kcbx 控辍保学 — command line: development tokens, offline checks and the API client')
  .showHelpAfterError();

registerTokenCommand(program);
registerValidateCommand(program);
registerUploadCommand(program);
registerCompareCommand(program);
registerAbsencesCommand(program);
registerStatsCommand(program);
registerSubsidyCommand(program);
registerReceiveCommand(program);
registerReplayCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`kcbx: ${(err as Error).message}`);
  process.exit(1);
});
