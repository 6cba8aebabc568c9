import type { Command } from 'commander';
import { jsonOption } from '../options.js';
import { runAction } from '../output.js';

interface InitFlags {
  force?: boolean;
  json?: boolean;
}

/** `osiris init [path]` — scaffold a project: osiris.yaml, connections, .env.example, .gitignore. */
export function register(program: Command): void {
  program
    .command('init')
    .description(
      'create an Osiris project: osiris.yaml, osiris_connections.yaml, .env.example and a sample pipeline',
    )
    .argument('[path]', 'project folder (created when missing)', '.')
    .option('--force', 'overwrite the files init writes if they exist')
    .addOption(jsonOption())
    .action(async (path: string, flags: InitFlags) => {
      await runAction(flags, async () => {
        const [{ scaffoldProject }, { selfCommand }, output] = await Promise.all([
          import('../../project/scaffold.js'),
          import('../self-command.js'),
          import('../output.js'),
        ]);
        const self = selfCommand();
        const result = scaffoldProject({
          dir: path,
          force: flags.force ?? false,
          displayDir: path,
          command: self.command,
        });
        if (flags.json) {
          output.printJsonResult({
            project_path: result.projectPath,
            created: result.created,
            overwritten: result.overwritten,
            updated: result.updated,
            skipped: result.skipped,
            next_steps: result.nextSteps,
            osiris_on_path: self.onPath,
          });
          return 0;
        }
        output.printLine(`Initialised Osiris project in ${result.projectPath}`);
        for (const name of result.created) {
          output.printLine(`  ${result.overwritten.includes(name) ? 'overwrote' : 'created'}  ${name}`);
        }
        for (const name of result.updated) output.printLine(`  updated  ${name}`);
        for (const name of result.skipped) output.printLine(`  kept     ${name}`);
        output.printLine();
        output.printLine('Next steps:');
        result.nextSteps.forEach((step, i) => {
          output.printLine(`  ${i + 1}. ${step}`);
        });
        if (!self.onPath) {
          output.printLine();
          output.printLine(
            '`osiris` is not on your PATH, so the steps name this copy in full. To type `osiris` instead:',
          );
          output.printLine(`  ${self.install}`);
        }
        return 0;
      });
    });
}
