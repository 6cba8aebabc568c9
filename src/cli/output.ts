/**
 * How commands print: human text on stdout/stderr, or one JSON document on stdout with `--json`.
 * Every action runs through `runAction`, which turns errors into diagnostics and exit codes.
 */
import {
  type Diagnostic,
  ExitCode,
  type ExitCodeValue,
  formatDiagnostic,
  OsirisError,
  sortDiagnostics,
} from '../diagnostics/diagnostic.js';

export interface OutputOptions {
  json?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printError(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Prints diagnostics compiler-style to stderr, errors and warnings in deterministic order. */
export function printDiagnostics(diagnostics: readonly Diagnostic[]): void {
  for (const d of sortDiagnostics(diagnostics)) printError(formatDiagnostic(d));
}

/** JSON view of diagnostics, split by severity. */
export function diagnosticsJson(diagnostics: readonly Diagnostic[]): {
  errors: Diagnostic[];
  warnings: Diagnostic[];
} {
  const sorted = sortDiagnostics(diagnostics);
  return {
    errors: sorted.filter((d) => d.severity === 'error'),
    warnings: sorted.filter((d) => d.severity === 'warning'),
  };
}

/**
 * Runs a command action: its return value is the exit code. OsirisError → its diagnostics and exit code;
 * any other error → exit 1 with its message (never a stack trace unless OSIRIS_DEBUG is set).
 */
export async function runAction(
  options: OutputOptions,
  action: () => Promise<ExitCodeValue | undefined>,
): Promise<void> {
  try {
    process.exitCode = (await action()) ?? ExitCode.ok;
  } catch (error) {
    process.exitCode = reportError(error, options);
  }
}

export function reportError(error: unknown, options: OutputOptions): ExitCodeValue {
  if (error instanceof OsirisError) {
    if (options.json) printJson({ ok: false, ...diagnosticsJson(error.diagnostics) });
    else printDiagnostics(error.diagnostics);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (process.env.OSIRIS_DEBUG && error instanceof Error && error.stack) printError(error.stack);
  if (options.json)
    printJson({
      ok: false,
      errors: [{ severity: 'error', code: 'OSR001', message, location: {} }],
      warnings: [],
    });
  else printError(`error OSR001 ${message}`);
  return ExitCode.runtime;
}
