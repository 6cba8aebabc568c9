/**
 * Annex shards (`--policy annex`): the full evidence the core may have cut, as NDJSON next to summary.json:
 *
 * - `annex/timeline.ndjson`  every event, with its evidence id (`@id`, `seq`, `ts`, `event`, `step_id`, `data`)
 * - `annex/metrics.ndjson`   every metric sample (`seq` = line in metrics.jsonl)
 * - `annex/errors.ndjson`    every error and warning item
 *
 * Lines are canonical JSON (sorted keys, compact). With `annex.compress: gzip` the files are
 * `<name>.ndjson.gz`, compressed with node:zlib (deterministic: no file name or time in the gzip header).
 * Everything is redacted and path-relativised like the core.
 */
import { gzipSync } from 'node:zlib';
import { canonicalJson, sha256Hex } from '../../util/canonical.js';
import type { JsonObject } from '../../yaml/json.js';
import type { AnnexFile, ErrorItem, TimelineItem } from './types.js';

export const ANNEX_DIR = 'annex';

export interface AnnexShard extends AnnexFile {
  bytes: Buffer;
}

function shard(name: string, lines: readonly unknown[], compress: 'none' | 'gzip'): AnnexShard {
  const text = lines.map((l) => `${canonicalJson(l)}\n`).join('');
  const raw = Buffer.from(text, 'utf8');
  const bytes = compress === 'gzip' ? gzipSync(raw, { level: 9 }) : raw;
  return {
    name: compress === 'gzip' ? `${name}.ndjson.gz` : `${name}.ndjson`,
    records: lines.length,
    size_bytes: bytes.length,
    sha256: `sha256:${sha256Hex(bytes)}`,
    bytes,
  };
}

export function buildAnnex(
  timeline: readonly TimelineItem[],
  metrics: readonly JsonObject[],
  errors: readonly ErrorItem[],
  compress: 'none' | 'gzip',
): AnnexShard[] {
  return [
    shard('errors', errors, compress),
    shard('metrics', metrics, compress),
    shard('timeline', timeline, compress),
  ];
}
