/**
 * The read-only role statements of docs/reference/security.md (the ```sql role=<engine> blocks), with the
 * example names replaced, so the integration tests run exactly what the page recommends.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './cli.js';

export interface RoleNames {
  role: string;
  password: string;
  database: string;
  /** PostgreSQL only. */
  schema?: string;
}

export function roleStatements(engine: 'postgres' | 'mysql', names: RoleNames): string[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs/reference/security.md'), 'utf8');
  const block = new RegExp(`\`\`\`sql role=${engine}\\n([\\s\\S]*?)\`\`\``).exec(doc)?.[1];
  if (block === undefined)
    throw new Error(`docs/reference/security.md has no \`\`\`sql role=${engine} block`);
  return block
    .split(';\n')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) =>
      s
        .replaceAll('osiris_reader', names.role)
        .replaceAll('change-me', names.password)
        .replaceAll('analytics', names.database)
        .replaceAll('sales', names.schema ?? 'sales')
        .replace(/;$/, ''),
    );
}
