/**
 * One error vocabulary for every entry point (CLI, compiler, runner, agent, MCP).
 * A diagnostic says where (file:line:col, dotted path, step id), what (code + message) and how to fix it (hint).
 */

export type Severity = 'error' | 'warning';

export interface SourceLocation {
  /** File the diagnostic refers to, as the user named it (relative paths stay relative). */
  file?: string;
  /** 1-based line and column. */
  line?: number;
  col?: number;
  /** Dotted path inside the document, e.g. `steps[2].config.table`; `root` for the document itself. */
  path?: string;
}

export interface Diagnostic {
  severity: Severity;
  /** Stable code, e.g. `OML013`; documented in docs/reference. */
  code: string;
  message: string;
  /** How to fix it, e.g. "did you mean 'duckdb.processor'?" */
  hint?: string;
  location: SourceLocation;
  /** Step id when the diagnostic belongs to one step. */
  stepId?: string;
}

export function diagnostic(
  severity: Severity,
  code: string,
  message: string,
  location: SourceLocation = {},
  extra: { hint?: string; stepId?: string } = {},
): Diagnostic {
  const d: Diagnostic = { severity, code, message, location };
  if (extra.hint !== undefined) d.hint = extra.hint;
  if (extra.stepId !== undefined) d.stepId = extra.stepId;
  return d;
}

export const isError = (d: Diagnostic): boolean => d.severity === 'error';

/** Deterministic order: file, line, column, code, path, message. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic): [string, number, number, string, string, string] => [
    d.location.file ?? '',
    d.location.line ?? 0,
    d.location.col ?? 0,
    d.code,
    d.location.path ?? '',
    d.message,
  ];
  return [...list].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      const x = ka[i] as string | number;
      const y = kb[i] as string | number;
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
}

/** Formats like a compiler: `pipeline.yaml:12:5 error OML013 unknown component 'x' — did you mean 'y'?` */
export function formatDiagnostic(d: Diagnostic): string {
  const { file, line, col, path } = d.location;
  let where = file ?? '';
  if (line !== undefined) where += `${where ? ':' : ''}${line}${col !== undefined ? `:${col}` : ''}`;
  if (!where && path) where = path;
  const head = `${where ? `${where} ` : ''}${d.severity} ${d.code}`;
  // A file position already says where; without one, name the step so the message still points somewhere.
  const step =
    d.stepId !== undefined && line === undefined && !d.message.includes(`'${d.stepId}'`)
      ? ` [step ${d.stepId}]`
      : '';
  return `${head} ${d.message}${step}${d.hint ? ` — ${d.hint}` : ''}`;
}

/** Exit codes shared by every command. */
export const ExitCode = {
  ok: 0,
  /** A run (or other runtime operation) failed. */
  runtime: 1,
  /** Bad usage, bad input or a validation error. */
  usage: 2,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error carrying diagnostics and the exit code it maps to. Library code throws it; the CLI prints
 * the diagnostics and exits with `exitCode`.
 */
export class OsirisError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly exitCode: ExitCodeValue;

  constructor(diagnostics: Diagnostic | Diagnostic[], exitCode: ExitCodeValue = ExitCode.usage) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map(formatDiagnostic).join('\n'));
    this.name = 'OsirisError';
    this.diagnostics = list;
    this.exitCode = exitCode;
  }

  /** Shortcut for a single error diagnostic. */
  static of(
    code: string,
    message: string,
    location: SourceLocation = {},
    extra: { hint?: string; stepId?: string; exitCode?: ExitCodeValue } = {},
  ): OsirisError {
    return new OsirisError(
      diagnostic('error', code, message, location, extra),
      extra.exitCode ?? ExitCode.usage,
    );
  }
}
