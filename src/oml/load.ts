/** Reading OML files into located documents. */
import { readFileSync, statSync } from 'node:fs';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { JsonValue } from '../yaml/json.js';
import { type LocatedDocument, parseLocatedYaml } from '../yaml/located.js';
import { OML } from './codes.js';

/**
 * Reads and parses an OML file, keeping line:col for every node. YAML syntax errors are *not* thrown: they
 * are in `doc.errors` (and `validateOml` reports them). A missing, unreadable or non-file path throws an
 * `OsirisError` (code OML001, exit 2).
 *
 * @param displayName the name diagnostics use (defaults to `path` as given)
 */
export function readOmlFile(path: string, displayName?: string): LocatedDocument {
  const file = displayName ?? path;
  let text: string;
  try {
    if (statSync(path).isDirectory()) {
      throw OsirisError.of(
        OML.fileUnreadable.code,
        `${file} is a directory, not an OML file`,
        { file },
        { hint: 'pass the path of a pipeline .yaml file' },
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof OsirisError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : `cannot be read (${code ?? (error instanceof Error ? error.message : String(error))})`;
    throw OsirisError.of(
      OML.fileUnreadable.code,
      `OML file ${file} ${why}`,
      { file },
      {
        hint:
          code === 'ENOENT' ? 'check the path (relative paths start at the current directory)' : undefined,
      },
    );
  }
  // A UTF-8 byte-order mark is not content.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseLocatedYaml(text, file);
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
    locateInString: (path, value, offset) => source.locateInString?.(path, value, offset),
    unresolved: original,
  };
}

export function isDerived(doc: LocatedDocument): doc is DerivedDocument {
  return 'unresolved' in doc && typeof (doc as { unresolved?: unknown }).unresolved === 'object';
}
