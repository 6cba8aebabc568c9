/**
 * The audit trail: one JSON line per tool call, resource read and prompt, in
 * `.osiris/mcp/audit-<YYYY-MM-DD>.jsonl` (UTC day). Arguments pass through the redactor first, and long
 * strings (a pipeline, a query) are cut: the trail says what was asked, not everything that was sent.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redactor } from '../observability/redact.js';
import type { ProjectConfig } from '../project/config.js';
import { mcpDir } from '../tools/pipeline-source.js';

/** Characters of one argument string kept in the trail. */
export const AUDIT_STRING_CHARS = 500;

export interface AuditEntry {
  kind: 'tool' | 'resource' | 'prompt';
  /** Tool or prompt name, or resource URI. */
  name: string;
  transport: 'stdio' | 'http';
  args?: unknown;
  ok: boolean;
  code?: string;
  duration_ms: number;
  bytes_out: number;
}

export function auditFile(project: ProjectConfig, now = new Date()): string {
  return join(mcpDir(project), `audit-${now.toISOString().slice(0, 10)}.jsonl`);
}

function cut(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.length > AUDIT_STRING_CHARS
      ? `${value.slice(0, AUDIT_STRING_CHARS)}… (${value.length} chars)`
      : value;
  }
  if (Array.isArray(value)) return value.map(cut);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v)]));
  }
  return value;
}

export class AuditLog {
  constructor(
    private readonly project: ProjectConfig,
    private readonly redactor: Redactor,
  ) {}

  /** Never fails the call it records: an unwritable trail is reported once on stderr. */
  record(entry: AuditEntry): void {
    const line = {
      ts: new Date().toISOString(),
      ...entry,
      ...(entry.args !== undefined ? { args: cut(this.redactor.redactValue(entry.args)) } : {}),
    };
    try {
      mkdirSync(mcpDir(this.project), { recursive: true });
      appendFileSync(auditFile(this.project), `${JSON.stringify(line)}\n`);
    } catch (error) {
      if (!this.warned) process.stderr.write(`osiris mcp: cannot write the audit log: ${String(error)}\n`);
      this.warned = true;
    }
  }

  private warned = false;
}
