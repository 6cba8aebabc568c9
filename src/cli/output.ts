/**
 * How commands print: human text on stdout/stderr, or — with `--json` — exactly one JSON document on stdout
 * in the shape every command shares (docs/reference/cli-json.schema.json):
 *
 *   success  {"ok": true,  ...payload, "diagnostics": [...]}
 *   failure  {"ok": false, "error": {code, message, hint?, location?}, ...payload, "diagnostics": [...]}
 *
 * `printJsonResult` is the only writer of that document. Every action runs through `runAction`, which turns
 * errors into the same document (or compiler-style lines) and an exit code.
 */
import { isAbsolute, relative } from 'node:path';
import {
  type Diagnostic,
  ExitCode,
  type ExitCodeValue,
  formatDiagnostic,
  isError,
  OsirisError,
  sortDiagnostics,
} from '../diagnostics/diagnostic.js';
import type { StepCheck } from '../oml/bind-check.js';

export interface OutputOptions {
  json?: boolean;
}

/** Where an error is: a position in a file, a dotted key, a step — whichever are known. */
export interface JsonErrorLocation {
  file?: string;
  line?: number;
  col?: number;
  /** Dotted key inside the file, e.g. `steps[2].config.table`. */
  path?: string;
  step?: string;
}

export interface JsonError {
  code: string;
  message: string;
  hint?: string;
  location?: JsonErrorLocation;
}

/** Payload keys are the command's own; the envelope keys are reserved. */
export type JsonPayload = { [key: string]: unknown } & { ok?: never; error?: never; diagnostics?: never };

export interface JsonResultOptions {
  /** Errors and warnings, printed sorted under `diagnostics`. The first error becomes `error`. */
  diagnostics?: readonly Diagnostic[];
  /** The failure when it is not one of the diagnostics (a failed run, a failed connection). */
  error?: JsonError;
}

let jsonWritten = false;

/**
 * Prints the one JSON document of a command. `ok` is false exactly when there is an error (given, or the
 * first error diagnostic). A second document from one action is a bug: it goes to stderr, never stdout.
 */
export function printJsonResult(payload: JsonPayload, options: JsonResultOptions = {}): void {
  const diagnostics = sortDiagnostics(options.diagnostics ?? []);
  const firstError = diagnostics.find(isError);
  const error = options.error ?? (firstError ? jsonErrorOf(firstError) : undefined);
  const doc = { ok: error === undefined, ...(error ? { error } : {}), ...payload, diagnostics };
  if (jsonWritten) {
    printError(
      `osiris: internal error: a second JSON document was suppressed (${JSON.stringify(doc.error ?? 'ok')})`,
    );
    return;
  }
  jsonWritten = true;
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

/** The `error` object of a diagnostic: code, message, hint and where. */
export function jsonErrorOf(d: Diagnostic): JsonError {
  const error: JsonError = { code: d.code, message: d.message };
  if (d.hint !== undefined) error.hint = d.hint;
  const location = compactLocation({ ...d.location, step: d.stepId });
  if (location) error.location = location;
  return error;
}

/** Drops unknown parts; undefined when nothing is known. */
export function compactLocation(location: JsonErrorLocation): JsonErrorLocation | undefined {
  const out: JsonErrorLocation = {};
  if (location.file !== undefined) out.file = location.file;
  if (location.line !== undefined) out.line = location.line;
  if (location.col !== undefined) out.col = location.col;
  if (location.path !== undefined) out.path = location.path;
  if (location.step !== undefined) out.step = location.step;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A warning diagnostic for notes that have no code of their own at the call site. */
export function warningOf(code: string, message: string): Diagnostic {
  return { severity: 'warning', code, message, location: {} };
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

/**
 * Runs a command action: its return value is the exit code. OsirisError → its diagnostics and exit code;
 * any other error → exit 1 with its message (never a stack trace unless OSIRIS_DEBUG is set).
 */
export async function runAction(
  options: OutputOptions,
  action: () => Promise<ExitCodeValue | undefined>,
): Promise<void> {
  jsonWritten = false; // one document per action (tests run several actions in one process)
  try {
    process.exitCode = (await action()) ?? ExitCode.ok;
  } catch (error) {
    process.exitCode = reportError(error, options);
  }
}

/** Code of an error that is not an OsirisError: a bug or an environment failure, reported in one line. */
export const INTERNAL_ERROR = 'OSR001';
/** Code of a file-system error no library code explained: a path that could not be read or written. */
export const FILE_ERROR = 'OSR002';

const ERRNO: Record<string, { what: string; hint: string }> = {
  EACCES: { what: 'permission denied', hint: 'check the permissions of the path' },
  EPERM: { what: 'operation not permitted', hint: 'check the permissions of the path' },
  EEXIST: { what: 'something is already there', hint: 'remove it or choose another path' },
  ENOENT: { what: 'no such file or folder', hint: 'check the path' },
  ENOTDIR: { what: 'part of the path is a file, not a folder', hint: 'check the path' },
  EISDIR: { what: 'it is a folder', hint: 'give the path of a file' },
  ENOSPC: { what: 'no space left on the device', hint: 'free some disk space' },
  EROFS: { what: 'read-only file system', hint: 'write somewhere else' },
};

/** A Node file-system error as a located diagnostic (`cannot mkdir out/x: something is already there`). */
export function fileErrorDiagnostic(error: unknown, cwd = process.cwd()): Diagnostic | undefined {
  if (!(error instanceof Error)) return undefined;
  const { path, code, syscall } = error as NodeJS.ErrnoException;
  if (typeof path !== 'string' || typeof code !== 'string') return undefined;
  const rel = relative(cwd, path);
  const file = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  const known = ERRNO[code] ?? { what: code, hint: 'check the path' };
  return {
    severity: 'error',
    code: FILE_ERROR,
    message: `cannot ${syscall ?? 'use'} ${file}: ${known.what} (${code})`,
    location: { file },
    hint: known.hint,
  };
}

export function reportError(error: unknown, options: OutputOptions): ExitCodeValue {
  const fileError = fileErrorDiagnostic(error);
  if (fileError) {
    if (options.json && !jsonWritten) printJsonResult({}, { diagnostics: [fileError] });
    else printDiagnostics([fileError]);
    return ExitCode.runtime;
  }
  if (error instanceof OsirisError) {
    if (options.json && !jsonWritten) {
      const first = error.diagnostics.find(isError) ?? error.diagnostics[0];
      printJsonResult(
        {},
        {
          diagnostics: error.diagnostics,
          ...(first && !isError(first) ? { error: jsonErrorOf(first) } : {}),
          ...(first ? {} : { error: { code: INTERNAL_ERROR, message: error.message } }),
        },
      );
    } else printDiagnostics(error.diagnostics);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (process.env.OSIRIS_DEBUG && error instanceof Error && error.stack) printError(error.stack);
  if (options.json && !jsonWritten) printJsonResult({}, { error: { code: INTERNAL_ERROR, message } });
  else printError(`error ${INTERNAL_ERROR} ${message}`);
  return ExitCode.runtime;
}
