import type { Command } from 'commander';
import { configOption, connectionsOption, jsonOption, paramOption, profileOption } from '../options.js';
import { runAction } from '../output.js';
import type { ValidateFlags } from './validate.js';

/**
 * `osiris oml validate <file…>`: the Python Osiris's name for `osiris validate <oml>`, kept so its scripts
 * and habits keep working. Each file is validated in turn; the exit code is the worst of them (0 or 2).
 * With `--json` (one JSON document) it takes one file.
 */
export function register(program: Command): void {
  const oml = program.command('oml').description('OML pipelines (the Python Osiris command names)');
  oml
    .command('validate')
    .description('validate OML pipelines — same as `osiris validate <oml>`, for several files at once')
    .argument('<files...>', 'pipeline files (OML v0.1.0 YAML)')
    .addOption(paramOption())
    .addOption(profileOption('profile whose params apply (default: filesystem.profiles.default)'))
    .addOption(configOption())
    .addOption(connectionsOption())
    .addOption(jsonOption())
    .action(async (files: string[], flags: ValidateFlags) => {
      await runAction(flags, async () => {
        const { validatePipeline } = await import('./validate.js');
        if (flags.json && files.length > 1) {
          const { OsirisError } = await import('../../diagnostics/diagnostic.js');
          throw OsirisError.of(
            'CLI001',
            '--json validates one file at a time',
            {},
            {
              hint: `run \`osiris oml validate <file> --json\` once per file`,
            },
          );
        }
        let worst: 0 | 2 = 0;
        for (const file of files) {
          const code = await validatePipeline(file, flags);
          if (code > worst) worst = code;
        }
        return worst;
      });
    });
}
