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
import type { StepCheck } from '../oml/bind-check.js';

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

/** What the SQL check did, for `--json`: the steps it bound and the ones it could not, with the reason. */
export function sqlCheckJson(steps: readonly StepCheck[]): {
  checked: string[];
  unchecked: Array<{ step: string; reason: string }>;
} {
  return {
    checked: steps.filter((s) => s.checked).map((s) => s.stepId),
    unchecked: steps
      .filter((s) => !s.checked)
      .map((s) => ({ step: s.stepId, reason: s.reason ?? 'not checked' })),
  };
}

/** One note per step whose SQL could not be checked (information: the pipeline is not invalid for it). */
export function printSqlCheck(steps: readonly StepCheck[]): void {
  for (const s of steps) {
    if (!s.checked)
      printError(`note: SQL of step '${s.stepId}' not checked: ${s.reason ?? 'no known shapes'}`);
  }
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
