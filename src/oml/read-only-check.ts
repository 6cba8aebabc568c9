/**
 * OML044: an extractor's `query` / `where` must pass the SQL guard (src/connectors/sql-guard.ts), caught at
 * validate time so a refused query never reaches a database (drivers check again at run time). Asynchronous
 * because the SQL parsers load on first use; documents without database SQL never load them.
 * The diagnostic points at the refused call in the YAML file itself (src/oml/sql-position.ts), else at the
 * value; the message also names the position inside the SQL.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Registry } from '../registry/registry.js';
import { isJsonObject } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';
import { diag, OML } from './codes.js';
import { hasParamPlaceholder } from './config-schema.js';
import { locateInScalar } from './sql-position.js';

const SQL_KEYS = ['query', 'where'] as const;

export async function checkExtractorSql(doc: LocatedDocument, registry: Registry): Promise<Diagnostic[]> {
  const steps = isJsonObject(doc.value) && Array.isArray(doc.value.steps) ? doc.value.steps : [];
  const out: Diagnostic[] = [];
  for (const [index, step] of steps.entries()) {
    if (!isJsonObject(step) || typeof step.component !== 'string' || !isJsonObject(step.config)) continue;
    if (registry.get(step.component) === undefined) continue;
    const { sqlDialectOf, guardSql } = await import('../connectors/sql-guard.js');
    const dialect = sqlDialectOf(step.component);
    if (dialect === undefined) continue;
    const stepId = typeof step.id === 'string' ? step.id : undefined;
    for (const key of SQL_KEYS) {
      const sql = step.config[key];
      if (typeof sql !== 'string' || sql.trim() === '' || hasParamPlaceholder(sql)) continue;
      const check = await guardSql(sql, { dialect, part: key });
      if (check.ok) continue;
      const path = ['steps', index, 'config', key];
      out.push(
        diag(
          OML.sqlNotReadOnly,
          `config.${key} refused by the SQL guard: ${check.message}`,
          locateInScalar(doc, path, check.offset) ?? doc.locate(path, 'value'),
          { hint: OML.sqlNotReadOnly.fix, ...(stepId === undefined ? {} : { stepId }) },
        ),
      );
    }
  }
  return out;
}
