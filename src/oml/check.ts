/**
 * The whole OML gate in one call, as `osiris validate` and the compiler use it: resolve params, then run the
 * validator on the resolved document (locations from the original; inline secrets from the text as written).
 */
import { type Diagnostic, isError, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { typescriptDriverDiagnostic } from '../registry/load.js';
import type { Registry } from '../registry/registry.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';
import type { DerivedDocument } from './load.js';
import { type ParamSources, resolveParams } from './params.js';
import { checkExtractorSql } from './read-only-check.js';
import type { OmlDocument } from './types.js';
import { type ValidateOptions, validateOml } from './validate.js';

export interface CheckOmlOptions extends ValidateOptions {
  params?: ParamSources;
}

export interface CheckOmlResult {
  /** No errors (warnings allowed). */
  ok: boolean;
  /** Errors and warnings, sorted with sortDiagnostics. */
  diagnostics: Diagnostic[];
  /** The resolved document (placeholders replaced); `{}` when the file is not a mapping. */
  oml: JsonObject;
  /** The typed document, only when `ok`. */
  document: OmlDocument | undefined;
  /** Effective param values. */
  params: Record<string, JsonValue>;
  /** The resolved located document (for further located checks). */
  resolved: DerivedDocument;
}

/** Asynchronous because extractor SQL goes through the SQL guard, whose parsers load on first use. */
export async function checkOml(doc: LocatedDocument, options: CheckOmlOptions): Promise<CheckOmlResult> {
  const resolved = resolveParams(doc, options.params ?? {});
  const validateOptions: ValidateOptions = { registry: options.registry };
  if (options.secretKeys) validateOptions.secretKeys = options.secretKeys;
  if (options.connections) validateOptions.connections = options.connections;
  const diagnostics = sortDiagnostics([
    ...resolved.diagnostics,
    ...validateOml(resolved.document, validateOptions),
    ...unloadableDrivers(resolved.document, options.registry),
    ...(await checkExtractorSql(resolved.document, options.registry)),
  ]);
  const ok = !diagnostics.some(isError);
  return {
    ok,
    diagnostics,
    oml: resolved.oml,
    document: ok ? (resolved.oml as unknown as OmlDocument) : undefined,
    params: resolved.params,
    resolved: resolved.document,
  };
}

/** Steps whose project component has a driver Node cannot load (a TypeScript one): REG014, not a run-time crash. */
function unloadableDrivers(document: DerivedDocument, registry: Registry): Diagnostic[] {
  const steps = isJsonObject(document.value) ? document.value.steps : undefined;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step, i) => {
    if (!isJsonObject(step) || typeof step.component !== 'string') return [];
    const file = registry.get(step.component)?.typescriptDriver;
    if (!file) return [];
    const stepId = typeof step.id === 'string' ? step.id : undefined;
    return [
      typescriptDriverDiagnostic(
        step.component,
        file,
        document.locate(['steps', i, 'component'], 'value'),
        stepId,
      ),
    ];
  });
}
