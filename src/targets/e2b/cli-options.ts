/**
 * The `osiris run` flags of the e2b target (docs/reference/targets.md#e2b). They only mean something with
 * `--target e2b`; given with another target they are a usage error rather than silently ignored.
 */
import { Option } from 'commander';
import { OsirisError } from '../../diagnostics/diagnostic.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function e2bRunOptions(): Option[] {
  return [
    new Option('--timeout <seconds>', 'e2b: sandbox lifetime and run deadline (default 900)'),
    new Option('--cpu <n>', 'e2b: vCPUs the template must provide (checked; E2B sets them per template)'),
    new Option('--memory-gb <n>', 'e2b: memory the template must provide, GB (checked)'),
    new Option('--e2b-template <name>', 'e2b: sandbox template (default base; env OSIRIS_E2B_TEMPLATE)'),
    new Option('--e2b-install-deps', 'e2b: npm ci --omit=dev in the sandbox (env OSIRIS_E2B_INSTALL_DEPS=1)'),
    new Option('--e2b-env <NAME=VALUE>', 'e2b: set a variable in the sandbox (repeatable)').argParser(
      collect,
    ),
    new Option(
      '--e2b-pass-env <NAME>',
      'e2b: copy a variable of this environment into the sandbox (repeatable)',
    ).argParser(collect),
  ];
}

const FLAG_NAMES: Record<string, string> = {
  timeout: '--timeout',
  cpu: '--cpu',
  memoryGb: '--memory-gb',
  e2bTemplate: '--e2b-template',
  e2bInstallDeps: '--e2b-install-deps',
  e2bEnv: '--e2b-env',
  e2bPassEnv: '--e2b-pass-env',
};

/** Exit 2 when e2b flags come with another target. */
export function checkE2bFlagsUnused(target: string, flags: Record<string, unknown>): void {
  if (target === 'e2b') return;
  const given = Object.keys(FLAG_NAMES).filter((k) => flags[k] !== undefined);
  if (given.length === 0) return;
  throw OsirisError.of(
    'E2B005',
    `${given.map((k) => FLAG_NAMES[k]).join(', ')} only apply to --target e2b (this run's target is ${target})`,
    {},
    { hint: 'add --target e2b, or drop the flag' },
  );
}
