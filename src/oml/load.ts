/** Reading OML files into located documents. */
import { OsirisError } from '../diagnostics/diagnostic.js';
import { describeProblem, maxFileBytes, readBoundedText } from '../util/read-bounded.js';
import type { JsonValue } from '../yaml/json.js';
import { type LocatedDocument, parseLocatedYaml } from '../yaml/located.js';
import { OML } from './codes.js';

/**
 * Reads and parses an OML file, keeping line:col for every node. YAML syntax errors are *not* thrown: they
 * are in `doc.errors` (and `validateOml` reports them). A missing or unreadable path, anything but a regular
 * file (a FIFO, /dev/zero) and a file over the size limit (`OSIRIS_MAX_FILE_MB`, 10 MiB by default) throw an
 * `OsirisError` (code OML001, exit 2).
 *
 * @param displayName the name diagnostics use (defaults to `path` as given)
 */
export function readOmlFile(
  path: string,
  displayName?: string,
  options: { env?: NodeJS.ProcessEnv } = {},
): LocatedDocument {
  const file = displayName ?? path;
  const read = readBoundedText(path, maxFileBytes(options.env ?? process.env));
  if (!read.ok) {
    const { why, hint } = describeProblem(read.problem);
    throw OsirisError.of(OML.fileUnreadable.code, `OML file ${file} ${why}`, { file }, hint ? { hint } : {});
  }
  return parseLocatedYaml(read.text, file);
}

/**
 * A located document whose value has been rewritten (e.g. params resolved) without changing its shape:
 * locations still come from the original source, and `unresolved` keeps the original for checks that must
 * see the text as written (the inline-secret scan).
 */
export interface DerivedDocument extends LocatedDocument {
  unresolved: LocatedDocument;
}

export function derivedDocument(source: LocatedDocument, value: JsonValue | undefined): DerivedDocument {
  const original = isDerived(source) ? source.unresolved : source;
  return {
    file: source.file,
    value,
    errors: source.errors,
    locate: (path, which) => source.locate(path, which),
    ...(source.nodeAt ? { nodeAt: source.nodeAt } : {}),
    ...(source.position ? { position: source.position } : {}),
    ...(source.source !== undefined ? { source: source.source } : {}),
    unresolved: original,
  };
}

export function isDerived(doc: LocatedDocument): doc is DerivedDocument {
  return 'unresolved' in doc && typeof (doc as { unresolved?: unknown }).unresolved === 'object';
}
