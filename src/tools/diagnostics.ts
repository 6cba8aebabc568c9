/**
 * Diagnostics and errors as a model reads them — compact, positional, with the fix hint — for every tool
 * transport. A tool that fails reports the CLI's code and hint, never a stack.
 */
import { type Diagnostic, OsirisError } from '../diagnostics/diagnostic.js';
import type { Redactor } from '../observability/redact.js';

export interface ModelDiagnostic {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  file?: string;
  line?: number;
  col?: number;
  path?: string;
  step?: string;
  hint?: string;
}

export function diagnosticsForModel(diagnostics: readonly Diagnostic[]): ModelDiagnostic[] {
  return diagnostics.map((d) => {
    const out: ModelDiagnostic = { severity: d.severity, code: d.code, message: d.message };
    if (d.location.file !== undefined) out.file = d.location.file;
    if (d.location.line !== undefined) out.line = d.location.line;
    if (d.location.col !== undefined) out.col = d.location.col;
    if (d.location.path) out.path = d.location.path;
    if (d.stepId) out.step = d.stepId;
    if (d.hint) out.hint = d.hint;
    return out;
  });
}

/** A failed tool call: the first error's code and hint, every diagnostic, all redacted. */
export interface ToolFailure {
  code: string;
  message: string;
  hint?: string;
  diagnostics: ModelDiagnostic[];
}

/** Code of a failure that is not an OsirisError (a bug, or an error a library threw). */
export const INTERNAL_TOOL_ERROR = 'OSR001';

export function toolFailure(error: unknown, redactor: Redactor): ToolFailure {
  if (error instanceof OsirisError) {
    const first = error.diagnostics.find((d) => d.severity === 'error') ?? error.diagnostics[0];
    const diagnostics = redactor.redactValue(
      diagnosticsForModel(error.diagnostics),
    ) as unknown as ModelDiagnostic[];
    return {
      code: first?.code ?? INTERNAL_TOOL_ERROR,
      message: redactor.redactText(error.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')),
      ...(first?.hint ? { hint: redactor.redactText(first.hint) } : {}),
      diagnostics,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: INTERNAL_TOOL_ERROR, message: redactor.redactText(message), diagnostics: [] };
}
