/** `<run-id> | --last`: the run selector the `logs` subcommands share. */
import { OsirisError } from '../../diagnostics/diagnostic.js';

/** Usage check: not both; and, when `required`, at least one of them (otherwise the latest run is meant). */
export function assertRunSelector(
  command: string,
  runId: string | undefined,
  last: boolean | undefined,
  required: boolean,
): void {
  if (runId !== undefined && last) {
    throw OsirisError.of(
      'LOG005',
      'give a run id or --last, not both',
      {},
      {
        hint: `osiris logs ${command} <run-id>  or  osiris logs ${command} --last`,
      },
    );
  }
  if (required && runId === undefined && !last) {
    throw OsirisError.of(
      'LOG005',
      'which run? give a run id (or a unique prefix) or --last',
      {},
      {
        hint: 'see `osiris logs list` for run ids',
      },
    );
  }
}
