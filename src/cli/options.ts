/**
 * The option vocabulary every command shares, defined once so the same flag means the same thing (and
 * reads the same in `--help`) wherever it appears.
 */
import { Option } from 'commander';

/** `--json`: one JSON document on stdout, in the envelope of docs/reference/cli.md "JSON output". */
export function jsonOption(): Option {
  return new Option('--json', 'print one JSON document {"ok", …, "diagnostics"} instead of text');
}

/** `--config <osiris.yaml>` (also `$OSIRIS_CONFIG`). */
export function configOption(): Option {
  return new Option('--config <osiris.yaml>', 'project file to use instead of searching for osiris.yaml');
}

/** `--connections <file>` (also `$OSIRIS_CONNECTIONS`). */
export function connectionsOption(): Option {
  return new Option(
    '--connections <file>',
    'connections file to use instead of searching for osiris_connections.yaml',
  );
}

/** The old spelling of `--connections` on `connections list|doctor`, still accepted, no longer shown. */
export function legacyFileOption(): Option {
  return new Option('--file <path>', 'old name of --connections').hideHelp();
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `--param key=value`, repeatable. No default value, so help does not print `(default: [])`. */
export function paramOption(
  description = 'set a pipeline parameter (repeatable; beats profile, env and defaults)',
): Option {
  return new Option('--param <key=value>', description).argParser(collect);
}

/** `-p, --profile <name>`. */
export function profileOption(description: string): Option {
  return new Option('-p, --profile <name>', description);
}

/**
 * An option whose default is a number, shown as `(default: 5000)` rather than `(default: "5000")`. The value
 * is the number when the flag is absent and the text as typed otherwise: the action checks it (its own
 * error code and hint beat commander's generic message).
 */
export function numberOption(flags: string, description: string, defaultValue: number): Option {
  return new Option(flags, description).default(defaultValue);
}

/** `--status <status>`: a run's outcome. */
export function statusOption(description: string): Option {
  return new Option('--status <status>', description).choices([
    'succeeded',
    'failed',
    'cancelled',
    'abandoned',
  ]);
}

/** `--queue <url>`: the fleet's Redis (`execution.queue` in osiris.yaml otherwise). */
export function queueOption(
  description = "the fleet's queue, redis://host:6379/0 (default: execution.queue)",
): Option {
  return new Option('--queue <url>', description);
}
